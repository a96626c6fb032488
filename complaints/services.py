"""Writes of the complaints app: opening tickets, moving, assigning, escalating, resolving.

Every move goes through ``transition_ticket``: the table in ``choices.py`` says what is allowed,
the row is locked, the SLA clock is paused or resumed, a ``TicketEvent`` records who, when and
why, the customer is notified (an outbox row) and a resolution schedules its satisfaction
survey, all in one transaction. Assignment and escalation move the guardian permissions with
the ticket (``permissions.sync_ticket_permissions``).
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from complaints.choices import (
    NEXT_QUEUE,
    OPEN_STATUSES,
    QUEUE_FOR_KIND,
    REOPENABLE,
    TICKET_TRANSITIONS,
    FaultLocation,
    NoteKind,
    NoteVisibility,
    Priority,
    Queue,
    SurveyStatus,
    TicketCategory,
    TicketEventKind,
    TicketKind,
    TicketStatus,
)
from complaints.error_codes import TicketErrorCode
from complaints.models import (
    SlaPolicy,
    Survey,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketNote,
)
from complaints.notifications import notify_customer, notify_staff, status_message
from complaints.permissions import QUEUE_ROLE, sync_ticket_permissions
from complaints.uploads import check_upload, display_name
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


_EVENT_REASON_LENGTH = TicketEvent._meta.get_field("reason").max_length


def record_event(ticket: Ticket, kind: str, old, new, *, actor, reason: str = "") -> TicketEvent:
    # A reason may be a whole note (a reopen after a review): the history keeps its start, the
    # note itself keeps all of it.
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        from_value=str(old or ""),
        to_value=str(new or ""),
        actor=actor,
        reason=Truncator(reason).chars(_EVENT_REASON_LENGTH),
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
    record_event(ticket, TicketEventKind.STATUS, "", TicketStatus.NEW, actor=actor)
    sync_ticket_permissions(ticket)
    return ticket


@transaction.atomic
def transition_ticket(
    ticket: Ticket, to_status: str, *, actor, reason: str = "", customer_detail: str = ""
) -> Ticket:
    """The one way a ticket's status changes. ``customer_detail`` goes into the message that
    tells the customer (a resolution summary, say)."""
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
    if to_status == TicketStatus.RESOLVED:
        # The transactional outbox: the survey exists if and only if the resolution committed.
        Survey.objects.create(
            ticket=ticket,
            send_after=now + datetime.timedelta(hours=settings.COMPLAINTS_SURVEY_DELAY_HOURS),
        )
    if reopening or to_status == TicketStatus.CANCELLED:
        Survey.objects.filter(ticket=ticket, status=SurveyStatus.SCHEDULED).update(
            status=SurveyStatus.CANCELLED
        )
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
    record_event(ticket, TicketEventKind.STATUS, previous, to_status, actor=actor, reason=reason)
    subject, body = status_message(ticket, customer_detail)
    notify_customer(ticket, subject=subject, body=body)
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
    """Give the ticket to a staff member of its queue; a new ticket becomes assigned."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not may_own(assignee, ticket.queue):
        raise ValidationError(
            {
                "assignee": ValidationError(
                    _("%(user)s does not work the %(queue)s queue.")
                    % {"user": assignee.get_username(), "queue": Queue(ticket.queue).label},
                    code=TicketErrorCode.NOT_IN_QUEUE,
                )
            }
        )
    if ticket.status not in OPEN_STATUSES:
        raise TicketError(
            TicketErrorCode.TICKET_FINISHED, _("A finished ticket cannot be reassigned.")
        )
    previous = ticket.assignee
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    sync_ticket_permissions(ticket)
    if assignee != actor:
        notify_staff(
            assignee,
            ticket,
            subject=_("Ticket %(number)s is yours") % {"number": ticket.number},
            body=_("%(actor)s gave you ticket %(number)s: %(subject)s")
            % {
                "actor": actor.get_username() if actor else _("The system"),
                "number": ticket.number,
                "subject": ticket.subject,
            },
        )
    record_event(
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
    record_event(
        ticket, TicketEventKind.PRIORITY, previous, priority, actor=actor, reason=reason.strip()
    )
    return ticket


@transaction.atomic
def add_note(
    ticket: Ticket, *, author, body: str, visibility: str, notify: bool = True
) -> TicketNote:
    """A note on the ticket; a staff note the customer can see is also texted to them, unless
    the caller tells them in its own message (``notify=False``)."""
    if visibility not in NoteVisibility.values:
        raise ValidationError({"visibility": ValidationError(_("Unknown visibility."), "invalid")})
    if not (body or "").strip():
        raise ValidationError({"body": ValidationError(_("Write the note."), code="required")})
    from_customer = ticket.customer.user_id is not None and author.pk == ticket.customer.user_id
    if from_customer and (
        visibility != NoteVisibility.CUSTOMER or ticket.status not in OPEN_STATUSES
    ):
        raise TicketError(
            TicketErrorCode.TICKET_FINISHED,
            _("This ticket is finished: reopen it or open a new one."),
        )
    note = TicketNote.objects.create(
        ticket=ticket, author=author, body=body.strip(), visibility=visibility
    )
    if from_customer and ticket.status == TicketStatus.WAITING_CUSTOMER:
        # The customer answered: the SLA clock runs again and the ticket is back in the works.
        transition_ticket(
            ticket, TicketStatus.IN_PROGRESS, actor=author, reason=_("The customer replied.")
        )
    elif visibility == NoteVisibility.CUSTOMER and not from_customer and notify:
        notify_customer(
            ticket,
            subject=_("A reply on your ticket %(number)s") % {"number": ticket.number},
            body=_("Ticket %(number)s: %(body)s") % {"number": ticket.number, "body": note.body},
        )
    return note


def may_own(user, queue: str) -> bool:
    """Can this user be the assignee of a ticket in ``queue``? (its role, or a supervisor)"""
    from portal.roles import Role

    return user.is_active and (QUEUE_ROLE[queue] in user.roles or Role.SUPERVISOR in user.roles)


def pick_assignee(queue: str, *, exclude_ids=()):
    """The active member of the queue's role with the fewest open tickets (None if nobody)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=QUEUE_ROLE[queue].value)
        .exclude(pk__in=exclude_ids)
        .annotate(
            load=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=OPEN_STATUSES))
        )
        .order_by("load", "pk")
        .first()
    )


@transaction.atomic
def escalate_ticket(ticket: Ticket, *, actor, reason: str) -> Ticket:
    """Hand the ticket one step up the chain by hand, with a reason; the new owner is told."""
    if not (reason or "").strip():
        raise TicketError(TicketErrorCode.REASON_REQUIRED, _("Give a reason."), field="reason")
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if ticket.status not in OPEN_STATUSES:
        raise TicketError(TicketErrorCode.TICKET_FINISHED, _("Only open tickets can be escalated."))
    if ticket.queue == Queue.SUPERVISOR:
        raise TicketError(
            TicketErrorCode.TOP_OF_CHAIN, _("Supervisors are the top of the escalation chain.")
        )
    return _escalate(ticket, actor=actor, reason=reason.strip())


def _escalate(ticket: Ticket, *, actor, reason: str) -> Ticket:
    """Move a locked ticket to the next queue and its least-loaded member."""
    previous_queue = ticket.queue
    ticket.queue = NEXT_QUEUE[Queue(previous_queue)]
    ticket.escalation_level += 1
    ticket.assignee = pick_assignee(ticket.queue)
    if ticket.status == TicketStatus.NEW and ticket.assignee is not None:
        # The new owner has it now: a ticket with an owner is at least assigned.
        ticket.status = TicketStatus.ASSIGNED
    ticket.save(update_fields=["queue", "escalation_level", "assignee", "status", "updated_at"])
    record_event(
        ticket, TicketEventKind.ESCALATION, previous_queue, ticket.queue, actor=actor, reason=reason
    )
    sync_ticket_permissions(ticket)
    if ticket.assignee is not None:
        notify_staff(
            ticket.assignee,
            ticket,
            subject=_("Escalated to you: ticket %(number)s") % {"number": ticket.number},
            body=_("Ticket %(number)s (%(subject)s) was escalated to you: %(reason)s")
            % {"number": ticket.number, "subject": ticket.subject, "reason": reason},
        )
    return ticket


@transaction.atomic
def reopen_ticket(ticket: Ticket, *, actor, reason: str, to_queue: str | None = None) -> Ticket:
    """Reopen a resolved or closed ticket, optionally handing it to another queue's member."""
    if ticket.status not in REOPENABLE:
        raise TicketError(
            TicketErrorCode.INVALID_TRANSITION,
            _("Only a resolved or closed ticket can be reopened."),
        )
    ticket = transition_ticket(ticket, TicketStatus.ASSIGNED, actor=actor, reason=reason)
    if to_queue and to_queue != ticket.queue:
        previous_queue = ticket.queue
        ticket.queue = to_queue
        ticket.assignee = pick_assignee(to_queue)
        ticket.save(update_fields=["queue", "assignee", "updated_at"])
        record_event(
            ticket, TicketEventKind.ESCALATION, previous_queue, to_queue, actor=actor, reason=reason
        )
        sync_ticket_permissions(ticket)
        if ticket.assignee is not None:
            notify_staff(
                ticket.assignee,
                ticket,
                subject=_("Reopened to you: ticket %(number)s") % {"number": ticket.number},
                body=_("Ticket %(number)s (%(subject)s) was reopened: %(reason)s")
                % {"number": ticket.number, "subject": ticket.subject, "reason": reason},
            )
    return ticket


@transaction.atomic
def resolve_ticket(
    ticket: Ticket,
    *,
    actor,
    resolution: str,
    adjustment_amount=None,
    adjustment_reason: str = "",
) -> Ticket:
    """Resolve with a summary the customer sees; a billing dispute may grant a credit.

    The credit goes through ``billing.services.grant_adjustment`` (role limit, approver and
    reason on the ledger entry) and the ticket keeps the entry. The survey is scheduled by the
    move to resolved, in this same transaction.
    """
    from billing.services import grant_adjustment

    if not (resolution or "").strip():
        raise ValidationError(
            {"resolution": ValidationError(_("Tell the customer how it was resolved."), "required")}
        )
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("customer").get(pk=ticket.pk)
    )
    if adjustment_amount is not None:
        if ticket.kind != TicketKind.BILLING_DISPUTE:
            raise ValidationError(
                {
                    "adjustment_amount": ValidationError(
                        _("Only billing disputes grant adjustments."),
                        code=TicketErrorCode.NOT_A_DISPUTE,
                    )
                }
            )
        if ticket.adjustment_entry_id is not None:
            raise TicketError(
                TicketErrorCode.ALREADY_ADJUSTED,
                _("This dispute already granted an adjustment."),
                field="adjustment_amount",
            )
        account = _dispute_account(ticket)
        entry = grant_adjustment(
            account,
            amount=adjustment_amount,
            approver=actor,
            reason=(adjustment_reason or "").strip()
            or _("Billing dispute %(number)s") % {"number": ticket.number},
        )
        ticket.adjustment_entry = entry
        ticket.save(update_fields=["adjustment_entry", "updated_at"])
        record_event(
            ticket,
            TicketEventKind.ADJUSTMENT,
            "",
            f"{entry.amount}",
            actor=actor,
            reason=entry.description,
        )
    # One message tells the customer both: resolved, and how.
    note = add_note(
        ticket, author=actor, body=resolution, visibility=NoteVisibility.CUSTOMER, notify=False
    )
    return transition_ticket(ticket, TicketStatus.RESOLVED, actor=actor, customer_detail=note.body)


