"""Reads of the complaints app, scoped to who asks and tuned to a constant number of queries.

``tickets_for`` is the one scope every list and detail starts from: a customer gets only their
own tickets (another customer's ticket id is then simply not found: 404), staff with
``complaints.view_ticket`` get all of them, anyone else none. Who may *change* a ticket is a
separate question (``permissions.can_work_ticket``).
"""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from complaints.choices import (
    OPEN_STATUSES,
    CallbackStatus,
    NoteKind,
    NoteVisibility,
    Priority,
    Queue,
    SurveyStatus,
    TicketEventKind,
    TicketKind,
)
from complaints.models import (
    Callback,
    Notification,
    Survey,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketGroupObjectPermission,
    TicketNote,
    TicketUserObjectPermission,
)
from complaints.permissions import queues_of
from portal import outbox
from portal.roles import Role

# A ticket is "due soon" on the escalation board within this much of its deadline.
DUE_SOON = datetime.timedelta(hours=2)
DEADLINE_FIRST = F("resolution_due_at").asc(nulls_last=True)


# Urgency as a number, so that sorting by priority puts urgent first (the stored values would
# sort alphabetically).
PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(Priority.values)),
    default=Value(len(Priority.values)),
    output_field=IntegerField(),
)


def breached_q(now) -> Q:
    """Open, clock running (not waiting for the customer), past the resolution deadline: the
    database form of ``Ticket.is_breached``."""
    return Q(
        status__in=OPEN_STATUSES,
        paused_at__isnull=True,
        resolution_due_at__isnull=False,
        resolution_due_at__lt=now,
    )


def due_soon_q(now) -> Q:
    """Open, clock running, due within ``DUE_SOON`` but not yet past it."""
    return Q(
        status__in=OPEN_STATUSES,
        paused_at__isnull=True,
        resolution_due_at__gte=now,
        resolution_due_at__lt=now + DUE_SOON,
    )


def is_customer(user) -> bool:
    return user.is_authenticated and user.has_role(Role.CUSTOMER)


def tickets_for(user) -> QuerySet[Ticket]:
    if not user.is_authenticated:
        return Ticket.objects.none()
    if is_customer(user):
        return Ticket.objects.filter(customer__user=user)
    if user.has_perm("complaints.view_ticket"):
        return Ticket.objects.all()
    return Ticket.objects.none()


