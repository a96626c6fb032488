"""The monthly service report (员工手册 §5.2 数据统计与报告) as a PDF (WeasyPrint).

The handbook asks staff to collect and analyse customer data and write statistical reports
that support the company's decisions. The report therefore gives, for one calendar month: the
headline figures against the month before, findings drawn from them (what rose or fell, the
largest category, the weakest queue and assessment), and one section per dashboard block with
its table and a chart (server-rendered SVG, ``portal.reports.charts``), plus a six-month trend of
revenue and satisfaction.

Like the invoices and certificates it is a fixed Chinese document whatever the reader's portal
language: the text lives in ``templates/reports/monthly_report.html`` and the choice labels
(kinds, queues, channels) are rendered with Chinese active. Fonts: "Noto Sans CJK SC",
embedded as a subset.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from billing.invoices import operator_name
from portal.months import month_end, next_month, previous_month
from portal.reports.charts import bar_chart, line_chart
from portal.reports.choices import Granularity
from portal.reports.periods import ReportPeriod, month_period
from portal.reports.selectors import Dashboard, Summary, compute_dashboard

REPORT_LANGUAGE = "zh-hans"
TREND_MONTHS = 6


@dataclass(frozen=True)
class Change:
    """A figure against the month before: the difference, and in % when it is a count."""

    current: Decimal | int | None
    previous: Decimal | int | None

    @property
    def known(self) -> bool:
        return self.current is not None and self.previous is not None

    @property
    def difference(self) -> Decimal | None:
        if not self.known:
            return None
        return Decimal(self.current) - Decimal(self.previous)

    @property
    def percent(self) -> Decimal | None:
        if not self.known or not self.previous:
            return None
        return (self.difference * 100 / Decimal(self.previous)).quantize(Decimal("0.1"))

    @property
    def direction(self) -> str:
        """ "up", "down" or "same" ("" when one side is unknown)."""
        if not self.known:
            return ""
        if self.difference > 0:
            return "up"
        return "down" if self.difference < 0 else "same"

    @property
    def magnitude(self) -> Decimal | None:
        return None if self.difference is None else abs(self.difference)

    @property
    def percent_magnitude(self) -> Decimal | None:
        return None if self.percent is None else abs(self.percent)


def changes(current: Summary, previous: Summary) -> dict[str, Change]:
    return {
        name: Change(getattr(current, name), getattr(previous, name))
        for name in current.__dataclass_fields__
    }


def findings(dashboard: Dashboard) -> dict:
    """The largest ticket category, the weakest queue and assessment (for the findings)."""
    top_category = max(dashboard.tickets.rows, key=lambda row: row.total, default=None)
    measured = [row for row in dashboard.sla if row.rate is not None]
    weakest_queue = min(measured, key=lambda row: row.rate, default=None)
    rated = [row for row in dashboard.training.rows if row.rate is not None]
    weakest_assessment = min(rated, key=lambda row: row.rate, default=None)
    top_channel = max(dashboard.top_ups.rows, key=lambda row: row.amount, default=None)
    total = dashboard.tickets.total
    return {
        "top_category": top_category if top_category and top_category.total else None,
        "top_category_share": (
            (Decimal(top_category.total) * 100 / total).quantize(Decimal("0.1"))
            if top_category and total
            else None
        ),
        "weakest_queue": weakest_queue,
        "weakest_assessment": weakest_assessment,
        "top_channel": top_channel if top_channel and top_channel.amount else None,
    }


def charts(dashboard: Dashboard, trend: Dashboard) -> dict:
    tickets = dashboard.tickets
    sla = dashboard.sla
    satisfaction = dashboard.satisfaction
    return {
        "tickets": bar_chart(
            "各类别工单量",
            [row.label for row in tickets.rows],
            [
                (label, [row.counts[i] for row in tickets.rows])
                for i, (_kind, label) in enumerate(tickets.kinds)
            ],
        ),
        "sla": bar_chart(
            "各队列服务时限",
            [row.label for row in sla],
            [
                ("按时解决", [row.met for row in sla]),
                ("超时解决", [row.late for row in sla]),
                ("超时未解决", [row.open_overdue for row in sla]),
            ],
        ),
        "satisfaction": line_chart(
            "每周平均满意度",
            [f"{row.bucket:%m-%d}" for row in satisfaction.rows],
            [row.average for row in satisfaction.rows],
            minimum=1,
            maximum=5,
        ),
        "satisfaction_trend": line_chart(
            "近六个月平均满意度",
            [f"{row.bucket:%Y-%m}" for row in trend.satisfaction.rows],
            [row.average for row in trend.satisfaction.rows],
            minimum=1,
            maximum=5,
        ),
        "top_ups": bar_chart(
            "各渠道充值金额（元）",
            [row.label for row in dashboard.top_ups.rows],
            [("充值金额", [row.amount for row in dashboard.top_ups.rows])],
        ),
        "revenue": bar_chart(
            "近六个月收入（元）",
            [f"{row.month:%Y-%m}" for row in trend.revenue.rows],
            [
                ("月功能费", [row.fees for row in trend.revenue.rows]),
                ("通信使用费", [row.usage for row in trend.revenue.rows]),
            ],
        ),
        "training": bar_chart(
            "各考核通过率（%）",
            [row.title for row in dashboard.training.rows],
            [("通过率", [row.rate for row in dashboard.training.rows])],
            maximum=100,
            unit="%",
        ),
    }


def trend_period(month: datetime.date) -> ReportPeriod:
    start = month
    for _ in range(TREND_MONTHS - 1):
        start = previous_month(start)
    return ReportPeriod(start, month_end(month), Granularity.MONTH)


def report_context(month: datetime.date) -> dict:
    """Everything the report prints for ``month`` (a month that has ended)."""
    dashboard = compute_dashboard(month_period(month))
    previous = compute_dashboard(month_period(previous_month(month)))
    trend = compute_dashboard(trend_period(month))
    return {
        "operator": operator_name(),
        "month": month,
        "next_month": next_month(month),
        "generated_at": timezone.localtime(dashboard.computed_at),
        "dashboard": dashboard,
        "previous": previous.summary,
        "changes": changes(dashboard.summary, previous.summary),
        "findings": findings(dashboard),
        "trend": trend,
        "charts": charts(dashboard, trend),
        "refresh_days": settings.REPORTS_ROLLUP_REFRESH_DAYS,
    }


def render_monthly_report_html(month: datetime.date) -> tuple[str, Summary]:
    with translation.override(REPORT_LANGUAGE):
        context = report_context(month)
        return render_to_string("reports/monthly_report.html", context), context[
            "dashboard"
        ].summary


def render_monthly_report_pdf(month: datetime.date) -> tuple[bytes, Summary]:
    """The PDF and the headline figures it prints."""
    # Imported here: WeasyPrint loads Pango and fonts, which only report requests need.
    from weasyprint import HTML

    html, summary = render_monthly_report_html(month)
    return HTML(string=html).write_pdf(), summary
