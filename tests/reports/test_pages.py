"""The supervisor's dashboard page: figures in Chinese, period filters and their errors, the
htmx partial, query counts, the monthly reports pages, and who may see any of it."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from portal.months import previous_month
from portal.reports.models import MonthlyServiceReport
from portal.reports.rollups import ensure_rolled_up
from portal.roles import Role
from tests.reports.conftest import OCTOBER
from tests.reports.factories import today

OCTOBER_QUERY = {"start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture
def supervisor_client(client, personas):
    client.force_login(personas[Role.SUPERVISOR])
    return client


def stored_report(month: datetime.date, **figures) -> MonthlyServiceReport:
    report = MonthlyServiceReport(month=month, generated_at=timezone.now(), figures=figures)
    report.file.save(f"{month:%Y-%m}.pdf", ContentFile(b"%PDF-1.7 test"), save=True)
    return report


def test_dashboard_shows_the_hand_checked_month_in_chinese(supervisor_client, october):
    response = supervisor_client.get(reverse("workspace-supervisor"), OCTOBER_QUERY)

    body = response.content.decode()
    assert response.status_code == 200
    assert '<h2 id="dashboard-title">服务看板</h2>' in body
    assert (
        '<article data-figure="sla_rate"><small>服务时限达标率</small><p>60.0%</p></article>'
        in body
    )
    assert (
        '<tr data-queue="tech_support"><th scope="row">技术支持工程师</th>'
        '<td class="num">2</td><td class="num">1</td><td class="num">0</td>'
        '<td class="num">66.7%</td></tr>'
    ) in body
    assert '<input type="date" name="start" value="2026-10-01" id="id_start">' in body
    # Each chart has its data for Chart.js (vendored) and its table.
    for chart in ("tickets", "sla", "satisfaction", "top-ups", "revenue", "training", "kpis"):
        assert f'<script id="chart-{chart}" type="application/json">' in body
        assert f'<table class="striped" id="table-{chart}">' in body
        assert (
            f'href="/workspace/supervisor/export/{chart}.csv?start=2026-10-01&amp;end=2026-10-31'
            f'&amp;granularity=week"'
        ) in body
    assert '<script src="/static/vendor/chartjs/chart.umd.js" defer></script>' in body


def test_dashboard_is_this_month_by_default(supervisor_client, personas):
    response = supervisor_client.get(reverse("workspace-supervisor"))

    period = response.context["dashboard"].period
    assert response.status_code == 200
    assert (period.start, period.end, period.preset) == (
        today().replace(day=1),
        today(),
        "this_month",
    )
    assert 'data-preset="this_month" aria-current="true"' in response.content.decode()


def test_dashboard_period_errors_are_a_400_on_the_fields(supervisor_client, personas):
    response = supervisor_client.get(
        reverse("workspace-supervisor"), {"start": "2026-10-31", "end": "2026-10-01"}
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert "dashboard" not in response.context
    assert (
        '<ul class="errorlist form-error" id="id_end_error">'
        "<li>结束日期不能早于开始日期。</li></ul>" in body
    )
    assert 'aria-invalid="true" aria-describedby="id_end_error"' in body


def test_htmx_gets_only_the_dashboard_section(supervisor_client, october):
    response = supervisor_client.get(
        reverse("workspace-supervisor"), {"preset": "last_month"}, headers={"HX-Request": "true"}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="dashboard"')
    assert "<html" not in body
    assert response.context["dashboard"].period.preset == "last_month"


def test_dashboard_lists_recent_reports_and_offers_last_month(supervisor_client, personas):
    report = stored_report(datetime.date(2026, 9, 1))

    response = supervisor_client.get(reverse("workspace-supervisor"))

    body = response.content.decode()
    last_month = previous_month(today())
    assert (
        f'<a href="/workspace/supervisor/reports/{report.pk}/report.pdf" download>'
        "2026-09 服务报告（PDF）</a>" in body
    )
    assert f'value="{last_month:%Y-%m}"' in body


@pytest.mark.parametrize("extra_months", [0, 2])
def test_dashboard_page_runs_a_constant_number_of_queries(
    supervisor_client, october, django_assert_num_queries, extra_months
):
    for n in range(extra_months):
        stored_report(datetime.date(2026, 8 - n, 1))
    ensure_rolled_up(OCTOBER, today() - datetime.timedelta(days=1))
    # 1 the session, 2 user, 3 permissions; then 4-15 the dashboard's 12
    # (portal.reports.selectors.compute_dashboard: the rollup coverage, the rolled-up totals, the
    # satisfaction trend, today's six live aggregates, open tickets past their deadline, the KPI
    # ranking, the assessments' titles); 16 the recent monthly reports.
    with django_assert_num_queries(16):
        response = supervisor_client.get(reverse("workspace-supervisor"), OCTOBER_QUERY)

    assert response.status_code == 200


def test_htmx_partial_runs_a_constant_number_of_queries(
    supervisor_client, october, django_assert_num_queries
):
    ensure_rolled_up(OCTOBER, today() - datetime.timedelta(days=1))
    # 1 the session, 2 user, 3 permissions, 4-15 the dashboard's 12 (no list of reports in the
    # partial).
    with django_assert_num_queries(15):
        supervisor_client.get(
            reverse("workspace-supervisor"), OCTOBER_QUERY, headers={"HX-Request": "true"}
        )


# --- Monthly reports ------------------------------------------------------------------------


def test_report_list_filters_sorts_and_pages(supervisor_client, personas):
    for month in range(1, 13):
        stored_report(datetime.date(2025, month, 1), tickets_opened=month)
    stored_report(datetime.date(2026, 1, 1), tickets_opened=99, sla_rate="91.5")

    newest = supervisor_client.get(reverse("reports:report-list"))
    oldest = supervisor_client.get(reverse("reports:report-list"), {"sort": "month"})
    page_two = supervisor_client.get(reverse("reports:report-list"), {"page": "2"})
    of_2026 = supervisor_client.get(reverse("reports:report-list"), {"year": "2026"})

    def months(response):
        return [f"{report.month:%Y-%m}" for report in response.context["reports"]]

    assert months(newest)[:3] == ["2026-01", "2025-12", "2025-11"]
    assert len(months(newest)) == 12
    assert months(oldest)[:2] == ["2025-01", "2025-02"]
    assert months(page_two) == ["2025-01"]
    assert months(of_2026) == ["2026-01"]
    assert '<td class="num">91.5%</td>' in of_2026.content.decode()


def test_report_list_refuses_a_bad_year(supervisor_client, personas):
    response = supervisor_client.get(reverse("reports:report-list"), {"year": "二〇二六"})

    assert response.status_code == 400
    assert "输入整数。" in response.content.decode()


@pytest.mark.parametrize("count", [1, 5])
def test_report_list_runs_a_constant_number_of_queries(
    supervisor_client, personas, django_assert_num_queries, count
):
    for n in range(count):
        stored_report(datetime.date(2025, n + 1, 1))
    # 1 the session, 2 user, 3 permissions; 4 the count for the pager, 5 the page of reports with
    # who wrote them.
    with django_assert_num_queries(5):
        response = supervisor_client.get(reverse("reports:report-list"))

    assert len(response.context["reports"]) == count


def test_report_pdf_downloads_the_stored_file(supervisor_client, personas):
    report = stored_report(datetime.date(2026, 9, 1))

    response = supervisor_client.get(reverse("reports:report-pdf", args=[report.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="service-report-2026-09.pdf"'
    assert b"".join(response.streaming_content) == b"%PDF-1.7 test"


def test_report_pdf_of_a_missing_report_is_404(supervisor_client, personas):
    response = supervisor_client.get(reverse("reports:report-pdf", args=[424242]))

    assert response.status_code == 404


def test_writing_a_month_that_has_not_ended_is_refused_on_the_field(supervisor_client, personas):
    response = supervisor_client.post(
        reverse("reports:report-generate"), {"month": f"{today():%Y-%m}"}
    )

    body = response.content.decode()
    assert response.status_code == 400
    assert f"{today():%Y-%m} 的报告要等这个月结束后才能编写。" in body
    assert MonthlyServiceReport.objects.count() == 0


def test_writing_a_badly_formed_month_is_refused(supervisor_client, personas):
    response = supervisor_client.post(reverse("reports:report-generate"), {"month": "十月"})

    assert response.status_code == 400
    assert "请按 YYYY-MM 输入月份。" in response.content.decode()


# --- Who may see it -------------------------------------------------------------------------


def report_urls(report) -> list[str]:
    return [
        reverse("workspace-supervisor"),
        reverse("reports:dashboard-csv", args=["tickets"]),
        reverse("reports:report-list"),
        reverse("reports:report-pdf", args=[report.pk]),
    ]


@pytest.mark.parametrize(
    "persona", [*[role for role in Role if role != Role.SUPERVISOR], "outsider"]
)
def test_only_supervisors_see_the_reports(client, personas, persona):
    report = stored_report(datetime.date(2026, 9, 1))
    client.force_login(personas[persona])

    statuses = {url: client.get(url).status_code for url in report_urls(report)}
    posted = client.post(reverse("reports:report-generate"), {"month": "2026-09"}).status_code

    assert statuses == {url: 403 for url in report_urls(report)}
    assert posted == 403


def test_supervisors_see_every_report_page(supervisor_client, personas):
    report = stored_report(datetime.date(2026, 9, 1))

    statuses = {url: supervisor_client.get(url).status_code for url in report_urls(report)}

    assert statuses == {url: 200 for url in report_urls(report)}


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    report = stored_report(datetime.date(2026, 9, 1))

    responses = {url: client.get(url) for url in report_urls(report)}

    assert {url: r.status_code for url, r in responses.items()} == {
        url: 302 for url in report_urls(report)
    }
    assert {r.url for r in responses.values()} == {
        f"{reverse('login')}?next={url}" for url in report_urls(report)
    }
