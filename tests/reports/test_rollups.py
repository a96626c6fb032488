"""Daily rollups: what a day's rows hold, today read live, frozen days refreshed at night,
missing days rolled up on demand, and the number of queries each step takes."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Ticket
from portal.reports.choices import RollupMetric
from portal.reports.models import DailyRollup, RolledUpDay
from portal.reports.periods import ReportPeriod, month_period, preset_period
from portal.reports.rollups import ensure_rolled_up, refresh_recent_days, roll_up_days
from portal.reports.selectors import compute_dashboard
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.reports.conftest import OCTOBER
from tests.reports.factories import at, resolved_ticket, today


def rows_of(day: datetime.date) -> set[tuple]:
    return set(
        DailyRollup.objects.filter(day=day).values_list("metric", "dim1", "dim2", "count", "total")
    )


def test_a_days_rollup_holds_each_metric_by_its_dimensions(october):
    roll_up_days(datetime.date(2026, 10, 20), datetime.date(2026, 10, 21))

    exam_a, exam_b = october.assessment_a.pk, october.assessment_b.pk
    assert {(m, d1, d2, n, str(t)) for m, d1, d2, n, t in rows_of(datetime.date(2026, 10, 20))} == {
        (RollupMetric.SURVEYS_ANSWERED, "ticket", "4", 1, "4.00"),
        (RollupMetric.TOP_UPS, "business_hall", "", 1, "200.00"),
        (RollupMetric.REVENUE, "usage_charge", "2026-10-01", 1, "12.34"),
        (RollupMetric.ATTEMPTS_FINISHED, str(exam_a), "passed", 1, "80.00"),
        (RollupMetric.ATTEMPTS_FINISHED, str(exam_a), "failed", 1, "40.00"),
    }
    assert {(m, d1, d2, n, str(t)) for m, d1, d2, n, t in rows_of(datetime.date(2026, 10, 21))} == {
        (RollupMetric.SURVEYS_ANSWERED, "order", "3", 1, "3.00"),
        (RollupMetric.ATTEMPTS_FINISHED, str(exam_b), "passed", 1, "100.00"),
    }
    assert set(RolledUpDay.objects.values_list("day", flat=True)) == {
        datetime.date(2026, 10, 20),
        datetime.date(2026, 10, 21),
    }


def test_days_are_cut_at_midnight_in_shanghai(october):
    roll_up_days(datetime.date(2026, 10, 31), datetime.date(2026, 11, 1))

    assert rows_of(datetime.date(2026, 10, 31)) == {
        (RollupMetric.TICKETS_OPENED, "inquiry", "products", 1, 0)
    }
    opened_november = {
        row for row in rows_of(datetime.date(2026, 11, 1)) if row[0] == RollupMetric.TICKETS_OPENED
    }
    assert opened_november == {(RollupMetric.TICKETS_OPENED, "inquiry", "products", 1, 0)}


def test_rolling_up_again_writes_the_same_rows(october):
    first = roll_up_days(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    before = set(DailyRollup.objects.values_list("day", "metric", "dim1", "dim2", "count", "total"))

    again = roll_up_days(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))

    after = set(DailyRollup.objects.values_list("day", "metric", "dim1", "dim2", "count", "total"))
    # 22 rows: 2 on the 1st (the September fault resolved, September's fee), 1 on the 2nd,
    # 3rd, 5th, 7th to 12th and 15th each, 2 on the 6th, 5 on the 20th, 2 on the 21st, 1 on the
    # 31st (see the ``october`` fixture).
    assert first == again == len(before) == 22
    assert after == before


def test_todays_records_are_counted_live_without_a_rollup(personas):
    make_ticket(personas[Role.SERVICE_SPECIALIST])

    dashboard = compute_dashboard(preset_period())

    assert dashboard.summary.tickets_opened == 1
    assert not DailyRollup.objects.filter(day=today()).exists()
    assert not RolledUpDay.objects.filter(day=today()).exists()


def test_a_rolled_up_day_keeps_its_figures_until_the_nightly_refresh(personas):
    yesterday = today() - datetime.timedelta(days=1)
    noon = datetime.datetime.combine(yesterday, datetime.time(12), tzinfo=at(10, 1).tzinfo)
    ticket = resolved_ticket(
        personas[Role.SERVICE_SPECIALIST],
        personas[Role.TECH_SUPPORT],
        "fault",
        "mobile_signal",
        created=noon - datetime.timedelta(hours=2),
        resolved=noon,
        deadline=noon + datetime.timedelta(hours=1),
    )
    period = ReportPeriod(yesterday, yesterday)
    assert compute_dashboard(period).sla_total.met == 1

    # Reopened today: no longer resolved. The rolled-up day does not know yet...
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=None, status="assigned")
    assert compute_dashboard(period).sla_total.met == 1

    refresh_recent_days()

    # ...until the nightly job recomputes the recent days.
    assert compute_dashboard(period).sla_total.met == 0


def test_only_missing_days_are_rolled_up_on_demand(october):
    roll_up_days(datetime.date(2026, 10, 1), datetime.date(2026, 10, 10))
    computed = dict(RolledUpDay.objects.values_list("day", "computed_at"))

    written = ensure_rolled_up(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))

    again = dict(
        RolledUpDay.objects.filter(day__lte=datetime.date(2026, 10, 10)).values_list(
            "day", "computed_at"
        )
    )
    assert again == computed
    assert (
        RolledUpDay.objects.filter(day__range=(OCTOBER, datetime.date(2026, 10, 31))).count() == 31
    )
    # The rows of the 11th, 12th, 15th, 20th (5), 21st (2) and 31st.
    assert written == 11


def test_a_period_already_rolled_up_costs_one_query_to_check(october):
    ensure_rolled_up(OCTOBER, datetime.date(2026, 10, 31))

    with CaptureQueriesContext(connection) as queries:
        written = ensure_rolled_up(OCTOBER, datetime.date(2026, 10, 31))

    assert written == 0
    assert len(queries) == 1


def test_the_dashboard_reads_in_twelve_queries_whatever_the_data(
    october, django_assert_num_queries
):
    period = month_period(OCTOBER)
    compute_dashboard(period)  # rolls up the days it needs, once
    # 1 the rollup coverage, 2 the rolled-up totals, 3 the satisfaction trend, 4-9 today's six
    # live aggregates (tickets opened, resolved, surveys, top-ups, revenue, attempts),
    # 10 open tickets past their deadline, 11 the KPI ranking, 12 the assessments' titles.
    with django_assert_num_queries(12):
        compute_dashboard(period)
