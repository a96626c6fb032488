"""Plan recommendation for a mobile line: what each plan on sale would have cost for the line's
last three full months of usage, and the cheapest one with the saving against the current plan.

Each month's usage records are rated again under each candidate plan with the rules of
``billing.rating`` itself (``PlanRates``, ``MonthTotals`` and ``rate_voice`` / ``rate_sms`` /
``rate_data``: the same inclusions, charge cap and cut-off, the same rounding), in (started_at,
record_id) order, from an empty month whose fees are the plan's monthly fee. What a month costs
under a plan is its monthly fee plus that usage. Features and value-added services cost the
same under every plan and are left out; so are data re-openings (they depend on the plan).

Every record counts, rejected ones included: a session the current plan cut off is usage the
customer wanted. A plan whose cut-off would have blocked some of it is shown with the blocked
volume and never recommended. Months before the line's first full month are not counted.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from billing.bill_run import previous_period
from billing.choices import UsageEventType
from billing.models import UsageRecord
from billing.money import ZERO, round_half_up_to_fen
from billing.rating import MonthTotals, PlanRates, rate_data, rate_sms, rate_voice, yuan
from crm.choices import ProductKind, SubscriptionKind
from crm.models import Product, Subscription
from crm.selectors import catalog
from crm.services import current_plan

MONTHS = 3
_SMS = UsageEventType.SMS.value
_DATA = UsageEventType.DATA.value


@dataclass(frozen=True)
class MonthCost:
    period: datetime.date
    fee: Decimal
    usage: Decimal
    cut_off_kb: int

    @property
    def total(self) -> Decimal:
        return self.fee + self.usage


@dataclass
class PlanCost:
    """One plan's bill for the months looked at."""

    plan: Product
    months: list[MonthCost] = field(default_factory=list)
    is_current: bool = False

    @property
    def total(self) -> Decimal:
        return sum((month.total for month in self.months), start=ZERO)

    @property
    def usage(self) -> Decimal:
        return sum((month.usage for month in self.months), start=ZERO)

    @property
    def fees(self) -> Decimal:
        return sum((month.fee for month in self.months), start=ZERO)

    @property
    def cut_off_kb(self) -> int:
        return sum(month.cut_off_kb for month in self.months)

    @property
    def fits(self) -> bool:
        """The plan would have carried all of the usage (no data cut off)."""
        return self.cut_off_kb == 0


@dataclass
class Recommendation:
    """The candidates cheapest first, the current plan's cost, the best fit and the saving."""

    subscription: Subscription
    periods: list[datetime.date]
    records: int
    plans: list[PlanCost]
    current: PlanCost | None

    @property
    def best(self) -> PlanCost | None:
        return next((plan for plan in self.plans if plan.fits), None)

    @property
    def saving(self) -> Decimal | None:
        """What the best plan would have saved against the current one (0 if it is the same)."""
        if self.current is None or self.best is None:
            return None
        return max(self.current.total - self.best.total, ZERO)

    @property
    def monthly_saving(self) -> Decimal | None:
        if self.saving is None or not self.periods:
            return None
        return round_half_up_to_fen(self.saving / len(self.periods))


def full_months_before(day: datetime.date, activated_on: datetime.date, count: int = MONTHS):
    """The first days of the last ``count`` full calendar months before ``day``'s month, oldest
    first, leaving out months the line did not have from their first day."""
    periods = []
    month = day
    for _ in range(count):
        month = previous_period(month)
        if month >= activated_on:
            periods.append(month)
    return sorted(periods)


def plans_on_sale(day: datetime.date):
    """Mobile plans on sale on ``day`` with their terms, cheapest monthly fee first."""
    return (
        catalog(on_day=day)
        .prefetch_related(None)
        .filter(kind=ProductKind.MOBILE_PLAN, mobile_terms__isnull=False)
        .order_by("monthly_fee", "code")
    )


def recommend_plan(subscription: Subscription, *, today: datetime.date | None = None):
    """The recommendation for one mobile line (``None`` for other kinds of line). Four queries:
    the current plan, the plans on sale, its terms if it is no longer sold, the records."""
    if subscription.kind != SubscriptionKind.MOBILE:
        return None
    today = today or timezone.localdate()
    periods = full_months_before(today, subscription.activated_on)
    plan_now = current_plan(subscription, today)
    candidates = list(plans_on_sale(today))
    if plan_now is not None and plan_now.pk not in {plan.pk for plan in candidates}:
        # No longer sold, but still what the customer pays: compare against it.
        plan_now = (
            Product.objects.filter(pk=plan_now.pk, mobile_terms__isnull=False)
            .select_related("mobile_terms")
            .first()
        )
        if plan_now is not None:
            candidates.append(plan_now)
    records = list(
        UsageRecord.objects.filter(subscription=subscription, billing_month__in=periods)
        .order_by("billing_month", "started_at", "record_id")
        .values_list("billing_month", "event_type", "duration_s", "volume_kb")
    )
    costs = [
        PlanCost(
            plan=plan,
            months=_months_under(plan, periods, records),
            is_current=plan_now is not None and plan.pk == plan_now.pk,
        )
        for plan in candidates
    ]
    costs.sort(key=lambda cost: (cost.total, cost.plan.monthly_fee, cost.plan.code))
    return Recommendation(
        subscription=subscription,
        periods=periods,
        records=len(records),
        plans=costs,
        current=next((cost for cost in costs if cost.is_current), None),
    )


def _months_under(plan: Product, periods, records) -> list[MonthCost]:
    """Rate the records of each period under ``plan`` (records sorted by month, then time)."""
    rates = PlanRates.from_terms(plan.code, plan.mobile_terms)
    fee_fen = int(plan.monthly_fee.scaleb(2))
    totals = {period: MonthTotals(fees_fen=fee_fen) for period in periods}
    blocked = dict.fromkeys(periods, 0)
    for period, event_type, duration_s, volume_kb in records:
        month = totals[period]
        if event_type == _DATA:
            rating = rate_data(rates, month, volume_kb or 0, 0)
            blocked[period] += (volume_kb or 0) - rating.charged_units
        elif event_type == _SMS:
            rate_sms(rates, month)
        else:
            rate_voice(rates, month, event_type, duration_s or 0)
    return [
        MonthCost(
            period=period,
            fee=plan.monthly_fee,
            usage=yuan(totals[period].data_fen + totals[period].voice_fen + totals[period].sms_fen),
            cut_off_kb=blocked[period],
        )
        for period in periods
    ]
