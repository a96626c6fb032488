"""Contact-channel pages: the visitor's and the customer's chat, the staff console with its
screen pop, the chat desk, the call page, the voice-menu simulator, the help centre, the
customer's agreements and the notice banner; access and query counts."""

import re

import pytest
from django.urls import reverse

from complaints.models import Ticket
from crm.agreements import sign_agreement
from crm.channel_choices import CallStatus, ChatStatus, PresenceStatus
from crm.channel_models import ChatSession, InboundCall
from crm.chat import accept_chat, post_customer_message, start_chat
from crm.choices import Segment
from crm.contact_centre import set_presence
from crm.models import IdentityVerification
from crm.notices import create_notice, publish_notice
from crm.telephony import answer_call, receive_call
from portal.models import OutboundSms
from portal.roles import Role
from tests.conftest import texts_handed_over
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number

EN = {"accept-language": "en"}


@pytest.fixture
def specialist(personas):
    user = personas[Role.SERVICE_SPECIALIST]
    set_presence(user, PresenceStatus.AVAILABLE)
    return user


@pytest.fixture
def customer(customer_user):
    return CustomerFactory(name="王小明", user=customer_user)


def html(response) -> str:
    return response.content.decode()


# --- The visitor's and the customer's chat ------------------------------------------------------


def test_a_visitor_confirms_the_phone_and_chats(client, specialist):
    line = MobileLineFactory(msisdn=mobile_number(74_000_001))

    with texts_handed_over():
        started = client.post(
            reverse("crm-channels:chat-start"), {"phone": line.msisdn, "topic": "套餐"}
        )
    code = re.search(r"\d{6}", OutboundSms.objects.get(msisdn=line.msisdn).body).group(0)
    confirmed = client.post(reverse("crm-channels:chat-confirm"), {"code": code})
    chat = ChatSession.objects.get()
    room = client.get(confirmed["Location"])
    sent = client.post(
        reverse("crm-channels:chat-action", args=[chat.token, "send"]),
        {"body": "想换个流量多的套餐"},
        headers={"accept": "application/json"},
    )
    polled = client.get(reverse("crm-channels:chat-poll", args=[chat.token]), {"after": 0})

    assert started["Location"] == reverse("crm-channels:chat-confirm")
    assert confirmed["Location"] == reverse("crm-channels:chat-room", args=[chat.token])
    assert (chat.status, chat.offered_to) == (ChatStatus.WAITING, specialist)
    assert "data-chat-position>1<" in html(room)
    assert sent.json() == {"ok": True}
    assert polled.json()["position"] == 1
    assert [m["sender"] for m in polled.json()["messages"]] == ["system", "customer"]


def test_an_unknown_number_looks_the_same_and_cannot_confirm(client, db):
    started = client.post(
        reverse("crm-channels:chat-start"), {"phone": mobile_number(74_999_999), "topic": "咨询"}
    )
    confirmed = client.post(reverse("crm-channels:chat-confirm"), {"code": "123456"})

    assert started["Location"] == reverse("crm-channels:chat-confirm")
    assert confirmed.status_code == 400
    assert "验证码错误或已过期" in html(confirmed)
    assert (ChatSession.objects.count(), OutboundSms.objects.count()) == (0, 0)


def test_a_signed_in_customer_chats_and_leaves_a_message_when_nobody_is_free(
    client, customer_user, customer
):
    client.force_login(customer_user)

    start_page = client.get(reverse("crm-channels:chat-start"))
    started = client.post(reverse("crm-channels:chat-start"), {"topic": "话费"})
    chat = ChatSession.objects.get()
    room = client.get(started["Location"])
    left = client.post(
        reverse("crm-channels:chat-action", args=[chat.token, "leave-message"]),
        {"body": "请给我回电话"},
    )

    chat.refresh_from_db()
    assert 'id="no-agent"' in html(start_page)
    assert 'id="leave-message"' in html(room)
    assert left.status_code == 302
    assert (chat.status, chat.ticket.customer) == (ChatStatus.MESSAGE_LEFT, customer)


