"""The supervisor's dashboard over 100,000 customers and 1,000,000 records.

python -m bench.dashboard [--customers 100000] [--records 1000000] [--repeat 200]

Builds, in bulk (fixture rows, not business writes; ``portal.bulk_sql.insert_rows``), on a
throw-away database: 200 staff in teams (``bench.kpi.build_staff``), ``--customers`` customers
each with a billing account and a mobile line, and ``--records`` records spread over the last
365 days up to now: 25 % tickets (older than a week: 85 % resolved, 1 in 6 of those late, the
rest cancelled; of the last week's, half still open with their deadline, some past it),
10 % answered surveys (scores 1-5), 15 % top-ups on the five channels
with 15 % their ledger entries, 30 % revenue entries (monthly fees, one per line and month, and
usage charges, by billing month), 5 % finished assessment attempts; then every month's staff
KPIs (``training.kpis.compute_monthly_kpis``) and ``ANALYZE``.

Measured, in-process with ``django.test.Client`` (``DEBUG=false``) signed in as a supervisor:

- the on-demand rollup of the 365 days (the first dashboard on an empty rollup table) and the
  nightly refresh of the last 31 days (``portal.reports.rollups``);
- the dashboard page for this month, last month, the last 90 days and the whole year: queries
  (counted on the request after a warm-up one) and p50/p95 over ``--repeat`` requests;
- the same figures straight from the source tables, without rollups (the six aggregate
  queries of ``portal.reports.rollups.aggregate`` over the period), to show what the rollups save;
- a CSV export and the monthly report PDF of last month.

Target: a constant number of queries; p95 <= 100 ms for the dashboard.
"""

import argparse
import datetime
import os
import time
import uuid
from decimal import Decimal

os.environ.setdefault("DEBUG", "false")

from bench.harness import benchmark_database, emit, peak_memory_mb, timings_ms

CHUNK = 20_000
DAYS = 365
RECENT = datetime.timedelta(days=7)
SHARES = {  # per 100 records
    "tickets": 25,
    "surveys": 10,
    "top_ups": 15,  # and as many ledger entries
    "revenue": 30,
    "attempts": 5,
}
KINDS = ("fault",) * 8 + ("complaint",) * 5 + ("billing_dispute",) * 3 + ("inquiry",) * 4
QUEUE = {
    "fault": "tech_support",
    "complaint": "complaints",
    "billing_dispute": "complaints",
    "inquiry": "first_contact",
}
CATEGORIES = (
    "mobile_signal",
    "mobile_data",
    "broadband",
    "fixed_line",
    "billing",
    "service_quality",
    "products",
    "other",
)
CHANNELS = (
    *("online",) * 3,
    "business_hall",
    "bank_card",
    "voucher",
    "self_service_terminal",
)


def chunks(total: int):
    for start in range(0, total, CHUNK):
        yield range(start, min(start + CHUNK, total))


def moment(n: int, now: datetime.datetime) -> datetime.datetime:
    """Record ``n``'s time: spread evenly (and shuffled) over the last 365 days."""
    minutes = DAYS * 24 * 60
    return now - datetime.timedelta(minutes=(n * 7919) % minutes)


