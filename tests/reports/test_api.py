"""The reports API: the dashboard's figures as JSON, 400s on the period's fields, the
monthly reports (list, write, PDF), supervisors only, and constant query counts."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal.reports.models import MonthlyServiceReport
from portal.reports.rollups import ensure_rolled_up
from portal.roles import Role
from tests.reports.conftest import OCTOBER
from tests.reports.factories import today
from tests.reports.test_pages import OCTOBER_QUERY


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def stored_report(month: datetime.date) -> MonthlyServiceReport:
    report = MonthlyServiceReport(
        month=month, generated_at=timezone.now(), figures={"revenue": "1.00"}
    )
    report.file.save("x.pdf", ContentFile(b"%PDF-1.7 api"), save=True)
    return report


def test_dashboard_api_gives_every_figure_of_the_period(october):
    response = client_for(october.supervisor).get(
        reverse("api-reports-dashboard"), OCTOBER_QUERY, headers={"accept-language": "en"}
    )

    body = response.json()
    assert response.status_code == 200
    assert body["period"] == {
        "start": "2026-10-01",
        "end": "2026-10-31",
        "granularity": "week",
        "preset": "",
    }
    assert body["summary"]["sla_rate"] == "60.0"
    assert body["summary"]["revenue"] == "70.34"
    assert body["tickets"]["kinds"][1] == {"value": "fault", "label": "Fault report"}
    assert body["tickets"]["kind_totals"] == [1, 2, 1, 1]
    assert body["sla"][1] == {
        "queue": "tech_support",
        "label": "Tech-support engineers",
        "met": 2,
        "late": 1,
        "open_overdue": 0,
        "no_deadline": 0,
        "breached": 1,
        "rate": "66.7",
    }
    assert body["satisfaction"]["rows"][1] == {
        "bucket": "2026-10-05",
        "answered": 2,
        "average": "3.50",
        "low": 1,
        "satisfied": 1,
        "satisfied_rate": "50.0",
    }
    assert body["satisfaction"]["by_source"][1] == {
        "source": "order",
        "label": "Business-hall visit",
        "answered": 1,
        "average": "3.00",
    }
    assert body["top_ups"]["rows"][0] == {
        "channel": "online",
        "label": "Online",
        "count": 2,
        "amount": "150.00",
        "share": "42.9",
    }
    assert body["revenue"]["rows"] == [
        {"month": "2026-10-01", "fees": "58.00", "usage": "12.34", "total": "70.34"}
    ]
    assert body["training"]["total"]["rate"] == "66.7"
    assert len(body["kpis"]["rows"]) == 5


def test_dashboard_api_refuses_a_bad_period_on_the_field(personas):
    response = client_for(personas[Role.SUPERVISOR]).get(
        reverse("api-reports-dashboard"),
        {"start": "2026-10-31", "end": "2026-10-01"},
        headers={"accept-language": "en"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "invalid",
                "detail": "The last day cannot be before the first.",
                "attr": "end",
            }
        ],
    }


@pytest.mark.parametrize(
    "persona", [*[role for role in Role if role != Role.SUPERVISOR], "outsider"]
)
def test_reports_api_is_for_supervisors_only(personas, persona):
    report = stored_report(datetime.date(2026, 9, 1))
    client = client_for(personas[persona])

    statuses = [
        client.get(reverse("api-reports-dashboard")).status_code,
        client.get(reverse("api-monthly-report-list")).status_code,
        client.get(reverse("api-monthly-report-pdf", args=[report.pk])).status_code,
        client.post(reverse("api-monthly-report-list"), {"month": "2026-09"}).status_code,
    ]

    assert statuses == [403, 403, 403, 403]


def test_monthly_reports_are_listed_filtered_and_downloaded(personas):
    for month in (datetime.date(2025, 12, 1), datetime.date(2026, 8, 1), datetime.date(2026, 9, 1)):
        stored_report(month)
    client = client_for(personas[Role.SUPERVISOR])

    listed = client.get(reverse("api-monthly-report-list")).json()
    of_2025 = client.get(reverse("api-monthly-report-list"), {"year": "2025"}).json()
    oldest = client.get(reverse("api-monthly-report-list"), {"ordering": "month"}).json()
    pdf = client.get(reverse("api-monthly-report-pdf", args=[listed["results"][0]["id"]]))

    assert [row["month"] for row in listed["results"]] == ["2026-09-01", "2026-08-01", "2025-12-01"]
    assert [row["month"] for row in of_2025["results"]] == ["2025-12-01"]
    assert oldest["results"][0]["month"] == "2025-12-01"
    assert listed["results"][0]["figures"] == {"revenue": "1.00"}
    assert pdf.status_code == 200
    assert pdf["Content-Disposition"] == 'attachment; filename="service-report-2026-09.pdf"'
    assert b"".join(pdf.streaming_content) == b"%PDF-1.7 api"


def test_writing_a_report_through_the_api(october):
    response = client_for(october.supervisor).post(
        reverse("api-monthly-report-list"), {"month": "2026-10"}, format="json"
    )

    body = response.json()
    assert response.status_code == 201
    assert (body["month"], body["generated_by"]) == ("2026-10-01", october.supervisor.username)
    assert body["figures"]["tickets_opened"] == 5


@pytest.mark.parametrize(
    ("month", "code", "detail"),
    [
        (None, "month_not_ended", "The report of {this} can be written once the month has ended."),
        ("October", "invalid", "Give a month as YYYY-MM."),
    ],
)
def test_writing_a_report_of_a_bad_month_is_a_400_on_month(personas, month, code, detail):
    this = f"{today():%Y-%m}"
    response = client_for(personas[Role.SUPERVISOR]).post(
        reverse("api-monthly-report-list"),
        {"month": month or this},
        format="json",
        headers={"accept-language": "en"},
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": code, "detail": detail.format(this=this), "attr": "month"}
    ]


def test_dashboard_api_runs_a_constant_number_of_queries(october, django_assert_num_queries):
    ensure_rolled_up(OCTOBER, today() - datetime.timedelta(days=1))
    client = client_for(october.supervisor)
    client.get(reverse("api-reports-dashboard"), OCTOBER_QUERY)  # warms the permission cache
    # The dashboard's 12 (portal.reports.selectors.compute_dashboard).
    with django_assert_num_queries(12):
        client.get(reverse("api-reports-dashboard"), OCTOBER_QUERY)


@pytest.mark.parametrize("count", [1, 4])
def test_monthly_report_list_runs_a_constant_number_of_queries(
    personas, django_assert_num_queries, count
):
    for n in range(count):
        stored_report(datetime.date(2025, n + 1, 1))
    client = client_for(personas[Role.SUPERVISOR])
    client.get(reverse("api-monthly-report-list"))  # warms the permission cache
    # 1 count, 2 the page with who wrote each report.
    with django_assert_num_queries(2):
        response = client.get(reverse("api-monthly-report-list"))

    assert response.json()["count"] == count