def test_a_chat_page_is_only_for_its_customer_or_session(client, make_user, customer):
    chat = start_chat(customer=customer, topic="咨询", actor=None)
    client.force_login(make_user(Role.CUSTOMER, username="someone-else"))

    assert client.get(reverse("crm-channels:chat-room", args=[chat.token])).status_code == 404
    assert client.get(reverse("crm-channels:chat-poll", args=[chat.token])).status_code == 404


def test_staff_do_not_start_customer_chats(client, specialist):
    client.force_login(specialist)

    assert client.get(reverse("crm-channels:chat-start")).status_code == 403


def test_an_ended_chat_is_rated_on_its_page(client, specialist, customer_user, customer):
    chat = start_chat(customer=customer, topic="咨询", actor=None)
    accept_chat(chat, actor=specialist)
    client.force_login(customer_user)
    url = reverse("crm-channels:chat-action", args=[chat.token, "end"])

    client.post(url)
    rated = client.post(
        reverse("crm-channels:chat-action", args=[chat.token, "rate"]), {"score": "5"}
    )
    page = client.get(reverse("crm-channels:chat-room", args=[chat.token]))

    assert rated.status_code == 302
    assert ChatSession.objects.get(pk=chat.pk).rating == 5
    assert 'id="rated"' in html(page)


@pytest.mark.parametrize("count", [1, 6])
def test_chat_room_runs_a_constant_number_of_queries(
    client, customer_user, customer, django_assert_num_queries, count
):
    chat = start_chat(customer=customer, topic="咨询", actor=None)
    for n in range(count):
        post_customer_message(chat, body=f"第{n}条")
    client.force_login(customer_user)
    # 1 the session, 2 user, 3 their permissions, 4 the chat with customer, agent, ticket and
    # interaction, 5 its messages with articles, 6 its place in the queue, 7 whether a specialist
    # is available.
    with django_assert_num_queries(7):
        response = client.get(reverse("crm-channels:chat-room", args=[chat.token]))

    assert len(response.context["messages_shown"]) == count + 1


# --- The console, the screen pop, the chat desk -----------------------------------------------


def test_an_offered_call_pops_up_on_the_console(client, specialist):
    line = MobileLineFactory(customer=CustomerFactory(name="张三丰"))
    call = receive_call(
        call_id="pop-1", caller_number=line.msisdn, dialled_number="10000", ivr_path="4"
    )
    client.force_login(specialist)

    page = client.get(reverse("crm-channels:console"))
    polled = client.get(reverse("crm-channels:console-poll"))

    body = html(page)
    assert f'data-call="{call.pk}"' in body
    assert 'id="screen-pop"' in body
    assert "张**" in body
    assert line.msisdn not in body
    assert polled.json()["call_offers"] == [call.pk]


def test_answering_the_screen_pop_readies_the_verification(client, specialist):
    line = MobileLineFactory(customer=CustomerFactory(service_password="246810"))
    call = receive_call(
        call_id="pop-2", caller_number=line.msisdn, dialled_number="10000", ivr_path="4"
    )
    client.force_login(specialist)

    answered = client.post(reverse("crm-channels:call-action", args=[call.pk, "answer"]))
    call_page = client.get(answered["Location"])
    customer_page = client.get(reverse("crm:customer-detail", args=[line.customer_id]))
    verified = client.post(
        reverse("crm:interaction-verify", args=[line.customer_id]),
        {"method": "service_password", "service_password": "246810"},
    )

    call.refresh_from_db()
    assert call.status == CallStatus.CONNECTED
    assert 'id="verify-link"' in html(call_page)
    assert customer_page.context["interaction"] == call.interaction
    assert verified.status_code == 302
    assert IdentityVerification.objects.get(interaction=call.interaction).result == "passed"


