"""Online chat: the queue and its order, the offer to an available specialist, messages both
ways, conversion into a ticket, the rating, the no-agent path and the verified visitor."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from complaints.choices import Queue, TicketKind, TicketStatus
from crm.channel_choices import ChatSender, ChatStatus, PresenceStatus
from crm.channel_errors import ContactError, ContactErrorCode
from crm.channel_models import ChatSession, KnowledgeArticle
from crm.chat import (
    abandon_stale_chats,
    accept_chat,
    begin_visitor_chat,
    confirm_visitor_chat,
    convert_chat_to_order,
    convert_chat_to_ticket,
    end_chat,
    leave_message,
    offer_waiting_chats,
    post_agent_message,
    post_customer_message,
    queue_position,
    rate_chat,
    start_chat,
)
from crm.choices import (
    InteractionOutcome,
    OrderKind,
    Segment,
    VerificationMethod,
    VerificationResult,
)
from crm.contact_centre import agents_available, set_presence
from crm.models import Customer, IdentityVerification, Product
from portal.models import OutboundSms
from portal.roles import Role
from tests.conftest import texts_handed_over
from tests.crm.factories import CustomerFactory, MobileLineFactory, mobile_number


@pytest.fixture(autouse=True)
def _in_chinese():
    # Messages are checked in the site's default language, whatever an earlier test activated.
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def specialist(make_user):
    return make_user(Role.SERVICE_SPECIALIST, username="chat-agent", first_name="晓红")


@pytest.fixture
def customer_user(make_user):
    return make_user(Role.CUSTOMER, username="chat-customer")


@pytest.fixture
def customer(customer_user):
    return CustomerFactory(name="王小明", user=customer_user)


def available(user, max_chats=3):
    return set_presence(user, PresenceStatus.AVAILABLE, max_chats=max_chats)


def bodies(chat):
    return [(message.sender, message.body) for message in chat.messages.order_by("pk")]


def test_chat_from_start_to_ticket_conversion(specialist, customer, customer_user):
    available(specialist)

    chat = start_chat(customer=customer, topic="宽带断网", actor=customer_user)
    chat.refresh_from_db()
    assert (chat.status, chat.offered_to, queue_position(chat)) == (
        ChatStatus.WAITING,
        specialist,
        1,
    )
    post_customer_message(chat, body="家里宽带从昨晚开始上不了网。")
    accept_chat(chat, actor=specialist)
    post_agent_message(chat, actor=specialist, body="请先重启光猫和路由器。")
    post_customer_message(chat, body="重启过了，还是不行。")
    ticket = convert_chat_to_ticket(
        chat,
        actor=specialist,
        kind=TicketKind.FAULT,
        category="broadband",
        subject="宽带无法上网",
        description="客户已重启光猫，仍无法上网。",
    )
    end_chat(chat, actor=specialist)
    rate_chat(chat, score=5, comment="很快")

    chat.refresh_from_db()
    interaction = chat.interaction
    assert (chat.status, chat.rating, chat.rating_comment, chat.ticket) == (
        ChatStatus.ENDED,
        5,
        "很快",
        ticket,
    )
    assert (ticket.kind, ticket.queue, ticket.channel, ticket.interaction, ticket.customer) == (
        TicketKind.FAULT,
        Queue.TECH_SUPPORT,
        "online_chat",
        interaction,
        customer,
    )
    assert (interaction.channel, interaction.staff, interaction.outcome) == (
        "online_chat",
        specialist,
        InteractionOutcome.TICKET_OPENED,
    )
    assert interaction.ended_at is not None
    assert [sender for sender, _body in bodies(chat)] == [
        ChatSender.SYSTEM,
        ChatSender.CUSTOMER,
        ChatSender.SYSTEM,
        ChatSender.AGENT,
        ChatSender.CUSTOMER,
        ChatSender.SYSTEM,
        ChatSender.SYSTEM,
    ]
    assert ticket.number in bodies(chat)[5][1]
    assert "晓红" in bodies(chat)[2][1]
    transcript_lines = interaction.notes.splitlines()
    assert len(transcript_lines) == 7
    assert transcript_lines[1].endswith("家里宽带从昨晚开始上不了网。")


def test_queue_serves_vip_first_then_first_come(make_user, specialist):
    standard = [CustomerFactory() for _ in range(2)]
    vip = CustomerFactory(segment=Segment.VIP)
    start = timezone.now()
    chats = []
    for minutes, customer in enumerate([*standard, vip]):
        chat = start_chat(customer=customer, topic="咨询套餐", actor=None)
        ChatSession.objects.filter(pk=chat.pk).update(
            queued_at=start + datetime.timedelta(minutes=minutes)
        )
        chats.append(chat)
    first, second, vip_chat = (ChatSession.objects.get(pk=chat.pk) for chat in chats)
    assert [queue_position(chat) for chat in (vip_chat, first, second)] == [1, 2, 3]

    available(specialist, max_chats=2)
    assert offer_waiting_chats() == 2
    offered = set(ChatSession.objects.filter(offered_to=specialist).values_list("pk", flat=True))
    assert offered == {vip_chat.pk, first.pk}
    accept_chat(vip_chat, actor=specialist)
    first.refresh_from_db()
    assert [queue_position(first), queue_position(second)] == [1, 2]


def test_an_offer_goes_to_the_least_busy_specialist_and_lapses(make_user, specialist, settings):
    busy = make_user(Role.SERVICE_SPECIALIST, username="busy-agent")
    available(busy)
    accept_chat(start_chat(customer=CustomerFactory(), topic="一", actor=None), actor=busy)
    available(specialist)

    chat = start_chat(customer=CustomerFactory(), topic="二", actor=None)
    chat.refresh_from_db()
    assert chat.offered_to == specialist
    with pytest.raises(ContactError) as refused:
        accept_chat(chat, actor=busy)
    assert refused.value.code == ContactErrorCode.NOT_OFFERED_TO_YOU

    ChatSession.objects.filter(pk=chat.pk).update(
        offered_at=timezone.now() - datetime.timedelta(seconds=settings.CRM_OFFER_SECONDS + 1)
    )
    accepted = accept_chat(chat, actor=busy)
    assert (accepted.status, accepted.agent) == (ChatStatus.ACTIVE, busy)


def test_a_specialist_who_stopped_polling_is_not_offered_chats(specialist, customer, settings):
    available(specialist)
    type(specialist.presence).objects.filter(user=specialist).update(
        last_seen_at=timezone.now()
        - datetime.timedelta(seconds=settings.CRM_PRESENCE_TIMEOUT_SECONDS + 1)
    )

    chat = start_chat(customer=customer, topic="咨询", actor=None)
    chat.refresh_from_db()

    assert (agents_available(), chat.offered_to) == (False, None)


def test_with_no_specialist_available_the_message_becomes_a_ticket(customer, customer_user):
    chat = start_chat(customer=customer, topic="话费疑问", actor=customer_user)
    chat.refresh_from_db()
    assert (agents_available(), chat.offered_to, queue_position(chat)) == (False, None, 1)
    post_customer_message(chat, body="这个月话费比平时多了50元。")

    ticket = leave_message(chat, body="请回电话给我解释一下。", actor=customer_user)

    chat.refresh_from_db()
    assert (chat.status, chat.ticket) == (ChatStatus.MESSAGE_LEFT, ticket)
    assert (ticket.kind, ticket.queue, ticket.status, ticket.subject, ticket.created_by) == (
        TicketKind.INQUIRY,
        Queue.FIRST_CONTACT,
        TicketStatus.NEW,
        "话费疑问",
        customer_user,
    )
    assert ticket.description == "这个月话费比平时多了50元。\n\n请回电话给我解释一下。"
    assert chat.interaction.outcome == InteractionOutcome.TICKET_OPENED
    assert ticket.number in bodies(chat)[-1][1]
    with pytest.raises(ContactError):
        post_customer_message(chat, body="还在吗？")


def test_a_visitor_confirms_a_phone_number_by_sms_code(specialist):
    available(specialist)
    line = MobileLineFactory(msisdn=mobile_number(71_000_001))

    with texts_handed_over():
        chat = begin_visitor_chat(phone=line.msisdn, topic="查询套餐")
    sms = OutboundSms.objects.get(msisdn=line.msisdn)
    code = re.search(r"\d{6}", sms.body).group(0)
    assert (chat.status, chat.customer, sms.sensitive) == (
        ChatStatus.VERIFYING,
        line.customer,
        True,
    )

    confirm_visitor_chat(chat, code=code)
    chat.refresh_from_db()
    assert (chat.status, chat.offered_to) == (ChatStatus.WAITING, specialist)
    accept_chat(chat, actor=specialist)
    verification = IdentityVerification.objects.get(interaction=chat.interaction)
    assert (verification.method, verification.result, verification.performed_by) == (
        VerificationMethod.SMS_CODE,
        VerificationResult.PASSED,
        specialist,
    )


def test_an_unknown_number_gets_no_code_and_a_wrong_code_counts(db):
    assert begin_visitor_chat(phone=mobile_number(71_999_999), topic="咨询") is None
    assert OutboundSms.objects.count() == 0

    line = MobileLineFactory(msisdn=mobile_number(71_000_002))
    with texts_handed_over():
        chat = begin_visitor_chat(phone=line.msisdn, topic="咨询")
    confirm_visitor_chat(chat, code="000000" if "000000" not in _sent_code(line) else "111111")

    chat.refresh_from_db()
    assert chat.status == ChatStatus.ABANDONED
    assert Customer.objects.get(pk=line.customer_id).failed_verifications == 1
    with pytest.raises(ValidationError) as bad_phone:
        begin_visitor_chat(phone="12345", topic="咨询")
    assert list(bad_phone.value.error_dict) == ["phone"]


def _sent_code(line) -> str:
    return OutboundSms.objects.filter(msisdn=line.msisdn).latest("pk").body


def test_a_chat_is_rated_once_after_it_ended(specialist, customer):
    available(specialist)
    chat = start_chat(customer=customer, topic="咨询", actor=None)
    accept_chat(chat, actor=specialist)
    with pytest.raises(ContactError) as early:
        rate_chat(chat, score=4)
    end_chat(chat, by_customer=True)
    with pytest.raises(ValidationError) as bad:
        rate_chat(chat, score=6)
    rate_chat(chat, score=4)
    with pytest.raises(ContactError) as twice:
        rate_chat(chat, score=1)

    assert (early.value.code, list(bad.value.error_dict), twice.value.code) == (
        ContactErrorCode.NOT_ENDED,
        ["score"],
        ContactErrorCode.ALREADY_RATED,
    )
    assert ChatSession.objects.get(pk=chat.pk).rating == 4


def test_only_the_chats_specialist_writes_in_it(make_user, specialist, customer):
    other = make_user(Role.SERVICE_SPECIALIST, username="other-agent")
    available(specialist)
    chat = start_chat(customer=customer, topic="咨询", actor=None)
    accept_chat(chat, actor=specialist)

    with pytest.raises(ContactError) as refused:
        post_agent_message(chat, actor=other, body="你好")
    with pytest.raises(ValidationError) as empty:
        post_agent_message(chat, actor=specialist, body="   ")

    assert refused.value.code == ContactErrorCode.NOT_YOUR_CHAT
    assert list(empty.value.error_dict) == ["body"]


def test_a_staff_only_article_never_reaches_the_customer_in_a_chat(specialist, customer):
    available(specialist)
    chat = start_chat(customer=customer, topic="资费咨询", actor=None)
    accept_chat(chat, actor=specialist)
    internal = KnowledgeArticle.objects.create(
        slug="staff-only", category="billing", audience="staff", title="内部口径", body="仅员工"
    )

    with pytest.raises(ValidationError) as refused:
        post_agent_message(chat, actor=specialist, body="请看", article=internal)

    assert list(refused.value.error_dict) == ["article"]
    assert not chat.messages.filter(article=internal).exists()


def test_a_chat_becomes_a_service_order(specialist, customer):
    available(specialist)
    line = MobileLineFactory(customer=customer)
    chat = start_chat(customer=customer, topic="开通来电显示", actor=None)
    accept_chat(chat, actor=specialist)

    order = convert_chat_to_order(
        chat,
        actor=specialist,
        kind=OrderKind.SUBSCRIBE_SERVICE,
        subscription=line,
        product=Product.objects.get(code="CALLER_ID"),
    )
    end_chat(chat, actor=specialist)

    chat.refresh_from_db()
    assert (order.channel, order.customer) == ("online_chat", customer)
    assert (chat.interaction.service_order, chat.interaction.outcome) == (
        order,
        InteractionOutcome.ORDER_CREATED,
    )


def test_stale_chats_leave_the_queue(customer, settings):
    chat = start_chat(customer=customer, topic="咨询", actor=None)
    later = timezone.now() + datetime.timedelta(seconds=settings.CRM_CHAT_ABANDON_SECONDS + 5)

    assert abandon_stale_chats(now=later) == 1
    chat.refresh_from_db()
    assert (chat.status, chat.interaction.outcome) == (
        ChatStatus.ABANDONED,
        InteractionOutcome.ABANDONED,
    )
    assert abandon_stale_chats(now=later) == 0
