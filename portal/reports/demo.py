"""Demo service reports, loaded by ``seed_demo`` last (it reads every other app's demo data):
the daily rollups of the last 90 days and last month's monthly service report, so that the
supervisor's dashboard and its list of reports have something to show. Both are derived
figures, not demo records (they count as no rows created); keyed by day and month, so a second
run of ``seed_demo`` writes nothing."""

import datetime
from collections.abc import Callable

from django.utils import timezone

from portal.months import previous_month
from portal.reports.models import MonthlyServiceReport
from portal.reports.rollups import ensure_rolled_up
from portal.reports.services import generate_monthly_report

ROLLUP_DAYS = 90


def seed_rollups() -> int:
    """Derived figures, not demo records: counted as nothing created."""
    today = timezone.localdate()
    ensure_rolled_up(
        today - datetime.timedelta(days=ROLLUP_DAYS), today - datetime.timedelta(days=1)
    )
    return 0


def seed_last_month_report() -> int:
    """Derived from the other demo data like the rollups: counted as nothing created."""
    month = previous_month(timezone.localdate())
    if not MonthlyServiceReport.objects.filter(month=month).exists():
        generate_monthly_report(month)
    return 0


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [
        ("dashboard rollups", seed_rollups),
        ("last month's service report", seed_last_month_report),
    ]
