"""The tickets and callbacks API: scope, opening, every action allowed and refused, filters."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing.choices import LedgerEntryKind
from billing.models import LedgerEntry
from billing.services import balance_of
from complaints.choices import (
    CallbackStatus,
    NoteVisibility,
    Priority,
    SurveyStatus,
    TicketKind,
    TicketStatus,
)
from complaints.models import Callback, Survey, Ticket, TicketNote
from complaints.services import add_note, assign_ticket, resolve_ticket, transition_ticket
from complaints.surveys import create_due_callbacks
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.crm.factories import CustomerFactory, MobileLineFactory

EN = {"accept-language": "en"}
LIST = reverse("api-ticket-list")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def detail_url(ticket) -> str:
    return reverse("api-ticket-detail", args=[ticket.pk])


def act(user, ticket, action: str, body: dict | None = None):
    return client_for(user).post(
        reverse(f"api-ticket-{action}", args=[ticket.pk]), body or {}, format="json", headers=EN
    )


def errors(response) -> list[tuple[str | None, str]]:
    return sorted((error["attr"], error["code"]) for error in response.json()["errors"])


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def customer_login(make_user):
    return make_user(Role.CUSTOMER, username="self-service")


@pytest.fixture
def line(customer_login):
    customer = CustomerFactory(name="王小明", user=customer_login)
    return MobileLineFactory(customer=customer, msisdn="13912345678")


@pytest.fixture
def fault(specialist, line):
    """A new fault on the customer's line: the tech-support queue's."""
    return make_ticket(specialist, TicketKind.FAULT, line=line)


def in_progress(ticket, engineer):
    ticket = assign_ticket(ticket, engineer, actor=engineer)
    return transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=engineer)


# --- Scope ----------------------------------------------------------------------------------


def test_a_customer_lists_only_their_own_tickets_masked(customer_login, fault, specialist):
    make_ticket(specialist, TicketKind.COMPLAINT)

    response = client_for(customer_login).get(LIST)

    row = response.json()["results"][0]
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert row["id"] == fault.pk
    assert row["customer"] == {"id": fault.customer_id, "name": "王**"}
    assert row["subscription"] == {"id": fault.subscription_id, "msisdn": "139****5678"}
    assert (row["number"], row["kind"], row["status"], row["queue"], row["priority"]) == (
        fault.number,
        "fault",
        "new",
        "tech_support",
        "high",
    )
    assert (row["assignee"], row["breached"], row["escalation_level"]) == (None, False, 0)


def test_another_customers_ticket_is_not_found(customer_login, specialist):
    stranger = make_ticket(specialist, TicketKind.COMPLAINT)
    client = client_for(customer_login)

    read = client.get(detail_url(stranger))
    reply = act(customer_login, stranger, "note", {"body": "这是我的吗？"})

    assert (read.status_code, reply.status_code) == (404, 404)
    assert stranger.notes.count() == 0


def test_an_outsider_may_not_list_read_or_open_tickets(personas, fault, line):
    client = client_for(personas["outsider"])

    responses = [
        client.get(LIST),
        client.get(detail_url(fault)),
        client.post(
            LIST,
            {
                "kind": "inquiry",
                "category": "products",
                "subject": "套餐",
                "description": "想换套餐",
                "customer": line.customer_id,
                "channel": "hotline",
            },
            format="json",
        ),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403]


def test_staff_read_the_whole_timeline_and_the_surveys(engineer, fault):
    ticket = in_progress(fault, engineer)
    add_note(ticket, author=engineer, body="基站告警已派单", visibility=NoteVisibility.INTERNAL)
    resolve_ticket(ticket, actor=engineer, resolution="基站已修复，信号恢复。")

    body = client_for(engineer).get(detail_url(fault)).json()

    assert [(e["kind"], e["from_value"], e["to_value"]) for e in body["events"]] == [
        ("status", "", "new"),
        ("assignment", "", engineer.username),
        ("status", "new", "assigned"),
        ("status", "assigned", "in_progress"),
        ("status", "in_progress", "resolved"),
    ]
    assert [e["actor"] for e in body["events"]] == ["persona-service_specialist"] + [
        engineer.username
    ] * 4
    assert [(n["visibility"], n["body"], n["author"]) for n in body["notes"]] == [
        ("internal", "基站告警已派单", engineer.username),
        ("customer", "基站已修复，信号恢复。", engineer.username),
    ]
    assert [(s["status"], s["score"], s["resolved"]) for s in body["surveys"]] == [
        ("scheduled", None, None)
    ]
    assert (body["status"], body["adjustment"], body["attachments"]) == ("resolved", None, [])


def test_a_customer_sees_neither_internal_notes_nor_surveys(customer_login, engineer, fault):
    ticket = in_progress(fault, engineer)
    add_note(ticket, author=engineer, body="内部：疑似基站故障", visibility=NoteVisibility.INTERNAL)
    resolve_ticket(ticket, actor=engineer, resolution="基站已修复。")

    body = client_for(customer_login).get(detail_url(fault)).json()

    assert [note["body"] for note in body["notes"]] == ["基站已修复。"]
    assert "surveys" not in body
    assert body["description"] == "客厅里打电话经常断线。"
    # The timeline shows the status changes, without staff names or their reasons.
    assert {event["kind"] for event in body["events"]} == {"status"}
    assert {(event["actor"], event["reason"]) for event in body["events"]} == {(None, "")}


# --- Opening --------------------------------------------------------------------------------


def test_staff_open_a_ticket_for_a_customer(specialist, line):
    response = client_for(specialist).post(
        LIST,
        {
            "kind": "complaint",
            "category": "service_quality",
            "subject": "营业厅服务态度差",
            "description": "等了一个小时没人接待。",
            "customer": line.customer_id,
            "subscription": line.pk,
            "priority": "urgent",
            "channel": "hotline",
        },
        format="json",
    )

    body = response.json()
    ticket = Ticket.objects.get()
    assert response.status_code == 201
    assert body["id"] == ticket.pk
    assert (body["queue"], body["status"], body["priority"], body["channel"]) == (
        "complaints",
        "new",
        "urgent",
        "hotline",
    )
    assert (ticket.customer, ticket.subscription, ticket.created_by) == (
        line.customer,
        line,
        specialist,
    )


def test_a_customer_opens_a_ticket_for_themselves_on_the_web_portal(customer_login, line):
    other = CustomerFactory()
    response = client_for(customer_login).post(
        LIST,
        {
            "kind": "fault",
            "category": "mobile_data",
            "subject": "流量用不了",
            "description": "4G 图标在，但打不开网页。",
            "subscription": line.pk,
            "customer": other.pk,
            "priority": "urgent",
            "channel": "hotline",
        },
        format="json",
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 201
    assert (ticket.customer, ticket.subscription, ticket.channel, ticket.priority) == (
        line.customer,
        line,
        "web_portal",
        Priority.HIGH,
    )
    assert response.json()["customer"]["id"] == line.customer_id


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"kind": "rumour"}, [("kind", "invalid_choice")]),
        ({"subject": None}, [("subject", "required")]),
        ({"subject": "   "}, [("subject", "blank")]),
        ({"customer": None, "channel": None}, [("channel", "required"), ("customer", "required")]),
        ({"subscription": "stranger"}, [("subscription", "not_a_customers_line")]),
    ],
)
def test_staff_bad_input_is_400_on_the_fields(specialist, line, change, expected):
    body = {
        "kind": "inquiry",
        "category": "products",
        "subject": "套餐咨询",
        "description": "想了解5G套餐",
        "customer": line.customer_id,
        "channel": "hotline",
    }
    if change.get("subscription") == "stranger":
        change = {"subscription": MobileLineFactory().pk}
    body.update(change)
    body = {key: value for key, value in body.items() if value is not None}

    response = client_for(specialist).post(LIST, body, format="json", headers=EN)

    assert response.status_code == 400
    assert errors(response) == expected
    assert Ticket.objects.count() == 0


def test_a_customer_may_not_name_another_customers_line(customer_login, line):
    stranger_line = MobileLineFactory()

    response = client_for(customer_login).post(
        LIST,
        {
            "kind": "fault",
            "category": "mobile_signal",
            "subject": "没信号",
            "description": "一格信号都没有",
            "subscription": stranger_line.pk,
        },
        format="json",
        headers=EN,
    )

    assert response.status_code == 400
    assert errors(response) == [("subscription", "does_not_exist")]


# --- Actions --------------------------------------------------------------------------------


def test_an_engineer_takes_a_fault_from_the_queue(engineer, fault):
    response = act(engineer, fault, "assign")

    body = response.json()
    assert response.status_code == 200
    assert (body["assignee"], body["status"]) == (engineer.username, "assigned")


def test_a_supervisor_assigns_a_fault_to_an_engineer_with_a_reason(supervisor, engineer, fault):
    response = act(supervisor, fault, "assign", {"assignee": engineer.pk, "reason": "他熟悉该片区"})

    event = fault.events.get(kind="assignment")
    assert response.status_code == 200
    assert response.json()["assignee"] == engineer.username
    assert (event.actor, event.to_value, event.reason) == (
        supervisor,
        engineer.username,
        "他熟悉该片区",
    )


def test_assigning_to_someone_outside_the_queue_is_400_on_the_assignee(
    supervisor, specialist, fault
):
    response = act(supervisor, fault, "assign", {"assignee": specialist.pk})

    assert response.status_code == 400
    assert errors(response) == [("assignee", "not_in_queue")]
    assert Ticket.objects.get(pk=fault.pk).assignee is None


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("assign", {}),
        ("escalate", {"reason": "处理不了"}),
        ("transition", {"status": "cancelled", "reason": "重复"}),
        ("priority", {"priority": "low", "reason": "不急"}),
        ("note", {"body": "看一下", "visibility": "internal"}),
        ("resolve", {"resolution": "已修复"}),
        ("reopen", {"reason": "又坏了"}),
    ],
)
@pytest.mark.parametrize("role", [Role.SALES_ADVISOR, Role.SERVICE_SPECIALIST])
def test_staff_who_may_not_work_the_fault_are_refused(personas, fault, role, action, body):
    events = fault.events.count()

    response = act(personas[role], fault, action, body)

    assert response.status_code == 403
    assert fault.events.count() == events
    assert fault.notes.count() == 0


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("assign", {}),
        ("escalate", {"reason": "处理不了"}),
        ("transition", {"status": "cancelled", "reason": "不要了"}),
        ("priority", {"priority": "urgent", "reason": "很急"}),
        ("resolve", {"resolution": "好了"}),
    ],
)
def test_a_customer_may_only_reply_and_reopen(customer_login, fault, action, body):
    response = act(customer_login, fault, action, body)

    assert response.status_code == 403
    assert Ticket.objects.get(pk=fault.pk).status == TicketStatus.NEW


def test_start_work_then_wait_for_the_customer_pauses_the_clock(engineer, fault):
    assign_ticket(fault, engineer, actor=engineer)

    started = act(engineer, fault, "transition", {"status": "in_progress"})
    waiting = act(engineer, fault, "transition", {"status": "waiting_customer", "reason": "待回电"})

    assert (started.status_code, started.json()["status"]) == (200, "in_progress")
    assert (waiting.status_code, waiting.json()["status"]) == (200, "waiting_customer")
    assert Ticket.objects.get(pk=fault.pk).paused_at is not None


def test_a_move_the_table_does_not_allow_is_409(engineer, fault):
    response = act(engineer, fault, "transition", {"status": "closed"})

    assert response.status_code == 409
    assert errors(response) == [(None, "invalid_transition")]
    assert Ticket.objects.get(pk=fault.pk).status == TicketStatus.NEW


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"status": "resolved"}, [("status", "invalid")]),
        ({"status": "assigned"}, [("status", "invalid")]),
        ({"status": "sleeping"}, [("status", "invalid_choice")]),
        ({"status": "cancelled"}, [("reason", "reason_required")]),
    ],
)
def test_transition_input_is_checked_on_its_fields(engineer, fault, body, expected):
    response = act(engineer, fault, "transition", body)

    assert response.status_code == 400
    assert errors(response) == expected


def test_cancelling_with_a_reason(engineer, fault):
    response = act(engineer, fault, "transition", {"status": "cancelled", "reason": "重复工单"})

    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    assert response.json()["events"][-1]["reason"] == "重复工单"


def test_an_engineer_escalates_a_fault_to_the_supervisors(engineer, supervisor, fault):
    assign_ticket(fault, engineer, actor=engineer)

    response = act(engineer, fault, "escalate", {"reason": "需要协调基站维修"})

    body = response.json()
    assert response.status_code == 200
    assert (body["queue"], body["escalation_level"], body["assignee"]) == (
        "supervisor",
        1,
        supervisor.username,
    )


def test_escalating_needs_a_reason_and_stops_at_the_top(supervisor, engineer, fault):
    missing = act(engineer, fault, "escalate", {})
    act(supervisor, fault, "escalate", {"reason": "升级"})

    top = act(supervisor, fault, "escalate", {"reason": "再升级"})

    assert (missing.status_code, errors(missing)) == (400, [("reason", "required")])
    assert (top.status_code, errors(top)) == (409, [(None, "top_of_chain")])


def test_resolving_tells_the_customer_and_schedules_the_survey(engineer, fault):
    in_progress(fault, engineer)

    response = act(engineer, fault, "resolve", {"resolution": "更换了基站板卡。"})

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "resolved"
    assert body["notes"][-1] == {
        "visibility": "customer",
        "kind": "note",
        "fault_location": "",
        "body": "更换了基站板卡。",
        "author": engineer.username,
        "created_at": body["notes"][-1]["created_at"],
    }
    assert Survey.objects.filter(ticket=fault, status=SurveyStatus.SCHEDULED).count() == 1


def test_resolving_without_a_resolution_is_400(engineer, fault):
    in_progress(fault, engineer)

    response = act(engineer, fault, "resolve", {"resolution": ""})

    assert (response.status_code, errors(response)) == (400, [("resolution", "blank")])


def test_a_customer_reopens_their_resolved_ticket(customer_login, engineer, fault):
    resolve_ticket(in_progress(fault, engineer), actor=engineer, resolution="已修复")

    response = act(customer_login, fault, "reopen", {"reason": "还是没信号"})

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "assigned"
    assert body["events"][-1]["reason"] == "还是没信号"
    assert body["events"][-1]["actor"] == customer_login.username


def test_reopening_an_open_ticket_is_409(engineer, fault):
    response = act(engineer, fault, "reopen", {"reason": "再看看"})

    assert (response.status_code, errors(response)) == (409, [(None, "invalid_transition")])


def test_a_customers_reply_is_always_visible_to_them(customer_login, fault):
    response = act(customer_login, fault, "note", {"body": "晚上在家", "visibility": "internal"})

    note = TicketNote.objects.get()
    assert response.status_code == 200
    assert (note.visibility, note.author, note.body) == (
        NoteVisibility.CUSTOMER,
        customer_login,
        "晚上在家",
    )
    assert [n["body"] for n in response.json()["notes"]] == ["晚上在家"]


def test_staff_add_internal_notes_the_customer_does_not_see(engineer, customer_login, fault):
    response = act(engineer, fault, "note", {"body": "先查话务统计", "visibility": "internal"})
    empty = act(engineer, fault, "note", {"body": " ", "visibility": "internal"})

    seen = client_for(customer_login).get(detail_url(fault)).json()["notes"]
    assert response.status_code == 200
    assert [n["visibility"] for n in response.json()["notes"]] == ["internal"]
    assert seen == []
    assert (empty.status_code, errors(empty)) == (400, [("body", "blank")])


def test_changing_the_priority_recomputes_the_deadlines(engineer, fault):
    before = fault.resolution_due_at

    response = act(engineer, fault, "priority", {"priority": "urgent", "reason": "医院用户"})
    no_reason = act(engineer, fault, "priority", {"priority": "low"})

    ticket = Ticket.objects.get(pk=fault.pk)
    assert (response.status_code, response.json()["priority"]) == (200, "urgent")
    assert ticket.resolution_due_at < before
    assert (no_reason.status_code, errors(no_reason)) == (400, [("reason", "required")])


# --- Billing disputes -----------------------------------------------------------------------


@pytest.fixture
def dispute(specialist, coordinator, line):
    ticket = make_ticket(specialist, TicketKind.BILLING_DISPUTE, line=line)
    return in_progress(ticket, coordinator)


def test_a_coordinator_resolves_a_dispute_with_a_credit_within_their_limit(
    coordinator, dispute, line
):
    response = act(
        coordinator,
        dispute,
        "resolve",
        {
            "resolution": "多扣的流量费已退回。",
            "adjustment_amount": "150.00",
            "adjustment_reason": "流量重复计费",
        },
    )

    entry = LedgerEntry.objects.get(kind=LedgerEntryKind.ADJUSTMENT)
    assert response.status_code == 200
    assert response.json()["adjustment"] == {"amount": "150.00", "ledger_entry": entry.pk}
    assert (entry.amount, entry.actor, entry.description) == (
        Decimal("150.00"),
        coordinator,
        "流量重复计费",
    )
    assert balance_of(line.billing_account) == Decimal("150.00")


@pytest.mark.parametrize(
    ("amount", "code"), [("250.00", "adjustment_over_limit"), ("1.234", "max_decimal_places")]
)
def test_a_credit_over_the_limit_or_malformed_is_400_on_the_amount(
    coordinator, dispute, amount, code
):
    response = act(
        coordinator, dispute, "resolve", {"resolution": "退费", "adjustment_amount": amount}
    )

    assert response.status_code == 400
    assert errors(response) == [("adjustment_amount", code)]
    assert LedgerEntry.objects.filter(kind=LedgerEntryKind.ADJUSTMENT).count() == 0
    assert Ticket.objects.get(pk=dispute.pk).status == TicketStatus.IN_PROGRESS


# --- Filters, search, order -----------------------------------------------------------------


@pytest.fixture
def board(specialist, engineer, line):
    """A mix: a fault assigned to the engineer, one past due, one past due but paused, a
    complaint and an inquiry."""
    mine = assign_ticket(make_ticket(specialist, line=line), engineer, actor=engineer)
    late = make_ticket(specialist, line=line)
    paused = in_progress(make_ticket(specialist, line=line), engineer)
    paused = transition_ticket(paused, TicketStatus.WAITING_CUSTOMER, actor=engineer)
    complaint = make_ticket(specialist, TicketKind.COMPLAINT, line=line)
    inquiry = make_ticket(specialist, TicketKind.INQUIRY, line=line, priority=Priority.LOW)
    past = timezone.now() - datetime.timedelta(hours=1)
    # Test set-up only: deadlines that have passed.
    Ticket.objects.filter(pk__in=[late.pk, paused.pk]).update(resolution_due_at=past)
    return {
        "mine": mine,
        "late": late,
        "paused": paused,
        "complaint": complaint,
        "inquiry": inquiry,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=assigned", ["mine"]),
        ("status=waiting_customer", ["paused"]),
        ("queue=complaints", ["complaint"]),
        ("queue=first_contact&kind=inquiry", ["inquiry"]),
        ("breached=true", ["late"]),
        ("breached=false", ["complaint", "inquiry", "mine", "paused"]),
        ("mine=true", ["mine", "paused"]),
        ("priority=low", ["inquiry"]),
    ],
)
def test_filters_narrow_the_list(engineer, board, query, expected):
    response = client_for(engineer).get(f"{LIST}?{query}")

    names = {ticket.pk: name for name, ticket in board.items()}
    assert response.status_code == 200
    assert sorted(names[pk] for pk in ids(response)) == expected


def test_breached_rows_are_flagged(engineer, board):
    rows = client_for(engineer).get(LIST).json()["results"]

    flagged = {row["id"] for row in rows if row["breached"]}
    assert flagged == {board["late"].pk}


def test_the_assignee_and_customer_filters(engineer, board, specialist):
    other = make_ticket(specialist)
    client = client_for(engineer)

    by_assignee = client.get(f"{LIST}?assignee={engineer.pk}")
    by_customer = client.get(f"{LIST}?customer={other.customer_id}")

    assert sorted(ids(by_assignee)) == sorted([board["mine"].pk, board["paused"].pk])
    assert ids(by_customer) == [other.pk]


def test_search_by_number_and_order_by_deadline_or_priority(engineer, board):
    client = client_for(engineer)

    found = client.get(f"{LIST}?search={board['complaint'].number}")
    by_deadline = ids(client.get(LIST))
    by_urgency = ids(client.get(f"{LIST}?ordering=-priority"))

    assert ids(found) == [board["complaint"].pk]
    # Both late tickets share the deadline: the id breaks the tie.
    assert by_deadline[:2] == sorted([board["late"].pk, board["paused"].pk])
    assert by_urgency[-1] == board["inquiry"].pk
    assert [Ticket.objects.get(pk=pk).priority for pk in by_urgency[:3]] == ["high"] * 3


@pytest.mark.parametrize("count", [5, 25])
def test_the_list_query_count_is_constant(engineer, specialist, django_assert_num_queries, count):
    lines = [MobileLineFactory() for _ in range(count)]
    for index, line in enumerate(lines):
        ticket = make_ticket(specialist, line=line)
        if index % 2:
            assign_ticket(ticket, engineer, actor=engineer)
    client = client_for(engineer)
    client.get(LIST)  # warms the user's role and permission caches

    # 1 count, 2 the page with customers, lines and assignees.
    with django_assert_num_queries(2):
        response = client.get(LIST)

    assert response.json()["count"] == count


# --- Callbacks ------------------------------------------------------------------------------


@pytest.fixture
def callback(engineer, fault, settings):
    resolve_ticket(in_progress(fault, engineer), actor=engineer, resolution="已修复")
    hours = settings.COMPLAINTS_CALLBACK_AFTER_HOURS + 1
    # Test set-up only: the survey went out long enough ago and was never answered.
    Survey.objects.filter(ticket=fault).update(
        status=SurveyStatus.SENT, sent_at=timezone.now() - datetime.timedelta(hours=hours)
    )
    assert create_due_callbacks() == 1
    return Callback.objects.get()


def test_a_specialist_lists_and_completes_a_callback(specialist, callback, fault):
    client = client_for(specialist)

    listed = client.get(f"{reverse('api-callback-list')}?status=open")
    response = client.post(
        reverse("api-callback-complete", args=[callback.pk]),
        {"outcome": "satisfied", "score": 5, "note": "客户满意"},
        format="json",
    )

    body = response.json()
    assert ids(listed) == [callback.pk]
    assert listed.json()["results"][0]["ticket"]["number"] == fault.number
    assert listed.json()["results"][0]["ticket"]["customer"]["name"] == "王**"
    assert response.status_code == 200
    assert (body["status"], body["outcome"], body["score"], body["completed_by"]) == (
        "done",
        "satisfied",
        5,
        specialist.username,
    )
    assert client.get(f"{reverse('api-callback-list')}?status=open").json()["count"] == 0


def test_an_unhappy_callback_reopens_the_ticket(specialist, callback, fault):
    response = client_for(specialist).post(
        reverse("api-callback-complete", args=[callback.pk]),
        {"outcome": "not_resolved", "score": 1},
        format="json",
    )

    assert response.status_code == 200
    assert Ticket.objects.get(pk=fault.pk).status == TicketStatus.ASSIGNED


def test_completing_twice_or_with_bad_input_is_refused(specialist, callback):
    client = client_for(specialist)
    url = reverse("api-callback-complete", args=[callback.pk])

    bad = client.post(url, {"outcome": "maybe", "score": 9}, format="json", headers=EN)
    client.post(url, {"outcome": "not_reached"}, format="json")
    again = client.post(url, {"outcome": "satisfied"}, format="json", headers=EN)

    assert (bad.status_code, errors(bad)) == (
        400,
        [("outcome", "invalid_choice"), ("score", "max_value")],
    )
    assert (again.status_code, errors(again)) == (409, [(None, "callback_done")])
    assert Callback.objects.get().outcome == "not_reached"


@pytest.mark.parametrize("role", [Role.COMPLAINT_COORDINATOR, Role.TECH_SUPPORT, "outsider"])
def test_completing_a_callback_takes_the_change_permission(personas, callback, role):
    response = client_for(personas[role]).post(
        reverse("api-callback-complete", args=[callback.pk]),
        {"outcome": "satisfied"},
        format="json",
    )

    assert response.status_code == 403
    assert Callback.objects.get().status == CallbackStatus.OPEN


def test_coordinators_read_callbacks_but_others_without_the_permission_do_not(personas, callback):
    coordinator = client_for(personas[Role.COMPLAINT_COORDINATOR]).get(reverse("api-callback-list"))
    engineer = client_for(personas[Role.TECH_SUPPORT]).get(reverse("api-callback-list"))
    customer = client_for(personas[Role.CUSTOMER]).get(reverse("api-callback-list"))

    assert ids(coordinator) == [callback.pk]
    assert (engineer.status_code, customer.status_code) == (403, 403)
