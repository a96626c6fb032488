"""seed_demo leaves the supervisor a rolled-up dashboard and last month's report, once."""

import datetime
from io import StringIO

from django.core.management import call_command

from portal.months import previous_month
from portal.reports.models import MonthlyServiceReport, RolledUpDay
from tests.reports.factories import today


def seed() -> None:
    call_command("seed_demo", "--no-progress", stdout=StringIO(), stderr=StringIO())


def test_seed_demo_rolls_up_90_days_and_writes_last_months_report(demo_seeded):
    report = MonthlyServiceReport.objects.get()

    seed()

    assert MonthlyServiceReport.objects.get().generated_at == report.generated_at
    assert report.month == previous_month(today())
    assert report.file.name.endswith(".pdf")
    assert RolledUpDay.objects.filter(day__gte=today() - datetime.timedelta(days=90)).count() == 90
