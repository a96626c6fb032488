"""Who may work a ticket: django-guardian object permissions, kept in step with the ticket.

The assignee holds ``complaints.work_ticket`` on the ticket as a user permission and the role
of the ticket's queue holds it as a group permission; ``sync_ticket_permissions`` moves both
whenever the assignee or the queue changes (assignment, escalation, reopening). Supervisors
hold the permission for every ticket (model level): they take over what the team cannot
resolve. Everyone else on the staff may read tickets but not change them; customers reach only
their own tickets through ``selectors.tickets_for``.
"""

from django.contrib.auth.models import Group, Permission

from complaints.choices import Queue
from complaints.models import Ticket, TicketGroupObjectPermission, TicketUserObjectPermission
from portal.roles import ROLE_SPECS, Role

WORK_TICKET = "complaints.work_ticket"

QUEUE_ROLE: dict[str, Role] = {
    Queue.FIRST_CONTACT: Role.SERVICE_SPECIALIST,
    Queue.TECH_SUPPORT: Role.TECH_SUPPORT,
    Queue.COMPLAINTS: Role.COMPLAINT_COORDINATOR,
    Queue.SUPERVISOR: Role.SUPERVISOR,
}
ROLE_QUEUE: dict[Role, str] = {role: queue for queue, role in QUEUE_ROLE.items()}


def _work_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="complaints", codename="work_ticket")


def sync_ticket_permissions(ticket: Ticket) -> None:
    """Grant ``work_ticket`` on this ticket to exactly its assignee and its queue's role."""
    sync_many_ticket_permissions([ticket])


def sync_many_ticket_permissions(tickets: list[Ticket]) -> None:
    """The set-based form for sweeps: a constant number of queries for any number of tickets."""
    if not tickets:
        return
    permission = _work_permission()
    ids = [ticket.pk for ticket in tickets]
    groups = {group.name: group for group in Group.objects.filter(name__in=_queue_group_names())}
    TicketUserObjectPermission.objects.filter(
        content_object_id__in=ids, permission=permission
    ).delete()
    TicketGroupObjectPermission.objects.filter(
        content_object_id__in=ids, permission=permission
    ).delete()
    TicketUserObjectPermission.objects.bulk_create(
        TicketUserObjectPermission(
            content_object_id=ticket.pk, user_id=ticket.assignee_id, permission=permission
        )
        for ticket in tickets
        if ticket.assignee_id is not None
    )
    TicketGroupObjectPermission.objects.bulk_create(
        TicketGroupObjectPermission(
            content_object_id=ticket.pk,
            group=groups[QUEUE_ROLE[ticket.queue].value],
            permission=permission,
        )
        for ticket in tickets
        if QUEUE_ROLE[ticket.queue].value in groups
    )


def _queue_group_names() -> list[str]:
    return [role.value for role in QUEUE_ROLE.values()]


def can_work_ticket(user, ticket: Ticket) -> bool:
    """May this staff member change the ticket (move, note, assign, escalate, resolve)?"""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.has_perm(WORK_TICKET):
        return True
    if getattr(ticket, "work_permission_user_id", None) == user.pk:
        # Already read from guardian's tables with the ticket (selectors.with_work_permission).
        return ticket.has_work_permission
    return user.has_perm(WORK_TICKET, ticket)


def queues_of(user) -> list[str]:
    """The queues a staff member works, from their roles (supervisors see every queue)."""
    if user.has_role(Role.SUPERVISOR):
        return list(Queue.values)
    return [ROLE_QUEUE[role] for role in user.roles if role in ROLE_QUEUE]


# The complaint desk: the escalation board and the low-score reviews. The coordinators own
# complaints, supervisors the top of the chain.
COMPLAINT_DESK = (Role.COMPLAINT_COORDINATOR, Role.SUPERVISOR)


def may_review_low_scores(user) -> bool:
    """The coordinators' and supervisors' section, and reading surveys."""
    return (
        user.is_authenticated
        and any(user.has_perm(ROLE_SPECS[role].permission) for role in COMPLAINT_DESK)
        and user.has_perm("complaints.view_survey")
    )
