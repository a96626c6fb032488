"""Tickets: numbering, routing, every move allowed and refused, SLA deadlines and pauses."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from complaints.choices import (
    TICKET_TRANSITIONS,
    NoteVisibility,
    Priority,
    Queue,
    TicketKind,
    TicketStatus,
)
from complaints.error_codes import TicketErrorCode
from complaints.models import Ticket, TicketEvent
from complaints.services import (
    TicketError,
    add_note,
    assign_ticket,
    change_priority,
    open_ticket,
    reopen_ticket,
    transition_ticket,
)
from portal.roles import Role
from tests.crm.factories import CustomerFactory, MobileLineFactory

ALLOWED = sorted((a, b) for a, targets in TICKET_TRANSITIONS.items() for b in targets)
REFUSED = sorted(
    (a, b)
    for a, b in itertools.product(TicketStatus.values, TicketStatus.values)
    if b not in TICKET_TRANSITIONS[a]
)


@pytest.fixture
def agent(make_user):
    return make_user(Role.SERVICE_SPECIALIST, username="agent")


def new_ticket(agent, kind=TicketKind.FAULT, **extra):
    line = extra.pop("subscription", None) or MobileLineFactory()
    return open_ticket(
        kind=kind,
        category="mobile_signal",
        customer=line.customer,
        subscription=line,
        subject="家里信号差",
        description="客厅里打电话经常断线。",
        channel="hotline",
        actor=agent,
        **extra,
    )


def at_status(ticket, status):
    # Test set-up only: place the ticket at the status under test.
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize(
    ("kind", "queue", "priority"),
    [
        (TicketKind.FAULT, Queue.TECH_SUPPORT, Priority.HIGH),
        (TicketKind.COMPLAINT, Queue.COMPLAINTS, Priority.NORMAL),
        (TicketKind.BILLING_DISPUTE, Queue.COMPLAINTS, Priority.NORMAL),
        (TicketKind.INQUIRY, Queue.FIRST_CONTACT, Priority.NORMAL),
    ],
)
def test_a_new_ticket_is_numbered_routed_and_given_its_deadlines(agent, kind, queue, priority):
    before = timezone.now()
    ticket = new_ticket(agent, kind=kind)

    assert ticket.number.startswith(f"TT{timezone.localdate():%Y%m%d}")
    assert (ticket.status, ticket.queue, ticket.priority) == (TicketStatus.NEW, queue, priority)
    assert ticket.response_due_at > before
    assert ticket.resolution_due_at > ticket.response_due_at
    assert list(ticket.events.values_list("from_value", "to_value")) == [("", "new")]


def test_faults_get_shorter_targets_than_complaints_at_the_same_priority(agent):
    fault = new_ticket(agent, kind=TicketKind.FAULT, priority=Priority.NORMAL)
    complaint = new_ticket(agent, kind=TicketKind.COMPLAINT, priority=Priority.NORMAL)

    fault_span = fault.resolution_due_at - fault.created_at
    complaint_span = complaint.resolution_due_at - complaint.created_at
    assert round(fault_span.total_seconds() / 3600) == 24
    assert round(complaint_span.total_seconds() / 3600) == 48


def test_bad_input_names_every_field(agent):
    customer = CustomerFactory()
    with pytest.raises(ValidationError) as invalid:
        open_ticket(
            kind="rumour",
            category="mobile_signal",
            customer=customer,
            subscription=MobileLineFactory(),
            subject=" ",
            description="x",
            channel="pigeon",
            actor=agent,
        )

    assert sorted(invalid.value.error_dict) == ["channel", "kind", "subject", "subscription"]


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_move_is_made_and_recorded(agent, source, target):
    ticket = at_status(new_ticket(agent), source)
    if source in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now())

    moved = transition_ticket(ticket, target, actor=agent, reason="客户来电")

    event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
    assert moved.status == target
    assert (event.from_value, event.to_value, event.actor, event.reason) == (
        source,
        target,
        agent,
        "客户来电",
    )


@pytest.mark.parametrize(("source", "target"), REFUSED)
def test_every_other_move_is_refused_and_changes_nothing(agent, source, target):
    ticket = at_status(new_ticket(agent), source)
    events = ticket.events.count()

    with pytest.raises(TicketError) as refused:
        transition_ticket(ticket, target, actor=agent, reason="试试")

    assert refused.value.code == TicketErrorCode.INVALID_TRANSITION
    assert Ticket.objects.get(pk=ticket.pk).status == source
    assert ticket.events.count() == events


def test_reopening_needs_a_reason_and_must_be_within_the_window(agent, settings):
    ticket = at_status(new_ticket(agent), TicketStatus.CLOSED)
    Ticket.objects.filter(pk=ticket.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=settings.COMPLAINTS_REOPEN_DAYS, hours=1)
    )

    with pytest.raises(TicketError) as no_reason:
        transition_ticket(ticket, TicketStatus.ASSIGNED, actor=agent)
    with pytest.raises(TicketError) as too_late:
        transition_ticket(ticket, TicketStatus.ASSIGNED, actor=agent, reason="又断线了")

    assert no_reason.value.code == TicketErrorCode.REASON_REQUIRED
    assert too_late.value.code == TicketErrorCode.REOPEN_WINDOW_PASSED


def test_waiting_for_the_customer_pauses_the_sla_clock(agent):
    ticket = assign_ticket(new_ticket(agent, kind=TicketKind.INQUIRY), agent, actor=agent)
    ticket = transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=agent)
    due = ticket.resolution_due_at
    ticket = transition_ticket(ticket, TicketStatus.WAITING_CUSTOMER, actor=agent)
    # The customer took two hours to answer.
    Ticket.objects.filter(pk=ticket.pk).update(
        paused_at=ticket.paused_at - datetime.timedelta(hours=2)
    )

    ticket = transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=agent)

    assert ticket.paused_at is None
    assert ticket.paused_seconds in (7200, 7201)
    assert ticket.resolution_due_at - due == datetime.timedelta(seconds=ticket.paused_seconds)


def test_changing_priority_recomputes_deadlines_from_the_start(agent):
    ticket = new_ticket(agent, kind=TicketKind.COMPLAINT)

    urgent = change_priority(ticket, Priority.URGENT, actor=agent, reason="媒体关注")

    span = urgent.resolution_due_at - urgent.created_at
    assert round(span.total_seconds() / 3600) == 8
    assert urgent.events.latest("pk").to_value == "urgent"


def test_assigning_a_new_ticket_marks_it_assigned_and_records_both(agent, make_user):
    engineer = make_user(Role.TECH_SUPPORT, username="engineer")

    ticket = assign_ticket(new_ticket(agent), engineer, actor=agent, reason="基站故障")

    assert (ticket.status, ticket.assignee) == (TicketStatus.ASSIGNED, engineer)
    assert list(ticket.events.values_list("kind", "to_value")) == [
        ("status", "new"),
        ("assignment", "engineer"),
        ("status", "assigned"),
    ]


def test_notes_are_internal_or_for_the_customer(agent):
    ticket = new_ticket(agent)

    internal = add_note(ticket, author=agent, body="疑似基站问题", visibility="internal")
    public = add_note(ticket, author=agent, body="工程师已安排上门", visibility="customer")
    with pytest.raises(ValidationError):
        add_note(ticket, author=agent, body=" ", visibility="internal")

    assert (internal.visibility, public.visibility) == (
        NoteVisibility.INTERNAL,
        NoteVisibility.CUSTOMER,
    )


def test_a_customer_reply_restarts_a_waiting_ticket_and_finished_ones_take_no_replies(
    agent, make_user
):
    user = make_user(Role.CUSTOMER, username="customer-reply")
    line = MobileLineFactory(customer=CustomerFactory(user=user))
    ticket = assign_ticket(
        new_ticket(agent, kind=TicketKind.INQUIRY, subscription=line), agent, actor=agent
    )
    ticket = transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=agent)
    ticket = transition_ticket(ticket, TicketStatus.WAITING_CUSTOMER, actor=agent)

    add_note(ticket, author=user, body="我把路由器重启了，还是不行", visibility="customer")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.paused_at) == (TicketStatus.IN_PROGRESS, None)

    with pytest.raises(TicketError):
        add_note(ticket, author=user, body="内部", visibility="internal")
    ticket = transition_ticket(ticket, TicketStatus.CANCELLED, actor=agent, reason="重复工单")
    with pytest.raises(TicketError):
        add_note(ticket, author=user, body="还在吗", visibility="customer")


def test_only_finished_tickets_are_reopened(agent):
    ticket = new_ticket(agent, kind=TicketKind.INQUIRY)

    with pytest.raises(TicketError) as refused:
        reopen_ticket(ticket, actor=agent, reason="再看看")

    ticket.refresh_from_db()
    assert refused.value.code == TicketErrorCode.INVALID_TRANSITION
    assert ticket.status == TicketStatus.NEW
