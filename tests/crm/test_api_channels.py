"""The contact-channel API: chats, presence, calls and the CTI webhook, the voice menu, inbound
mail, the knowledge base, notices and agreements; scopes, errors and query counts."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.choices import TicketKind
from crm.agreements import sign_agreement
from crm.channel_choices import ChatStatus, InboundEmailStatus, PresenceStatus
from crm.channel_models import ChatSession, InboundCall, InboundEmail
from crm.chat import accept_chat, start_chat
from crm.contact_centre import set_presence
from crm.mail_in import process_mail
from crm.notices import create_notice, publish_notice
from crm.telephony import receive_call, sign_cti_body
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number


def client_for(user) -> APIClient:
    client = APIClient()
    # A fresh user object: its permission cache is empty, as on a real request.
    client.force_authenticate(get_user_model().objects.get(pk=user.pk))
    return client


def codes(response) -> list[tuple]:
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


@pytest.fixture
def customer(customer_user):
    return CustomerFactory(name="王小明", user=customer_user, email="wang@example.com")


# --- Chats --------------------------------------------------------------------------------------


def test_a_chat_over_the_api_from_start_to_ticket(specialist, customer_user, customer):
    set_presence(specialist, PresenceStatus.AVAILABLE)
    mine, desk = client_for(customer_user), client_for(specialist)

    started = mine.post(reverse("crm-chat-list"), {"topic": "宽带断网"}, format="json")
    chat_id = started.json()["id"]
    mine.post(
        reverse("crm-chat-messages", args=[chat_id]), {"body": "宽带上不了网。"}, format="json"
    )
    accepted = desk.post(reverse("crm-chat-accept", args=[chat_id]))
    answered = desk.post(
        reverse("crm-chat-messages", args=[chat_id]),
        {"body": "", "article": "broadband-no-connection"},
        format="json",
    )
    polled = mine.get(reverse("crm-chat-messages", args=[chat_id]), {"after": 0})
    ticket = desk.post(
        reverse("crm-chat-convert-ticket", args=[chat_id]),
        {
            "kind": TicketKind.FAULT,
            "category": "broadband",
            "subject": "宽带无法上网",
            "description": "重启无效",
        },
        format="json",
    )
    ended = desk.post(reverse("crm-chat-end", args=[chat_id]), {}, format="json")
    rated = mine.post(reverse("crm-chat-rate", args=[chat_id]), {"score": 4}, format="json")

    assert (started.status_code, started.json()["status"], started.json()["queue_position"]) == (
        201,
        ChatStatus.WAITING,
        1,
    )
    assert (accepted.status_code, accepted.json()["agent"]) == (200, specialist.first_name)
    assert (answered.status_code, answered.json()["article"]) == (201, "broadband-no-connection")
    assert [m["sender"] for m in polled.json()["messages"]] == [
        "system",
        "customer",
        "system",
        "agent",
    ]
    assert ticket.status_code == 201
    assert ticket.json()["number"].startswith("TT")
    assert (ended.json()["status"], rated.json()["rating"]) == (ChatStatus.ENDED, 4)
    assert rated.json()["ticket_number"] == ticket.json()["number"]


def test_a_customer_reaches_only_their_own_chats(make_user, customer_user, customer):
    other = CustomerFactory(user=make_user(Role.CUSTOMER, username="other-chatter"))
    theirs = start_chat(customer=other, topic="咨询", actor=None)
    mine = start_chat(customer=customer, topic="咨询", actor=None)
    client = client_for(customer_user)

    listed = client.get(reverse("crm-chat-list"))
    foreign = client.get(reverse("crm-chat-messages", args=[theirs.pk]))
    accept = client.post(reverse("crm-chat-accept", args=[mine.pk]))

    assert [row["id"] for row in listed.json()["results"]] == [mine.pk]
    assert (foreign.status_code, accept.status_code) == (404, 403)


def test_leaving_a_message_over_the_api_opens_a_ticket(customer_user, customer):
    client = client_for(customer_user)
    chat_id = client.post(reverse("crm-chat-list"), {"topic": "话费"}, format="json").json()["id"]

    left = client.post(
        reverse("crm-chat-leave-message", args=[chat_id]), {"body": "请回电"}, format="json"
    )
    empty = client.post(
        reverse("crm-chat-leave-message", args=[chat_id]), {"body": ""}, format="json"
    )

    assert left.status_code == 201
    assert customer.tickets.get().number == left.json()["number"]
    assert (empty.status_code, codes(empty)) == (400, [("body", "blank")])


def test_a_chat_refusal_is_a_conflict_with_its_code(specialist, customer):
    chat = start_chat(customer=customer, topic="咨询", actor=None)
    accept_chat(chat, actor=specialist)

    again = client_for(specialist).post(reverse("crm-chat-accept", args=[chat.pk]))

    assert (again.status_code, codes(again)) == (409, [(None, "chat_not_open")])


@pytest.mark.parametrize("count", [2, 6])
def test_chat_list_query_count_is_constant(specialist, django_assert_num_queries, count):
    for _ in range(count):
        start_chat(customer=CustomerFactory(), topic="咨询", actor=None)
    client = client_for(specialist)

    # 1 the user's permissions, 2 every waiting chat's place in the queue, 3 COUNT for the
    # pager, 4 the page of chats with customer, agent, interaction and ticket.
    with django_assert_num_queries(4):
        response = client.get(reverse("crm-chat-list"))

    assert [row["queue_position"] for row in response.json()["results"]] == list(
        range(count, 0, -1)
    )


# --- Presence, calls and the CTI webhook --------------------------------------------------------


def test_presence_is_set_and_read_by_staff_only(specialist, customer_user):
    client = client_for(specialist)

    before = client.get(reverse("crm-presence"))
    put = client.put(reverse("crm-presence"), {"status": "available", "max_chats": 2}, "json")
    bad = client.put(reverse("crm-presence"), {"status": "sleeping"}, format="json")
    customer = client_for(customer_user).get(reverse("crm-presence"))

    assert before.json()["status"] == "offline"
    assert (put.status_code, put.json()["status"], put.json()["max_chats"]) == (200, "available", 2)
    assert (bad.status_code, codes(bad)) == (400, [("status", "invalid_choice")])
    assert customer.status_code == 403


def cti(client, payload, **override):
    body = json.dumps(payload).encode()
    timestamp, signature = sign_cti_body(body)
    headers = {"X-CTI-Timestamp": timestamp, "X-CTI-Signature": signature, **override}
    return client.post(
        reverse("crm-cti-events"), body, content_type="application/json", headers=headers
    )


def test_the_cti_webhook_reports_a_known_caller_and_the_end(db, make_user):
    engineer = make_user(Role.TECH_SUPPORT, username="cti-engineer")
    set_presence(engineer, PresenceStatus.AVAILABLE)
    line = MobileLineFactory(msisdn=mobile_number(73_000_001))
    client = APIClient()

    incoming = cti(
        client,
        {
            "event": "call.incoming",
            "call_id": "cti-1",
            "caller_number": line.msisdn,
            "dialled_number": "10000",
            "ivr_path": "3-1",
        },
    )
    ended = cti(client, {"event": "call.ended", "call_id": "cti-1", "duration_seconds": 42})

    body = incoming.json()
    assert incoming.status_code == 200
    assert (body["customer"], body["target_role"], body["status"], body["caller_number"]) == (
        line.customer_id,
        Role.TECH_SUPPORT,
        "queued",
        line.msisdn[:3] + "****" + line.msisdn[-4:],
    )
    assert body["offered_to"] == engineer.pk
    assert (ended.json()["status"], ended.json()["duration_seconds"]) == ("abandoned", 42)


def test_the_cti_webhook_refuses_unsigned_and_incomplete_events(db):
    client = APIClient()
    payload = {"event": "call.incoming", "call_id": "cti-2", "caller_number": "13900000000"}

    forged = cti(client, payload, **{"X-CTI-Signature": "sha256=" + "0" * 64})
    unsigned = client.post(reverse("crm-cti-events"), payload, format="json")
    incomplete = cti(client, payload)
    unknown_call = cti(client, {"event": "call.ended", "call_id": "nope", "duration_seconds": 1})

    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert (incomplete.status_code, codes(incomplete)) == (400, [("dialled_number", "invalid")])
    assert unknown_call.status_code == 404
    assert InboundCall.objects.count() == 0


def test_calls_are_answered_and_wrapped_up_over_the_api(specialist):
    set_presence(specialist, PresenceStatus.AVAILABLE)
    call = receive_call(call_id="api-1", caller_number="13900001111", dialled_number="10000")
    client = client_for(specialist)

    answered = client.post(reverse("crm-call-answer", args=[call.pk]))
    wrapped = client.post(
        reverse("crm-call-wrap-up", args=[call.pk]),
        {"outcome": "information_given", "notes": "已解答"},
        format="json",
    )

    assert (answered.json()["status"], answered.json()["agent"]) == (
        "connected",
        specialist.username,
    )
    assert wrapped.json()["outcome"] == "information_given"


@pytest.mark.parametrize("count", [2, 6])
def test_call_list_query_count_is_constant(specialist, django_assert_num_queries, count):
    for n in range(count):
        receive_call(
            call_id=f"count-{n}",
            caller_number=mobile_number(73_100_000 + n),
            dialled_number="10000",
        )
    client = client_for(specialist)

    # 1 the user's permissions, 2 COUNT for the pager, 3 the page of calls with customer,
    # line, interaction, agent and offer.
    with django_assert_num_queries(3):
        response = client.get(reverse("crm-call-list"))

    assert response.json()["count"] == count


def test_the_voice_menu_over_the_api(specialist, customer_user):
    client = client_for(specialist)

    nodes = client.get(reverse("crm-ivr-node-list"))
    step = client.post(reverse("crm-ivr-navigate"), {"keys": "3"}, format="json")
    refused = client_for(customer_user).post(reverse("crm-ivr-navigate"), {}, format="json")

    assert len(nodes.json()) == 10
    assert [option["key"] for option in step.json()["options"]] == ["1", "2", "3", "0"]
    assert (step.json()["finished"], refused.status_code) == (False, 403)


# --- Inbound mail -------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 5])
def test_inbound_email_list_query_count_is_constant(specialist, django_assert_num_queries, count):
    for n in range(count):
        raw = f"From: user{n}@example.com\r\nSubject: hi {n}\r\nMessage-ID: <m{n}@x>\r\n\r\nhi"
        process_mail(raw.encode())
    client = client_for(specialist)

    # 1 the user's permissions, 2 COUNT for the pager, 3 the page with customer, ticket and
    # interaction.
    with django_assert_num_queries(3):
        response = client.get(reverse("crm-inbound-email-list"))

    assert response.json()["count"] == count
    assert response.json()["results"][0]["from_address"] == f"user{count - 1}@example.com"
    assert InboundEmail.objects.filter(status=InboundEmailStatus.NEW_CONTACT).count() == count


# --- Knowledge base -----------------------------------------------------------------------------


def test_public_articles_are_searched_without_signing_in(db):
    client = APIClient()

    found = client.get(reverse("crm-article-list"), {"q": "宽带上不了网"})
    staff_only = client.get(reverse("crm-article-detail", args=["desk-caller-verification"]))
    feedback = client.post(
        reverse("crm-article-feedback", args=["data-cut-off"]), {"helpful": True}, format="json"
    )

    assert found.json()["results"][0]["slug"] == "broadband-no-connection"
    assert (staff_only.status_code, feedback.status_code) == (404, 201)


def test_staff_give_an_article_on_a_ticket_they_work(personas):
    engineer = personas[Role.TECH_SUPPORT]
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST])
    url = reverse("crm-article-link-ticket", args=["broadband-no-connection"])

    allowed = client_for(engineer).post(url, {"ticket": ticket.pk}, format="json")
    not_theirs = client_for(personas[Role.SALES_ADVISOR]).post(
        url, {"ticket": ticket.pk}, format="json"
    )

    assert (allowed.status_code, not_theirs.status_code) == (201, 403)
    assert ticket.article_links.count() == 1


@pytest.mark.parametrize("query", ["", "诈骗"])
def test_article_list_query_count_is_constant(db, django_assert_num_queries, query):
    client = APIClient()

    # Anonymous: 1 COUNT for the pager, 2 the page (searching or not).
    with django_assert_num_queries(2):
        response = client.get(reverse("crm-article-list"), {"q": query} if query else {})

    assert response.status_code == 200


def test_canned_answers_for_the_callers_roles(personas, django_assert_num_queries):
    client = client_for(personas[Role.TECH_SUPPORT])

    # 1 the user's permissions, 2 COUNT for the pager, 3 the page with articles.
    with django_assert_num_queries(3):
        response = client.get(reverse("crm-canned-answer-list"))

    titles = [row["title"] for row in response.json()["results"]]
    assert "宽带故障排查" in titles


# --- Notices ------------------------------------------------------------------------------------


def test_a_supervisor_publishes_a_notice_that_reaches_its_segment(personas, customer):
    supervisor = personas[Role.SUPERVISOR]
    vip = CustomerFactory(segment="vip", user=personas["outsider"])
    client = client_for(supervisor)

    created = client.post(
        reverse("crm-notice-list"),
        {"kind": "fraud_warning", "title": "防诈提醒", "body": "勿泄露验证码", "segment": "vip"},
        format="json",
    )
    published = client.post(reverse("crm-notice-publish", args=[created.json()["id"]]))
    deliveries = client.get(reverse("crm-notice-deliveries", args=[created.json()["id"]]))
    customer_sees = client_for(customer.user).get(reverse("crm-notice-list"))

    assert (created.status_code, published.json()["audience_size"]) == (201, 1)
    assert [row["customer"] for row in deliveries.json()["results"]] == [vip.pk]
    assert customer_sees.json()["count"] == 0


def test_notice_input_errors_name_their_fields(personas):
    response = client_for(personas[Role.SUPERVISOR]).post(
        reverse("crm-notice-list"), {"kind": "fraud_warning", "title": "", "body": "x"}, "json"
    )
    forbidden = client_for(personas[Role.SERVICE_SPECIALIST]).post(
        reverse("crm-notice-list"), {"kind": "fraud_warning", "title": "t", "body": "x"}, "json"
    )

    assert (response.status_code, codes(response)) == (400, [("title", "blank")])
    assert forbidden.status_code == 403


@pytest.mark.parametrize("count", [1, 4])
def test_notice_list_query_count_is_constant(personas, django_assert_num_queries, count):
    supervisor = personas[Role.SUPERVISOR]
    CustomerFactory()
    for n in range(count):
        publish_notice(
            create_notice(kind="service", title=f"通知{n}", body="内容", actor=supervisor),
            actor=supervisor,
        )
    client = client_for(supervisor)

    # 1 the user's permissions, 2 COUNT for the pager, 3 the page of notices.
    with django_assert_num_queries(3):
        response = client.get(reverse("crm-notice-list"))

    assert response.json()["count"] == count


# --- Agreements ---------------------------------------------------------------------------------


def test_agreements_are_signed_quoted_terminated_and_printed(personas):
    sales = personas[Role.SALES_ADVISOR]
    line = MobileLineFactory()
    client = client_for(sales)

    signed = client.post(
        reverse("crm-agreement-list"),
        {
            "subscription": line.pk,
            "term_months": 24,
            "starts_on": "2026-01-15",
            "monthly_commitment": "59.00",
            "termination_fee_fixed": "20.00",
        },
        format="json",
    )
    agreement_id = signed.json()["id"]
    quote = client.get(reverse("crm-agreement-quote", args=[agreement_id]), {"on": "2027-03-10"})
    twice = client.post(reverse("crm-agreement-list"), {"subscription": line.pk}, format="json")
    terminated = client.post(
        reverse("crm-agreement-terminate", args=[agreement_id]),
        {"reason": "携号转网", "on_day": "2027-03-10"},
        format="json",
    )
    pdf = client.get(reverse("crm-agreement-pdf", args=[agreement_id]))

    assert (signed.status_code, signed.json()["ends_on"]) == (201, "2028-01-14")
    assert quote.json() == {
        "on_day": "2027-03-10",
        "early": True,
        "remaining_months": 10,
        "fee": "197.00",
    }
    assert (twice.status_code, codes(twice)) == (
        400,
        [("subscription", "active_agreement_exists")],
    )
    assert (terminated.json()["status"], terminated.json()["termination_fee"]) == (
        "terminated",
        "197.00",
    )
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:5]) == (
        200,
        "application/pdf",
        b"%PDF-",
    )


def test_a_customer_reads_only_their_own_agreements(personas, customer_user, customer):
    sales = personas[Role.SALES_ADVISOR]
    own = sign_agreement(MobileLineFactory(customer=customer), actor=sales)
    other = sign_agreement(MobileLineFactory(), actor=sales)
    client = client_for(customer_user)

    listed = client.get(reverse("crm-agreement-list"))
    foreign = client.get(reverse("crm-agreement-detail", args=[other.pk]))
    terminate = client.post(
        reverse("crm-agreement-terminate", args=[own.pk]), {"reason": "x"}, format="json"
    )

    assert [row["number"] for row in listed.json()["results"]] == [own.number]
    assert (foreign.status_code, terminate.status_code) == (404, 403)


@pytest.mark.parametrize("count", [1, 4])
def test_agreement_list_query_count_is_constant(personas, django_assert_num_queries, count):
    sales = personas[Role.SALES_ADVISOR]
    for _ in range(count):
        sign_agreement(
            MobileLineFactory(), actor=sales, starts_on=datetime.date(2026, 1, 1),
            monthly_commitment=Decimal("10.00"),
        )  # fmt: skip
    client = client_for(sales)

    # 1 the user's permissions, 2 COUNT for the pager, 3 the page with customer, line and
    # signer.
    with django_assert_num_queries(3):
        response = client.get(reverse("crm-agreement-list"))

    assert response.json()["count"] == count


def test_anonymous_callers_are_refused_everywhere_but_help_and_cti(db):
    client = APIClient()

    assert client.get(reverse("crm-chat-list")).status_code == 401
    assert client.get(reverse("crm-agreement-list")).status_code == 401
    assert client.get(reverse("crm-notice-list")).status_code == 401
    assert ChatSession.objects.count() == 0


@pytest.mark.parametrize("count", [1, 4])
def test_notice_delivery_list_query_count_is_constant(personas, django_assert_num_queries, count):
    supervisor = personas[Role.SUPERVISOR]
    for _ in range(count):
        CustomerFactory()
    notice = publish_notice(
        create_notice(kind="service", title="通知", body="内容", actor=supervisor), actor=supervisor
    )
    client = client_for(supervisor)

    # 1 the user's permissions, 2 the notice, 3 COUNT for the pager, 4 the page of deliveries
    # with their customers.
    with django_assert_num_queries(4):
        response = client.get(reverse("crm-notice-deliveries", args=[notice.pk]))

    assert response.json()["count"] == count


def test_ivr_node_list_query_count(specialist, django_assert_num_queries):
    client = client_for(specialist)

    # 1 the user's permissions, 2 the active menu entries (not paginated: a menu is small).
    with django_assert_num_queries(2):
        response = client.get(reverse("crm-ivr-node-list"))

    assert len(response.json()) == 10
