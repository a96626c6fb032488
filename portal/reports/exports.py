"""The dashboard's blocks as CSV files and as Chart.js data.

CSV: one file per block, UTF-8 with a byte-order mark (Excel on Chinese Windows otherwise
reads the file as GBK and garbles every Chinese character), a header row in the reader's
language, numbers as plain decimals (no thousands separators, no % signs: the header says the
unit), an empty cell where there is nothing to measure.

Chart data: what ``static/js/dashboard.js`` turns into charts; the same numbers the page's
tables show (the tables are the accessible, script-free version of every chart).
"""

import csv
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portal.reports.choices import DashboardBlock, Granularity
from portal.reports.selectors import Dashboard

BOM = "\ufeff"


def _cell(value) -> str:
    if value is None:
        return ""
    return str(value)


def bucket_label(dashboard: Dashboard, bucket) -> str:
    if dashboard.period.granularity == Granularity.MONTH:
        return f"{bucket:%Y-%m}"
    return f"{bucket:%Y-%m-%d}"


def block_table(dashboard: Dashboard, block: str) -> tuple[list[str], list[list]]:
    """The header and rows of one block (what its CSV file holds)."""
    if block == DashboardBlock.TICKETS:
        tickets = dashboard.tickets
        header = [_("Category"), *[label for _kind, label in tickets.kinds], _("Total")]
        rows = [[row.label, *row.counts, row.total] for row in tickets.rows]
        rows.append([_("Total"), *tickets.kind_totals, tickets.total])
        return header, rows
    if block == DashboardBlock.SLA:
        header = [
            _("Queue"),
            _("Resolved within SLA"),
            _("Resolved late"),
            _("Open past deadline"),
            _("Compliance (%)"),
            _("Resolved without deadline"),
        ]
        rows = [
            [row.label, row.met, row.late, row.open_overdue, row.rate, row.no_deadline]
            for row in dashboard.sla
        ]
        total = dashboard.sla_total
        rows.append(
            [_("Total"), total.met, total.late, total.open_overdue, total.rate, total.no_deadline]
        )
        return header, rows
    if block == DashboardBlock.SATISFACTION:
        trend = dashboard.satisfaction
        header = [
            _("Week from")
            if trend.granularity == Granularity.WEEK
            else pgettext("calendar", "Month"),
            _("Surveys answered"),
            _("Average score"),
            _("Satisfied (4-5) (%)"),
            _("Low scores (1-2)"),
        ]
        rows = [
            [
                bucket_label(dashboard, row.bucket),
                row.answered,
                row.average,
                row.satisfied_rate,
                row.low,
            ]
            for row in trend.rows
        ]
        total = trend.total
        rows.append([_("Total"), total.answered, total.average, total.satisfied_rate, total.low])
        return header, rows
    if block == DashboardBlock.TOP_UPS:
        top_ups = dashboard.top_ups
        header = [_("Channel"), _("Top-ups"), _("Amount (CNY)"), _("Share of amount (%)")]
        rows = [[row.label, row.count, row.amount, row.share] for row in top_ups.rows]
        rows.append([_("Total"), top_ups.count, top_ups.amount, "100.0" if top_ups.amount else ""])
        return header, rows
    if block == DashboardBlock.REVENUE:
        revenue = dashboard.revenue
        header = [
            _("Billing month"),
            _("Monthly fees (CNY)"),
            _("Usage charges (CNY)"),
            _("Revenue (CNY)"),
        ]
        rows = [[f"{row.month:%Y-%m}", row.fees, row.usage, row.total] for row in revenue.rows]
        rows.append([_("Total"), revenue.total.fees, revenue.total.usage, revenue.total.total])
        return header, rows
    if block == DashboardBlock.TRAINING:
        training = dashboard.training
        header = [
            _("Assessment"),
            _("Course"),
            _("Attempts"),
            _("Passed"),
            _("Pass rate (%)"),
            _("Average score (%)"),
        ]
        rows = [
            [row.title, row.course, row.taken, row.passed, row.rate, row.average]
            for row in training.rows
        ]
        total = training.total
        rows.append([_("Total"), "", total.taken, total.passed, total.rate, total.average])
        return header, rows
    if block == DashboardBlock.KPIS:
        header = [
            _("Rank"),
            _("Staff member"),
            _("Role"),
            _("Team"),
            _("Tickets handled"),
            _("SLA compliance (%)"),
            _("Satisfaction"),
            _("Incentive score"),
        ]
        rows = [
            [
                rank,
                kpi.user.get_full_name() or kpi.user.get_username(),
                kpi.get_role_display(),
                kpi.team.name if kpi.team else "",
                kpi.tickets_handled,
                kpi.sla_rate,
                kpi.satisfaction_avg,
                kpi.incentive_score,
            ]
            for rank, kpi in enumerate(dashboard.kpis.rows, start=1)
        ]
        return header, rows
    raise ValueError(block)


