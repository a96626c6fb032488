"""Writes of the complaints app: opening tickets, moving them, assigning, notes, priorities.

Every move goes through ``transition_ticket``: the table in ``choices.py`` says what is allowed,
the row is locked, the SLA clock is paused or resumed, and a ``TicketEvent`` records who, when
and why, all in one transaction.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.choices import (
    QUEUE_FOR_KIND,
    REOPENABLE,
    TICKET_TRANSITIONS,
    NoteVisibility,
    Priority,
    TicketCategory,
    TicketEventKind,
    TicketKind,
    TicketStatus,
)
from complaints.error_codes import TicketErrorCode
from complaints.models import SlaPolicy, Ticket, TicketEvent, TicketNote
from crm.choices import Channel
from portal.errors import DomainError
from portal.numbering import next_number


class TicketError(DomainError):
    """A ticket rule refused the operation (codes: ``TicketErrorCode``)."""


# Faults come first (客户服务规程 三.5 故障优先处理原则): a new fault starts at high priority.
DEFAULT_PRIORITY = {TicketKind.FAULT: Priority.HIGH}


def sla_deadlines(
    kind: str, priority: str, start: datetime.datetime, paused_seconds: int = 0
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """Respond-by and resolve-by times from the SLA policy (none without a policy)."""
    policy = SlaPolicy.objects.filter(kind=kind, priority=priority).first()
    if policy is None:
        return None, None
    shift = datetime.timedelta(seconds=paused_seconds)
    return (
        start + datetime.timedelta(minutes=policy.response_minutes) + shift,
        start + datetime.timedelta(minutes=policy.resolution_minutes) + shift,
    )


def _event(ticket: Ticket, kind: str, old, new, *, actor, reason: str = "") -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        from_value=str(old or ""),
        to_value=str(new or ""),
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def open_ticket(
    *,
    kind: str,
    category: str,
    customer,
    subject: str,
    description: str,
    channel: str,
    actor,
    subscription=None,
    interaction=None,
    priority: str | None = None,
) -> Ticket:
    """Register a ticket, route it to its queue and set its SLA deadlines."""
    errors = {}
    if kind not in TicketKind.values:
        errors["kind"] = ValidationError(_("Unknown ticket kind."), code="invalid")
    if category not in TicketCategory.values:
        errors["category"] = ValidationError(_("Unknown category."), code="invalid")
    if channel not in Channel.values:
        errors["channel"] = ValidationError(_("Unknown channel."), code="invalid")
    if priority is not None and priority not in Priority.values:
        errors["priority"] = ValidationError(_("Unknown priority."), code="invalid")
    if not (subject or "").strip():
        errors["subject"] = ValidationError(_("Give the ticket a subject."), code="required")
    if not (description or "").strip():
        errors["description"] = ValidationError(_("Describe the problem."), code="required")
    if subscription is not None and subscription.customer_id != customer.pk:
        errors["subscription"] = ValidationError(
            _("This line is not the customer's."), code=TicketErrorCode.NOT_A_CUSTOMERS_LINE
        )
    if errors:
        raise ValidationError(errors)
    priority = priority or DEFAULT_PRIORITY.get(kind, Priority.NORMAL)
    now = timezone.now()
    response_due, resolution_due = sla_deadlines(kind, priority, now)
    ticket = Ticket.objects.create(
        number=next_number("TT"),
        kind=kind,
        category=category,
        priority=priority,
        queue=QUEUE_FOR_KIND[TicketKind(kind)],
        customer=customer,
        subscription=subscription,
        interaction=interaction,
        channel=channel,
        subject=subject.strip(),
        description=description.strip(),
        created_by=actor,
        response_due_at=response_due,
        resolution_due_at=resolution_due,
    )
    _event(ticket, TicketEventKind.STATUS, "", TicketStatus.NEW, actor=actor)
    return ticket


@transaction.atomic
def transition_ticket(ticket: Ticket, to_status: str, *, actor, reason: str = "") -> Ticket:
    """The one way a ticket's status changes."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if to_status not in TICKET_TRANSITIONS.get(ticket.status, frozenset()):
        raise TicketError(
            TicketErrorCode.INVALID_TRANSITION,
            _("A ticket cannot go from %(from)s to %(to)s.")
            % {
                "from": TicketStatus(ticket.status).label,
                "to": TicketStatus(to_status).label
                if to_status in TicketStatus.values
                else to_status,
            },
        )
    reason = (reason or "").strip()
    reopening = ticket.status in REOPENABLE and to_status == TicketStatus.ASSIGNED
    if (reopening or to_status == TicketStatus.CANCELLED) and not reason:
        raise TicketError(TicketErrorCode.REASON_REQUIRED, _("Give a reason."), field="reason")
    now = timezone.now()
    if reopening:
        finished = ticket.closed_at or ticket.resolved_at
        window = datetime.timedelta(days=settings.COMPLAINTS_REOPEN_DAYS)
        if finished is not None and now - finished > window:
            raise TicketError(
                TicketErrorCode.REOPEN_WINDOW_PASSED,
                _("Tickets can be reopened within %(days)d days; open a new ticket instead.")
                % {"days": settings.COMPLAINTS_REOPEN_DAYS},
            )
        ticket.resolved_at = ticket.closed_at = None
    if ticket.status == TicketStatus.WAITING_CUSTOMER:
        _resume_sla(ticket, now)
    if to_status == TicketStatus.WAITING_CUSTOMER:
        ticket.paused_at = now
    if to_status == TicketStatus.IN_PROGRESS and ticket.first_response_at is None:
        ticket.first_response_at = now
    if to_status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    if to_status == TicketStatus.CLOSED:
        ticket.closed_at = now
    previous = ticket.status
    ticket.status = to_status
    ticket.save(
        update_fields=[
            "status",
            "paused_at",
            "paused_seconds",
            "response_due_at",
            "resolution_due_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "updated_at",
        ]
    )
    _event(ticket, TicketEventKind.STATUS, previous, to_status, actor=actor, reason=reason)
    return ticket