def test_an_unknown_caller_is_identified_on_the_call_page(client, specialist):
    customer = CustomerFactory()
    call = receive_call(call_id="pop-3", caller_number="02155550000", dialled_number="10000")
    answer_call(call, actor=specialist)
    client.force_login(specialist)

    page = client.get(reverse("crm-channels:call", args=[call.pk]))
    wrong = client.post(
        reverse("crm-channels:call-action", args=[call.pk, "identify"]),
        {"customer_number": "0000000000"},
    )
    right = client.post(
        reverse("crm-channels:call-action", args=[call.pk, "identify"]),
        {"customer_number": customer.formatted_customer_number},
    )

    call.refresh_from_db()
    assert 'id="caller-unknown"' in html(page)
    assert wrong.status_code == 400
    assert right.status_code == 302
    assert (call.customer, call.interaction.customer) == (customer, customer)


@pytest.mark.parametrize("count", [1, 5])
def test_console_runs_a_constant_number_of_queries(
    client, specialist, django_assert_num_queries, count
):
    for n in range(count):
        start_chat(customer=CustomerFactory(), topic=f"咨询{n}", actor=None)
        receive_call(
            call_id=f"q-{n}", caller_number=mobile_number(74_100_000 + n), dialled_number="10000"
        )
    client.force_login(specialist)
    # 1 the session, 2 user, 3 their permissions (roles, hence queues), 4 their presence, 5 the
    # waiting chats with customers and interactions, 6 their chats, 7 the calls of their queues
    # with customers, lines and interactions.
    with django_assert_num_queries(7):
        response = client.get(reverse("crm-channels:console"))

    assert len(response.context["state"].waiting_chats) == count


def test_the_chat_desk_answers_converts_and_ends(client, specialist, customer):
    chat = start_chat(customer=customer, topic="宽带断网", actor=None)
    client.force_login(specialist)

    client.post(reverse("crm-channels:desk-action", args=[chat.pk, "accept"]))
    client.post(reverse("crm-channels:desk-action", args=[chat.pk, "send"]), {"body": "您好"})
    canned = client.get(reverse("crm-channels:desk", args=[chat.pk]), {"kb": "宽带上不了网"})
    greeting = next(a for a in canned.context["answers"] if a.title == "问候语")
    client.post(
        reverse("crm-channels:desk-action", args=[chat.pk, "canned"]), {"canned": greeting.pk}
    )
    client.post(
        reverse("crm-channels:desk-action", args=[chat.pk, "article"]),
        {"article": "broadband-no-connection"},
    )
    bad_ticket = client.post(
        reverse("crm-channels:desk-action", args=[chat.pk, "ticket"]),
        {"kind": "fault", "category": "broadband", "subject": "", "description": "断网"},
    )
    ticket = client.post(
        reverse("crm-channels:desk-action", args=[chat.pk, "ticket"]),
        {"kind": "fault", "category": "broadband", "subject": "宽带断网", "description": "断网"},
    )
    ended = client.post(reverse("crm-channels:desk-action", args=[chat.pk, "end"]), {"outcome": ""})

    chat.refresh_from_db()
    assert next(a.slug for a in canned.context["kb_results"]) == "broadband-no-connection"
    assert bad_ticket.status_code == 400
    assert (ticket.status_code, ended.status_code) == (302, 302)
    assert (chat.status, chat.ticket) == (ChatStatus.ENDED, Ticket.objects.get())
    assert list(chat.messages.filter(sender="agent").values_list("body", flat=True)) == [
        "您好",
        greeting.body,
        "这篇文章可以解答：宽带无法上网怎么办",
    ]


def test_a_colleague_cannot_write_in_someone_elses_chat(client, make_user, specialist, customer):
    chat = start_chat(customer=customer, topic="咨询", actor=None)
    accept_chat(chat, actor=specialist)
    colleague = make_user(Role.SERVICE_SPECIALIST, username="desk-colleague")
    client.force_login(colleague)

    refused = client.post(
        reverse("crm-channels:desk-action", args=[chat.pk, "send"]),
        {"body": "插一句"},
        headers={"accept": "application/json"},
    )

    assert refused.status_code == 409
    assert chat.messages.filter(sender="agent").count() == 0