def csv_response(dashboard: Dashboard, block: str) -> HttpResponse:
    header, rows = block_table(dashboard, block)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{block}-{dashboard.period.slug}.csv"'
    response.write(BOM)
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows([[_cell(value) for value in row] for row in rows])
    return response


# --- Chart.js --------------------------------------------------------------------------------


def _number(value) -> float | None:
    # Chart coordinates only: the tables next to each chart show the exact decimals.
    return None if value is None else float(value)


def _series(label: str, values, **extra) -> dict:
    return {"label": label, "data": [_number(value) for value in values], **extra}


def chart_data(dashboard: Dashboard) -> dict[str, dict]:
    """One Chart.js description per chart: kind ("bar", "stacked", "line"), labels, series;
    ``integer`` for counts (whole ticks), ``min``/``max`` for fixed scales (scores, %)."""
    tickets = dashboard.tickets
    sla = dashboard.sla
    trend = dashboard.satisfaction
    return {
        "tickets": {
            "kind": "stacked",
            "integer": True,
            "labels": [row.label for row in tickets.rows],
            "datasets": [
                _series(label, [row.counts[i] for row in tickets.rows])
                for i, (_kind, label) in enumerate(tickets.kinds)
            ],
        },
        "sla": {
            "kind": "stacked",
            "integer": True,
            "labels": [row.label for row in sla],
            "datasets": [
                _series(_("Resolved within SLA"), [row.met for row in sla]),
                _series(_("Resolved late"), [row.late for row in sla]),
                _series(_("Open past deadline"), [row.open_overdue for row in sla]),
            ],
        },
        "satisfaction": {
            "kind": "line",
            "labels": [bucket_label(dashboard, row.bucket) for row in trend.rows],
            "min": 1,
            "max": 5,
            "datasets": [
                _series(_("Average score"), [row.average for row in trend.rows]),
                _series(
                    _("Surveys answered"),
                    [row.answered for row in trend.rows],
                    type="bar",
                    yAxisID="count",
                ),
            ],
        },
        "top_ups": {
            "kind": "bar",
            "labels": [row.label for row in dashboard.top_ups.rows],
            "datasets": [
                _series(_("Amount (CNY)"), [row.amount for row in dashboard.top_ups.rows])
            ],
        },
        "revenue": {
            "kind": "stacked",
            "labels": [f"{row.month:%Y-%m}" for row in dashboard.revenue.rows],
            "datasets": [
                _series(_("Monthly fees (CNY)"), [row.fees for row in dashboard.revenue.rows]),
                _series(_("Usage charges (CNY)"), [row.usage for row in dashboard.revenue.rows]),
            ],
        },
        "training": {
            "kind": "bar",
            "labels": [row.title for row in dashboard.training.rows],
            "max": 100,
            "datasets": [
                _series(_("Pass rate (%)"), [row.rate for row in dashboard.training.rows])
            ],
        },
        "kpis": {
            "kind": "bar",
            "horizontal": True,
            "labels": [
                kpi.user.get_full_name() or kpi.user.get_username() for kpi in dashboard.kpis.rows
            ],
            "max": 100,
            "datasets": [
                _series(
                    _("Incentive score"),
                    [kpi.incentive_score or Decimal(0) for kpi in dashboard.kpis.rows],
                )
            ],
        },
    }
