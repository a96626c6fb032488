"""Monthly fees of a line: the plan's function fee and the monthly features it has.

One rule, used by rating (the monthly cap counts the month's fees) and by the bill run (which
debits them): a product effective on any day of the month is charged for the month; in the
month it was activated the fee is prorated by day,
``round_half_up(fee × active_days / days_in_month)`` with active days counted from the
activation date through the month's end.
"""

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from billing.money import ZERO, round_half_up_to_fen
from crm.models import SubscriptionProduct


@dataclass(frozen=True)
class FeeItem:
    product_code: str
    product_name: str
    monthly_fee: Decimal
    amount: Decimal
    prorated_days: int | None  # None when the whole month is charged


def month_end(period: datetime.date) -> datetime.date:
    return period.replace(day=calendar.monthrange(period.year, period.month)[1])


def fee_for_month(
    monthly_fee: Decimal,
    effective_from: datetime.date,
    effective_to: datetime.date | None,
    period: datetime.date,
) -> tuple[Decimal, int | None]:
    """The fee one product costs in ``period`` (first day of a month), and its prorated days."""
    last_day = month_end(period)
    if monthly_fee == 0 or effective_from > last_day:
        return ZERO, None
    if effective_to is not None and effective_to < period:
        return ZERO, None
    if effective_from >= period:
        days_in_month = last_day.day
        active_days = last_day.day - effective_from.day + 1
        if active_days < days_in_month:
            return round_half_up_to_fen(monthly_fee * active_days / days_in_month), active_days
    return monthly_fee, None


def fee_items(rows: Iterable[SubscriptionProduct], period: datetime.date) -> list[FeeItem]:
    """Fee items of one line's product rows (with ``product`` loaded) for ``period``."""
    items = []
    for row in rows:
        amount, days = fee_for_month(
            row.product.monthly_fee, row.effective_from, row.effective_to, period
        )
        if amount:
            items.append(
                FeeItem(row.product.code, row.product.name, row.product.monthly_fee, amount, days)
            )
    return items


def fee_items_by_subscription(
    subscription_ids: Iterable[int], period: datetime.date
) -> dict[int, list[FeeItem]]:
    """Fee items for many lines in one query (the bill run and rating use this)."""
    rows = (
        SubscriptionProduct.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=period),
            subscription_id__in=list(subscription_ids),
            effective_from__lte=month_end(period),
            product__monthly_fee__gt=0,
        )
        .select_related("product")
        .order_by("subscription_id", "effective_from", "pk")
    )
    grouped: dict[int, list[SubscriptionProduct]] = defaultdict(list)
    for row in rows:
        grouped[row.subscription_id].append(row)
    return {sub_id: fee_items(sub_rows, period) for sub_id, sub_rows in grouped.items()}