def _dispute_account(ticket: Ticket):
    """The billing account a dispute is about: its line's account, else the customer's only one."""
    if ticket.subscription_id:
        return ticket.subscription.billing_account
    accounts = list(ticket.customer.billing_accounts.all()[:2])
    if len(accounts) != 1:
        raise ValidationError(
            {
                "adjustment_amount": ValidationError(
                    _("Link the dispute to a line so the credit reaches the right account."),
                    code=TicketErrorCode.NO_ACCOUNT,
                )
            }
        )
    return accounts[0]


@transaction.atomic
def add_attachment(ticket: Ticket, upload, *, actor) -> TicketAttachment:
    """Keep an uploaded photo or document with the ticket, after ``uploads.check_upload``: size,
    real type (from the bytes, not the name or the browser's claim) and a clean parse.

    The file is stored under a random name with the detected type's extension and offered as
    ``TicketAttachment.download_name``; the uploader's name is kept only as text.
    """
    checked = check_upload(upload)
    if ticket.attachments.count() >= settings.COMPLAINTS_ATTACHMENTS_PER_TICKET:
        raise ValidationError(
            {
                "file": ValidationError(
                    _("A ticket holds at most %(count)d files.")
                    % {"count": settings.COMPLAINTS_ATTACHMENTS_PER_TICKET},
                    code=TicketErrorCode.TOO_MANY_ATTACHMENTS,
                )
            }
        )
    return TicketAttachment.objects.create(
        ticket=ticket,
        file=upload,
        original_name=display_name(getattr(upload, "name", "")),
        content_type=checked.content_type,
        size=upload.size,
        uploaded_by=actor,
    )


# --- Tech support: diagnosis of a fault -------------------------------------------------------


@transaction.atomic
def add_diagnosis(ticket: Ticket, *, author, fault_location: str, body: str) -> TicketNote:
    """A tech-support engineer's diagnosis of a fault: where the fault lies, the tests run and
    what they showed. Always internal (the customer hears the resolution, not the working)."""
    errors = {}
    if fault_location not in FaultLocation.values:
        errors["fault_location"] = ValidationError(_("Say where the fault lies."), "required")
    if not (body or "").strip():
        errors["body"] = ValidationError(_("Write the tests run and what they showed."), "required")
    if errors:
        raise ValidationError(errors)
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if ticket.kind != TicketKind.FAULT:
        raise TicketError(TicketErrorCode.NOT_A_FAULT, _("Only fault reports take a diagnosis."))
    if ticket.status not in OPEN_STATUSES:
        raise TicketError(
            TicketErrorCode.TICKET_FINISHED, _("This ticket is finished: reopen it first.")
        )
    return TicketNote.objects.create(
        ticket=ticket,
        author=author,
        body=body.strip(),
        visibility=NoteVisibility.INTERNAL,
        kind=NoteKind.DIAGNOSIS,
        fault_location=fault_location,
    )