def test_customers_and_sales_do_not_reach_the_console(client, customer_user, personas):
    client.force_login(customer_user)
    assert client.get(reverse("crm-channels:console")).status_code == 403
    client.force_login(personas[Role.SALES_ADVISOR])
    assert client.get(reverse("crm-channels:console")).status_code == 403


@pytest.mark.parametrize("count", [1, 6])
def test_chat_desk_runs_a_constant_number_of_queries(
    client, specialist, customer, django_assert_num_queries, count
):
    chat = start_chat(customer=customer, topic="咨询", actor=None)
    accept_chat(chat, actor=specialist)
    for n in range(count):
        post_customer_message(chat, body=f"第{n}条")
    client.force_login(specialist)
    # 1 the session, 2 user, 3 their permissions, 4 the chat with customer, agent, interaction,
    # order and ticket and whether it was verified, 5 its messages with articles, 6 the canned
    # answers for the user's roles and queues, 7 the customer's latest contacts, 8 their open
    # tickets.
    with django_assert_num_queries(8):
        response = client.get(reverse("crm-channels:desk", args=[chat.pk]))

    assert len(response.context["messages_shown"]) == count + 2


@pytest.mark.parametrize("count", [1, 4])
def test_call_page_runs_a_constant_number_of_queries(
    client, specialist, django_assert_num_queries, count
):
    line = MobileLineFactory()
    for n in range(count):
        receive_call(call_id=f"h-{n}", caller_number=line.msisdn, dialled_number="10000")
    call = InboundCall.objects.latest("pk")
    client.force_login(specialist)
    # 1 the session, 2 user, 3 their permissions, 4 the call with customer, line, interaction,
    # agent, offer and menu entry and whether it was verified, 5 the customer's latest contacts, 6
    # their open tickets.
    with django_assert_num_queries(6):
        response = client.get(reverse("crm-channels:call", args=[call.pk]))

    assert len(response.context["history"]["interactions"]) == min(count - 1, 5)


# --- The voice-menu simulator -------------------------------------------------------------------


def test_the_simulator_page_navigates_and_puts_the_call_through(client, specialist):
    line = MobileLineFactory()
    client.force_login(specialist)

    menu = client.get(reverse("crm-channels:ivr-simulator"), {"caller": line.msisdn, "keys": "3"})
    leaf = client.get(reverse("crm-channels:ivr-simulator"), {"caller": line.msisdn, "keys": "4"})
    placed = client.post(
        reverse("crm-channels:ivr-simulator"), {"caller": line.msisdn, "keys": "4"}
    )

    assert "手机信号与上网请按1" in html(menu)
    assert 'data-action="agent"' in html(leaf)
    assert placed["Location"] == reverse("crm-channels:console")
    assert InboundCall.objects.get().customer == line.customer


# --- Help, agreements, notices ------------------------------------------------------------------


def test_the_help_centre_finds_chinese_words_without_signing_in(client, db):
    found = client.get(reverse("crm-channels:help"), {"q": "验证码 诈骗"})
    article = client.get(reverse("crm-channels:help-article", args=["beware-of-telecom-fraud"]))
    english = client.get(
        reverse("crm-channels:help-article", args=["beware-of-telecom-fraud"]), headers=EN
    )
    staff_only = client.get(reverse("crm-channels:help-article", args=["desk-caller-verification"]))
    feedback = client.post(
        reverse("crm-channels:help-article", args=["beware-of-telecom-fraud"]), {"helpful": "yes"}
    )

    assert next(a.slug for a in found.context["articles"]) == "beware-of-telecom-fraud"
    assert "<h1>警惕电信网络诈骗</h1>" in html(article)
    assert "<h1>Beware of telecom fraud</h1>" in html(english)
    assert (staff_only.status_code, feedback.status_code) == (404, 302)


