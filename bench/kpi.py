"""Monthly staff KPIs: 200 staff, 100,000 tickets and 50,000 interactions in one month.

python -m bench.kpi [--staff 200] [--tickets 100000] [--interactions 50000] [--orders 10000]

Builds, in bulk (fixture rows, not business writes), on a throw-away database: ``--staff`` staff
members (70 % service specialists, 15 % tech-support engineers, 8 % complaint coordinators,
5 % sales advisors, 2 % supervisors) in teams of 20, 2,000 customers with a mobile line, and in
November 2026 (Asia/Shanghai): ``--tickets`` tickets (85 % resolved, each with its opening and
resolution events, 1 in 10 escalated, 1 in 6 past its deadline; the rest open or cancelled),
a survey answered for 40 % of the resolved ones (scores 1–5), ``--interactions`` contacts,
``--orders`` service orders (half completed, with a fee) and 2 finished assessment attempts per
staff member. Then ``ANALYZE``.

Measures ``training.kpis.compute_monthly_kpis`` for the month: the first computation, and a
recomputation that replaces the rows (the nightly job), with the number of queries each.

Target: ≤ 10 s on PostgreSQL, set-based (a constant number of queries).
"""

import argparse
import datetime
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

from bench.harness import benchmark_database, emit, peak_memory_mb

BATCH = 5000
MONTH = datetime.date(2026, 11, 1)
SHANGHAI = ZoneInfo("Asia/Shanghai")
ROLE_SHARE = (  # role, per 100 staff
    ("service_specialist", 70),
    ("tech_support_engineer", 15),
    ("complaint_coordinator", 8),
    ("sales_advisor", 5),
    ("supervisor", 2),
)
KINDS = ("inquiry", "fault", "complaint", "billing_dispute")
CATEGORIES = ("mobile_signal", "mobile_data", "broadband", "billing", "service_quality", "products")


def in_month(n: int, spread: int = 29 * 24 * 60) -> datetime.datetime:
    start = datetime.datetime.combine(MONTH, datetime.time(0, 5), tzinfo=SHANGHAI)
    return start + datetime.timedelta(minutes=(n * 7919) % spread)


def auto_now_off(*models):
    """Keep the created_at the fixture sets (auto_now_add would overwrite it on insert)."""
    for model in models:
        model._meta.get_field("created_at").auto_now_add = False