def _list_related(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return queryset.select_related("customer", "subscription", "assignee")


def queue_tickets(user, queue: str | None = None, *, mine: bool = False) -> QuerySet[Ticket]:
    """Open tickets of the user's queues (or one of them), most urgent deadline first.

    Breached tickets sort first by construction (their deadline is the earliest); tickets
    without a deadline come last.
    """
    queues = queues_of(user)
    scope = tickets_for(user).filter(status__in=OPEN_STATUSES)
    if queue is not None:
        # One queue's tab: only that queue, and only if the user works it.
        scope = scope.filter(queue=queue) if queue in queues else scope.none()
    else:
        # Everything the user works: their queues, plus what is assigned to them elsewhere.
        scope = scope.filter(Q(queue__in=queues) | Q(assignee=user))
    if mine:
        scope = scope.filter(assignee=user)
    return _list_related(scope).order_by(DEADLINE_FIRST, "priority", "pk")


def customer_tickets(user) -> QuerySet[Ticket]:
    """A customer's own tickets, newest first."""
    return _list_related(tickets_for(user)).order_by("-created_at", "-pk")


def customer_messages(user) -> QuerySet[Notification]:
    """What was sent to a signed-in customer (SMS and e-mail about their tickets), newest
    first. Staff read the whole outbox in the admin."""
    if not is_customer(user):
        return Notification.objects.none()
    return (
        Notification.objects.filter(customer__user=user)
        .select_related("ticket")
        .order_by("-created_at", "-pk")
    )


def ticket_detail(user, pk: int) -> Ticket:
    """One ticket with its timeline, notes (only customer-visible ones for a customer),
    attachments and surveys, in a fixed number of queries. Raises ``Ticket.DoesNotExist``."""
    notes = TicketNote.objects.select_related("author")
    scope = tickets_for(user)
    events = TicketEvent.objects.select_related("actor")
    if is_customer(user):
        notes = notes.filter(visibility=NoteVisibility.CUSTOMER)
        # Status changes only: assignments, escalations and priorities are the staff's business.
        events = events.filter(kind=TicketEventKind.STATUS)
    else:
        scope = with_work_permission(scope, user)
    return (
        scope.select_related(
            "customer",
            "subscription",
            "assignee",
            "created_by",
            "interaction",
            "adjustment_entry",
        )
        .prefetch_related(
            Prefetch("events", queryset=events),
            Prefetch("notes", queryset=notes),
            Prefetch("attachments", queryset=TicketAttachment.objects.order_by("created_at")),
            Prefetch("surveys", queryset=Survey.objects.order_by("-created_at")),
        )
        .get(pk=pk)
    )


def with_work_permission(queryset: QuerySet[Ticket], user) -> QuerySet[Ticket]:
    """Annotate whether ``user`` holds guardian's ``work_ticket`` on each ticket (as assignee
    or through a group), read from guardian's tables in the same query as the ticket; see
    ``permissions.can_work_ticket``."""
    # The content type from Django's per-process cache: two joins fewer in each subquery.
    permission = {
        "permission__codename": "work_ticket",
        "permission__content_type": ContentType.objects.get_for_model(Ticket),
    }
    by_user = TicketUserObjectPermission.objects.filter(
        content_object=OuterRef("pk"), user=user, **permission
    )
    by_group = TicketGroupObjectPermission.objects.filter(
        content_object=OuterRef("pk"), group__user=user, **permission
    )
    return queryset.annotate(
        work_permission_user_id=Value(user.pk),
        has_work_permission=Exists(by_user) | Exists(by_group),
    )


def ticket_by_number(user, number: str) -> Ticket | None:
    return tickets_for(user).filter(number=number.strip().upper()).first()


def escalation_board(user, now: datetime.datetime | None = None) -> dict[str, list[Ticket]]:
    """Open complaints-side tickets by SLA state: breached, due soon, on track, paused."""
    now = now or timezone.now()
    tickets = escalation_tickets(user).order_by(DEADLINE_FIRST, "pk")
    board = {"breached": [], "due_soon": [], "on_track": [], "paused": []}
    for ticket in tickets[:500]:
        if ticket.paused_at is not None:
            board["paused"].append(ticket)
        elif ticket.resolution_due_at and ticket.resolution_due_at < now:
            board["breached"].append(ticket)
        elif ticket.resolution_due_at and ticket.resolution_due_at < now + DUE_SOON:
            board["due_soon"].append(ticket)
        else:
            board["on_track"].append(ticket)
    return board


def escalation_tickets(user) -> QuerySet[Ticket]:
    """What the escalation board shows: open tickets of the complaints and supervisor queues
    the user works, and every escalated one."""
    queues = [q for q in (Queue.COMPLAINTS, Queue.SUPERVISOR) if q in queues_of(user)]
    return _list_related(
        tickets_for(user)
        .filter(status__in=OPEN_STATUSES)
        .filter(Q(queue__in=queues) | Q(escalation_level__gt=0))
    )


def callbacks_for(user, *, open_only: bool = True) -> QuerySet[Callback]:
    """Callbacks for a specialist (theirs and unassigned ones), all of them for supervisors."""
    if not user.has_perm("complaints.view_callback"):
        return Callback.objects.none()
    scope = Callback.objects.select_related("ticket__customer", "ticket__subscription", "survey")
    if open_only:
        scope = scope.filter(status="open")
    if not user.has_role(Role.SUPERVISOR) and not user.has_role(Role.COMPLAINT_COORDINATOR):
        scope = scope.filter(Q(assignee=user) | Q(assignee__isnull=True))
    return scope.order_by("due_at", "pk")


def low_score_surveys(user, *, days: int = 30) -> QuerySet[Survey]:
    """Recent answers with a score of 2 or less or "not resolved", for the coordinators."""
    if not user.has_perm("complaints.view_survey"):
        return Survey.objects.none()
    since = timezone.now() - datetime.timedelta(days=days)
    return (
        _low_scores()
        .filter(answered_at__gte=since)
        .select_related("ticket__customer", "ticket__assignee")
        .order_by("-answered_at")
    )


def undelivered_messages(user) -> QuerySet[Notification]:
    """Messages that failed for good or wait for another attempt after failed ones (the outbox
    page of supervisors), with their ticket; nothing for anyone who may not read the outbox."""
    if not user.has_perm("complaints.view_notification"):
        return Notification.objects.none()
    return Notification.objects.filter(outbox.PROBLEMS).select_related("ticket")


def _low_scores() -> QuerySet[Survey]:
    """Answered surveys of tickets that count as low (``Survey.is_low`` in SQL)."""
    return Survey.objects.filter(status=SurveyStatus.ANSWERED, ticket__isnull=False).filter(
        Q(score__lte=2) | Q(resolved=False)
    )


def notifications_for(user, *, limit: int = 20) -> list[Notification]:
    """The staff member's own latest notifications (escalations, assignments)."""
    return list(
        Notification.objects.filter(user=user).select_related("ticket").order_by("-pk")[:limit]
    )


# --- Staff workspaces -------------------------------------------------------------------------


def fault_tickets(user) -> QuerySet[Ticket]:
    """Fault reports the user may read, for the tech-support fault queue: with customer, line
    and assignee, where the latest diagnosis placed the fault (a subquery, same query), and
    ``urgency`` (urgent lowest) to sort the most urgent first."""
    latest = TicketNote.objects.filter(ticket=OuterRef("pk"), kind=NoteKind.DIAGNOSIS).order_by(
        "-created_at", "-pk"
    )
    return _list_related(tickets_for(user).filter(kind=TicketKind.FAULT)).annotate(
        diagnosed_at=Subquery(latest.values("created_at")[:1]),
        diagnosis_location=Subquery(latest.values("fault_location")[:1]),
        urgency=-PRIORITY_RANK,
    )


def dispute_tickets(user) -> QuerySet[Ticket]:
    """Billing disputes the user may read, with the adjustment each one granted (if any)."""
    return (
        _list_related(tickets_for(user).filter(kind=TicketKind.BILLING_DISPUTE))
        .select_related("adjustment_entry")
        .annotate(urgency=-PRIORITY_RANK)
    )


def ticket_counts(user, tickets: QuerySet[Ticket], now: datetime.datetime) -> dict[str, int]:
    """Open, breached, due-soon, the user's own and unassigned open tickets of ``tickets``,
    in one aggregate query."""
    is_open = Q(status__in=OPEN_STATUSES)
    return tickets.order_by().aggregate(
        open=Count("pk", filter=is_open),
        breached=Count("pk", filter=breached_q(now)),
        due_soon=Count("pk", filter=due_soon_q(now)),
        mine=Count("pk", filter=is_open & Q(assignee=user)),
        unassigned=Count("pk", filter=is_open & Q(assignee__isnull=True)),
    )


def low_score_reviews(user) -> QuerySet[Survey]:
    """Every answered survey with a score of 2 or less or "not resolved", newest first, with
    its ticket, customer, assignee and reviewer; for those who read surveys."""
    if not user.has_perm("complaints.view_survey"):
        return Survey.objects.none()
    return (
        _low_scores()
        .select_related("ticket__customer", "ticket__subscription", "ticket__assignee")
        .select_related("reviewed_by")
        .annotate(
            callback_waiting=Exists(
                Callback.objects.filter(ticket=OuterRef("ticket_id"), status=CallbackStatus.OPEN)
            )
        )
        .order_by("-answered_at", "-pk")
    )
