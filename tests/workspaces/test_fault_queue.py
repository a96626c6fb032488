"""The tech-support engineer's fault queue (filtered, sorted, paged) and diagnoses of faults."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.choices import (
    FaultLocation,
    NoteKind,
    NoteVisibility,
    Priority,
    Queue,
    TicketKind,
    TicketStatus,
)
from complaints.models import Ticket, TicketNote
from complaints.selectors import ticket_detail
from complaints.services import add_diagnosis, assign_ticket
from complaints.views import staff_timeline
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.crm.factories import CustomerFactory, MobileLineFactory
from tests.workspaces.conftest import EN, HTMX_RESULTS, html_of, messages_of

QUEUE = "/workspace/tech-support/faults/"
ROWS = re.compile(r'<tr data-ticket="(TT\d+)"( class="breached")?')


def rows_of(response) -> list[str]:
    return [number for number, _breached in ROWS.findall(html_of(response))]


def due_in(ticket: Ticket, minutes: int) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(
        resolution_due_at=timezone.now() + datetime.timedelta(minutes=minutes)
    )
    return ticket


@pytest.fixture
def board(specialist, engineer):
    """Faults with deadlines 1 h ago, in 30 min, 3 h and 5 h; a finished fault, one in the
    supervisors' queue and a complaint (none of them in the default list)."""
    breached = due_in(make_ticket(specialist, priority=Priority.NORMAL), -60)
    soon = due_in(make_ticket(specialist, priority=Priority.URGENT, category="mobile_data"), 30)
    mine = due_in(make_ticket(specialist, priority=Priority.LOW, category="broadband"), 180)
    assign_ticket(mine, engineer, actor=engineer)
    later = due_in(make_ticket(specialist, priority=Priority.HIGH), 300)
    done = make_ticket(specialist)
    Ticket.objects.filter(pk=done.pk).update(status=TicketStatus.CLOSED)
    escalated = make_ticket(specialist)
    Ticket.objects.filter(pk=escalated.pk).update(queue=Queue.SUPERVISOR)
    make_ticket(specialist, TicketKind.COMPLAINT)
    return {
        "breached": breached,
        "soon": soon,
        "mine": mine,
        "later": later,
        "done": done,
        "escalated": escalated,
    }


def numbers(board, *names) -> list[str]:
    return [board[name].number for name in names]


def test_the_queue_lists_open_faults_of_tech_support_most_urgent_deadline_first(
    client, engineer, board
):
    client.force_login(engineer)

    response = client.get(QUEUE, headers=EN)

    assert response.status_code == 200
    assert ROWS.findall(html_of(response)) == [
        (board["breached"].number, ' class="breached"'),
        (board["soon"].number, ""),
        (board["mine"].number, ""),
        (board["later"].number, ""),
    ]
    assert 'aria-sort="ascending"' in html_of(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=breached", ["breached"]),
        ("state=due_soon", ["soon"]),
        ("state=finished", ["done"]),
        ("assignee=mine", ["mine"]),
        ("assignee=unassigned", ["breached", "soon", "later"]),
        ("priority=urgent", ["soon"]),
        ("category=broadband", ["mine"]),
        ("queue=all", ["breached", "soon", "mine", "later", "escalated"]),
        ("state=all&queue=all", ["breached", "soon", "mine", "later", "done", "escalated"]),
        ("sort=priority", ["soon", "later", "breached", "mine"]),
        ("sort=-deadline", ["later", "mine", "soon", "breached"]),
    ],
)
def test_filters_and_sorts(client, engineer, board, query, expected):
    if "done" in expected or "escalated" in expected:
        # Deadlines for the two without one, so that the deadline order is defined.
        due_in(board["done"], 400)
        due_in(board["escalated"], 500)
    client.force_login(engineer)

    response = client.get(f"{QUEUE}?{query}")

    assert rows_of(response) == numbers(board, *expected)


