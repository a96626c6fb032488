"""The monthly service report: its PDF's text, the stored row and file, rewriting, months
that have not ended, the beat jobs, and a real worker writing it."""

import datetime
import subprocess

import pytest
from django.core.files.storage import default_storage
from django_celery_beat.models import PeriodicTask

from complaints.models import Ticket
from portal.months import previous_month
from portal.reports import tasks
from portal.reports.error_codes import ReportErrorCode
from portal.reports.models import DailyRollup, MonthlyServiceReport, RolledUpDay
from portal.reports.services import ReportError, generate_monthly_report
from portal.roles import Role
from portal.services import ensure_default_schedules
from tests.complaints.factories import make_ticket
from tests.conftest import wait_for
from tests.reports.conftest import OCTOBER
from tests.reports.factories import SHANGHAI, today


def pdf_text(report: MonthlyServiceReport) -> str:
    """The PDF's text (pdftotext), its whitespace collapsed."""
    with report.file.open("rb") as handle:
        data = handle.read()
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(text.split())


def test_the_report_prints_the_months_figures_and_findings(october):
    report = generate_monthly_report(OCTOBER, actor=october.supervisor)

    with report.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    text = pdf_text(report)
    for expected in (
        "中国电信 月度客户服务报告",
        "统计期间：2026年10月（2026-10-01 至 2026-10-31）",
        "依据：员工手册 §5.2 数据统计与报告",
        "一、概要",
        "新建工单（件） 5 1",
        "服务时限达标率 60.0% — —",
        "收入：月功能费 + 通信使用费（元） 70.34 63.00 ↑ 11.7%",
        "本月新建工单 5 件，较上月增加 400.0%",
        "达标率最低的是投诉协调员队列（50.0%），建议重点跟进。",
        "收到满意度调查回复 4 份，平均 3.50 分，其中低分（1–2 分）1 份。",
        "充值 3 笔，共 350.00 元，以“营业厅”渠道为主（57.1%）；本月收入 70.34 元，环比增长 11.7%。",
        "通过率最低的是“服务规范考核”（50.0%），建议安排补强培训。",
        "三、工单量（按类型与类别）",
        "技术支持工程师 2 1 0 66.7%",
        "投诉协调员 1 0 1 50.0%",
        "合计 3 1 1 60.0%",
        "五、客户满意度",
        "2026-10-05 2 3.50 50.0% 1",
        "网上充值 2 150.00 42.9%",
        "2026-09 58.00 5.00 63.00",
        "58.00 12.34 70.34",
        "服务规范考核",
        "八、员工 KPI 排名（前 5 名）",
        "九、统计口径",
    ):
        assert expected in text, expected


def test_the_report_row_keeps_the_headline_figures(october):
    report = generate_monthly_report(OCTOBER, actor=october.supervisor)

    stored = MonthlyServiceReport.objects.get()
    assert stored.pk == report.pk
    assert (stored.month, stored.generated_by) == (OCTOBER, october.supervisor)
    assert stored.figures == {
        "tickets_opened": 5,
        "tickets_resolved": 4,
        "sla_rate": "60.0",
        "sla_breached": 2,
        "surveys": 4,
        "satisfaction": "3.50",
        "top_up_count": 3,
        "top_up_amount": "350.00",
        "revenue": "70.34",
        "attempts": 3,
        "pass_rate": "66.7",
    }
    assert stored.file.name.startswith("reports/monthly/2026-10-")


def test_rewriting_a_month_replaces_the_file_after_the_commit(
    october, django_capture_on_commit_callbacks
):
    first = generate_monthly_report(OCTOBER)
    old_name = first.file.name

    with django_capture_on_commit_callbacks(execute=True):
        second = generate_monthly_report(OCTOBER, actor=october.supervisor)

    assert MonthlyServiceReport.objects.count() == 1
    assert second.pk == first.pk
    assert second.file.name != old_name
    assert default_storage.exists(second.file.name)
    assert not default_storage.exists(old_name)


def test_a_month_that_has_not_ended_is_refused(db):
    with pytest.raises(ReportError) as refused:
        generate_monthly_report(today())

    assert (refused.value.code, refused.value.field) == (ReportErrorCode.MONTH_NOT_ENDED, "month")
    assert MonthlyServiceReport.objects.count() == 0


def test_beat_schedules_the_rollups_and_the_monthly_report(db):
    ensure_default_schedules()

    scheduled = {
        task.name: (
            task.task,
            str(task.crontab.minute),
            str(task.crontab.hour),
            str(task.crontab.day_of_month),
        )
        for task in PeriodicTask.objects.filter(name__startswith="reports:").select_related(
            "crontab"
        )
    }

    assert scheduled == {
        "reports: daily rollups": ("portal.reports.tasks.refresh_rollups_task", "10", "0", "*"),
        "reports: monthly service report": (
            "portal.reports.tasks.generate_monthly_report_task",
            "0",
            "4",
            "1",
        ),
    }


def test_the_monthly_job_writes_last_months_report_once(personas):
    first = tasks.generate_monthly_report_task()
    written = MonthlyServiceReport.objects.get()

    again = tasks.generate_monthly_report_task()

    assert first == again == written.pk
    assert written.month == previous_month(today())
    assert written.generated_by is None
    assert MonthlyServiceReport.objects.get().generated_at == written.generated_at


def test_the_job_rewrites_a_month_it_is_given(october):
    generate_monthly_report(OCTOBER)
    before = MonthlyServiceReport.objects.get().generated_at

    report_id = tasks.generate_monthly_report_task("2026-10")

    assert MonthlyServiceReport.objects.get(pk=report_id).generated_at > before


def test_the_nightly_job_rolls_up_the_last_31_days(personas):
    yesterday = today() - datetime.timedelta(days=1)
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST])
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=datetime.datetime.combine(yesterday, datetime.time(12), tzinfo=SHANGHAI)
    )

    written = tasks.refresh_rollups_task()

    assert written == 1
    assert DailyRollup.objects.get().day == yesterday
    assert set(RolledUpDay.objects.values_list("day", flat=True)) == {
        today() - datetime.timedelta(days=n) for n in range(1, 32)
    }


@pytest.mark.celery_worker
def test_the_monthly_report_is_written_by_a_real_worker(celery_worker, october):
    tasks.generate_monthly_report_task.delay("2026-10")

    report = wait_for(lambda: MonthlyServiceReport.objects.filter(month=OCTOBER).first(), 60)

    assert report is not None, celery_worker.log()
    assert report.figures["tickets_opened"] == 5
    assert "月度客户服务报告" in pdf_text(report)
