"""Each dashboard block as CSV: a BOM for Excel, the header in the reader's language, the
hand-checked month's rows, and bad input refused."""

import csv
import io

import pytest
from django.urls import reverse

from portal.roles import Role
from tests.reports.test_pages import OCTOBER_QUERY


@pytest.fixture
def supervisor_client(client, personas):
    client.force_login(personas[Role.SUPERVISOR])
    return client


def export(client, block: str, **headers):
    return client.get(
        reverse("reports:dashboard-csv", args=[block]), OCTOBER_QUERY, headers=headers
    )


def rows_of(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_is_an_attachment_in_utf8_with_a_bom(supervisor_client, october):
    response = export(supervisor_client, "top-ups")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="top-ups-2026-10-01_2026-10-31.csv"'
    )
    assert response.content.startswith("\ufeff渠道,充值笔数,金额（元）,金额占比（%）".encode())


def test_csv_of_ticket_volume(supervisor_client, october):
    assert rows_of(export(supervisor_client, "tickets")) == [
        ["类别", "咨询", "故障申告", "投诉", "计费争议", "合计"],
        ["手机信号", "0", "1", "0", "0", "1"],
        ["手机上网", "0", "1", "0", "0", "1"],
        ["宽带", "0", "0", "0", "0", "0"],
        ["固话", "0", "0", "0", "0", "0"],
        ["话费与账单", "0", "0", "0", "1", "1"],
        ["服务质量", "0", "0", "1", "0", "1"],
        ["套餐与业务", "1", "0", "0", "0", "1"],
        ["其他", "0", "0", "0", "0", "0"],
        ["合计", "1", "2", "1", "1", "5"],
    ]


def test_csv_of_sla_compliance(supervisor_client, october):
    assert rows_of(export(supervisor_client, "sla")) == [
        ["处理队列", "按时解决", "超时解决", "超时未解决", "达标率（%）", "无时限的已解决工单"],
        ["客户服务专员", "0", "0", "0", "", "0"],
        ["技术支持工程师", "2", "1", "0", "66.7", "0"],
        ["投诉协调员", "1", "0", "1", "50.0", "0"],
        ["合计", "3", "1", "1", "60.0", "0"],
    ]


def test_csv_of_the_satisfaction_trend(supervisor_client, october):
    assert rows_of(export(supervisor_client, "satisfaction")) == [
        ["周（起始日）", "调查回复", "平均分", "满意（4–5 分）（%）", "低分（1–2 分）"],
        ["2026-09-28", "0", "", "", "0"],
        ["2026-10-05", "2", "3.50", "50.0", "1"],
        ["2026-10-12", "0", "", "", "0"],
        ["2026-10-19", "2", "3.50", "50.0", "0"],
        ["2026-10-26", "0", "", "", "0"],
        ["合计", "4", "3.50", "50.0", "1"],
    ]


def test_csv_of_top_ups_and_revenue(supervisor_client, october):
    assert rows_of(export(supervisor_client, "top-ups")) == [
        ["渠道", "充值笔数", "金额（元）", "金额占比（%）"],
        ["网上充值", "2", "150.00", "42.9"],
        ["营业厅", "1", "200.00", "57.1"],
        ["银行卡", "0", "0.00", "0.0"],
        ["充值卡", "0", "0.00", "0.0"],
        ["自助终端", "0", "0.00", "0.0"],
        ["合计", "3", "350.00", "100.0"],
    ]
    assert rows_of(export(supervisor_client, "revenue")) == [
        ["账期", "月功能费（元）", "通信使用费（元）", "收入（元）"],
        ["2026-10", "58.00", "12.34", "70.34"],
        ["合计", "58.00", "12.34", "70.34"],
    ]


def test_csv_of_training_and_kpis(supervisor_client, october):
    training = rows_of(export(supervisor_client, "training"))
    kpis = rows_of(export(supervisor_client, "kpis"))

    course_a = october.assessment_a.course.title
    course_b = october.assessment_b.course.title
    assert training == [
        ["考核", "课程", "参加人次", "通过", "通过率（%）", "平均分（%）"],
        ["服务规范考核", course_a, "2", "1", "50.0", "60.00"],
        ["故障处理考核", course_b, "1", "1", "100.0", "100.00"],
        ["合计", "", "3", "2", "66.7", "73.33"],
    ]
    assert kpis[0] == [
        "名次",
        "员工",
        "岗位",
        "团队",
        "处理工单",
        "时限达标率（%）",
        "满意度",
        "激励得分",
    ]
    assert [row[0] for row in kpis[1:]] == ["1", "2", "3", "4", "5"]


def test_csv_header_follows_the_readers_language(supervisor_client, october):
    response = export(supervisor_client, "revenue", **{"accept-language": "en"})

    assert rows_of(response)[0] == [
        "Billing month",
        "Monthly fees (CNY)",
        "Usage charges (CNY)",
        "Revenue (CNY)",
    ]


def test_csv_of_a_bad_period_is_a_400_naming_the_field(supervisor_client, personas):
    response = supervisor_client.get(
        reverse("reports:dashboard-csv", args=["sla"]), {"start": "2026-10-31", "end": "2026-10-01"}
    )

    assert response.status_code == 400
    assert response.content.decode() == "end: 结束日期不能早于开始日期。\n"


def test_csv_of_an_unknown_block_is_404(supervisor_client, personas):
    response = supervisor_client.get(reverse("reports:dashboard-csv", args=["salaries"]))

    assert response.status_code == 404


def test_csv_export_runs_a_constant_number_of_queries(
    supervisor_client, october, django_assert_num_queries
):
    export(supervisor_client, "tickets")  # rolls up the days it needs, once
    # 1 the session, 2 user, 3 permissions, 4-15 the dashboard's 12 queries.
    with django_assert_num_queries(15):
        export(supervisor_client, "tickets")
