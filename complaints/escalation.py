"""The SLA sweep: tickets past a deadline go one step up the escalation chain, once per breach.

Run by beat every minute (``tasks.escalate_breached_tickets_task``). Set-based: each batch is
one locked read, one bulk update, and bulk inserts of the history, the permissions and the
notifications, whatever the batch size. A ticket records the deadline it was escalated for
(``*_breach_escalated_for``), so the next sweep leaves it alone until a new deadline (a
priority change, a pause) is breached too. Two sweeps running at once take disjoint rows
(``SKIP LOCKED`` on PostgreSQL; SQLite serialises writers).
"""

import datetime
from collections import Counter

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.choices import NEXT_QUEUE, OPEN_STATUSES, Queue, TicketEventKind, TicketStatus
from complaints.models import Notification, Ticket, TicketEvent
from complaints.notifications import staff_notification
from complaints.permissions import QUEUE_ROLE, sync_many_ticket_permissions

BATCH_SIZE = 2000


def breached_tickets(now: datetime.datetime):
    """Open, running tickets past a deadline the sweep has not yet escalated."""
    resolution_breach = Q(resolution_due_at__lt=now) & (
        Q(resolution_breach_escalated_for__isnull=True)
        | ~Q(resolution_breach_escalated_for=F("resolution_due_at"))
    )
    response_breach = Q(first_response_at__isnull=True, response_due_at__lt=now) & (
        Q(response_breach_escalated_for__isnull=True)
        | ~Q(response_breach_escalated_for=F("response_due_at"))
    )
    return Ticket.objects.filter(
        resolution_breach | response_breach,
        status__in=OPEN_STATUSES,
        paused_at__isnull=True,
    )


class _Assigner:
    """Hands escalated tickets to the least-loaded member of each queue's role, in turn."""

    def __init__(self):
        self.loads: dict[str, Counter] = {}

    def next_for(self, queue: str):
        if queue not in self.loads:
            members = (
                get_user_model()
                .objects.filter(is_active=True, groups__name=QUEUE_ROLE[queue].value)
                .annotate(
                    load=Count(
                        "assigned_tickets",
                        filter=Q(assigned_tickets__status__in=OPEN_STATUSES),
                    )
                )
                .order_by("pk")
            )
            self.loads[queue] = Counter({member.pk: member.load for member in members})
        loads = self.loads[queue]
        if not loads:
            return None
        user_id = min(loads, key=lambda pk: (loads[pk], pk))
        loads[user_id] += 1
        return user_id


def escalate_breached_tickets(now: datetime.datetime | None = None) -> int:
    """Escalate every newly breached ticket once; returns how many were escalated."""
    now = now or timezone.now()
    assigner = _Assigner()
    escalated = 0
    while True:
        with transaction.atomic():
            batch = list(
                breached_tickets(now)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")[:BATCH_SIZE]
            )
            if not batch:
                return escalated
            _escalate_batch(batch, now, assigner)
            escalated += len(batch)


def _escalate_batch(tickets: list[Ticket], now: datetime.datetime, assigner: _Assigner) -> None:
    events, notifications = [], []
    owners = get_user_model().objects.in_bulk(
        {ticket.assignee_id for ticket in tickets if ticket.assignee_id}
    )
    for ticket in tickets:
        resolution_breached = ticket.resolution_due_at and ticket.resolution_due_at < now
        which = _("resolution") if resolution_breached else _("first response")
        deadline = ticket.resolution_due_at if resolution_breached else ticket.response_due_at
        previous_queue = ticket.queue
        ticket.queue = NEXT_QUEUE[Queue(previous_queue)]
        ticket.escalation_level += 1
        if ticket.queue != previous_queue or ticket.assignee_id is None:
            ticket.assignee_id = assigner.next_for(ticket.queue)
        if ticket.status == TicketStatus.NEW and ticket.assignee_id is not None:
            ticket.status = TicketStatus.ASSIGNED
            events.append(
                TicketEvent(
                    ticket=ticket,
                    kind=TicketEventKind.STATUS,
                    from_value=TicketStatus.NEW,
                    to_value=TicketStatus.ASSIGNED,
                )
            )
        if (
            ticket.response_due_at
            and ticket.first_response_at is None
            and ticket.response_due_at < now
        ):
            ticket.response_breach_escalated_for = ticket.response_due_at
        if resolution_breached:
            ticket.resolution_breach_escalated_for = ticket.resolution_due_at
        ticket.updated_at = now
        reason = _("SLA breached: %(which)s was due %(deadline)s") % {
            "which": which,
            "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M"),
        }
        events.append(
            TicketEvent(
                ticket=ticket,
                kind=TicketEventKind.ESCALATION,
                from_value=previous_queue,
                to_value=ticket.queue,
                reason=reason,
            )
        )
        if ticket.assignee_id is not None:
            if ticket.assignee_id not in owners:
                owners.update(get_user_model().objects.in_bulk([ticket.assignee_id]))
            notifications.append(
                staff_notification(
                    owners[ticket.assignee_id],
                    ticket,
                    subject=_("Escalated to you: ticket %(number)s") % {"number": ticket.number},
                    body=_("Ticket %(number)s (%(subject)s) was escalated to you: %(reason)s")
                    % {"number": ticket.number, "subject": ticket.subject, "reason": reason},
                )
            )
    Ticket.objects.bulk_update(
        tickets,
        [
            "queue",
            "escalation_level",
            "assignee",
            "status",
            "response_breach_escalated_for",
            "resolution_breach_escalated_for",
            "updated_at",
        ],
    )
    TicketEvent.objects.bulk_create(events)
    Notification.objects.bulk_create(notifications)
    sync_many_ticket_permissions(tickets)
