"""The monthly bill run: close a month for every mobile line.

For each mobile line active at any time in the month (activated on or before its last day and
not terminated before its first), ``run_bill_run``

1. debits the month's monthly fees (``billing.fees`` is the rule, proration included) as one
   ``monthly_fee`` ledger entry per line, with the line and the period on it;
2. writes one ``Bill`` per line with a ``BillLine`` per kind that has anything on it: the fees
   (quantity = number of fee items) and the rated usage by ``BILL_LINE_FOR_EVENT`` (quantity =
   minutes, messages or KB charged). Each line names the plan and the rates it was built from;
   its records are the line's ``UsageRecord`` rows of that month and of its event types.

Re-running a period changes nothing: lines that have a bill are skipped, a line whose fee entry
exists is not charged again, and the database backs both (one bill and one fee entry per line and
month). Work is set-based, in chunks of lines, one transaction per chunk: per chunk one
``GROUP BY`` for usage, one query for fee items, bulk inserts for entries, bills and lines.
"""

import datetime
import re
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.bulk_ledger import PendingEntry, post_ledger_entries
from billing.choices import (
    BILL_LINE_FOR_EVENT,
    BillLineKind,
    LedgerEntryKind,
    UsageEventType,
    UsageStatus,
)
from billing.fees import FeeItem, fee_items_by_subscription, month_end
from billing.models import Bill, BillLine, LedgerEntry, UsageRecord
from billing.money import ZERO
from crm.choices import ProductKind, SubscriptionKind
from crm.models import MobilePlanTerms, Subscription, SubscriptionProduct

CHUNK_SIZE = 2000
# Two runs of one period racing on a chunk: the loser's insert hits a unique constraint, and
# a retry of the chunk finds the winner's bills. A verification-code clash (1 in 2^80) retries too.
CHUNK_ATTEMPTS = 3

# Unambiguous on paper and on the phone: no 0/O, 1/I/L.
VERIFICATION_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
VERIFICATION_CODE_LENGTH = 16

# The event types printed on each bill line (the inverse of BILL_LINE_FOR_EVENT).
EVENTS_FOR_LINE: dict[str, tuple[str, ...]] = {
    kind: tuple(event for event, line in BILL_LINE_FOR_EVENT.items() if line == kind)
    for kind in BillLineKind.values
}
USAGE_LINE_KINDS = tuple(kind for kind in BillLineKind.values if EVENTS_FOR_LINE[kind])
TARIFF_RULE_LENGTH = BillLine._meta.get_field("tariff_rule").max_length


PERIOD_RE = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})")


class BillRunError(ValueError):
    """The bill run was asked for a period it cannot close."""


def parse_period(text: str) -> datetime.date:
    """``"2026-03"`` -> 2026-03-01; a ``ValueError`` for anything else."""
    match = PERIOD_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or not 1 <= int(match["month"]) <= 12:
        raise ValueError(f"{text!r} is not a month (YYYY-MM)")
    return datetime.date(int(match["year"]), int(match["month"]), 1)


def previous_period(today: datetime.date | None = None) -> datetime.date:
    """The month before ``today``'s (Asia/Shanghai): what the run on the 1st closes."""
    today = today or timezone.localdate()
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def new_verification_code() -> str:
    # 31 symbols do not divide 256: bytes past the last whole multiple are dropped, so that
    # every symbol is equally likely.
    limit = 256 - 256 % len(VERIFICATION_ALPHABET)
    code = []
    while len(code) < VERIFICATION_CODE_LENGTH:
        code += [
            VERIFICATION_ALPHABET[byte % len(VERIFICATION_ALPHABET)]
            for byte in secrets.token_bytes(VERIFICATION_CODE_LENGTH)
            if byte < limit
        ]
    return "".join(code[:VERIFICATION_CODE_LENGTH])


# --- Tariff rule texts ----------------------------------------------------------------------


def _rate(value: Decimal) -> str:
    """A rate with the places it needs, at least two: ``0.20``, ``0.0003``."""
    normalized = value.normalize()
    if normalized.as_tuple().exponent > -2:
        normalized = value.quantize(Decimal("0.01"))
    return f"{normalized:f}"