def test_diagnosed_filter_and_column_show_where_the_fault_lies(client, engineer, board):
    add_diagnosis(
        board["mine"], author=engineer, fault_location=FaultLocation.RADIO, body="基站告警。"
    )
    client.force_login(engineer)

    diagnosed = client.get(f"{QUEUE}?diagnosed=yes", headers=EN)
    undiagnosed = client.get(f"{QUEUE}?diagnosed=no", headers=EN)

    assert rows_of(diagnosed) == numbers(board, "mine")
    assert "Base station or radio coverage" in html_of(diagnosed)
    assert rows_of(undiagnosed) == numbers(board, "breached", "soon", "later")


def test_a_filter_value_that_does_not_parse_is_a_400_and_the_others_still_apply(
    client, engineer, board
):
    client.force_login(engineer)

    response = client.get(f"{QUEUE}?state=everything&priority=urgent", headers=EN)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["state"]
    assert rows_of(response) == numbers(board, "soon")


def test_pages_keep_the_filters_and_the_sort(client, specialist, engineer):
    for n in range(30):
        due_in(make_ticket(specialist), 60 + n)
    client.force_login(engineer)

    first = client.get(f"{QUEUE}?priority=high&sort=deadline")
    second = client.get(f"{QUEUE}?priority=high&sort=deadline&page=2")

    assert (len(rows_of(first)), len(rows_of(second))) == (25, 5)
    assert 'href="?priority=high&amp;sort=deadline&amp;page=2"' in html_of(first)
    assert set(rows_of(first)).isdisjoint(rows_of(second))


def test_htmx_gets_only_the_results_block(client, engineer, board):
    client.force_login(engineer)

    response = client.get(f"{QUEUE}?state=breached", headers=HTMX_RESULTS)

    html = html_of(response)
    assert html.lstrip().startswith('<section id="results"')
    assert ("<html" in html, 'id="filters"' in html) == (False, False)
    assert rows_of(response) == numbers(board, "breached")
    assert "HX-Request" in response["Vary"]
    # The sort in force goes back into the filter form (out of band), for the next filter.
    assert 'id="filter-sort" value="deadline" form="filters" hx-swap-oob="true"' in html


@pytest.mark.parametrize("size", [1, 30])
def test_the_queue_runs_a_constant_number_of_queries(
    client, specialist, engineer, django_assert_num_queries, size
):
    for _n in range(size):
        ticket = make_ticket(specialist)
        add_diagnosis(ticket, author=engineer, fault_location="radio", body="基站告警。")
    client.force_login(engineer)
    # 1 the session, 2 user, 3 their permissions; 4 the count, 5 the page of faults with customer,
    # line and assignee, and the latest diagnosis (subqueries).
    with django_assert_num_queries(5):
        response = client.get(QUEUE)

    assert len(rows_of(response)) == min(size, 25)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.TECH_SUPPORT, 200),
        (Role.SUPERVISOR, 200),
        (Role.SERVICE_SPECIALIST, 403),
        (Role.COMPLAINT_COORDINATOR, 403),
        (Role.SALES_ADVISOR, 403),
        (Role.CUSTOMER, 403),
    ],
)
def test_the_queue_belongs_to_tech_support_and_supervisors(client, personas, role, status):
    client.force_login(personas[role])

    assert client.get(QUEUE).status_code == status


# --- Diagnosis ----------------------------------------------------------------------------------


def test_the_engineer_records_a_diagnosis_on_the_ticket_page(client, specialist, engineer):
    customer_user = CustomerFactory(name="陈小华")
    line = MobileLineFactory(customer=customer_user)
    ticket = make_ticket(specialist, line=line)
    assign_ticket(ticket, engineer, actor=engineer)
    client.force_login(engineer)

    page = client.get(reverse("ticket-detail", args=[ticket.pk]), headers=EN)
    posted = client.post(
        reverse("ticket-action", args=[ticket.pk, "diagnose"]),
        {"fault_location": "radio", "body": "小区基站板卡故障，已派单更换。"},
        headers=EN,
    )

    assert 'id="diagnose-form"' in html_of(page)
    assert posted.status_code == 302
    note = TicketNote.objects.get(ticket=ticket)
    assert (note.kind, note.fault_location, note.visibility, note.author) == (
        NoteKind.DIAGNOSIS,
        FaultLocation.RADIO,
        NoteVisibility.INTERNAL,
        engineer,
    )
    after = client.get(reverse("ticket-detail", args=[ticket.pk]), headers=EN)
    assert messages_of(after) == [f"The diagnosis was added to ticket {ticket.number}."]
    assert "Diagnosis: Base station or radio coverage" in html_of(after)


