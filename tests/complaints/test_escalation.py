"""Escalation: by hand with a reason, and by the SLA sweep exactly once per breach."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from complaints.choices import NotificationStatus, Queue, TicketEventKind, TicketKind, TicketStatus
from complaints.error_codes import TicketErrorCode
from complaints.escalation import escalate_breached_tickets
from complaints.models import Notification, Ticket, TicketEvent
from complaints.services import (
    TicketError,
    assign_ticket,
    change_priority,
    escalate_ticket,
    transition_ticket,
)
from portal.roles import Role
from tests.complaints.factories import make_ticket

HOUR = datetime.timedelta(hours=1)


def overdue(ticket, *, by=HOUR, response=False):
    """Move the deadline into the past, as if the clock had run."""
    field = "response_due_at" if response else "resolution_due_at"
    Ticket.objects.filter(pk=ticket.pk).update(**{field: timezone.now() - by})
    ticket.refresh_from_db()
    return ticket


def escalations(ticket):
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ESCALATION).values_list(
            "from_value", "to_value"
        )
    )


def working(personas, engineer, **extra):
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST], **extra)
    ticket = assign_ticket(ticket, engineer, actor=engineer)
    return transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=engineer)


def test_a_breached_ticket_is_escalated_once_and_the_new_owner_told(personas, engineer):
    ticket = overdue(working(personas, engineer))

    first = escalate_breached_tickets()
    second = escalate_breached_tickets()

    ticket.refresh_from_db()
    supervisor = personas[Role.SUPERVISOR]
    assert (first, second) == (1, 0)
    assert escalations(ticket) == [(Queue.TECH_SUPPORT, Queue.SUPERVISOR)]
    assert (ticket.queue, ticket.assignee, ticket.escalation_level) == (
        Queue.SUPERVISOR,
        supervisor,
        1,
    )
    notice = Notification.objects.get(user=supervisor)
    assert ticket.number in notice.subject and notice.status == NotificationStatus.PENDING


def test_a_new_deadline_that_breaches_again_escalates_again(personas):
    specialist = personas[Role.SERVICE_SPECIALIST]
    ticket = overdue(working(personas, specialist, kind=TicketKind.INQUIRY))
    escalate_breached_tickets()

    ticket = change_priority(ticket, "low", actor=specialist, reason="客户同意延后")
    ticket = overdue(ticket, by=datetime.timedelta(minutes=5))
    escalate_breached_tickets()
    escalate_breached_tickets()

    assert escalations(ticket) == [
        (Queue.FIRST_CONTACT, Queue.COMPLAINTS),
        (Queue.COMPLAINTS, Queue.SUPERVISOR),
    ]


def test_a_missed_first_response_is_a_breach_of_its_own(personas, engineer):
    ticket = overdue(make_ticket(personas[Role.SERVICE_SPECIALIST]), response=True)

    assert escalate_breached_tickets() == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ASSIGNED  # the new owner has it
    assert escalate_breached_tickets() == 0
    # The resolution deadline is a second, separate breach.
    overdue(ticket)
    assert escalate_breached_tickets() == 1
    assert len(escalations(ticket)) == 2


def test_paused_and_finished_tickets_are_not_escalated(personas, engineer):
    waiting = working(personas, engineer)
    waiting = transition_ticket(waiting, TicketStatus.WAITING_CUSTOMER, actor=engineer)
    overdue(waiting)
    done = transition_ticket(working(personas, engineer), TicketStatus.RESOLVED, actor=engineer)
    overdue(done)

    assert escalate_breached_tickets() == 0


def test_manual_escalation_needs_a_reason_and_stops_at_the_supervisor(personas, engineer):
    ticket = working(personas, engineer)

    with pytest.raises(TicketError) as no_reason:
        escalate_ticket(ticket, actor=engineer, reason=" ")
    ticket = escalate_ticket(ticket, actor=engineer, reason="需要跨部门协调")
    with pytest.raises(TicketError) as at_top:
        escalate_ticket(ticket, actor=personas[Role.SUPERVISOR], reason="再升级")

    assert no_reason.value.code == TicketErrorCode.REASON_REQUIRED
    assert at_top.value.code == TicketErrorCode.TOP_OF_CHAIN
    event = TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.ESCALATION).get()
    assert (event.actor, event.reason) == (engineer, "需要跨部门协调")


def test_escalated_tickets_are_shared_out_by_load(personas, make_user, engineer):
    second = make_user(Role.SUPERVISOR, username="supervisor-2")
    tickets = [overdue(working(personas, engineer)) for _ in range(4)]

    escalate_breached_tickets()

    owners = sorted(
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).values_list(
            "assignee__username", flat=True
        )
    )
    assert owners == sorted([personas[Role.SUPERVISOR].username, second.username] * 2)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_escalate_each_breach_once(personas, engineer):
    tickets = [overdue(working(personas, engineer)) for _ in range(30)]
    counts = []

    def sweep():
        try:
            counts.append(escalate_breached_tickets())
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 30
    assert (
        TicketEvent.objects.filter(ticket__in=tickets, kind=TicketEventKind.ESCALATION).count()
        == 30
    )
