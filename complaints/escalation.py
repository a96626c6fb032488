"""The SLA sweep: tickets past a deadline go one step up the escalation chain, once per breach.

Run by beat every minute (``tasks.escalate_breached_tickets_task``). Set-based: each batch is
one locked read, one ``UPDATE`` per new (queue, owner, status), and bulk inserts of the history,
the permissions and the notifications, whatever the batch size. A ticket records the deadline
it was escalated for (``*_breach_escalated_for``), so the next sweep leaves it alone until a
new deadline (a priority change, a pause) is breached too. Two sweeps running at once take
disjoint rows (``SKIP LOCKED`` on PostgreSQL; SQLite serialises writers).
"""

import datetime
from collections import Counter, defaultdict

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Case, Count, F, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.choices import NEXT_QUEUE, OPEN_STATUSES, Queue, TicketEventKind, TicketStatus
from complaints.models import (
    Notification,
    Ticket,
    TicketEvent,
    TicketGroupObjectPermission,
    TicketUserObjectPermission,
)
from complaints.notifications import staff_notification
from complaints.permissions import QUEUE_ROLE, sync_many_ticket_permissions
from portal.bulk_sql import insert_rows

BATCH_SIZE = 5000
# What the sweep reads of a ticket: the rest of the row stays in the database.
SWEEP_FIELDS = (
    "number",
    "subject",
    "queue",
    "status",
    "assignee_id",
    "escalation_level",
    "response_due_at",
    "resolution_due_at",
    "first_response_at",
)
# The history rows it writes, as tuples in this order.
EVENT_FIELDS = ("ticket", "kind", "from_value", "to_value", "actor", "reason", "created_at")


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
                .only(*SWEEP_FIELDS)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")[:BATCH_SIZE]
            )
            if not batch:
                return escalated
            _escalate_batch(batch, now, assigner)
            escalated += len(batch)


def _escalate_batch(tickets: list[Ticket], now: datetime.datetime, assigner: _Assigner) -> None:
    events = []
    escalated_to: dict[int, list[Ticket]] = defaultdict(list)
    # Translated once per batch, not once per ticket.
    template = _("SLA breached: %(which)s was due %(deadline)s")
    which_resolution, which_response = _("resolution"), _("first response")
    for ticket in tickets:
        resolution_breached = ticket.resolution_due_at and ticket.resolution_due_at < now
        which = which_resolution if resolution_breached else which_response
        deadline = ticket.resolution_due_at if resolution_breached else ticket.response_due_at
        previous_queue = ticket.queue
        ticket.queue = NEXT_QUEUE[Queue(previous_queue)]
        ticket.escalation_level += 1
        if ticket.queue != previous_queue or ticket.assignee_id is None:
            ticket.assignee_id = assigner.next_for(ticket.queue)
        reason = template % {
            "which": which,
            "deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M"),
        }
        events.append(
            (ticket.pk, TicketEventKind.ESCALATION, previous_queue, ticket.queue, None, reason, now)
        )
        if ticket.status == TicketStatus.NEW and ticket.assignee_id is not None:
            # The new owner has it now: a ticket with an owner is at least assigned.
            ticket.status = TicketStatus.ASSIGNED
            events.append(
                (ticket.pk, TicketEventKind.STATUS, TicketStatus.NEW, ticket.status, None, "", now)
            )
        if ticket.assignee_id is not None:
            escalated_to[ticket.assignee_id].append(ticket)
    _save_escalations(tickets, now)
    insert_rows(TicketEvent, EVENT_FIELDS, events)
    _move_permissions(tickets)
    _tell_new_owners(escalated_to)


def _save_escalations(tickets: list[Ticket], now: datetime.datetime) -> None:
    """One UPDATE per (queue, owner, status): a handful of statements for any batch size."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for ticket in tickets:
        groups[(ticket.queue, ticket.assignee_id, ticket.status)].append(ticket.pk)
    for (queue, assignee_id, status), ids in groups.items():
        Ticket.objects.filter(pk__in=ids).update(
            queue=queue,
            assignee_id=assignee_id,
            status=status,
            escalation_level=F("escalation_level") + 1,
            # Remember which deadlines were escalated: each breach escalates once.
            response_breach_escalated_for=Case(
                When(
                    first_response_at__isnull=True,
                    response_due_at__lt=now,
                    then=F("response_due_at"),
                ),
                default=F("response_breach_escalated_for"),
            ),
            resolution_breach_escalated_for=Case(
                When(resolution_due_at__lt=now, then=F("resolution_due_at")),
                default=F("resolution_breach_escalated_for"),
            ),
            updated_at=now,
        )


def _move_permissions(tickets: list[Ticket]) -> None:
    """Queue permission: re-point each ticket's group row to the new queue's role (one UPDATE
    per queue); the assignee's row is replaced. Falls back to the full sync if rows are off."""
    permission = Permission.objects.get(
        content_type__app_label="complaints", codename="work_ticket"
    )
    groups = {
        g.name: g.pk for g in Group.objects.filter(name__in=[r.value for r in QUEUE_ROLE.values()])
    }
    by_queue: dict[str, list[int]] = defaultdict(list)
    for ticket in tickets:
        by_queue[ticket.queue].append(ticket.pk)
    moved = sum(
        TicketGroupObjectPermission.objects.filter(
            content_object_id__in=ids, permission=permission
        ).update(group_id=groups[QUEUE_ROLE[queue].value])
        for queue, ids in by_queue.items()
        if QUEUE_ROLE[queue].value in groups
    )
    if moved != len(tickets):
        sync_many_ticket_permissions(tickets)
        return
    ids = [ticket.pk for ticket in tickets]
    TicketUserObjectPermission.objects.filter(
        content_object_id__in=ids, permission=permission
    ).delete()
    insert_rows(
        TicketUserObjectPermission,
        ("content_object", "user", "permission"),
        (
            (ticket.pk, ticket.assignee_id, permission.pk)
            for ticket in tickets
            if ticket.assignee_id is not None
        ),
    )


def _tell_new_owners(escalated_to: dict[int, list[Ticket]]) -> None:
    """One message per new owner and sweep, listing their tickets (not one per ticket)."""
    owners = get_user_model().objects.in_bulk(list(escalated_to))
    notifications = []
    for user_id, owned in escalated_to.items():
        numbers = [ticket.number for ticket in owned]
        if len(owned) == 1:
            ticket = owned[0]
            subject = _("Escalated to you: ticket %(number)s") % {"number": ticket.number}
            body = _(
                "Ticket %(number)s (%(subject)s) passed its SLA deadline and is yours now."
            ) % {
                "number": ticket.number,
                "subject": ticket.subject,
            }
        else:
            ticket = None
            subject = _("%(count)d tickets escalated to you") % {"count": len(owned)}
            shown = ", ".join(numbers[:50]) + (" …" if len(numbers) > 50 else "")
            body = _("These tickets passed their SLA deadline and are yours now: %(numbers)s") % {
                "numbers": shown
            }
        notifications.append(
            staff_notification(owners[user_id], ticket, subject=subject, body=body)
        )
    Notification.objects.bulk_create(notifications)
