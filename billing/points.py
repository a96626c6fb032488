"""Points (营业厅 8.3.2 积分兑换): earned from payments, redeemed for bill credit or value-added
services, expired by rule.

A customer's ``PointsAccount`` is the balance and the lock: every change takes its row lock
(``select_for_update``), moves the balance with ``F()`` and appends a ``PointsEntry`` in the same
transaction, so concurrent redemptions queue on the row and cannot overspend; the check
constraint keeps the balance from going below zero even if a writer forgot the lock.

Earned points are lots: each ``EARN`` entry keeps the points it has ``remaining`` and the day
it ``expires_on`` (``BILLING_POINTS_EXPIRY_MONTHS`` after the month it was earned, at the end of
that month). Redemptions take from the lots that expire first; the daily expiry job takes what
is left of lots past their day. So the balance always equals the sum of the lots' remaining
points (``audit_points`` checks it).

Lock order, shared with ``billing.services.top_up``: promotion rows, then the points account,
then the prepaid balance.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.choices import LedgerEntryKind, PointsEntryKind, PromotionKind, RewardKind
from billing.error_codes import BillingErrorCode
from billing.models import PointsAccount, PointsEntry, Promotion, PromotionRedemption, TopUp
from billing.promotions import common_refusal, count_use, uses_by
from billing.services import BillingError, post_ledger_entry
from crm.choices import Channel, OrderKind, SubscriptionKind, SubscriptionStatus
from crm.models import Customer, Subscription
from crm.services import create_service_order


def points_for_payment(amount: Decimal) -> int:
    """Whole points for a payment in yuan (``BILLING_POINTS_PER_YUAN``, rounded down)."""
    return int((amount * settings.BILLING_POINTS_PER_YUAN).to_integral_value(rounding=ROUND_FLOOR))


def lot_expiry(earned_on: datetime.date) -> datetime.date:
    """The last day of the month ``BILLING_POINTS_EXPIRY_MONTHS`` after the earning month."""
    months = earned_on.month - 1 + settings.BILLING_POINTS_EXPIRY_MONTHS
    year, month = earned_on.year + months // 12, months % 12 + 1
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _locked_points(customer: Customer) -> PointsAccount:
    # As for prepaid balances: get_or_create settles a race on the first entry, then every
    # writer of this customer's points passes the one row lock.
    PointsAccount.objects.get_or_create(customer=customer)
    return PointsAccount.objects.select_for_update().get(customer=customer)


def _move(account: PointsAccount, points: int) -> int:
    PointsAccount.objects.filter(pk=account.pk).update(balance=F("balance") + points)
    account.refresh_from_db(fields=["balance"])
    return account.balance


def points_balance(customer: Customer) -> int:
    return (
        PointsAccount.objects.filter(customer=customer).values_list("balance", flat=True).first()
        or 0
    )


@transaction.atomic
def earn_points_for_top_up(top_up: TopUp, *, actor) -> PointsEntry | None:
    """Points for the amount paid (bonuses earn none); once per top-up (one-to-one key)."""
    points = points_for_payment(top_up.amount)
    if points <= 0:
        return None
    customer = top_up.account.customer
    account = _locked_points(customer)
    balance = _move(account, points)
    today = timezone.localdate()
    return PointsEntry.objects.create(
        customer=customer,
        kind=PointsEntryKind.EARN,
        points=points,
        balance_after=balance,
        remaining=points,
        expires_on=lot_expiry(today),
        top_up=top_up,
        description=_("Top-up of %(amount)s yuan") % {"amount": top_up.amount},
        actor=actor,
    )


def _expire_lots(account: PointsAccount, today: datetime.date) -> PointsEntry | None:
    """Expire what is left of the customer's lots past their day (under the account's lock)."""
    lots = PointsEntry.objects.filter(
        customer_id=account.pk, kind=PointsEntryKind.EARN, remaining__gt=0, expires_on__lt=today
    )
    expiring = lots.aggregate(total=Sum("remaining"))["total"] or 0
    if not expiring:
        return None
    lots.update(remaining=0)
    balance = _move(account, -expiring)
    return PointsEntry.objects.create(
        customer_id=account.pk,
        kind=PointsEntryKind.EXPIRE,
        points=-expiring,
        balance_after=balance,
        description=_("Points earned before %(day)s expired") % {"day": today},
    )


def _take_from_lots(customer: Customer, points: int, today: datetime.date) -> None:
    """Take ``points`` from the lots that expire first (the account's lock is held)."""
    lots = PointsEntry.objects.filter(
        customer=customer, kind=PointsEntryKind.EARN, remaining__gt=0, expires_on__gte=today
    ).order_by("expires_on", "pk")
    needed = points
    for lot_id, remaining in list(lots.values_list("pk", "remaining")):
        taken = min(remaining, needed)
        PointsEntry.objects.filter(pk=lot_id).update(remaining=F("remaining") - taken)
        needed -= taken
        if not needed:
            return
    # The balance equals the lots' remaining points, and the balance was checked: unreachable
    # unless that invariant broke, in which case nothing may be written.
    raise RuntimeError("points lots do not cover the balance")


@dataclass(frozen=True)
class RedemptionResult:
    redemption: PromotionRedemption
    balance: int


def _reward_value(promotion: Promotion) -> Decimal:
    """The bill credit a redemption gives: the credit, or the service's fee for its months."""
    if promotion.reward == RewardKind.VALUE_ADDED_SERVICE:
        return promotion.product.monthly_fee * promotion.reward_months
    return promotion.benefit_amount


@transaction.atomic
def redeem_points(
    customer: Customer,
    promotion: Promotion,
    *,
    actor,
    subscription: Subscription | None = None,
) -> RedemptionResult:
    """Spend points on a redemption offer: bill credit, or a value-added service on a line.

    The service is ordered through crm (a subscribe order the hall processes) and its monthly
    fee for the offer's months is credited to the line's account, so the points pay for it.
    Refusals: the offer's (expired, used up, limit reached), ``not_enough_points``, and
    ``line_required`` for a service without a live mobile line of the customer's.
    """
    if promotion.kind != PromotionKind.POINTS_REDEMPTION:
        raise ValidationError(
            {"promotion": ValidationError(_("This offer is not a points redemption."), "invalid")}
        )
    today = timezone.localdate()
    promotion = (
        Promotion.objects.select_for_update(of=("self",))
        .select_related("product")
        .get(pk=promotion.pk)
    )
    benefit = _reward_value(promotion)
    refusal = common_refusal(
        promotion,
        customer=customer,
        day=today,
        uses_by_customer=uses_by(customer, [promotion]).get(promotion.pk, 0),
        benefit=benefit,
    )
    if refusal is not None:
        raise BillingError(refusal.code, refusal.message, field="promotion")
    if promotion.reward == RewardKind.VALUE_ADDED_SERVICE:
        if (
            subscription is None
            or subscription.customer_id != customer.pk
            or subscription.kind != SubscriptionKind.MOBILE
            or subscription.status == SubscriptionStatus.TERMINATED
        ):
            raise BillingError(
                BillingErrorCode.LINE_REQUIRED,
                _("Choose the mobile line the service is for."),
                field="subscription",
            )
        billing_account = subscription.billing_account
    else:
        billing_account = customer.billing_accounts.order_by("pk").first()

    account = _locked_points(customer)
    _expire_lots(account, today)
    cost = promotion.points_cost
    if account.balance < cost:
        raise BillingError(
            BillingErrorCode.NOT_ENOUGH_POINTS,
            _("%(name)s costs %(cost)s points; you have %(balance)s.")
            % {"name": promotion.name, "cost": cost, "balance": account.balance},
        )
    _take_from_lots(customer, cost, today)
    balance = _move(account, -cost)
    entry = PointsEntry.objects.create(
        customer=customer,
        kind=PointsEntryKind.REDEEM,
        points=-cost,
        balance_after=balance,
        description=promotion.name,
        actor=actor,
    )
    order = None
    if promotion.reward == RewardKind.VALUE_ADDED_SERVICE:
        order = create_service_order(
            kind=OrderKind.SUBSCRIBE_SERVICE,
            customer=customer,
            subscription=subscription,
            product=promotion.product,
            channel=Channel.WEB_PORTAL,
            fee=0,
            notes=_("Paid with points: %(name)s") % {"name": promotion.name},
            actor=actor,
        )
    ledger_entry = None
    if benefit > 0:
        ledger_entry = post_ledger_entry(
            billing_account,
            kind=LedgerEntryKind.POINTS_CREDIT,
            amount=benefit,
            actor=actor,
            description=_("Points redemption: %(name)s") % {"name": promotion.name},
            promotion=promotion,
        )
    count_use(promotion, benefit)
    redemption = PromotionRedemption.objects.create(
        promotion=promotion,
        customer=customer,
        account=billing_account,
        points_entry=entry,
        service_order=order,
        benefit_amount=benefit,
        points_spent=cost,
        ledger_entry=ledger_entry,
        actor=actor,
    )
    return RedemptionResult(redemption, balance)


def expire_points(today: datetime.date | None = None, *, limit: int = 5000) -> int:
    """The daily job: expire the lots past their day, one transaction per customer.

    Returns the number of points expired. Safe to run twice (an expired lot has nothing left).
    """
    today = today or timezone.localdate()
    customers = list(
        PointsEntry.objects.filter(kind=PointsEntryKind.EARN, remaining__gt=0, expires_on__lt=today)
        .values_list("customer_id", flat=True)
        .distinct()
        .order_by("customer_id")[:limit]
    )
    expired = 0
    for customer_id in customers:
        with transaction.atomic():
            account = PointsAccount.objects.select_for_update().get(customer_id=customer_id)
            entry = _expire_lots(account, today)
            expired += -entry.points if entry else 0
    return expired


@dataclass(frozen=True)
class PointsMismatch:
    customer_id: int
    balance: int
    entries: int
    lots: int


def audit_points() -> list[PointsMismatch]:
    """Customers whose points balance differs from their entries or their lots (expected: none)."""
    entries = dict(
        PointsEntry.objects.values("customer")
        .annotate(total=Sum("points"))
        .values_list("customer", "total")
    )
    lots = dict(
        PointsEntry.objects.filter(kind=PointsEntryKind.EARN)
        .values("customer")
        .annotate(total=Sum("remaining"))
        .values_list("customer", "total")
    )
    return [
        PointsMismatch(customer_id, balance, entries.get(customer_id, 0), lots.get(customer_id, 0))
        for customer_id, balance in PointsAccount.objects.values_list("customer_id", "balance")
        if not balance == entries.get(customer_id, 0) == lots.get(customer_id, 0)
    ]
