"""The reports admin: read-only lists, and the actions that re-run the jobs."""

import datetime

from django.urls import reverse

from portal.reports.models import DailyRollup, MonthlyServiceReport, RolledUpDay
from portal.reports.rollups import roll_up_days
from tests.reports.conftest import OCTOBER


def test_admin_lists_reports_rollups_and_days(admin_client, october):
    roll_up_days(OCTOBER, datetime.date(2026, 10, 31))

    pages = [
        reverse("admin:reports_monthlyservicereport_changelist"),
        reverse("admin:reports_dailyrollup_changelist"),
        reverse("admin:reports_rolledupday_changelist"),
    ]

    assert [admin_client.get(page).status_code for page in pages] == [200, 200, 200]
    assert admin_client.get(reverse("admin:reports_dailyrollup_add")).status_code == 403


def test_admin_action_recomputes_the_selected_days(admin_client, october):
    roll_up_days(OCTOBER, datetime.date(2026, 10, 31))
    DailyRollup.objects.filter(day=datetime.date(2026, 10, 20)).delete()

    response = admin_client.post(
        reverse("admin:reports_rolledupday_changelist"),
        {"action": "recompute", "_selected_action": [datetime.date(2026, 10, 20).isoformat()]},
    )

    assert response.status_code == 302
    assert DailyRollup.objects.filter(day=datetime.date(2026, 10, 20)).count() == 5
    assert RolledUpDay.objects.count() == 31


def test_admin_action_rewrites_the_selected_reports(admin_client, october):
    admin_client.post(reverse("reports:report-generate"), {"month": "2026-10"})
    report = MonthlyServiceReport.objects.get()

    response = admin_client.post(
        reverse("admin:reports_monthlyservicereport_changelist"),
        {"action": "rewrite_reports", "_selected_action": [report.pk]},
    )

    rewritten = MonthlyServiceReport.objects.get()
    assert response.status_code == 302
    assert rewritten.generated_at > report.generated_at
    assert rewritten.generated_by.is_superuser
