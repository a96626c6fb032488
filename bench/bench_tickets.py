"""Tickets: queue page, ticket detail (page and API) and the SLA sweep over 10,000 tickets.

python -m bench.bench_tickets [--tickets 10000] [--customers 2000] [--repeat 200] [--profile]

Builds, in bulk (fixture rows, not business writes), ``--customers`` customers with a billing
account and a mobile line (every 4th also broadband), a small staff per role, and ``--tickets``
tickets spread like a working day: 40 % faults, 25 % complaints, 15 % billing disputes, 20 %
inquiries, in their kind's queue (1 in 23 escalated to the supervisors); 60 % open (new,
assigned, in progress, waiting for the customer), the rest resolved, closed or cancelled; open
tickets created over the last 3 days with their SLA deadlines (the breached ones already
escalated once, as the sweep leaves them), finished ones over the last 30 days. Each ticket has
3 notes (2 internal, 1 for the customer), 2 history events and its guardian permissions;
resolved and closed tickets have a survey.

Then, in-process with ``django.test.Client`` signed in as a tech-support engineer and as a
complaint coordinator: the first page of their queue (``ticket-queue`` page and
``/api/v1/tickets/?queue=...``) and a ticket's detail (``ticket-detail`` page and
``/api/v1/tickets/<pk>/``): queries (page size 25 against 100, a ticket with 3 notes against
one with 30) and p50/p95 over ``--repeat`` requests. A URL that does not resolve yet is reported
as ``"missing"``. Finally the SLA sweep (``complaints.escalation.escalate_breached_tickets``)
with every ticket open and breached (worst case), and the sweep that finds nothing to do.

Targets: constant queries, at most 8 per request; p95 <= 30 ms; the sweep <= 2 s.
"""

import argparse
import datetime
import os
import re
import time
from collections import Counter
from contextlib import contextmanager

# Before Django starts: requests and the sweep run as in production, without the query log
# (queries are counted by CaptureQueriesContext, which turns the log on for its block only).
os.environ.setdefault("DEBUG", "false")

from bench.harness import benchmark_database, emit, peak_memory_mb, timings_ms

BATCH = 2000
OPEN_SHARE_DAYS = 3
FINISHED_SHARE_DAYS = 30
# Out of 20: the mix of kinds, and of statuses (12 of 20 open).
KIND_MIX = ("fault",) * 8 + ("complaint",) * 5 + ("billing_dispute",) * 3 + ("inquiry",) * 4
STATUS_MIX = (
    ("new",) * 3
    + ("assigned",) * 3
    + ("in_progress",) * 4
    + ("waiting_customer",) * 2
    + ("resolved",) * 3
    + ("closed",) * 4
    + ("cancelled",) * 1
)
PRIORITY_MIX = ("urgent",) + ("high",) * 2 + ("normal",) * 6 + ("low",)
STAFF = {  # role value: how many
    "service_specialist": 6,
    "tech_support_engineer": 8,
    "complaint_coordinator": 4,
    "supervisor": 2,
}
SUBJECTS = {
    "fault": ("家中室内手机信号弱，通话经常中断", "宽带每天晚上频繁掉线", "固定电话无拨号音"),
    "complaint": ("多次报修仍未解决，要求投诉", "营业厅排队时间过长", "工作人员态度冷淡"),
    "billing_dispute": ("本月流量费异常", "彩铃功能费重复收取", "国内漫游通话费有异议"),
    "inquiry": ("咨询套餐包含的流量", "查询话费清单", "咨询宽带提速"),
}
CATEGORY = {
    "fault": "mobile_signal",
    "complaint": "service_quality",
    "billing_dispute": "billing",
    "inquiry": "products",
}
NOTE_BODY = (
    "已与客户电话联系，核实了故障现象和发生时间，客户表示问题从上周开始出现，"
    "晚上尤为明显。已记录客户方便联系的时间段。"
)


