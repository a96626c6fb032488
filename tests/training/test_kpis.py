"""Monthly KPIs on a small hand-checked data set, the incentive score, and the query count."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F

from complaints.choices import SurveyStatus, TicketKind, TicketStatus
from complaints.models import Survey, Ticket
from complaints.services import assign_ticket, resolve_ticket, transition_ticket
from crm.choices import Channel, OrderKind, OrderStatus
from crm.models import Interaction, ServiceOrder
from crm.services import create_service_order, start_interaction
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.crm.factories import MobileLineFactory
from tests.training.factories import AssessmentFactory, CourseFactory, answers_for, true_false_bank
from training.kpis import compute_monthly_kpis, incentive_score
from training.models import Attempt, IncentiveScheme, StaffKpi, Team, TeamMember
from training.services import start_attempt, submit_attempt

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = datetime.date(2026, 10, 1)


def at(day: int, hour: int = 10, month: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI)


def resolved(opener, resolver, kind, *, resolved_at, deadline, escalations=0) -> Ticket:
    """A ticket opened by ``opener`` and resolved by ``resolver``, placed in time (set-up)."""
    ticket = make_ticket(opener, kind, line=MobileLineFactory())
    ticket = assign_ticket(ticket, resolver, actor=resolver)
    ticket = transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=resolver)
    ticket = resolve_ticket(ticket, actor=resolver, resolution="已处理")
    Ticket.objects.filter(pk=ticket.pk).update(
        resolved_at=resolved_at, resolution_due_at=deadline, escalation_level=escalations
    )
    return ticket


def answered(ticket, score: int, when: datetime.datetime) -> None:
    Survey.objects.filter(ticket=ticket).update(
        status=SurveyStatus.ANSWERED, score=score, resolved=True, answered_at=when
    )


def interaction(staff, when):
    row = start_interaction(channel=Channel.HOTLINE, actor=staff, reason="咨询")
    Interaction.objects.filter(pk=row.pk).update(started_at=when)


def order(staff, *, fee: str, status: str, when) -> None:
    line = MobileLineFactory()
    row = create_service_order(
        kind=OrderKind.REOPEN_DATA, customer=line.customer, subscription=line, actor=staff
    )
    ServiceOrder.objects.filter(pk=row.pk).update(fee=Decimal(fee), status=status, created_at=when)


@pytest.fixture
def october(personas):
    """The hand-checked month. Specialist: 3 tickets resolved in October (2 taken and resolved
    at first contact, 1 after an escalation; 2 within their deadline), 1 resolved just after
    midnight on 1 November (Shanghai) that does not count; surveys 5 and 2; 3 interactions (and
    one in November); two attempts, 40 % and 80 %. Engineer: 2 faults the specialist opened,
    both in time; a survey of 4. Sales advisor: 3 orders (2 completed for 100.00 and 50.50, one
    under review for 30.00) and a cancelled one."""
    specialist = personas[Role.SERVICE_SPECIALIST]
    engineer = personas[Role.TECH_SUPPORT]
    sales = personas[Role.SALES_ADVISOR]
    inquiry = TicketKind.INQUIRY
    t1 = resolved(specialist, specialist, inquiry, resolved_at=at(5), deadline=at(6))
    t2 = resolved(specialist, specialist, inquiry, resolved_at=at(7), deadline=at(6))
    resolved(specialist, specialist, inquiry, resolved_at=at(9), deadline=at(10), escalations=1)
    resolved(
        specialist, specialist, inquiry, resolved_at=at(1, 0, month=11), deadline=at(2, month=11)
    )
    f1 = resolved(specialist, engineer, TicketKind.FAULT, resolved_at=at(12), deadline=at(13))
    resolved(specialist, engineer, TicketKind.FAULT, resolved_at=at(31, 23), deadline=at(31, 23))
    answered(t1, 5, at(8))
    answered(t2, 2, at(8))
    answered(f1, 4, at(14))
    for day in (3, 4, 5):
        interaction(specialist, at(day))
    interaction(specialist, at(1, month=11))
    order(sales, fee="100.00", status=OrderStatus.COMPLETED, when=at(3))
    order(sales, fee="50.50", status=OrderStatus.COMPLETED, when=at(4))
    order(sales, fee="30.00", status=OrderStatus.REVIEW, when=at(5))
    order(sales, fee="999.00", status=OrderStatus.CANCELLED, when=at(6))
    course = CourseFactory()
    true_false_bank(course, 5)
    assessment = AssessmentFactory(course=course, question_count=5, pass_mark=Decimal("60"))
    for right in (2, 4):
        attempt = start_attempt(assessment, user=specialist)
        submit_attempt(attempt, user=specialist, answers=answers_for(attempt, right))
    shift = datetime.datetime.now(tz=SHANGHAI) - at(20)
    Attempt.objects.filter(user=specialist).update(
        started_at=F("started_at") - shift,
        deadline_at=F("deadline_at") - shift,
        submitted_at=F("submitted_at") - shift,
    )
    return personas


def kpi_of(user) -> StaffKpi:
    return StaffKpi.objects.get(user=user, month=OCTOBER)


def test_kpis_of_the_specialist_match_the_hand_count(october):
    written = compute_monthly_kpis(OCTOBER)

    kpi = kpi_of(october[Role.SERVICE_SPECIALIST])
    assert written == 5
    assert kpi.role == Role.SERVICE_SPECIALIST
    assert (kpi.tickets_handled, kpi.first_contact_resolved, kpi.fcr_rate) == (
        3,
        2,
        Decimal("66.67"),
    )
    assert (kpi.sla_met, kpi.sla_rate) == (2, Decimal("66.67"))
    assert (kpi.surveys_answered, kpi.satisfaction_avg) == (2, Decimal("3.50"))
    assert kpi.interactions == 3
    assert (kpi.orders, kpi.sales_amount) == (0, Decimal("0.00"))
    assert (kpi.assessments_taken, kpi.assessments_passed, kpi.assessment_avg) == (
        2,
        1,
        Decimal("60.00"),
    )
    # Specialist scheme: weights 2 tickets, 2 FCR, 1 SLA, 3 satisfaction, 2 interactions,
    # 0 sales, 1 assessments; targets 60 tickets, 300 interactions.
    # (2×3/60 + 2×0.6667 + 1×0.6667 + 3×(3.5−1)/4 + 2×3/300 + 1×0.60) / 11 × 100 = 41.77
    assert kpi.incentive_score == Decimal("41.77")


def test_kpis_of_the_engineer_and_the_sales_advisor_match_the_hand_count(october):
    compute_monthly_kpis(OCTOBER)

    engineer = kpi_of(october[Role.TECH_SUPPORT])
    sales = kpi_of(october[Role.SALES_ADVISOR])
    # The second fault was resolved at 23:00 on 31 October, Shanghai time: October's.
    assert (engineer.tickets_handled, engineer.first_contact_resolved, engineer.fcr_rate) == (
        2,
        0,
        Decimal("0.00"),
    )
    assert (engineer.sla_met, engineer.sla_rate) == (2, Decimal("100.00"))
    assert (engineer.surveys_answered, engineer.satisfaction_avg) == (1, Decimal("4.00"))
    assert engineer.assessment_avg is None
    # Engineer scheme 3 tickets, 3 SLA, 2 satisfaction, 1 assessments (none taken: left out):
    # (3×2/40 + 3×1 + 2×0.75) / 8 × 100 = 58.125 → 58.13
    assert engineer.incentive_score == Decimal("58.13")
    assert (sales.orders, sales.sales_amount) == (3, Decimal("150.50"))
    assert (sales.tickets_handled, sales.satisfaction_avg) == (0, None)
    # Sales scheme 1 interactions, 4 sales (target 20,000.00): (0 + 4×0.007525) / 5 × 100
    assert sales.incentive_score == Decimal("0.60")


def test_staff_without_activity_get_zeros_and_no_rates(october):
    compute_monthly_kpis(OCTOBER)

    kpi = kpi_of(october[Role.SUPERVISOR])
    assert (kpi.tickets_handled, kpi.interactions, kpi.orders) == (0, 0, 0)
    assert (kpi.fcr_rate, kpi.sla_rate, kpi.satisfaction_avg, kpi.assessment_avg) == (
        None,
        None,
        None,
        None,
    )
    assert kpi.incentive_score == Decimal("0.00")
    assert not StaffKpi.objects.filter(user=october[Role.CUSTOMER]).exists()
    assert not StaffKpi.objects.filter(user=october["outsider"]).exists()


def test_november_counts_only_its_own_records(october):
    compute_monthly_kpis(datetime.date(2026, 11, 1))

    kpi = StaffKpi.objects.get(user=october[Role.SERVICE_SPECIALIST], month="2026-11-01")
    assert (kpi.tickets_handled, kpi.interactions, kpi.surveys_answered) == (1, 1, 0)


def test_recomputing_a_month_replaces_its_rows(october):
    compute_monthly_kpis(OCTOBER)
    team = Team.objects.create(name="一组", supervisor=october[Role.SUPERVISOR])
    TeamMember.objects.create(team=team, user=october[Role.SERVICE_SPECIALIST])
    scheme = IncentiveScheme.objects.get(is_active=True, role=Role.SERVICE_SPECIALIST)
    scheme.weight_tickets = Decimal("0")
    scheme.save()

    compute_monthly_kpis(OCTOBER)

    kpi = kpi_of(october[Role.SERVICE_SPECIALIST])
    assert StaffKpi.objects.filter(month=OCTOBER).count() == 5
    assert kpi.team == team
    # Without the tickets weight: (1.3334 + 0.6667 + 1.875 + 0.02 + 0.6) / 9 × 100 = 49.95
    assert kpi.incentive_score == Decimal("49.95")


def test_incentive_score_leaves_out_rates_without_data_and_caps_counts():
    scheme = IncentiveScheme(
        weight_tickets=Decimal("1"),
        weight_fcr=Decimal("1"),
        weight_sla=Decimal("0"),
        weight_satisfaction=Decimal("1"),
        weight_interactions=Decimal("0"),
        weight_sales=Decimal("0"),
        weight_assessments=Decimal("0"),
        target_tickets=10,
        target_interactions=10,
        target_sales=Decimal("100"),
    )
    kpi = StaffKpi(tickets_handled=25, fcr_rate=None, satisfaction_avg=Decimal("5.00"))

    assert incentive_score(kpi, scheme) == Decimal("100.00")
    assert incentive_score(kpi, None) == Decimal("0.00")


@pytest.mark.parametrize("tickets", [2, 12])
def test_kpi_computation_runs_a_constant_number_of_queries(
    personas, django_assert_num_queries, tickets
):
    specialist = personas[Role.SERVICE_SPECIALIST]
    for day in range(1, tickets + 1):
        resolved(specialist, specialist, TicketKind.INQUIRY, resolved_at=at(day), deadline=at(28))

    # 1 staff with roles, 2 teams, 3 tickets, 4 surveys, 5 interactions, 6 orders, 7 attempts,
    # 8 schemes; then the transaction: 9 savepoint, 10 delete of staff who left, 11 the upsert,
    # 12 release.
    with django_assert_num_queries(12):
        compute_monthly_kpis(OCTOBER)

    assert kpi_of(specialist).tickets_handled == tickets
