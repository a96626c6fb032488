"""Reads of the staff workspaces: what each landing page shows, and the sales advisor's sales.

Each starts from the owning app's scoped selector (``crm.selectors``, ``complaints.selectors``,
``billing.selectors``) and adds only the narrowing and the aggregation of the page; one query
per function.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from billing.models import InstalmentPlan
from billing.money import ZERO, round_half_up_to_fen
from billing.selectors import plans_sold_by
from complaints import selectors as tickets
from complaints.models import Callback
from crm.choices import OrderStatus
from crm.models import Interaction, ServiceOrder
from crm.selectors import interactions_for, orders_for

SHOWN = 5


def my_open_interactions(user, *, limit: int = 10) -> list[Interaction]:
    """The staff member's contacts still open (a call not wrapped up, a visit in progress)."""
    return list(
        interactions_for(user)
        .filter(staff=user, ended_at__isnull=True)
        .order_by("-started_at", "-pk")[:limit]
    )


def my_callbacks(user) -> QuerySet[Callback]:
    """Open callbacks assigned to the user, the most urgent first."""
    return tickets.callbacks_for(user).filter(assignee=user)


def my_orders(user) -> QuerySet[ServiceOrder]:
    """Service orders the user took (their sales)."""
    return orders_for(user).filter(created_by=user)


def my_instalment_sales(user) -> QuerySet[InstalmentPlan]:
    """Instalment plans the user sold (a supervisor's own sales too, not the team's)."""
    return plans_sold_by(user).filter(seller=user)


@dataclass
class MonthOfSales:
    """One month of a sales advisor's sales."""

    month: datetime.date
    orders: int = 0
    orders_completed: int = 0
    order_fees: Decimal = ZERO
    plans: int = 0
    financed: Decimal = ZERO
    device_sales: Decimal = ZERO


def sales_by_month(user, *, months: int = 12) -> list[MonthOfSales]:
    """The user's orders and instalment sales per month (local time), newest month first, over
    the last ``months`` months: two ``GROUP BY`` queries."""
    today = timezone.localdate()
    first = today.replace(day=1)
    for _index in range(months - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    since = datetime.datetime.combine(
        first, datetime.time(), tzinfo=timezone.get_current_timezone()
    )
    rows: dict[datetime.date, MonthOfSales] = {}

    def row(month) -> MonthOfSales:
        day = month.date() if isinstance(month, datetime.datetime) else month
        return rows.setdefault(day, MonthOfSales(month=day))

    orders = (
        my_orders(user)
        .filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            count=Count("pk"),
            completed=Count("pk", filter=Q(status=OrderStatus.COMPLETED)),
            fees=Sum("fee"),
        )
        .order_by()
    )
    for figures in orders:
        month = row(figures["month"])
        month.orders = figures["count"]
        month.orders_completed = figures["completed"]
        month.order_fees = _yuan(figures["fees"])
    plans = (
        my_instalment_sales(user)
        .filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(count=Count("pk"), financed=Sum("financed_amount"), devices=Sum("device_price"))
        .order_by()
    )
    for figures in plans:
        month = row(figures["month"])
        month.plans = figures["count"]
        month.financed = _yuan(figures["financed"])
        month.device_sales = _yuan(figures["devices"])
    return sorted(rows.values(), key=lambda month: month.month, reverse=True)


def _yuan(total) -> Decimal:
    """A SUM of amounts to the fen, with its two places (SQLite's sums drop them)."""
    return round_half_up_to_fen(total if total is not None else ZERO)


def this_month_sales(user) -> MonthOfSales:
    """The current month's line of ``sales_by_month`` (zeros if nothing was sold yet)."""
    months = sales_by_month(user, months=1)
    return months[0] if months else MonthOfSales(month=timezone.localdate().replace(day=1))