def _plan_rules(terms: MobilePlanTerms) -> dict[str, str]:
    """What each usage line of a bill on this plan is rated by (rating writes the same rates
    on every record it prices)."""
    code = terms.product.code
    minutes = f"; {terms.included_minutes} min included" if terms.included_minutes else ""
    sms = f"; {terms.included_sms} included" if terms.included_sms else ""
    data = f"; {terms.included_data_kb} KB included" if terms.included_data_kb else ""
    if terms.monthly_charge_cap is not None:
        data += f"; cap {terms.monthly_charge_cap} incl. monthly fees"
    if terms.monthly_data_cap_kb is not None:
        data += f"; cut-off {terms.monthly_data_cap_kb} KB"
    if terms.reopened_data_per_kb is not None:
        data += f"; after re-opening {_rate(terms.reopened_data_per_kb)}/KB"
    return {
        BillLineKind.LOCAL: (
            f"{code}: voice_out_local {_rate(terms.local_call_per_minute)}/min, "
            f"voice_in {_rate(terms.incoming_per_minute)}/min, per started minute{minutes}"
        ),
        BillLineKind.LONG_DISTANCE: (
            f"{code}: voice_out_ld {_rate(terms.long_distance_per_minute)}/min, "
            f"per started minute{minutes}"
        ),
        BillLineKind.ROAMING: (
            f"{code}: voice_out_roaming {_rate(terms.roaming_out_per_minute)}/min, "
            f"voice_in_roaming {_rate(terms.roaming_in_per_minute)}/min, per started minute"
        ),
        BillLineKind.SMS: f"{code}: sms {_rate(terms.sms_each)} each{sms}",
        BillLineKind.DATA: (
            f"{code}: data {_rate(terms.data_per_kb)}/KB per session, rounded up to the fen{data}"
        ),
    }


def _fee_rule(items: list[FeeItem], period: datetime.date) -> str:
    days_in_month = month_end(period).day
    parts = []
    for item in items:
        part = f"{item.product_code} {item.amount}"
        if item.prorated_days is not None:
            part += f" ({item.monthly_fee}/month × {item.prorated_days}/{days_in_month} days)"
        parts.append(part)
    return "; ".join(parts)


def _clip(text: str) -> str:
    if len(text) <= TARIFF_RULE_LENGTH:
        return text
    return text[: TARIFF_RULE_LENGTH - 1] + "…"


# --- The run --------------------------------------------------------------------------------


@dataclass
class BillRunResult:
    period: datetime.date
    lines: int = 0
    bills_created: int = 0
    already_billed: int = 0
    fee_entries: int = 0
    fees_charged: Decimal = ZERO

    def add(self, other: "BillRunResult") -> None:
        self.lines += other.lines
        self.bills_created += other.bills_created
        self.already_billed += other.already_billed
        self.fee_entries += other.fee_entries
        self.fees_charged += other.fees_charged


def lines_in_month(period: datetime.date):
    """Mobile lines active on at least one day of the month."""
    return Subscription.objects.filter(
        Q(terminated_on__isnull=True) | Q(terminated_on__gte=period),
        kind=SubscriptionKind.MOBILE,
        activated_on__lte=month_end(period),
    )


def run_bill_run(
    period: datetime.date,
    *,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
    today: datetime.date | None = None,
) -> BillRunResult:
    """Close ``period`` (the first day of a month that has ended); safe to run again.

    ``progress`` is called with the number of lines done after each chunk.
    """
    if period.day != 1:
        raise BillRunError(f"a billing period starts on the 1st, not {period}")
    if period > previous_period(today):
        raise BillRunError(f"{period:%Y-%m} has not ended yet")
    rules = {
        terms.product_id: _plan_rules(terms)
        for terms in MobilePlanTerms.objects.select_related("product")
    }
    result = BillRunResult(period)
    lines = lines_in_month(period).order_by("pk")
    last_pk = 0
    while True:
        chunk = list(
            lines.filter(pk__gt=last_pk).values_list("pk", "billing_account_id")[:chunk_size]
        )
        if not chunk:
            return result
        last_pk = chunk[-1][0]
        result.add(_bill_chunk_with_retry(chunk, period, rules))
        if progress is not None:
            progress(len(chunk))


