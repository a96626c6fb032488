"""Rating of call detail records: the tariff rules, the running totals of a line's month, and
the debit of the rated charges from the prepaid balance.

Rules, with every rate, inclusion and cap read from the ``crm.MobilePlanTerms`` of the mobile
plan effective on the record's local (Asia/Shanghai) date:

- Voice: every started minute is charged, ``ceil(duration_s / 60) × rate`` of the event type
  (local out, long distance, roaming out, roaming in, incoming at home); 0 s costs nothing.
- SMS: the plan's price per message.
- Data: ``volume_kb × data_per_kb`` rounded **up** to the fen, per session.
- Charge cap: within a month, data charges stop growing once data charges + the month's monthly
  fees (``billing.fees.fee_items_by_subscription``, the rule the bill run debits) reach
  ``monthly_charge_cap``; the session that crosses it is charged only up to the cap, later ones
  cost 0 (rated, not rejected).
- Cut-off: data is cut off at ``monthly_data_cap_kb`` of cumulative volume in the month. The
  session that crosses it is charged for its KB up to the cut-off (``charged_units``); later
  sessions are *rejected*: stored with charge 0 and the reason.
- Re-opening: a ``crm.DataReopening`` applies to the billing month it was made in; sessions of
  that month starting at or after ``reopened_at`` are charged ``volume_kb ×
  reopened_data_per_kb`` rounded up per session, with no cap, no cut-off and no inclusion. A
  plan without ``reopened_data_per_kb`` cannot be re-opened: its cut-off stays.
- Inclusions of bundle plans (DAZHONG has none), consumed first at zero charge in rating order:
  ``included_minutes`` by the minutes of voice events whose rate on the plan is not zero (a
  free incoming call does not use the allowance; a call crossing it pays for the minutes beyond
  it); ``included_sms`` by the month's first messages; ``included_data_kb`` by the month's first
  KB (a session crossing it pays for the KB beyond it, rounded up). Included KB count towards
  the cut-off; only charged data counts towards the charge cap.

Records are rated in (started_at, record_id) order within a line-month. The totals the caps and
inclusions depend on are kept in ``UsageMonth``, so a later import continues where an earlier
one stopped (a record arriving late is rated after those already rated).

Amounts inside rating are integers — charges in fen, rates in micro-yuan (every catalog rate has
at most six decimals) — so that a million records are rated without Decimal arithmetic. The only
rounding is ``_ceil_fen``, the integer twin of ``billing.money.ceil_to_fen`` (ROUND_CEILING).
"""

import datetime
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Sum
from django.utils.translation import gettext as _

from billing.bulk_ledger import PendingEntry, post_ledger_entries
from billing.choices import LedgerEntryKind, UsageEventType, UsageStatus
from billing.fees import fee_items_by_subscription
from billing.models import CdrImport, UsageMonth, UsageRecord
from crm.choices import ProductKind
from crm.models import DataReopening, MobilePlanTerms, SubscriptionProduct

# The billing month of a record is the month of its local time here, whatever the server's zone.
BILLING_TIME_ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
MICRO_PER_YUAN = 1_000_000
MICRO_PER_FEN = 10_000
_RATED = UsageStatus.RATED.value
_REJECTED = UsageStatus.REJECTED.value
_SMS = UsageEventType.SMS.value
_DATA = UsageEventType.DATA.value

# Which rate of the plan terms each voice event is charged at.
VOICE_RATE_FIELD = {
    UsageEventType.VOICE_OUT_LOCAL.value: "local_call_per_minute",
    UsageEventType.VOICE_OUT_LD.value: "long_distance_per_minute",
    UsageEventType.VOICE_OUT_ROAMING.value: "roaming_out_per_minute",
    UsageEventType.VOICE_IN_ROAMING.value: "roaming_in_per_minute",
    UsageEventType.VOICE_IN.value: "incoming_per_minute",
}
# Queries taking a list of line ids are made per chunk, to keep their parameter lists bounded.
_QUERY_LINES = 5_000


