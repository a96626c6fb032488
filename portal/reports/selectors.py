"""Reads of the reports app: the supervisor dashboard's figures and the stored monthly reports.

Every figure is an aggregate computed by the database; Python only merges a handful of
already-aggregated rows (the rolled-up days and today's live figures) and lays them out.
``compute_dashboard`` runs the same 12 queries for any period and any amount of data:

1. whether every day the period needs is rolled up (plus, only when some are not, the
   on-demand rollup of the missing days: ``portal.reports.rollups.ensure_rolled_up``);
2. the totals of the rolled-up days by metric and dimensions (revenue by billing month);
3. the satisfaction trend of the rolled-up days, by bucket (week or month) and score;
4. today's figures, live: one ``GROUP BY`` over today's rows of each source (the rollup's own
   aggregates, ``portal.reports.rollups.aggregate``), six queries on indexed timestamps;
5. open tickets past their resolution deadline, by kind (the open-ticket partial index);
6. the KPI ranking of the period's last month (``training.StaffKpi``, with staff and team);
7. the assessments' titles.

(1 + 2 + 6 + 1 + 1 + 1 = 12; the tests count them exactly.)
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from billing.choices import LedgerEntryKind, TopUpChannel
from complaints.choices import OPEN_STATUSES, QUEUE_FOR_KIND, Queue, TicketCategory, TicketKind
from complaints.models import Ticket
from portal.months import month_start
from portal.reports.choices import Granularity, RollupMetric, SlaOutcome, SurveySource
from portal.reports.models import DailyRollup, MonthlyServiceReport
from portal.reports.periods import ReportPeriod
from portal.reports.permissions import may_view_reports
from portal.reports.rollups import aggregate, day_start, ensure_rolled_up
from training.models import Assessment, StaffKpi

KPI_RANKING_SIZE = 10
LOW_SCORES = ("1", "2")
SATISFIED_SCORES = ("4", "5")
ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)
# The queues tickets are routed to by kind, in the escalation chain's order.
HOME_QUEUES = (Queue.FIRST_CONTACT, Queue.TECH_SUPPORT, Queue.COMPLAINTS)


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part`` of ``whole`` in %, one place; None when there is nothing to measure."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def average(total: Decimal, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / count).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


# --- The blocks ---------------------------------------------------------------------------


@dataclass
class TicketCategoryRow:
    category: str
    label: str
    counts: list[int]  # one per kind, in ``TicketVolume.kinds`` order
    total: int


@dataclass
class TicketVolume:
    kinds: list[tuple[str, str]]
    rows: list[TicketCategoryRow]
    kind_totals: list[int]
    total: int


@dataclass
class SlaRow:
    queue: str
    label: str
    met: int
    late: int
    open_overdue: int
    no_deadline: int

    @property
    def breached(self) -> int:
        return self.late + self.open_overdue

    @property
    def measured(self) -> int:
        return self.met + self.breached

    @property
    def rate(self) -> Decimal | None:
        """Compliance: resolved in time, of everything whose deadline could be judged."""
        return percent(self.met, self.measured)


@dataclass
class SatisfactionRow:
    bucket: datetime.date
    answered: int
    score_total: Decimal
    low: int
    satisfied: int

    @property
    def average(self) -> Decimal | None:
        return average(self.score_total, self.answered)

    @property
    def satisfied_rate(self) -> Decimal | None:
        return percent(self.satisfied, self.answered)


@dataclass
class SatisfactionTrend:
    granularity: str
    rows: list[SatisfactionRow]
    total: SatisfactionRow
    # Answers per score 1..5.
    distribution: list[int]
    # (source, label, answered, average) per survey source.
    by_source: list[tuple[str, str, int, Decimal | None]]


@dataclass
class TopUpRow:
    channel: str
    label: str
    count: int
    amount: Decimal
    share: Decimal | None = None


@dataclass
class TopUps:
    rows: list[TopUpRow]
    count: int
    amount: Decimal


@dataclass
class RevenueRow:
    month: datetime.date
    fees: Decimal
    usage: Decimal

    @property
    def total(self) -> Decimal:
        return self.fees + self.usage


@dataclass
class Revenue:
    rows: list[RevenueRow]
    total: RevenueRow


@dataclass
class TrainingRow:
    assessment_id: int | None
    title: str
    course: str
    taken: int
    passed: int
    score_total: Decimal

    @property
    def rate(self) -> Decimal | None:
        return percent(self.passed, self.taken)

    @property
    def average(self) -> Decimal | None:
        return average(self.score_total, self.taken)


@dataclass
class TrainingPassRates:
    rows: list[TrainingRow]
    total: TrainingRow


@dataclass
class KpiRanking:
    month: datetime.date
    rows: list[StaffKpi]


@dataclass
class Summary:
    tickets_opened: int
    tickets_resolved: int
    sla_rate: Decimal | None
    sla_breached: int
    surveys: int
    satisfaction: Decimal | None
    top_up_count: int
    top_up_amount: Decimal
    revenue: Decimal
    attempts: int
    pass_rate: Decimal | None

    def as_dict(self) -> dict:
        """JSON-safe (the stored report's headline figures)."""
        return {
            key: (str(value) if isinstance(value, Decimal) else value)
            for key, value in self.__dict__.items()
        }


@dataclass
class Dashboard:
    period: ReportPeriod
    computed_at: datetime.datetime
    summary: Summary
    tickets: TicketVolume
    sla: list[SlaRow]
    sla_total: SlaRow
    satisfaction: SatisfactionTrend
    top_ups: TopUps
    revenue: Revenue
    training: TrainingPassRates
    kpis: KpiRanking


# --- Reading -----------------------------------------------------------------------------


Totals = dict[tuple[str, str, str], list]  # (metric, dim1, dim2) -> [count, total]


def _add(totals: Totals, metric: str, dim1: str, dim2: str, count: int, total) -> None:
    cell = totals.setdefault((metric, dim1, dim2), [0, Decimal(0)])
    cell[0] += count
    cell[1] += Decimal(total or 0)


def _sum(totals: Totals, metric: str, *, dim1=None, dim2=None) -> tuple[int, Decimal]:
    count, total = 0, Decimal(0)
    for (m, d1, d2), (n, t) in totals.items():
        if m == metric and (dim1 is None or d1 in dim1) and (dim2 is None or d2 in dim2):
            count += n
            total += t
    return count, total


def _rollup_scope(period: ReportPeriod, yesterday: datetime.date) -> Q:
    """The rolled-up rows of the period: its days, and for revenue every posting day since its
    first billing month began (today's postings are read live)."""
    months = [month.isoformat() for month in period.months]
    in_period = Q(day__gte=period.start, day__lte=min(period.end, yesterday))
    return (in_period & ~Q(metric=RollupMetric.REVENUE)) | Q(
        metric=RollupMetric.REVENUE,
        dim2__in=months,
        day__gte=period.months[0],
        day__lte=yesterday,
    )


def compute_dashboard(period: ReportPeriod, *, today: datetime.date | None = None) -> Dashboard:
    """Every figure of the dashboard for ``period``, company-wide (callers check access)."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    yesterday = today - datetime.timedelta(days=1)
    # Revenue of the period's billing months is posted from the first month's start on, up
    # to today (fees on the 1st after, late usage any time), hence the rollups needed.
    ensure_rolled_up(period.months[0], yesterday)
    last_rolled_up = min(period.end, yesterday)

    totals: Totals = {}
    rows = (
        DailyRollup.objects.filter(_rollup_scope(period, yesterday))
        .values("metric", "dim1", "dim2")
        .annotate(n=Sum("count"), t=Sum("total"))
        .order_by()
    )
    for row in rows:
        _add(totals, row["metric"], row["dim1"], row["dim2"], row["n"], row["t"])

    trunc = TruncWeek if period.granularity == Granularity.WEEK else TruncMonth
    trend: dict[datetime.date, list] = defaultdict(lambda: [0, Decimal(0), 0, 0])
    trend_rows = (
        DailyRollup.objects.filter(
            metric=RollupMetric.SURVEYS_ANSWERED, day__gte=period.start, day__lte=last_rolled_up
        )
        .annotate(bucket=trunc("day"))
        .values("bucket", "dim2")
        .annotate(n=Sum("count"), t=Sum("total"))
        .order_by()
    )
    for row in trend_rows:
        _add_trend(trend, _as_date(row["bucket"]), row["dim2"], row["n"], row["t"])

    # Today, live, with the rollup's own aggregates.
    today_in_period = period.start <= today <= period.end
    months = {month.isoformat() for month in period.months}
    for row in aggregate(today, today):
        if row.metric == RollupMetric.REVENUE:
            if row.dim2 in months:
                _add(totals, row.metric, row.dim1, row.dim2, row.count, row.total)
        elif today_in_period:
            _add(totals, row.metric, row.dim1, row.dim2, row.count, row.total)
            if row.metric == RollupMetric.SURVEYS_ANSWERED:
                _add_trend(trend, period.bucket_of(today), row.dim2, row.count, row.total)

    overdue_until = min(day_start(period.end + datetime.timedelta(days=1)), now)
    overdue = dict(
        Ticket.objects.filter(
            status__in=OPEN_STATUSES,
            paused_at__isnull=True,
            resolution_due_at__gte=day_start(period.start),
            resolution_due_at__lt=overdue_until,
        )
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("kind", "n")
    )
    kpi_month = month_start(period.end)
    ranking = list(
        StaffKpi.objects.filter(month=kpi_month)
        .select_related("user", "team")
        .order_by("-incentive_score", "user__username")[:KPI_RANKING_SIZE]
    )
    assessments = {
        pk: (title, course)
        for pk, title, course in Assessment.objects.values_list("pk", "title", "course__title")
    }

    tickets = _ticket_volume(totals)
    sla, sla_total = _sla(totals, overdue)
    satisfaction = _satisfaction(period, trend, totals)
    top_ups = _top_ups(totals)
    revenue = _revenue(period, totals)
    training = _training(totals, assessments)
    summary = Summary(
        tickets_opened=tickets.total,
        tickets_resolved=_sum(totals, RollupMetric.TICKETS_RESOLVED)[0],
        sla_rate=sla_total.rate,
        sla_breached=sla_total.breached,
        surveys=satisfaction.total.answered,
        satisfaction=satisfaction.total.average,
        top_up_count=top_ups.count,
        top_up_amount=top_ups.amount,
        revenue=revenue.total.total,
        attempts=training.total.taken,
        pass_rate=training.total.rate,
    )
    return Dashboard(
        period=period,
        computed_at=now,
        summary=summary,
        tickets=tickets,
        sla=sla,
        sla_total=sla_total,
        satisfaction=satisfaction,
        top_ups=top_ups,
        revenue=revenue,
        training=training,
        kpis=KpiRanking(month=kpi_month, rows=ranking),
    )


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _add_trend(trend, bucket: datetime.date, score: str, count: int, total) -> None:
    cell = trend[bucket]
    cell[0] += count
    cell[1] += Decimal(total or 0)
    if score in LOW_SCORES:
        cell[2] += count
    if score in SATISFIED_SCORES:
        cell[3] += count


def _ticket_volume(totals: Totals) -> TicketVolume:
    kinds = list(TicketKind.choices)
    rows = []
    for category, label in TicketCategory.choices:
        counts = [
            _sum(totals, RollupMetric.TICKETS_OPENED, dim1={kind}, dim2={category})[0]
            for kind, _label in kinds
        ]
        rows.append(TicketCategoryRow(category, str(label), counts, sum(counts)))
    kind_totals = [sum(row.counts[i] for row in rows) for i in range(len(kinds))]
    return TicketVolume(
        kinds=[(kind, str(label)) for kind, label in kinds],
        rows=rows,
        kind_totals=kind_totals,
        total=sum(kind_totals),
    )


def _sla(totals: Totals, overdue: dict[str, int]) -> tuple[list[SlaRow], SlaRow]:
    rows = []
    for queue in HOME_QUEUES:
        kinds = {kind for kind, home in QUEUE_FOR_KIND.items() if home == queue}
        resolved = RollupMetric.TICKETS_RESOLVED
        rows.append(
            SlaRow(
                queue=queue,
                label=str(Queue(queue).label),
                met=_sum(totals, resolved, dim1=kinds, dim2={SlaOutcome.MET})[0],
                late=_sum(totals, resolved, dim1=kinds, dim2={SlaOutcome.LATE})[0],
                open_overdue=sum(overdue.get(kind, 0) for kind in kinds),
                no_deadline=_sum(totals, resolved, dim1=kinds, dim2={SlaOutcome.NONE})[0],
            )
        )
    total = SlaRow(
        queue="",
        label="",
        met=sum(row.met for row in rows),
        late=sum(row.late for row in rows),
        open_overdue=sum(row.open_overdue for row in rows),
        no_deadline=sum(row.no_deadline for row in rows),
    )
    return rows, total


def _satisfaction(period: ReportPeriod, trend, totals: Totals) -> SatisfactionTrend:
    rows = [
        SatisfactionRow(bucket, *trend.get(bucket, [0, Decimal(0), 0, 0]))
        for bucket in period.buckets
    ]
    total = SatisfactionRow(
        bucket=period.start,
        answered=sum(row.answered for row in rows),
        score_total=sum((row.score_total for row in rows), Decimal(0)),
        low=sum(row.low for row in rows),
        satisfied=sum(row.satisfied for row in rows),
    )
    return SatisfactionTrend(
        granularity=period.granularity,
        rows=rows,
        total=total,
        distribution=[
            _sum(totals, RollupMetric.SURVEYS_ANSWERED, dim2={str(score)})[0]
            for score in range(1, 6)
        ],
        by_source=[
            (source, str(label), count, average(scores, count))
            for source, label in SurveySource.choices
            for count, scores in [_sum(totals, RollupMetric.SURVEYS_ANSWERED, dim1={source})]
        ],
    )


def _top_ups(totals: Totals) -> TopUps:
    rows = []
    for channel, label in TopUpChannel.choices:
        count, amount = _sum(totals, RollupMetric.TOP_UPS, dim1={channel})
        rows.append(TopUpRow(channel, str(label), count, amount.quantize(TWO_PLACES)))
    amount = sum((row.amount for row in rows), Decimal("0.00"))
    for row in rows:
        row.share = percent(row.amount, amount)
    return TopUps(rows=rows, count=sum(row.count for row in rows), amount=amount)


def _revenue(period: ReportPeriod, totals: Totals) -> Revenue:
    rows = []
    for month in period.months:
        key = {month.isoformat()}
        fees = _sum(totals, RollupMetric.REVENUE, dim1={LedgerEntryKind.MONTHLY_FEE}, dim2=key)
        usage = _sum(totals, RollupMetric.REVENUE, dim1={LedgerEntryKind.USAGE_CHARGE}, dim2=key)
        rows.append(RevenueRow(month, fees[1].quantize(TWO_PLACES), usage[1].quantize(TWO_PLACES)))
    total = RevenueRow(
        period.months[0],
        sum((row.fees for row in rows), Decimal("0.00")),
        sum((row.usage for row in rows), Decimal("0.00")),
    )
    return Revenue(rows=rows, total=total)


def _training(totals: Totals, assessments: dict[int, tuple[str, str]]) -> TrainingPassRates:
    taken: dict[str, list] = defaultdict(lambda: [0, 0, Decimal(0)])
    for (metric, dim1, dim2), (count, total) in totals.items():
        if metric != RollupMetric.ATTEMPTS_FINISHED:
            continue
        cell = taken[dim1]
        cell[0] += count
        cell[1] += count if dim2 == "passed" else 0
        cell[2] += total
    rows = []
    for key, (count, passed, scores) in taken.items():
        pk = int(key)
        title, course = assessments.get(pk, ("", ""))
        rows.append(TrainingRow(pk, title, course, count, passed, scores))
    rows.sort(key=lambda row: (row.course, row.title, row.assessment_id))
    total = TrainingRow(
        None,
        "",
        "",
        sum(row.taken for row in rows),
        sum(row.passed for row in rows),
        sum((row.score_total for row in rows), Decimal(0)),
    )
    return TrainingPassRates(rows=rows, total=total)


# --- Scoped entry points -------------------------------------------------------------------


def reports_for(user) -> QuerySet[MonthlyServiceReport]:
    if not may_view_reports(user):
        return MonthlyServiceReport.objects.none()
    return MonthlyServiceReport.objects.select_related("generated_by")
