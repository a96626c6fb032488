"""seed_demo's complaints data: a ticket in every status and kind, worked through the services."""

from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from complaints.choices import (
    CallbackStatus,
    NoteVisibility,
    Queue,
    SurveyStatus,
    TicketEventKind,
    TicketKind,
    TicketStatus,
)
from complaints.demo import DEMO_TICKETS
from complaints.models import Callback, Survey, Ticket, TicketEvent, TicketNote


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def complaints_table_counts() -> dict[str, int]:
    return {
        model._meta.model_name: model.objects.count()
        for model in apps.get_app_config("complaints").get_models()
    }


@pytest.fixture
def seeded(demo_seeded):
    return demo_seeded


def by_subject(subject: str) -> Ticket:
    return Ticket.objects.select_related("assignee", "adjustment_entry").get(subject=subject)


def test_demo_tickets_cover_every_status_and_kind(seeded):
    assert Ticket.objects.count() == len(DEMO_TICKETS) == 10
    assert Counter(Ticket.objects.values_list("status", flat=True)) == {
        TicketStatus.NEW: 1,
        # the inquiry taken by specialist2, and the broadband fault reopened by its low score
        TicketStatus.ASSIGNED: 2,
        # the broadband drops, and the complaint escalated by the SLA sweep
        TicketStatus.IN_PROGRESS: 2,
        TicketStatus.WAITING_CUSTOMER: 1,
        # the credited dispute (survey scheduled), and the fault whose survey became a callback
        TicketStatus.RESOLVED: 2,
        TicketStatus.CLOSED: 1,
        TicketStatus.CANCELLED: 1,
    }
    assert Counter(Ticket.objects.values_list("kind", flat=True)) == {
        TicketKind.FAULT: 5,
        TicketKind.COMPLAINT: 2,
        TicketKind.BILLING_DISPUTE: 1,
        TicketKind.INQUIRY: 2,
    }
    # 7 notes written by the demo + the customer-visible summary of each of 4 resolutions
    # + the diagnosis of the workspaces demo (internal).
    assert Counter(TicketNote.objects.values_list("visibility", flat=True)) == {
        NoteVisibility.INTERNAL: 6,
        NoteVisibility.CUSTOMER: 6,
    }
    assigned = Ticket.objects.filter(assignee__isnull=False).values_list(
        "queue", "assignee__username"
    )
    assert set(assigned) == {
        (Queue.FIRST_CONTACT, "specialist"),
        (Queue.FIRST_CONTACT, "specialist2"),
        (Queue.TECH_SUPPORT, "engineer"),
        (Queue.COMPLAINTS, "coordinator"),
        (Queue.SUPERVISOR, "supervisor"),
    }


def test_the_billing_dispute_is_credited_within_the_coordinators_limit(seeded):
    dispute = by_subject("本月账单流量费异常，对国内上网流量费有异议")

    assert dispute.status == TicketStatus.RESOLVED
    assert dispute.adjustment_entry.amount == Decimal("86.40")
    assert (
        dispute.adjustment_entry.amount
        <= settings.BILLING_ADJUSTMENT_LIMITS["complaint_coordinator"]
    )
    assert dispute.adjustment_entry.actor.username == "coordinator"
    assert list(dispute.surveys.values_list("status", flat=True)) == [SurveyStatus.SCHEDULED]


def test_the_breached_complaint_was_escalated_by_the_sla_sweep(seeded):
    complaint = by_subject("多次报修手机无法上网仍未解决")

    assert (complaint.queue, complaint.escalation_level) == (Queue.SUPERVISOR, 1)
    assert complaint.assignee.username == "supervisor"
    assert complaint.resolution_breach_escalated_for == complaint.resolution_due_at
    sweep = complaint.events.get(kind=TicketEventKind.ESCALATION)
    assert (sweep.from_value, sweep.to_value, sweep.actor) == (
        Queue.COMPLAINTS,
        Queue.SUPERVISOR,
        None,
    )
    assert TicketEvent.objects.filter(kind=TicketEventKind.ESCALATION).count() == 2


def test_a_low_survey_score_reopened_its_ticket_to_the_coordinators(seeded):
    fault = by_subject("宽带网速远低于签约的300M")
    survey = fault.surveys.get()

    assert (survey.status, survey.score, survey.resolved) == (SurveyStatus.ANSWERED, 1, False)
    assert (fault.status, fault.queue) == (TicketStatus.ASSIGNED, Queue.COMPLAINTS)
    assert fault.assignee.username == "coordinator"


def test_the_unanswered_survey_became_a_callback_and_the_closed_ticket_was_rated(seeded):
    callback = Callback.objects.select_related("ticket", "survey", "assignee").get()
    closed = by_subject("查询上月话费清单中的国内长途费用")

    assert callback.ticket.subject == "小区地下车库手机没有信号"
    assert (callback.status, callback.survey.status) == (CallbackStatus.OPEN, SurveyStatus.CALLBACK)
    assert callback.assignee.username == "specialist"
    assert closed.status == TicketStatus.CLOSED
    assert list(closed.surveys.values_list("score", "resolved")) == [(5, True)]
    # Ticket surveys only: completed hall orders add hall-visit evaluations (crm demo).
    ticket_surveys = Survey.objects.filter(ticket__isnull=False)
    assert Counter(ticket_surveys.values_list("status", flat=True)) == {
        SurveyStatus.SCHEDULED: 1,
        SurveyStatus.ANSWERED: 2,
        SurveyStatus.CALLBACK: 1,
    }


def test_seed_demo_twice_creates_no_complaints_rows(seeded):
    before = complaints_table_counts()

    output = seed()

    assert "Demo data ready: 0 rows created." in output
    assert complaints_table_counts() == before