def _ceil_fen(micro: int) -> int:
    """Micro-yuan rounded up to whole fen (non-negative amounts): ``ceil_to_fen`` in integers."""
    return -(-micro // MICRO_PER_FEN)


def _micro(rate: Decimal) -> int:
    micro = rate * MICRO_PER_YUAN
    if micro != micro.to_integral_value():
        raise ValueError(f"rate {rate} has more than six decimals")
    return int(micro)


def yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def _fen(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def rate_text(rate: Decimal) -> str:
    """A rate as the tariff sheet writes it: at least two decimals, no trailing zeros beyond."""
    text = f"{rate.normalize():f}"
    whole, _dot, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


@dataclass(frozen=True)
class PlanRates:
    """One plan's terms in integers, with the tariff-rule texts records are stamped with."""

    code: str
    voice_micro: dict[str, int]
    sms_micro: int
    data_micro: int
    reopened_data_micro: int | None
    included_minutes: int
    included_sms: int
    included_kb: int
    cutoff_kb: int | None
    charge_cap_fen: int | None
    rules: dict[str, str]

    @classmethod
    def from_terms(cls, code: str, terms) -> "PlanRates":
        voice = {event: getattr(terms, field) for event, field in VOICE_RATE_FIELD.items()}
        rules = {event: f"{code} {event} {rate_text(rate)}/min" for event, rate in voice.items()}
        rules[_SMS] = f"{code} sms {rate_text(terms.sms_each)}/msg"
        rules[_DATA] = f"{code} data {rate_text(terms.data_per_kb)}/KB ceil/session"
        if terms.monthly_data_cap_kb is not None:
            rules["cutoff"] = f"{code} data cut-off at {terms.monthly_data_cap_kb} KB/month"
        if terms.reopened_data_per_kb is not None:
            rules["reopened"] = (
                f"{code} data re-opened {rate_text(terms.reopened_data_per_kb)}/KB "
                "ceil/session, no cap"
            )
        if terms.monthly_charge_cap is not None:
            rules["cap"] = f"cap {terms.monthly_charge_cap} incl. fees reached"
        return cls(
            code=code,
            voice_micro={event: _micro(rate) for event, rate in voice.items()},
            sms_micro=_micro(terms.sms_each),
            data_micro=_micro(terms.data_per_kb),
            reopened_data_micro=(
                None if terms.reopened_data_per_kb is None else _micro(terms.reopened_data_per_kb)
            ),
            included_minutes=terms.included_minutes,
            included_sms=terms.included_sms,
            included_kb=terms.included_data_kb,
            cutoff_kb=terms.monthly_data_cap_kb,
            charge_cap_fen=(
                None if terms.monthly_charge_cap is None else _fen(terms.monthly_charge_cap)
            ),
            rules=rules,
        )


class MonthTotals:
    """A line's month as rating left it: what the caps and inclusions depend on."""

    __slots__ = (
        "changed",
        "data_fen",
        "data_kb",
        "fees_fen",
        "minutes_used",
        "reopened_at_us",
        "sms_fen",
        "sms_used",
        "voice_fen",
    )

    def __init__(
        self,
        *,
        fees_fen: int = 0,
        data_kb: int = 0,
        data_fen: int = 0,
        voice_fen: int = 0,
        sms_fen: int = 0,
        minutes_used: int = 0,
        sms_used: int = 0,
        reopened_at_us: int | None = None,
    ):
        self.fees_fen = fees_fen
        self.data_kb = data_kb
        self.data_fen = data_fen
        self.voice_fen = voice_fen
        self.sms_fen = sms_fen
        self.minutes_used = minutes_used
        self.sms_used = sms_used
        self.reopened_at_us = reopened_at_us
        self.changed = False


class Rating(NamedTuple):
    """What rating made of one record; ``charge_fen`` is in fen. (A tuple: made a million times
    an import.)"""

    charged_units: int
    charge_fen: int
    status: str
    rejection_reason: str
    tariff_rule: str


def cutoff_reason(cutoff_kb: int) -> str:
    return _(
        "Monthly data cut-off of %(kb)s KB reached; data can be re-opened by a service order."
    ) % {"kb": cutoff_kb}


def rate_voice(plan: PlanRates, month: MonthTotals, event_type: str, duration_s: int) -> Rating:
    minutes = -(-duration_s // 60)
    rate = plan.voice_micro[event_type]
    rule = plan.rules[event_type]
    paid = minutes
    if rate and plan.included_minutes and minutes:
        free = min(minutes, max(0, plan.included_minutes - month.minutes_used))
        month.minutes_used += minutes
        if free:
            paid = minutes - free
            rule = f"{rule}; {free} of {minutes} min included"
    fen = _ceil_fen(paid * rate)
    month.voice_fen += fen
    month.changed = True
    return Rating(minutes, fen, _RATED, "", rule)


def rate_sms(plan: PlanRates, month: MonthTotals) -> Rating:
    rule = plan.rules[_SMS]
    fen = _ceil_fen(plan.sms_micro)
    if month.sms_used < plan.included_sms:
        fen = 0
        rule = f"{rule}; included ({month.sms_used + 1} of {plan.included_sms})"
    month.sms_used += 1
    month.sms_fen += fen
    month.changed = True
    return Rating(1, fen, _RATED, "", rule)


def rate_data(plan: PlanRates, month: MonthTotals, volume_kb: int, started_us: int) -> Rating:
    month.changed = True
    if (
        month.reopened_at_us is not None
        and started_us >= month.reopened_at_us
        and plan.reopened_data_micro is not None
    ):
        fen = _ceil_fen(volume_kb * plan.reopened_data_micro)
        month.data_kb += volume_kb
        month.data_fen += fen
        return Rating(volume_kb, fen, _RATED, "", plan.rules["reopened"])
    before = month.data_kb
    cutoff = plan.cutoff_kb
    if cutoff is not None and before >= cutoff:
        return Rating(0, 0, _REJECTED, cutoff_reason(cutoff), plan.rules["cutoff"])
    end = before + volume_kb if cutoff is None or before + volume_kb <= cutoff else cutoff
    rule = plan.rules[_DATA]
    chargeable = end - before
    if plan.included_kb > before:
        free = min(end, plan.included_kb) - before
        chargeable -= free
        rule = f"{rule}; {free} KB included"
    if end < before + volume_kb:
        rule = f"{rule}; cut-off at {cutoff} KB"
    fen = _ceil_fen(chargeable * plan.data_micro)
    cap = plan.charge_cap_fen
    if cap is not None and fen and month.fees_fen + month.data_fen + fen > cap:
        fen = max(0, cap - month.fees_fen - month.data_fen)
        rule = f"{rule}; {plan.rules['cap']}"
    month.data_kb = end
    month.data_fen += fen
    return Rating(end - before, fen, _RATED, "", rule[:120])


# --- The rating pass over an import's records -----------------------------------------------


@dataclass
class Line:
    """A mobile line that may carry the import's records, with its plans over time."""

    id: int
    account_id: int
    activated_on: str  # ISO dates: compared with the records' local dates as text
    terminated_on: str | None
    plans: list[tuple[str, str | None, PlanRates]]

    def is_live_on(self, day: str) -> bool:
        return self.activated_on <= day and (
            self.terminated_on is None or day <= self.terminated_on
        )

    def plan_on(self, day: str) -> PlanRates | None:
        for start, end, plan in self.plans:
            if start <= day and (end is None or day <= end):
                return plan
        return None


def _epoch_us(moment: datetime.datetime) -> int:
    return (moment - EPOCH) // ONE_MICROSECOND


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
ONE_MICROSECOND = datetime.timedelta(microseconds=1)


class RatingRun:
    """The state of rating one import: lines, plans, month totals and the charges to debit.

    ``load`` takes the lines the import may concern as a queryset (built on a subquery of the
    staged msisdns, never a list of the import's size) and its billing months; ``rate`` is then
    called for each record in (msisdn, started_at, record_id) order, and at the end
    ``save_month_totals`` and ``debit_charges`` store what the run added.
    """

    def __init__(self, *, lines_by_msisdn: dict[str, list[Line]], months: list[datetime.date]):
        self.lines_by_msisdn = lines_by_msisdn
        self.month_dates = {month.isoformat(): month for month in months}
        self.totals: dict[tuple[int, str], MonthTotals] = {}
        self.charges: dict[tuple[int, int, str], int] = defaultdict(int)
        self.rated = 0
        self.rejected = 0
        self._loaded_totals: dict[tuple[int, str], MonthTotals] = {}
        self._reopened: dict[tuple[int, str], int] = {}
        self._fees: dict[tuple[int, str], int] = {}
        self._used_allowances: dict[tuple[int, str], dict[str, int]] = {}

    @classmethod
    def load(cls, subscriptions, months: list[datetime.date]) -> "RatingRun":
        """Load the lines of ``subscriptions`` (a queryset) and their months' state, locking the
        ``UsageMonth`` rows that rating will update."""
        plan_rows = list(
            SubscriptionProduct.objects.filter(
                subscription__in=subscriptions, product__kind=ProductKind.MOBILE_PLAN
            )
            .order_by("subscription_id", "effective_from", "pk")
            .values_list("subscription_id", "product_id", "effective_from", "effective_to")
        )
        rates_by_product = {
            terms.product_id: PlanRates.from_terms(terms.product.code, terms)
            for terms in MobilePlanTerms.objects.filter(
                product_id__in={row[1] for row in plan_rows}
            ).select_related("product")
        }
        plans: dict[int, list[tuple[str, str | None, PlanRates]]] = defaultdict(list)
        for sub_id, product_id, effective_from, effective_to in plan_rows:
            if product_id in rates_by_product:
                plans[sub_id].append(
                    (
                        effective_from.isoformat(),
                        None if effective_to is None else effective_to.isoformat(),
                        rates_by_product[product_id],
                    )
                )
        lines_by_msisdn: dict[str, list[Line]] = defaultdict(list)
        for sub_id, msisdn, account_id, activated_on, terminated_on in subscriptions.values_list(
            "id", "msisdn", "billing_account_id", "activated_on", "terminated_on"
        ).order_by("-activated_on", "-pk"):
            lines_by_msisdn[msisdn].append(
                Line(
                    id=sub_id,
                    account_id=account_id,
                    activated_on=activated_on.isoformat(),
                    terminated_on=None if terminated_on is None else terminated_on.isoformat(),
                    plans=plans.get(sub_id, []),
                )
            )
        run = cls(lines_by_msisdn=dict(lines_by_msisdn), months=months)
        run._load_month_state(subscriptions, months)
        return run

    def _load_month_state(self, subscriptions, months: list[datetime.date]) -> None:
        if not months:
            return
        # Locked in a fixed order; imports are also serialized (see billing.cdr_import).
        stored = (
            UsageMonth.objects.select_for_update(of=("self",))
            .filter(subscription__in=subscriptions, month__in=months)
            .order_by("pk")
        )
        for row in stored:
            self._loaded_totals[(row.subscription_id, row.month.isoformat())] = MonthTotals(
                data_kb=row.data_kb,
                data_fen=_fen(row.data_charge),
                voice_fen=_fen(row.voice_charge),
                sms_fen=_fen(row.sms_charge),
            )
        first, last = min(months), max(months)
        reopenings = DataReopening.objects.filter(
            subscription__in=subscriptions,
            reopened_at__gte=_month_start(first),
            reopened_at__lt=_month_start(_next_month(last)),
        ).values_list("subscription_id", "reopened_at")
        for sub_id, reopened_at in reopenings:
            key = (sub_id, _local_month(reopened_at))
            at_us = _epoch_us(reopened_at)
            if key not in self._reopened or at_us < self._reopened[key]:
                self._reopened[key] = at_us
        sub_ids = list(subscriptions.values_list("id", flat=True))
        for month in months:
            for start in range(0, len(sub_ids), _QUERY_LINES):
                chunk = sub_ids[start : start + _QUERY_LINES]
                for sub_id, items in fee_items_by_subscription(chunk, month).items():
                    self._fees[(sub_id, month.isoformat())] = sum(
                        _fen(item.amount) for item in items
                    )
        self._load_used_allowances(months)

    def _load_used_allowances(self, months) -> None:
        """Minutes and messages already rated this month on lines with inclusions.

        ``UsageMonth`` keeps charges, not the minutes and messages the allowances need, so these
        are summed from the month's stored records (only for bundle lines with stored months).
        """
        bundle_lines = {
            line.id
            for lines in self.lines_by_msisdn.values()
            for line in lines
            if any(plan.included_minutes or plan.included_sms for _s, _e, plan in line.plans)
        }
        sub_ids = sorted({sub_id for sub_id, _month in self._loaded_totals} & bundle_lines)
        for start in range(0, len(sub_ids), _QUERY_LINES):
            sums = (
                UsageRecord.objects.filter(
                    subscription_id__in=sub_ids[start : start + _QUERY_LINES],
                    billing_month__in=months,
                    status=UsageStatus.RATED,
                )
                .values_list("subscription_id", "billing_month", "event_type")
                .annotate(units=Sum("charged_units"))
                .order_by()
            )
            for sub_id, month, event_type, units in sums:
                used = self._used_allowances.setdefault((sub_id, month.isoformat()), {})
                used[event_type] = units

    def month_totals(self, line: Line, month: str, plan: PlanRates) -> MonthTotals:
        key = (line.id, month)
        totals = self._loaded_totals.pop(key, None) or MonthTotals()
        totals.fees_fen = self._fees.get(key, 0)
        totals.reopened_at_us = self._reopened.get(key)
        used = self._used_allowances.get(key)
        if used:
            totals.minutes_used = sum(
                units for event, units in used.items() if plan.voice_micro.get(event)
            )
            totals.sms_used = used.get(_SMS, 0)
        self.totals[key] = totals
        return totals

    def rate(
        self,
        line: Line,
        plan: PlanRates,
        month: str,
        event_type: str,
        started_us: int,
        duration_s: int | None,
        volume_kb: int | None,
    ) -> Rating:
        totals = self.totals.get((line.id, month)) or self.month_totals(line, month, plan)
        if event_type == _DATA:
            rating = rate_data(plan, totals, volume_kb, started_us)
        elif event_type == _SMS:
            rating = rate_sms(plan, totals)
        else:
            rating = rate_voice(plan, totals, event_type, duration_s)
        if rating.status == _RATED:
            self.rated += 1
            if rating.charge_fen:
                self.charges[(line.account_id, line.id, month)] += rating.charge_fen
        else:
            self.rejected += 1
        return rating

    def save_month_totals(self) -> None:
        """Store the months' new running totals (insert or update, one statement per batch)."""
        rows = [
            UsageMonth(
                subscription_id=sub_id,
                month=self.month_dates[month],
                data_kb=totals.data_kb,
                data_charge=yuan(totals.data_fen),
                voice_charge=yuan(totals.voice_fen),
                sms_charge=yuan(totals.sms_fen),
            )
            for (sub_id, month), totals in sorted(self.totals.items())
            if totals.changed
        ]
        UsageMonth.objects.bulk_create(
            rows,
            batch_size=2_000,
            update_conflicts=True,
            unique_fields=["subscription", "month"],
            update_fields=["data_kb", "data_charge", "voice_charge", "sms_charge"],
        )

    def debit_charges(self, cdr_import: CdrImport, *, actor=None) -> int:
        """Post one usage-charge entry per (account, line, month) with charges; return how many.

        In account order, so that two writers lock balances in the same order.
        """
        # One bulk posting (billing.bulk_ledger): balance rows locked in account order, entries
        # inserted together, balances moved by one UPDATE; balance == sum(entries) still holds.
        entries = [
            PendingEntry(
                account_id=account_id,
                kind=LedgerEntryKind.USAGE_CHARGE,
                amount=-yuan(fen),
                description=_("Usage charges of %(month)s, CDR import %(import)s")
                % {"month": month[:7], "import": cdr_import.pk},
                subscription_id=sub_id,
                period=self.month_dates[month],
                cdr_import_id=cdr_import.pk,
                actor_id=actor.pk if actor is not None else None,
            )
            for (account_id, sub_id, month), fen in sorted(self.charges.items())
            if fen
        ]
        return len(post_ledger_entries(entries))


def _month_start(month: datetime.date) -> datetime.datetime:
    return datetime.datetime(month.year, month.month, 1, tzinfo=BILLING_TIME_ZONE)


def _next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _local_month(moment: datetime.datetime) -> str:
    return moment.astimezone(BILLING_TIME_ZONE).date().replace(day=1).isoformat()
