"""Per-object permissions: the assignee and the queue's role work a ticket, nobody else."""

import pytest
from django.contrib.auth.models import Group

from complaints import selectors
from complaints.choices import NoteVisibility, Queue, TicketKind
from complaints.models import Ticket, TicketGroupObjectPermission, TicketUserObjectPermission
from complaints.permissions import can_work_ticket
from complaints.services import add_note, assign_ticket, escalate_ticket
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.crm.factories import CustomerFactory, MobileLineFactory


def holders(ticket):
    users = set(
        TicketUserObjectPermission.objects.filter(content_object=ticket).values_list(
            "user__username", flat=True
        )
    )
    groups = set(
        TicketGroupObjectPermission.objects.filter(content_object=ticket).values_list(
            "group__name", flat=True
        )
    )
    return users, groups


def test_a_fault_is_workable_by_tech_support_and_supervisors_only(personas):
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST])

    allowed = {role for role in Role if can_work_ticket(personas[role], ticket)}

    assert allowed == {Role.TECH_SUPPORT, Role.SUPERVISOR}
    assert not can_work_ticket(personas["outsider"], ticket)
    assert holders(ticket) == (set(), {Role.TECH_SUPPORT.value})


def test_reassignment_moves_the_assignees_permission(personas, make_user):
    first = personas[Role.TECH_SUPPORT]
    second = make_user(Role.TECH_SUPPORT, username="engineer-2")
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST])

    assign_ticket(ticket, first, actor=first)
    assert holders(ticket)[0] == {first.username}
    assign_ticket(ticket, second, actor=first, reason="换班")

    assert holders(ticket)[0] == {second.username}


def test_escalation_moves_the_queue_permission_to_the_next_role(personas):
    engineer = personas[Role.TECH_SUPPORT]
    ticket = assign_ticket(make_ticket(personas[Role.SERVICE_SPECIALIST]), engineer, actor=engineer)

    ticket = escalate_ticket(ticket, actor=engineer, reason="需要主管协调基站维修")

    assert ticket.queue == Queue.SUPERVISOR
    assert ticket.assignee == personas[Role.SUPERVISOR]
    assert holders(ticket) == ({personas[Role.SUPERVISOR].username}, {Role.SUPERVISOR.value})
    # Fresh user objects: Django caches permissions per user instance.
    engineer = type(engineer).objects.get(pk=engineer.pk)
    assert not can_work_ticket(engineer, ticket)


def test_a_complaint_goes_to_the_coordinators(personas):
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST], kind=TicketKind.COMPLAINT)

    assert can_work_ticket(personas[Role.COMPLAINT_COORDINATOR], ticket)
    assert not can_work_ticket(personas[Role.TECH_SUPPORT], ticket)
    assert not can_work_ticket(personas[Role.SALES_ADVISOR], ticket)


def test_a_member_leaving_the_role_loses_the_queue_permission(personas):
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST])
    engineer = personas[Role.TECH_SUPPORT]
    engineer.groups.remove(Group.objects.get(name=Role.TECH_SUPPORT.value))
    engineer = type(engineer).objects.get(pk=engineer.pk)

    assert not can_work_ticket(engineer, ticket)


@pytest.fixture
def customer_user(make_user):
    user = make_user(Role.CUSTOMER, username="customer-a")
    line = MobileLineFactory(customer=CustomerFactory(user=user))
    return user, line


def test_customers_see_their_own_tickets_and_only_customer_visible_notes(personas, customer_user):
    user, line = customer_user
    agent = personas[Role.SERVICE_SPECIALIST]
    own = make_ticket(agent, line=line)
    other = make_ticket(agent)
    add_note(own, author=agent, body="疑似基站问题", visibility=NoteVisibility.INTERNAL)
    add_note(own, author=agent, body="工程师明天上门", visibility=NoteVisibility.CUSTOMER)

    visible = selectors.ticket_detail(user, own.pk)

    assert list(selectors.tickets_for(user)) == [own]
    assert [note.body for note in visible.notes.all()] == ["工程师明天上门"]
    with pytest.raises(Ticket.DoesNotExist):
        selectors.ticket_detail(user, other.pk)


def test_staff_see_all_notes_and_outsiders_see_no_tickets(personas):
    agent = personas[Role.SERVICE_SPECIALIST]
    ticket = make_ticket(agent)
    add_note(ticket, author=agent, body="内部备注", visibility=NoteVisibility.INTERNAL)

    detail = selectors.ticket_detail(personas[Role.SALES_ADVISOR], ticket.pk)

    assert [note.body for note in detail.notes.all()] == ["内部备注"]
    assert not selectors.tickets_for(personas["outsider"]).exists()


def test_queue_lists_the_users_queues_most_urgent_first(personas):
    agent = personas[Role.SERVICE_SPECIALIST]
    engineer = personas[Role.TECH_SUPPORT]
    high = make_ticket(agent)
    urgent = make_ticket(agent, priority="urgent")
    make_ticket(agent, kind=TicketKind.COMPLAINT)

    queue = list(selectors.queue_tickets(engineer))

    assert queue == [urgent, high]


def test_the_detail_read_answers_the_permission_question_like_guardian(personas):
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST])
    for role in Role:
        user = personas[role]
        if role == Role.CUSTOMER:
            continue
        detail = selectors.ticket_detail(user, ticket.pk)
        fresh = type(user).objects.get(pk=user.pk)
        assert can_work_ticket(user, detail) == can_work_ticket(fresh, ticket), role