def build_staff(count: int) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from training.models import Team, TeamMember

    user_model = get_user_model()
    user_model.objects.bulk_create(
        user_model(username=f"bench-staff-{n}", first_name=f"{n}", last_name="员工")
        for n in range(count)
    )
    users = list(user_model.objects.filter(username__startswith="bench-staff-").order_by("pk"))
    groups = {group.name: group for group in Group.objects.all()}
    through = user_model.groups.through
    memberships, start = [], 0
    for role, share in ROLE_SHARE:
        size = max(1, count * share // 100)
        memberships += [
            through(user_id=user.pk, group_id=groups[role].pk)
            for user in users[start : start + size]
        ]
        start += size
    memberships += [
        through(user_id=user.pk, group_id=groups["service_specialist"].pk) for user in users[start:]
    ]
    through.objects.bulk_create(memberships)
    supervisors = [
        u
        for u in users
        if any(m.user_id == u.pk and m.group_id == groups["supervisor"].pk for m in memberships)
    ]
    teams = Team.objects.bulk_create(
        Team(name=f"第{n + 1}组", supervisor=supervisors[n % len(supervisors)])
        for n in range((count + 19) // 20)
    )
    TeamMember.objects.bulk_create(
        TeamMember(team=teams[n // 20], user=user) for n, user in enumerate(users)
    )
    return [user.pk for user in users]


def build_customers(count: int) -> list[tuple[int, int]]:
    from crm.choices import Channel, CustomerKind, DocumentType, SubscriptionKind
    from crm.models import BillingAccount, Customer, Subscription

    Customer.objects.bulk_create(
        (
            Customer(
                customer_number=f"8{n:09d}",
                kind=CustomerKind.INDIVIDUAL,
                name=f"客户{n}",
                document_type=DocumentType.PASSPORT,
                document_number=f"K{n:08d}",
                contact_phone=f"137{n:08d}",
                channel=Channel.BUSINESS_HALL,
            )
            for n in range(count)
        ),
        batch_size=BATCH,
    )
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    BillingAccount.objects.bulk_create(
        (BillingAccount(account_number=f"K{pk:010d}", customer_id=pk) for pk in ids),
        batch_size=BATCH,
    )
    accounts = dict(BillingAccount.objects.values_list("customer", "pk"))
    Subscription.objects.bulk_create(
        (
            Subscription(
                kind=SubscriptionKind.MOBILE,
                msisdn=f"136{n:08d}",
                customer_id=pk,
                billing_account_id=accounts[pk],
                activated_on=datetime.date(2025, 12, 1),
            )
            for n, pk in enumerate(ids)
        ),
        batch_size=BATCH,
    )
    return list(Subscription.objects.order_by("pk").values_list("customer", "pk"))


def build_tickets(count: int, staff: list[int], lines) -> int:
    from complaints.models import Survey, Ticket, TicketEvent

    auto_now_off(Ticket, TicketEvent, Survey)
    surveys_made = 0
    for start in range(0, count, BATCH):
        rows = []
        for n in range(start, min(start + BATCH, count)):
            created = in_month(n)
            worker = staff[n % len(staff)]
            opener = worker if n % 3 else staff[(n + 1) % len(staff)]
            resolved = n % 20 < 17
            deadline = created + datetime.timedelta(hours=24)
            resolved_at = created + datetime.timedelta(hours=30 if n % 6 == 0 else 5)
            rows.append(
                Ticket(
                    number=f"TK{n:09d}",
                    kind=KINDS[n % 4],
                    category=CATEGORIES[n % 6],
                    priority="normal",
                    status="closed" if resolved else ("in_progress" if n % 2 else "cancelled"),
                    queue="first_contact",
                    customer_id=lines[n % len(lines)][0],
                    subscription_id=lines[n % len(lines)][1],
                    channel="hotline",
                    subject="咨询",
                    description="基准测试工单",
                    assignee_id=worker,
                    created_by_id=opener,
                    resolution_due_at=deadline,
                    escalation_level=1 if n % 10 == 0 else 0,
                    resolved_at=resolved_at if resolved else None,
                    created_at=created,
                )
            )
        tickets = Ticket.objects.bulk_create(rows)
        events, surveys = [], []
        for ticket in tickets:
            events.append(
                TicketEvent(
                    ticket=ticket,
                    kind="status",
                    to_value="new",
                    actor_id=ticket.created_by_id,
                    created_at=ticket.created_at,
                )
            )
            if ticket.resolved_at is None:
                continue
            events.append(
                TicketEvent(
                    ticket=ticket,
                    kind="status",
                    from_value="in_progress",
                    to_value="resolved",
                    actor_id=ticket.assignee_id,
                    created_at=ticket.resolved_at,
                )
            )
            if ticket.pk % 5 < 2:
                surveys.append(
                    Survey(
                        ticket=ticket,
                        status="answered",
                        send_after=ticket.resolved_at,
                        sent_at=ticket.resolved_at,
                        answered_at=ticket.resolved_at + datetime.timedelta(hours=2),
                        score=1 + ticket.pk % 5 + (ticket.pk // 5) % 3 % 3,
                        resolved=True,
                        created_at=ticket.resolved_at,
                    )
                )
        for survey in surveys:
            survey.score = min(survey.score, 5)
        TicketEvent.objects.bulk_create(events, batch_size=BATCH)
        Survey.objects.bulk_create(surveys, batch_size=BATCH)
        surveys_made += len(surveys)
    return surveys_made


def build_interactions(count: int, staff: list[int], lines) -> None:
    from crm.models import Interaction

    for start in range(0, count, BATCH):
        Interaction.objects.bulk_create(
            Interaction(
                number=f"IK{n:09d}",
                channel="hotline",
                customer_id=lines[n % len(lines)][0],
                staff_id=staff[n % len(staff)],
                reason="咨询",
                started_at=in_month(n),
                ended_at=in_month(n) + datetime.timedelta(minutes=5),
            )
            for n in range(start, min(start + BATCH, count))
        )


def build_orders(count: int, staff: list[int], lines) -> None:
    from crm.models import ServiceOrder

    auto_now_off(ServiceOrder)
    for start in range(0, count, BATCH):
        ServiceOrder.objects.bulk_create(
            ServiceOrder(
                number=f"SK{n:09d}",
                kind="change_plan",
                status="completed" if n % 2 else "review",
                customer_id=lines[n % len(lines)][0],
                subscription_id=lines[n % len(lines)][1],
                fee=Decimal("30.00"),
                created_by_id=staff[n % len(staff)],
                created_at=in_month(n),
            )
            for n in range(start, min(start + BATCH, count))
        )


def build_attempts(staff: list[int]) -> None:
    from training.models import Assessment, Attempt

    assessment = Assessment.objects.order_by("pk").first()
    rows = []
    for n, user_id in enumerate(staff):
        for number in (1, 2):
            started = in_month(n * 2 + number)
            score = Decimal(40 + (n * 13 + number * 29) % 61)
            rows.append(
                Attempt(
                    assessment=assessment,
                    user_id=user_id,
                    number=number,
                    seed=n,
                    status="submitted",
                    started_at=started,
                    deadline_at=started + datetime.timedelta(minutes=15),
                    submitted_at=started + datetime.timedelta(minutes=10),
                    question_count=4,
                    correct_count=int(score * 4 // 100),
                    score=score,
                    pass_mark=assessment.pass_mark,
                    passed=score >= assessment.pass_mark,
                )
            )
    Attempt.objects.bulk_create(rows, batch_size=BATCH)


def timed(action):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
    return result, round(seconds, 2), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=200)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=50_000)
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()
    with benchmark_database():
        from django.db import connection

        from training.kpis import compute_monthly_kpis
        from training.models import StaffKpi

        started = time.perf_counter()
        staff = build_staff(args.staff)
        lines = build_customers(2000)
        surveys = build_tickets(args.tickets, staff, lines)
        build_interactions(args.interactions, staff, lines)
        build_orders(args.orders, staff, lines)
        build_attempts(staff)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        build_seconds = round(time.perf_counter() - started, 1)

        rows, first_seconds, first_queries = timed(lambda: compute_monthly_kpis(MONTH))
        _, again_seconds, again_queries = timed(lambda: compute_monthly_kpis(MONTH))
        top = StaffKpi.objects.filter(month=MONTH).order_by("-incentive_score").first()
        emit(
            "kpi",
            staff=args.staff,
            tickets=args.tickets,
            surveys=surveys,
            interactions=args.interactions,
            orders=args.orders,
            kpi_rows=rows,
            compute_s=first_seconds,
            compute_queries=first_queries,
            recompute_s=again_seconds,
            recompute_queries=again_queries,
            top_incentive_score=str(top.incentive_score),
            build_s=build_seconds,
            peak_rss_mb=peak_memory_mb(),
        )


if __name__ == "__main__":
    main()
