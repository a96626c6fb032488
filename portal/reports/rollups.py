"""Daily rollups: each source table aggregated per local day, set-based, into ``DailyRollup``.

One aggregate query per source over a span of days (tickets opened, tickets resolved, surveys
answered, top-ups, revenue postings, finished assessment attempts), grouped by the local date
(Asia/Shanghai) and the metric's dimensions; the span's rows are then replaced in one
transaction. The same aggregates, run over today, give the dashboard today's figures live
(``aggregate``), so a rolled-up day and a live one are counted by the same code.

Who writes them:

- beat, every night: the last ``REPORTS_ROLLUP_REFRESH_DAYS`` days (``refresh_recent_days``),
  so that late changes to recent days (a ticket reopened, and so no longer resolved, within
  the reopen window; a survey reopening it) reach the figures;
- the dashboard and the monthly report, on demand: the days of their period that were never
  rolled up (``ensure_rolled_up``);
- ``manage.py rollup_reports --start ... --end ...``: any span, e.g. after importing history.

Days older than the refresh window keep the figures of their last rollup.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing.choices import LedgerEntryKind
from billing.models import LedgerEntry, TopUp
from complaints.choices import SurveyStatus
from complaints.models import Survey, Ticket
from portal.reports.choices import RollupMetric, SlaOutcome, SurveySource
from portal.reports.models import DailyRollup, RolledUpDay
from training.choices import FINISHED_ATTEMPT
from training.models import Attempt

ZERO = Decimal("0.00")
# Ledger entry kinds that are revenue: what the operator charges for the service.
REVENUE_KINDS = (LedgerEntryKind.MONTHLY_FEE, LedgerEntryKind.USAGE_CHARGE)


@dataclass(frozen=True)
class RollupRow:
    day: datetime.date
    metric: str
    dim1: str
    dim2: str
    count: int
    total: Decimal


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the site's time zone."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def _local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=timezone.get_default_timezone())


def _tickets_opened(start, end) -> list[RollupRow]:
    rows = (
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=_local_day("created_at"))
        .values("day", "kind", "category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        RollupRow(r["day"], RollupMetric.TICKETS_OPENED, r["kind"], r["category"], r["n"], ZERO)
        for r in rows
    ]


def _tickets_resolved(start, end) -> list[RollupRow]:
    # The same rule as the staff KPIs (training.kpis): met when resolved by the resolution
    # deadline, which already moved on by any time spent waiting for the customer.
    outcome = Case(
        When(resolution_due_at__isnull=True, then=Value(SlaOutcome.NONE.value)),
        When(resolved_at__lte=F("resolution_due_at"), then=Value(SlaOutcome.MET.value)),
        default=Value(SlaOutcome.LATE.value),
    )
    rows = (
        Ticket.objects.filter(resolved_at__gte=start, resolved_at__lt=end)
        .annotate(day=_local_day("resolved_at"), outcome=outcome)
        .values("day", "kind", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        RollupRow(r["day"], RollupMetric.TICKETS_RESOLVED, r["kind"], r["outcome"], r["n"], ZERO)
        for r in rows
    ]


def _surveys_answered(start, end) -> list[RollupRow]:
    source = Case(
        When(ticket_id__isnull=False, then=Value(SurveySource.TICKET.value)),
        default=Value(SurveySource.ORDER.value),
    )
    rows = (
        Survey.objects.filter(
            status=SurveyStatus.ANSWERED,
            answered_at__gte=start,
            answered_at__lt=end,
            score__isnull=False,
        )
        .annotate(day=_local_day("answered_at"), source=source)
        .values("day", "source", "score")
        .annotate(n=Count("pk"), scores=Sum("score"))
        .order_by()
    )
    return [
        RollupRow(
            r["day"],
            RollupMetric.SURVEYS_ANSWERED,
            r["source"],
            str(r["score"]),
            r["n"],
            Decimal(r["scores"]),
        )
        for r in rows
    ]


def _top_ups(start, end) -> list[RollupRow]:
    rows = (
        TopUp.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(day=_local_day("created_at"))
        .values("day", "channel")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    )
    return [
        RollupRow(r["day"], RollupMetric.TOP_UPS, r["channel"], "", r["n"], r["amount"])
        for r in rows
    ]


def _revenue(start, end) -> list[RollupRow]:
    rows = (
        LedgerEntry.objects.filter(
            created_at__gte=start, created_at__lt=end, kind__in=REVENUE_KINDS
        )
        .annotate(day=_local_day("created_at"))
        .values("day", "kind", "period")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    )
    # Charges are debits (negative entries); revenue is what they took.
    return [
        RollupRow(
            r["day"],
            RollupMetric.REVENUE,
            r["kind"],
            r["period"].isoformat() if r["period"] else "",
            r["n"],
            -r["amount"],
        )
        for r in rows
    ]


def _attempts_finished(start, end) -> list[RollupRow]:
    result = Case(When(passed=True, then=Value("passed")), default=Value("failed"))
    rows = (
        Attempt.objects.filter(
            status__in=FINISHED_ATTEMPT, submitted_at__gte=start, submitted_at__lt=end
        )
        .annotate(day=_local_day("submitted_at"), result=result)
        .values("day", "assessment_id", "result")
        .annotate(n=Count("pk"), scores=Sum("score"))
        .order_by()
    )
    return [
        RollupRow(
            r["day"],
            RollupMetric.ATTEMPTS_FINISHED,
            str(r["assessment_id"]),
            r["result"],
            r["n"],
            r["scores"] or ZERO,
        )
        for r in rows
    ]


SOURCES = (
    _tickets_opened,
    _tickets_resolved,
    _surveys_answered,
    _top_ups,
    _revenue,
    _attempts_finished,
)


def aggregate(first: datetime.date, last: datetime.date) -> list[RollupRow]:
    """Every metric of the local days ``first`` to ``last`` (inclusive), from the source
    tables: one aggregate query per source, whatever the number of rows."""
    start, end = day_start(first), day_start(last + datetime.timedelta(days=1))
    return [row for source in SOURCES for row in source(start, end)]


def roll_up_days(first: datetime.date, last: datetime.date) -> int:
    """Recompute the rollups of the days ``first`` to ``last`` (inclusive); returns the rows
    written. Safe to run twice and concurrently (the rows are upserted)."""
    if last < first:
        return 0
    rows = aggregate(first, last)
    now = timezone.now()
    days = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
    with transaction.atomic():
        DailyRollup.objects.filter(day__gte=first, day__lte=last).delete()
        DailyRollup.objects.bulk_create(
            [
                DailyRollup(
                    day=row.day,
                    metric=row.metric,
                    dim1=row.dim1,
                    dim2=row.dim2,
                    count=row.count,
                    total=row.total,
                )
                for row in rows
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["day", "metric", "dim1", "dim2"],
            update_fields=["count", "total"],
        )
        RolledUpDay.objects.bulk_create(
            [RolledUpDay(day=day, computed_at=now) for day in days],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["day"],
            update_fields=["computed_at"],
        )
    return len(rows)


def ensure_rolled_up(first: datetime.date, last: datetime.date) -> int:
    """Roll up the days from ``first`` to ``last`` that never were; returns the rows written.

    One query when every day is there (the usual case), else one more and the rollup of the
    span from the first missing day to the last.
    """
    # No early return for an empty span (the 1st of a month has no past day to check): the
    # dashboard runs the same queries every day.
    expected = max((last - first).days + 1, 0)
    present = RolledUpDay.objects.filter(day__gte=first, day__lte=last)
    if present.count() == expected:
        return 0
    have = set(present.values_list("day", flat=True))
    missing = [
        day
        for day in (first + datetime.timedelta(days=n) for n in range(expected))
        if day not in have
    ]
    return roll_up_days(missing[0], missing[-1])


def refresh_recent_days(today: datetime.date | None = None) -> int:
    """The nightly job: recompute the last ``REPORTS_ROLLUP_REFRESH_DAYS`` days before today."""
    today = today or timezone.localdate()
    last = today - datetime.timedelta(days=1)
    first = today - datetime.timedelta(days=settings.REPORTS_ROLLUP_REFRESH_DAYS)
    return roll_up_days(first, last)