def _bill_chunk_with_retry(chunk, period, rules) -> BillRunResult:
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _bill_chunk(chunk, period, rules)
        except IntegrityError:
            if attempt == CHUNK_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _bill_chunk(
    chunk: list[tuple[int, int]], period: datetime.date, rules: dict[int, dict[str, str]]
) -> BillRunResult:
    result = BillRunResult(period, lines=len(chunk))
    billed = set(
        Bill.objects.filter(period=period, subscription_id__in=[pk for pk, _ in chunk]).values_list(
            "subscription_id", flat=True
        )
    )
    todo = [(pk, account_id) for pk, account_id in chunk if pk not in billed]
    result.already_billed = len(billed)
    if not todo:
        return result
    ids = [pk for pk, _ in todo]

    fees = fee_items_by_subscription(ids, period)
    fee_charged = set(
        LedgerEntry.objects.filter(
            kind=LedgerEntryKind.MONTHLY_FEE, period=period, subscription_id__in=ids
        ).values_list("subscription_id", flat=True)
    )
    plans: dict[int, list[int]] = defaultdict(list)
    for sub_id, product_id in (
        SubscriptionProduct.objects.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=period),
            subscription_id__in=ids,
            effective_from__lte=month_end(period),
            product__kind=ProductKind.MOBILE_PLAN,
        )
        .order_by("subscription_id", "effective_from", "pk")
        .values_list("subscription_id", "product_id")
    ):
        plans[sub_id].append(product_id)
    usage: dict[int, dict[str, list]] = defaultdict(dict)
    for sub_id, event_type, records, units, amount in (
        UsageRecord.objects.filter(
            subscription_id__in=ids, billing_month=period, status=UsageStatus.RATED
        )
        .values_list("subscription_id", "event_type")
        .annotate(records=Count("pk"), units=Sum("charged_units"), amount=Sum("charge"))
        .values_list("subscription_id", "event_type", "records", "units", "amount")
        .order_by()
    ):
        kind = BILL_LINE_FOR_EVENT[UsageEventType(event_type)]
        line = usage[sub_id].setdefault(kind, [0, 0, ZERO])
        line[0] += records
        line[1] += units or 0
        line[2] += amount or ZERO

    entries = []
    bills = []
    bill_lines: list[list[BillLine]] = []
    month = f"{period:%Y-%m}"
    for sub_id, account_id in todo:
        items = fees.get(sub_id, [])
        fee_total = sum((item.amount for item in items), ZERO)
        lines = []
        if items:
            lines.append(
                BillLine(
                    kind=BillLineKind.MONTHLY_FEES,
                    quantity=len(items),
                    amount=fee_total,
                    tariff_rule=_clip(_fee_rule(items, period)),
                )
            )
            if fee_total and sub_id not in fee_charged:
                entries.append(
                    PendingEntry(
                        account_id=account_id,
                        kind=LedgerEntryKind.MONTHLY_FEE,
                        amount=-fee_total,
                        description=_("Monthly fees %(month)s") % {"month": month}
                        + ": "
                        + ", ".join(f"{item.product_code} {item.amount}" for item in items),
                        subscription_id=sub_id,
                        period=period,
                    )
                )
        line_usage = usage.get(sub_id, {})
        plan_rules = [
            rules[product_id] for product_id in plans.get(sub_id, []) if product_id in rules
        ]
        for kind in USAGE_LINE_KINDS:
            if kind not in line_usage:
                continue
            _records, units, amount = line_usage[kind]
            lines.append(
                BillLine(
                    kind=kind,
                    quantity=units,
                    amount=amount,
                    tariff_rule=_clip(" | ".join(rule[kind] for rule in plan_rules)),
                )
            )
        bills.append(
            Bill(
                subscription_id=sub_id,
                period=period,
                total=sum((line.amount for line in lines), ZERO),
                verification_code=new_verification_code(),
            )
        )
        bill_lines.append(lines)

    post_ledger_entries(entries)
    Bill.objects.bulk_create(bills)
    for bill, lines in zip(bills, bill_lines, strict=True):
        for line in lines:
            line.bill_id = bill.pk
    BillLine.objects.bulk_create([line for lines in bill_lines for line in lines])
    result.bills_created = len(bills)
    result.fee_entries = len(entries)
    result.fees_charged = -sum((entry.amount for entry in entries), ZERO)
    return result