@pytest.mark.parametrize("query", ["", "宽带"])
def test_help_centre_runs_a_constant_number_of_queries(
    client, db, django_assert_num_queries, query
):
    # Anonymous: 1 COUNT for the pager, 2 the page of articles.
    with django_assert_num_queries(2):
        response = client.get(reverse("crm-channels:help"), {"q": query} if query else {})

    assert response.status_code == 200


def test_a_customer_sees_and_prints_only_their_agreements(
    client, personas, customer_user, customer
):
    sales = personas[Role.SALES_ADVISOR]
    own = sign_agreement(MobileLineFactory(customer=customer), actor=sales)
    other = sign_agreement(MobileLineFactory(), actor=sales)
    client.force_login(customer_user)

    page = client.get(reverse("crm-channels:my-agreements"))
    pdf = client.get(reverse("crm-channels:my-agreement-pdf", args=[own.pk]))
    foreign = client.get(reverse("crm-channels:my-agreement-pdf", args=[other.pk]))

    assert [a.number for a in page.context["agreements"]] == [own.number]
    assert (pdf.status_code, pdf["Content-Type"], foreign.status_code) == (
        200,
        "application/pdf",
        404,
    )


@pytest.mark.parametrize("count", [1, 4])
def test_my_agreements_runs_a_constant_number_of_queries(
    client, personas, customer_user, customer, django_assert_num_queries, count
):
    for _ in range(count):
        sign_agreement(MobileLineFactory(customer=customer), actor=personas[Role.SALES_ADVISOR])
    client.force_login(customer_user)
    # 1 the session, 2 user, 3 their permissions, 4 COUNT for the pager, 5 the page of agreements
    # with their lines.
    with django_assert_num_queries(5):
        response = client.get(reverse("crm-channels:my-agreements"))

    assert len(response.context["agreements"]) == count


def test_the_notice_banner_reaches_its_segment_only(client, personas, customer_user, make_user):
    supervisor = personas[Role.SUPERVISOR]
    vip_user = make_user(Role.CUSTOMER, username="vip-customer")
    CustomerFactory(segment=Segment.VIP, user=vip_user)
    CustomerFactory(user=customer_user)
    publish_notice(
        create_notice(
            kind="fraud_warning",
            title="防范冒充客服诈骗",
            body="请勿泄露验证码",
            segment=Segment.VIP,
            actor=supervisor,
        ),
        actor=supervisor,
    )

    client.force_login(vip_user)
    vip_home = html(client.get(reverse("customer-home")))
    client.force_login(customer_user)
    standard_home = html(client.get(reverse("customer-home")))

    assert "防范冒充客服诈骗" in vip_home
    assert "防范冒充客服诈骗" not in standard_home


def test_customer_home_runs_a_constant_number_of_queries(
    client, personas, customer_user, customer, django_assert_num_queries
):
    supervisor = personas[Role.SUPERVISOR]
    for n in range(3):
        publish_notice(
            create_notice(kind="maintenance", title=f"检修{n}", body="夜间检修", actor=supervisor),
            actor=supervisor,
        )
    client.force_login(customer_user)
    # 1 the session, 2 user, 3 their permissions, then the overview (a customer without
    # lines): 4 the customer, 5 accounts, 6 lines, 7 points, 8 open tickets, 9 latest bill, 10 the
    # notices that reached them and show now.
    with django_assert_num_queries(10):
        response = client.get(reverse("customer-home"))

    assert html(response).count('class="notice-banner') == 3


def test_a_supervisor_watches_every_queue_without_taking_calls(client, personas, specialist):
    supervisor = personas[Role.SUPERVISOR]
    start_chat(customer=CustomerFactory(), topic="咨询", actor=None)
    call = receive_call(call_id="watch-1", caller_number="13900007777", dialled_number="10000")
    client.force_login(supervisor)

    page = client.get(reverse("crm-channels:console"))
    answer = client.post(reverse("crm-channels:call-action", args=[call.pk, "answer"]))

    assert len(page.context["state"].waiting_chats) == 1
    assert [c.pk for c in page.context["state"].calls] == [call.pk]
    assert answer.status_code == 403