def test_a_diagnosis_needs_a_location_and_the_tests_run(client, specialist, engineer):
    ticket = make_ticket(specialist)
    assign_ticket(ticket, engineer, actor=engineer)
    client.force_login(engineer)

    response = client.post(
        reverse("ticket-action", args=[ticket.pk, "diagnose"]),
        {"fault_location": "", "body": " "},
        headers=EN,
    )

    assert response.status_code == 400
    failed = next(item for item in response.context["action_forms"] if item.name == "diagnose")
    assert failed.form.errors == {
        "fault_location": ["This field is required."],
        "body": ["This field is required."],
    }
    assert TicketNote.objects.count() == 0


def test_only_open_faults_take_a_diagnosis(specialist, engineer):
    complaint = make_ticket(specialist, TicketKind.COMPLAINT)
    closed = make_ticket(specialist)
    Ticket.objects.filter(pk=closed.pk).update(status=TicketStatus.CLOSED)

    refusals = []
    for ticket in (complaint, closed):
        try:
            add_diagnosis(ticket, author=engineer, fault_location="radio", body="检查。")
        except Exception as exc:  # noqa: BLE001 - the refusal's code is what is asserted
            refusals.append(exc.code)

    assert refusals == ["not_a_fault", "ticket_finished"]
    assert TicketNote.objects.count() == 0


def test_the_customer_never_sees_a_diagnosis(client, specialist, engineer, personas):
    customer = CustomerFactory(user=personas[Role.CUSTOMER])
    ticket = make_ticket(specialist, line=MobileLineFactory(customer=customer))
    add_diagnosis(ticket, author=engineer, fault_location="core_network", body="核心网割接。")
    client.force_login(personas[Role.CUSTOMER])

    page = client.get(reverse("customer-ticket-detail", args=[ticket.pk]), headers=EN)

    assert page.status_code == 200
    assert "核心网割接" not in html_of(page)
    staff_view = staff_timeline(ticket_detail(engineer, ticket.pk))
    assert [entry.title for entry in staff_view if entry.note] == [
        "Diagnosis: Core network or platform"
    ]


def test_the_api_records_a_diagnosis_for_who_works_the_ticket(specialist, engineer, personas):
    ticket = make_ticket(specialist)
    complaint = make_ticket(specialist, TicketKind.COMPLAINT)
    api = APIClient()
    url = f"/api/v1/tickets/{ticket.pk}/diagnosis/"

    api.force_authenticate(engineer)
    done = api.post(url, {"fault_location": "access_line", "body": "光衰过大。"}, format="json")
    missing = api.post(url, {"body": ""}, format="json")
    api.force_authenticate(personas[Role.SUPERVISOR])
    wrong_kind = api.post(
        f"/api/v1/tickets/{complaint.pk}/diagnosis/",
        {"fault_location": "radio", "body": "x"},
        format="json",
    )
    api.force_authenticate(personas[Role.SALES_ADVISOR])
    refused = api.post(url, {"fault_location": "radio", "body": "x"}, format="json")

    assert done.status_code == 200
    assert [(n["kind"], n["fault_location"]) for n in done.json()["notes"]] == [
        ("diagnosis", "access_line")
    ]
    assert missing.status_code == 400
    assert {error["attr"] for error in missing.json()["errors"]} == {"fault_location", "body"}
    assert (wrong_kind.status_code, wrong_kind.json()["errors"][0]["code"]) == (409, "not_a_fault")
    assert refused.status_code == 403