def build_tickets(count: int, lines, staff, now) -> list[tuple[int, datetime.datetime]]:
    from complaints.models import Ticket
    from portal.bulk_sql import insert_rows

    fields = [
        "number",
        "kind",
        "category",
        "priority",
        "status",
        "queue",
        "customer",
        "subscription",
        "channel",
        "subject",
        "description",
        "assignee",
        "created_by",
        "response_due_at",
        "resolution_due_at",
        "paused_seconds",
        "escalation_level",
        "resolved_at",
        "closed_at",
        "created_at",
        "updated_at",
    ]
    for numbers in chunks(count):
        rows = []
        for n in numbers:
            created = moment(n, now)
            kind = KINDS[n % len(KINDS)]
            customer, line = lines[n % len(lines)]
            deadline = created + datetime.timedelta(hours=24)
            resolved_at = created + datetime.timedelta(hours=30 if n % 6 == 0 else 5)
            # A working service centre: what is older than a week is finished (resolved, or
            # cancelled); half of the last week's tickets are still open.
            still_open = created > now - RECENT and n % 2 == 0
            resolved = not still_open and n % 20 < 17 and resolved_at < now
            if resolved:
                status = "closed"
            elif still_open or resolved_at >= now:
                status = "in_progress" if n % 4 else "new"
            else:
                status = "cancelled"
            rows.append(
                (
                    f"TB{n:010d}",
                    kind,
                    CATEGORIES[(n // 3) % len(CATEGORIES)],
                    "normal",
                    status,
                    QUEUE[kind],
                    customer,
                    line,
                    "hotline",
                    "基准测试工单",
                    "基准测试工单描述",
                    staff[n % len(staff)],
                    staff[(n + 1) % len(staff)],
                    created + datetime.timedelta(hours=2),
                    deadline,
                    0,
                    0,
                    resolved_at if resolved else None,
                    resolved_at if resolved else None,
                    created,
                    created,
                )
            )
        insert_rows(Ticket, fields, rows)
    return list(
        Ticket.objects.filter(resolved_at__isnull=False)
        .order_by("pk")
        .values_list("pk", "resolved_at")
    )


def build_surveys(count: int, resolved, now) -> None:
    from complaints.models import Survey
    from portal.bulk_sql import insert_rows

    fields = [
        "ticket",
        "token",
        "status",
        "send_after",
        "sent_at",
        "answered_at",
        "score",
        "resolved",
        "comment",
        "created_at",
    ]
    count = min(count, len(resolved))
    step = len(resolved) / count
    for numbers in chunks(count):
        rows = []
        for n in numbers:
            ticket, resolved_at = resolved[int(n * step)]
            answered = min(resolved_at + datetime.timedelta(hours=26), now)
            score = 1 + (n * 7 + n // 5) % 5
            rows.append(
                (
                    ticket,
                    uuid.uuid4(),
                    "answered",
                    resolved_at,
                    resolved_at,
                    answered,
                    score,
                    score > 2,
                    "",
                    resolved_at,
                )
            )
        insert_rows(Survey, fields, rows)


def build_top_ups(count: int, accounts, staff, now) -> None:
    from billing.models import LedgerEntry, TopUp
    from portal.bulk_sql import insert_rows

    amounts = (Decimal("30.00"), Decimal("50.00"), Decimal("100.00"), Decimal("200.00"))
    for numbers in chunks(count):
        top_ups, entries = [], []
        for n in numbers:
            when = moment(n * 3 + 1, now)
            account = accounts[n % len(accounts)]
            amount = amounts[n % len(amounts)]
            top_ups.append(
                (account, amount, CHANNELS[n % len(CHANNELS)], "", "", "", staff[0], when)
            )
            entries.append((account, "top_up", amount, amount, "", when))
        insert_rows(
            TopUp,
            [
                "account",
                "amount",
                "channel",
                "reference",
                "bank",
                "request_fingerprint",
                "actor",
                "created_at",
            ],
            top_ups,
        )
        insert_rows(
            LedgerEntry,
            ["account", "kind", "amount", "balance_after", "description", "created_at"],
            entries,
        )


def build_revenue(count: int, lines_with_accounts, now) -> None:
    """Half monthly fees (each line at most once per billing month, posted on the 1st after
    the month), half usage charges posted during the month they belong to."""
    from billing.models import LedgerEntry
    from portal.bulk_sql import insert_rows

    today = now.date()
    months = []
    month = today.replace(day=1)
    for _ in range(12):
        months.append(month)
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    fields = [
        "account",
        "kind",
        "amount",
        "balance_after",
        "description",
        "subscription",
        "period",
        "created_at",
    ]
    fees_per_month = min(count // 2 // 12, len(lines_with_accounts))
    fee_rows = [
        (m, i) for m in months[1:] for i in range(fees_per_month)
    ]  # the current month has no fee yet
    usage = count - len(fee_rows)
    zone = now.tzinfo
    for numbers in chunks(len(fee_rows)):
        rows = []
        for n in numbers:
            period, i = fee_rows[n]
            line, account = lines_with_accounts[i]
            posted = datetime.datetime.combine(
                (period + datetime.timedelta(days=32)).replace(day=1),
                datetime.time(2, 0),
                tzinfo=zone,
            )
            rows.append(
                (account, "monthly_fee", Decimal("-58.00"), Decimal("0"), "", line, period, posted)
            )
        insert_rows(LedgerEntry, fields, rows)
    for numbers in chunks(usage):
        rows = []
        for n in numbers:
            when = moment(n * 5 + 2, now)
            line, account = lines_with_accounts[n % len(lines_with_accounts)]
            amount = -Decimal(f"{1 + n % 37}.{n % 100:02d}")
            period = when.astimezone(zone).date().replace(day=1)
            rows.append((account, "usage_charge", amount, Decimal("0"), "", line, period, when))
        insert_rows(LedgerEntry, fields, rows)


def build_attempts(count: int, staff, now) -> None:
    from portal.bulk_sql import insert_rows
    from training.models import Assessment, Attempt

    assessments = list(Assessment.objects.order_by("pk").values_list("pk", "pass_mark"))
    numbers_taken: dict[tuple[int, int], int] = {}
    fields = [
        "assessment",
        "user",
        "number",
        "seed",
        "status",
        "started_at",
        "deadline_at",
        "submitted_at",
        "question_count",
        "correct_count",
        "score",
        "pass_mark",
        "passed",
    ]
    for numbers in chunks(count):
        rows = []
        for n in numbers:
            assessment, pass_mark = assessments[n % len(assessments)]
            user = staff[(n // len(assessments)) % len(staff)]
            number = numbers_taken.get((assessment, user), 0) + 1
            numbers_taken[(assessment, user)] = number
            submitted = moment(n * 11 + 3, now)
            score = Decimal(20 + (n * 13) % 81)
            rows.append(
                (
                    assessment,
                    user,
                    number,
                    n,
                    "submitted",
                    submitted - datetime.timedelta(minutes=10),
                    submitted + datetime.timedelta(minutes=5),
                    submitted,
                    10,
                    int(score) // 10,
                    score,
                    pass_mark,
                    score >= pass_mark,
                )
            )
        insert_rows(Attempt, fields, rows)


def supervisor_client():
    from django.contrib.auth.models import Group
    from django.test import Client

    from tests.portal.factories import UserFactory

    user = UserFactory(username="bench-dashboard-supervisor")
    user.groups.add(Group.objects.get(name="supervisor"))
    client = Client()
    client.force_login(user)
    return client


def counted(action):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
    return result, round(seconds, 2), len(queries)


def profile_request(client, url: str, query: dict) -> dict:
    """One request's queries with their time, and the rest (Python: views, templates)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        client.get(url, query)
        total_ms = (time.perf_counter() - started) * 1000
    timed = [(float(q["time"]) * 1000, q["sql"][:90]) for q in queries.captured_queries]
    sql_ms = sum(ms for ms, _sql in timed)
    return {
        "total_ms": round(total_ms, 1),
        "sql_ms": round(sql_ms, 1),
        "python_ms": round(total_ms - sql_ms, 1),
        "queries": [f"{ms:.1f} ms {sql}" for ms, sql in timed],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--profile", action="store_true", help="add each query's time for the 365-day page"
    )
    args = parser.parse_args()
    share = {name: args.records * part // 100 for name, part in SHARES.items()}
    with benchmark_database():
        from django.db import connection
        from django.urls import reverse
        from django.utils import timezone

        from bench.kpi import build_customers, build_staff
        from crm.models import Subscription
        from portal.months import previous_month
        from portal.reports.rollups import aggregate, ensure_rolled_up, refresh_recent_days
        from portal.reports.services import generate_monthly_report
        from training.kpis import compute_monthly_kpis

        started = time.perf_counter()
        now = timezone.localtime()
        staff = build_staff(200)
        lines = build_customers(args.customers)
        with_accounts = list(
            Subscription.objects.order_by("pk").values_list("pk", "billing_account_id")
        )
        resolved = build_tickets(share["tickets"], lines, staff, now)
        build_surveys(share["surveys"], resolved, now)
        build_top_ups(share["top_ups"], [a for _, a in with_accounts], staff, now)
        build_revenue(share["revenue"], with_accounts, now)
        build_attempts(share["attempts"], staff, now)
        month = now.date().replace(day=1)
        for _ in range(12):
            compute_monthly_kpis(month)
            month = previous_month(month)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        build_seconds = round(time.perf_counter() - started, 1)
        records = (
            share["tickets"]
            + share["surveys"]
            + 2 * share["top_ups"]
            + share["revenue"]
            + share["attempts"]
        )

        today = timezone.localdate()
        yesterday = today - datetime.timedelta(days=1)
        year_start = today - datetime.timedelta(days=DAYS - 1)
        rolled, rollup_s, rollup_queries = counted(
            lambda: ensure_rolled_up(year_start.replace(day=1), yesterday)
        )
        refreshed, refresh_s, refresh_queries = counted(refresh_recent_days)

        client = supervisor_client()
        url = reverse("workspace-supervisor")
        periods = {
            "this_month": {"preset": "this_month"},
            "last_month": {"preset": "last_month"},
            "last_90_days": {"preset": "last_90_days"},
            "last_365_days": {"start": year_start.isoformat(), "end": today.isoformat()},
        }
        pages = {}
        for name, query in periods.items():
            client.get(url, query)  # warm-up (and any rollup the period still needs)
            response, _seconds, queries = counted(lambda query=query: client.get(url, query))
            if response.status_code != 200:
                raise SystemExit(f"{url} {query} answered {response.status_code}")
            pages[name] = {
                **timings_ms(lambda query=query: client.get(url, query), repeat=args.repeat),
                "queries": queries,
            }
        profile = None
        if args.profile:
            profile = profile_request(client, url, periods["last_365_days"])
        live = {}
        for name, first in (
            ("last_90_days", today - datetime.timedelta(days=89)),
            ("last_365_days", year_start),
        ):
            live[name] = {
                **timings_ms(lambda first=first: aggregate(first, today), repeat=10, warmup=1),
                "queries": 6,
            }
        csv_url = reverse("reports:dashboard-csv", args=["tickets"])
        csv = timings_ms(lambda: client.get(csv_url, {"preset": "last_90_days"}), repeat=50)
        _report, report_s, report_queries = counted(
            lambda: generate_monthly_report(previous_month(today))
        )
        emit(
            "dashboard",
            customers=args.customers,
            records=records,
            tickets=share["tickets"],
            surveys=share["surveys"],
            top_ups=share["top_ups"],
            revenue_entries=share["revenue"],
            attempts=share["attempts"],
            rollup_cold={
                "days": (yesterday - year_start.replace(day=1)).days + 1,
                "rows": rolled,
                "s": rollup_s,
                "queries": rollup_queries,
            },
            rollup_nightly={"rows": refreshed, "s": refresh_s, "queries": refresh_queries},
            dashboard=pages,
            without_rollups=live,
            csv_last_90_days=csv,
            monthly_report={"s": report_s, "queries": report_queries},
            build_s=build_seconds,
            peak_rss_mb=peak_memory_mb(),
            **({"profile_last_365_days": profile} if profile else {}),
        )


if __name__ == "__main__":
    main()
