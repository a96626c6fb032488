"""Every figure of the dashboard on the hand-checked month (tests/reports/conftest.py)."""

import datetime
from decimal import Decimal

from django.utils import translation

from portal.reports.periods import month_period
from portal.reports.selectors import compute_dashboard
from tests.reports.conftest import OCTOBER
from training.models import StaffKpi


def october_dashboard():
    with translation.override("en"):
        return compute_dashboard(month_period(OCTOBER))


def test_ticket_volume_counts_october_by_kind_and_category(october):
    tickets = october_dashboard().tickets

    by_category = {
        row.category: dict(zip([k for k, _ in tickets.kinds], row.counts, strict=True))
        for row in tickets.rows
    }
    assert [kind for kind, _label in tickets.kinds] == [
        "inquiry",
        "fault",
        "complaint",
        "billing_dispute",
    ]
    assert {
        category: {kind: n for kind, n in counts.items() if n}
        for category, counts in by_category.items()
        if any(counts.values())
    } == {
        "mobile_signal": {"fault": 1},
        "mobile_data": {"fault": 1},
        "service_quality": {"complaint": 1},
        "billing": {"billing_dispute": 1},
        "products": {"inquiry": 1},
    }
    assert tickets.kind_totals == [1, 2, 1, 1]
    assert tickets.total == 5


def test_sla_compliance_by_queue(october):
    dashboard = october_dashboard()

    rows = {row.queue: (row.met, row.late, row.open_overdue, row.rate) for row in dashboard.sla}
    assert rows == {
        "first_contact": (0, 0, 0, None),
        "tech_support": (2, 1, 0, Decimal("66.7")),
        "complaints": (1, 0, 1, Decimal("50.0")),
    }
    total = dashboard.sla_total
    assert (total.met, total.late, total.open_overdue, total.rate) == (3, 1, 1, Decimal("60.0"))


def test_satisfaction_trend_by_week(october):
    satisfaction = october_dashboard().satisfaction

    assert satisfaction.granularity == "week"
    assert [
        (row.bucket, row.answered, row.average, row.low, row.satisfied_rate)
        for row in satisfaction.rows
    ] == [
        (datetime.date(2026, 9, 28), 0, None, 0, None),
        (datetime.date(2026, 10, 5), 2, Decimal("3.50"), 1, Decimal("50.0")),
        (datetime.date(2026, 10, 12), 0, None, 0, None),
        (datetime.date(2026, 10, 19), 2, Decimal("3.50"), 0, Decimal("50.0")),
        (datetime.date(2026, 10, 26), 0, None, 0, None),
    ]
    total = satisfaction.total
    assert (total.answered, total.average, total.low, total.satisfied) == (
        4,
        Decimal("3.50"),
        1,
        2,
    )
    assert satisfaction.distribution == [0, 1, 1, 1, 1]
    assert satisfaction.by_source == [
        ("ticket", "Ticket", 3, Decimal("3.67")),
        ("order", "Business-hall visit", 1, Decimal("3.00")),
    ]


def test_top_ups_by_channel(october):
    top_ups = october_dashboard().top_ups

    assert [(row.channel, row.count, row.amount, row.share) for row in top_ups.rows] == [
        ("online", 2, Decimal("150.00"), Decimal("42.9")),
        ("business_hall", 1, Decimal("200.00"), Decimal("57.1")),
        ("bank_card", 0, Decimal("0.00"), Decimal("0.0")),
        ("voucher", 0, Decimal("0.00"), Decimal("0.0")),
        ("self_service_terminal", 0, Decimal("0.00"), Decimal("0.0")),
    ]
    assert (top_ups.count, top_ups.amount) == (3, Decimal("350.00"))


def test_revenue_counts_the_billing_month_whenever_it_was_posted(october):
    revenue = october_dashboard().revenue

    assert [(row.month, row.fees, row.usage, row.total) for row in revenue.rows] == [
        (OCTOBER, Decimal("58.00"), Decimal("12.34"), Decimal("70.34"))
    ]


def test_training_pass_rates_per_assessment(october):
    training = october_dashboard().training

    assert [(row.title, row.taken, row.passed, row.rate, row.average) for row in training.rows] == [
        ("服务规范考核", 2, 1, Decimal("50.0"), Decimal("60.00")),
        ("故障处理考核", 1, 1, Decimal("100.0"), Decimal("100.00")),
    ]
    total = training.total
    assert (total.taken, total.passed, total.rate, total.average) == (
        3,
        2,
        Decimal("66.7"),
        Decimal("73.33"),
    )


def test_kpi_ranking_is_the_months_staff_kpis_by_incentive_score(october):
    kpis = october_dashboard().kpis

    expected = list(
        StaffKpi.objects.filter(month=OCTOBER)
        .order_by("-incentive_score", "user__username")
        .values_list("user__username", flat=True)
    )
    assert kpis.month == OCTOBER
    assert [kpi.user.username for kpi in kpis.rows] == expected
    assert len(expected) == 5


def test_summary_repeats_the_blocks_totals(october):
    summary = october_dashboard().summary

    assert summary.as_dict() == {
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