def batched(items, size=BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextmanager
def given_timestamps(*models):
    """Keep the created_at the fixture sets (auto_now_add would overwrite it on insert)."""
    fields = [model._meta.get_field("created_at") for model in models]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def build_staff() -> dict[str, list]:
    from django.contrib.auth.models import Group

    from tests.portal.factories import UserFactory

    staff = {}
    for role, count in STAFF.items():
        group = Group.objects.get(name=role)
        staff[role] = []
        for n in range(count):
            user = UserFactory(username=f"bench-{role}-{n}")
            user.groups.add(group)
            staff[role].append(user)
    return staff


def build_customers(count: int) -> list[tuple[int, int]]:
    """Customers with an account and a mobile line; returns (customer id, mobile line id)."""
    from crm.choices import Channel, CustomerKind, DocumentType, SubscriptionKind
    from crm.models import BillingAccount, Customer, Subscription

    for rows in batched(range(count)):
        Customer.objects.bulk_create(
            Customer(
                customer_number=f"8{n:09d}",
                kind=CustomerKind.INDIVIDUAL,
                name=f"客户{n}",
                document_type=DocumentType.PASSPORT,
                document_number=f"T{n:08d}",
                contact_phone=f"137{n:08d}",
                channel=Channel.BUSINESS_HALL,
            )
            for n in rows
        )
    customer_ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    BillingAccount.objects.bulk_create(
        (BillingAccount(account_number=f"T{pk:010d}", customer_id=pk) for pk in customer_ids),
        batch_size=BATCH,
    )
    accounts = dict(BillingAccount.objects.values_list("customer", "pk"))
    lines = []
    for n, pk in enumerate(customer_ids):
        common = {
            "customer_id": pk,
            "billing_account_id": accounts[pk],
            "activated_on": datetime.date(2025, 12, 1),
        }
        lines.append(Subscription(kind=SubscriptionKind.MOBILE, msisdn=f"136{n:08d}", **common))
        if n % 4 == 0:
            lines.append(Subscription(kind=SubscriptionKind.BROADBAND, **common))
    Subscription.objects.bulk_create(lines, batch_size=BATCH)
    return list(
        Subscription.objects.filter(kind=SubscriptionKind.MOBILE)
        .order_by("customer")
        .values_list("customer", "pk")
    )


def build_tickets(count: int, lines: list[tuple[int, int]], staff: dict, now) -> None:
    from complaints.choices import QUEUE_FOR_KIND, NoteVisibility, TicketEventKind, TicketKind
    from complaints.models import SlaPolicy, Survey, Ticket, TicketEvent, TicketNote
    from complaints.permissions import QUEUE_ROLE, sync_many_ticket_permissions

    policies = {(p.kind, p.priority): p for p in SlaPolicy.objects.all()}
    members = {queue: staff[role.value] for queue, role in QUEUE_ROLE.items()}
    reception = staff["service_specialist"][0]
    open_span = OPEN_SHARE_DAYS * 24 * 60
    finished_span = FINISHED_SHARE_DAYS * 24 * 60
    tickets = []
    for n in range(count):
        kind = KIND_MIX[n % 20]
        status = STATUS_MIX[(n // 20) % 20]
        priority = PRIORITY_MIX[(n // 7) % 10]
        is_open = status in ("new", "assigned", "in_progress", "waiting_customer")
        queue = QUEUE_FOR_KIND[TicketKind(kind)]
        escalated = n % 23 == 22 and status != "new"
        if escalated:
            queue = "supervisor"
        # Spread over the window, newest first, with a stride so kinds and statuses mix in time.
        minutes = (n * 37) % (open_span if is_open else finished_span)
        created = now - datetime.timedelta(minutes=minutes)
        policy = policies[(kind, priority)]
        response_due = created + datetime.timedelta(minutes=policy.response_minutes)
        resolution_due = created + datetime.timedelta(minutes=policy.resolution_minutes)
        responded = created + datetime.timedelta(minutes=10) if status != "new" else None
        ticket = Ticket(
            number=f"TB{n:08d}",
            kind=kind,
            category=CATEGORY[kind],
            priority=priority,
            status=status,
            queue=queue,
            customer_id=lines[n % len(lines)][0],
            subscription_id=lines[n % len(lines)][1],
            channel="hotline",
            subject=SUBJECTS[kind][n % 3],
            description=NOTE_BODY,
            assignee=None if status == "new" else members[queue][n % len(members[queue])],
            created_by=reception,
            response_due_at=response_due,
            resolution_due_at=resolution_due,
            first_response_at=responded,
            paused_at=created + datetime.timedelta(hours=1)
            if status == "waiting_customer"
            else None,
            escalation_level=1 if escalated else 0,
            resolved_at=created + datetime.timedelta(hours=5)
            if status in ("resolved", "closed")
            else None,
            closed_at=created + datetime.timedelta(days=2) if status == "closed" else None,
            created_at=created,
        )
        # The sweep has already escalated what is breached: the realistic "nothing to do" start.
        if is_open and ticket.paused_at is None:
            if resolution_due < now:
                ticket.resolution_breach_escalated_for = resolution_due
            if responded is None and response_due < now:
                ticket.response_breach_escalated_for = response_due
        tickets.append(ticket)
    with given_timestamps(Ticket):
        Ticket.objects.bulk_create(tickets, batch_size=BATCH)
    tickets = list(Ticket.objects.order_by("pk"))
    notes, events, surveys = [], [], []
    for ticket in tickets:
        worker = ticket.assignee_id or reception.pk
        notes += [
            TicketNote(ticket=ticket, author=reception, body=NOTE_BODY),
            TicketNote(
                ticket=ticket,
                author_id=worker,
                body="您好，我们已收到您的反馈，工程师正在处理，请保持电话畅通。",
                visibility=NoteVisibility.CUSTOMER,
            ),
            TicketNote(ticket=ticket, author_id=worker, body="已远程检测，需进一步核查。"),
        ]
        events += [
            TicketEvent(
                ticket=ticket, kind=TicketEventKind.STATUS, to_value="new", actor=reception
            ),
            TicketEvent(
                ticket=ticket,
                kind=TicketEventKind.STATUS,
                from_value="new",
                to_value=ticket.status,
                actor_id=worker,
            ),
        ]
        if ticket.status == "resolved":
            surveys.append(Survey(ticket=ticket, send_after=now + datetime.timedelta(hours=12)))
        elif ticket.status == "closed":
            surveys.append(
                Survey(
                    ticket=ticket,
                    status="answered",
                    send_after=ticket.resolved_at,
                    sent_at=ticket.resolved_at,
                    answered_at=ticket.resolved_at,
                    score=4,
                    resolved=True,
                )
            )
    TicketNote.objects.bulk_create(notes, batch_size=BATCH * 2)
    TicketEvent.objects.bulk_create(events, batch_size=BATCH * 2)
    Survey.objects.bulk_create(surveys, batch_size=BATCH)
    for chunk in batched(tickets):
        sync_many_ticket_permissions(chunk)
    analyze()


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would have them after such a load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def measure(client, url: str, repeat: int, *, profile: bool = False) -> dict:
    """Queries of one request (after a warm-up one, which also fills the content-type cache),
    then its latency over ``repeat`` requests."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        return {"url": url, "status": response.status_code}
    figures = {"url": url, "queries": len(queries), "rows": rows_in(response)}
    if profile:
        figures["sql"] = [
            {"ms": round(float(query["time"]) * 1000, 2), "sql": query["sql"][:160]}
            for query in queries.captured_queries
        ]
    if repeat:
        figures.update(timings_ms(lambda: client.get(url), repeat=repeat))
    return figures


def rows_in(response) -> int:
    """How many tickets a list shows (the benchmark's ticket numbers all start with TB)."""
    if response.get("Content-Type", "").startswith("application/json"):
        data = response.json()
        return len(data["results"]) if "results" in data else 1
    return len(set(re.findall(rb"TB\d{8}", response.content)))


def resolve_or_none(name: str, *args, urlconf: str | None = None) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args, urlconf=urlconf)
    except NoReverseMatch:
        return None


def compare(client, url: str) -> int | str:
    figures = measure(client, url, 0)
    return figures.get("queries", f"status {figures.get('status')}")


def measure_role(user, queue, ticket_3, ticket_30, repeat, profile) -> dict:
    client = _client_for(user)
    results = {}
    page = resolve_or_none("ticket-queue")
    if page is None:
        results["queue_page"] = "missing"
    else:
        # The page has a fixed page size: its constancy is checked against a shorter page (the
        # last page of the user's own tickets; the paginator turns a page past the end into it).
        results["queue_page"] = measure(client, page, repeat, profile=profile)
        short = measure(client, f"{page}?mine=1&page=9999", 0)
        results["queue_page"]["short_page"] = {key: short.get(key) for key in ("queries", "rows")}
    api = f"/api/v1/tickets/?queue={queue}"
    results["api_list"] = measure(client, api, repeat, profile=profile)
    results["api_list"]["queries_page_size_100"] = compare(client, f"{api}&page_size=100")
    detail = resolve_or_none("ticket-detail", ticket_3.pk)
    if detail is None:
        results["detail_page"] = "missing"
    else:
        results["detail_page"] = measure(client, detail, repeat, profile=profile)
        more = resolve_or_none("ticket-detail", ticket_30.pk)
        results["detail_page"]["queries_30_notes"] = compare(client, more)
    # The staff workspaces' lists of the role: the fault queue, the disputes.
    for name, label in (
        ("workspaces:fault-queue", "fault_queue"),
        ("workspaces:disputes", "disputes"),
    ):
        url = resolve_or_none(name)
        if url is not None and queue in ("tech_support", "complaints"):
            figures = measure(client, url, repeat, profile=profile)
            if figures.get("status") != 403:
                results[label] = figures
    results["api_detail"] = measure(client, f"/api/v1/tickets/{ticket_3.pk}/", repeat)
    results["api_detail"]["queries_30_notes"] = compare(client, f"/api/v1/tickets/{ticket_30.pk}/")
    return results


def detail_tickets(user, queue: str):
    """Two open tickets of ``user`` in ``queue``: one as built (3 notes), one given 30 notes."""
    from complaints.models import Ticket, TicketNote

    ticket_3, ticket_30 = Ticket.objects.filter(
        assignee=user, queue=queue, status="in_progress"
    ).order_by("pk")[:2]
    TicketNote.objects.bulk_create(
        TicketNote(ticket=ticket_30, author=user, body=f"补充说明 {n}") for n in range(27)
    )
    return ticket_3, ticket_30


class StatementTimer:
    """An execute wrapper: how many statements of each kind the sweep ran, and their time."""

    def __init__(self):
        self.count = Counter()
        self.seconds = Counter()

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            verb = sql.lstrip().split(" ", 1)[0].upper()
            self.count[verb] += 1
            self.seconds[verb] += time.perf_counter() - started


def breach_everything(now) -> int:
    """Worst case: every ticket open, running and past both deadlines, never escalated."""
    from django.db.models import Case, Value, When

    from complaints.choices import QUEUE_FOR_KIND
    from complaints.models import Ticket

    return Ticket.objects.update(
        status=Case(
            When(status__in=["new", "assigned"], then="status"),
            default=Value("in_progress"),
        ),
        queue=Case(*(When(kind=kind, then=Value(queue)) for kind, queue in QUEUE_FOR_KIND.items())),
        escalation_level=0,
        paused_at=None,
        response_due_at=now - datetime.timedelta(hours=3),
        resolution_due_at=now - datetime.timedelta(hours=1),
        resolution_breach_escalated_for=None,
        response_breach_escalated_for=None,
    )


def sweep(now, profile: bool) -> dict:
    from django.db import connection

    from complaints.escalation import escalate_breached_tickets

    timer = StatementTimer()
    with connection.execute_wrapper(timer):
        started = time.perf_counter()
        escalated = escalate_breached_tickets(now=now)
        seconds = time.perf_counter() - started
    figures = {"escalated": escalated, "seconds": round(seconds, 2), "queries": timer.count.total()}
    if profile:
        figures["by_statement"] = {
            verb: {"n": timer.count[verb], "s": round(timer.seconds[verb], 2)}
            for verb in timer.count
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print each query and its time")
    args = parser.parse_args()

    from django.utils import timezone

    with benchmark_database():
        from complaints.models import Ticket

        now = timezone.now()
        started = time.perf_counter()
        staff = build_staff()
        lines = build_customers(args.customers)
        build_tickets(args.tickets, lines, staff, now)
        build_seconds = time.perf_counter() - started
        open_tickets = Ticket.objects.filter(
            status__in=["new", "assigned", "in_progress", "waiting_customer"]
        ).count()

        roles = {}
        for label, role, queue in (
            ("tech_support", "tech_support_engineer", "tech_support"),
            ("coordinator", "complaint_coordinator", "complaints"),
        ):
            user = staff[role][0]
            ticket_3, ticket_30 = detail_tickets(user, queue)
            roles[label] = measure_role(user, queue, ticket_3, ticket_30, args.repeat, args.profile)

        idle = sweep(timezone.now(), args.profile)
        breached = breach_everything(timezone.now())
        worst = sweep(timezone.now(), args.profile)
        again = sweep(timezone.now(), args.profile)
        emit(
            "tickets",
            tickets=args.tickets,
            open_tickets=open_tickets,
            customers=args.customers,
            build_seconds=round(build_seconds, 1),
            **roles,
            sweep_realistic_nothing_to_do=idle,
            sweep_all_breached={"tickets": breached, **worst},
            sweep_after_worst_nothing_to_do=again,
            peak_rss_mb=peak_memory_mb(),
        )


if __name__ == "__main__":
    main()