def _resume_sla(ticket: Ticket, now: datetime.datetime) -> None:
    """Leaving 'waiting for customer': the deadlines move on by the time spent waiting."""
    if ticket.paused_at is None:
        return
    # Whole seconds, so that deadlines recomputed from paused_seconds land on the same instant.
    paused = datetime.timedelta(seconds=int((now - ticket.paused_at).total_seconds()))
    ticket.paused_seconds += int(paused.total_seconds())
    if ticket.response_due_at and ticket.first_response_at is None:
        ticket.response_due_at += paused
    if ticket.resolution_due_at:
        ticket.resolution_due_at += paused
    ticket.paused_at = None


@transaction.atomic
def assign_ticket(ticket: Ticket, assignee, *, actor, reason: str = "") -> Ticket:
    """Give the ticket to a staff member; a new ticket becomes assigned."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    previous = ticket.assignee
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    _event(
        ticket,
        TicketEventKind.ASSIGNMENT,
        previous.get_username() if previous else "",
        assignee.get_username(),
        actor=actor,
        reason=reason,
    )
    if ticket.status == TicketStatus.NEW:
        ticket = transition_ticket(ticket, TicketStatus.ASSIGNED, actor=actor)
    return ticket


@transaction.atomic
def change_priority(ticket: Ticket, priority: str, *, actor, reason: str) -> Ticket:
    """Re-prioritise and recompute the deadlines from the ticket's start, pauses excluded."""
    if priority not in Priority.values:
        raise ValidationError({"priority": ValidationError(_("Unknown priority."), "invalid")})
    if not (reason or "").strip():
        raise TicketError(TicketErrorCode.REASON_REQUIRED, _("Give a reason."), field="reason")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    previous = ticket.priority
    ticket.priority = priority
    ticket.response_due_at, ticket.resolution_due_at = sla_deadlines(
        ticket.kind, priority, ticket.created_at, ticket.paused_seconds
    )
    ticket.save(update_fields=["priority", "response_due_at", "resolution_due_at", "updated_at"])
    _event(ticket, TicketEventKind.PRIORITY, previous, priority, actor=actor, reason=reason.strip())
    return ticket


@transaction.atomic
def add_note(ticket: Ticket, *, author, body: str, visibility: str) -> TicketNote:
    if visibility not in NoteVisibility.values:
        raise ValidationError({"visibility": ValidationError(_("Unknown visibility."), "invalid")})
    if not (body or "").strip():
        raise ValidationError({"body": ValidationError(_("Write the note."), code="required")})
    return TicketNote.objects.create(
        ticket=ticket, author=author, body=body.strip(), visibility=visibility
    )
