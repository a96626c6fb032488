"""Demo data of the contact channels, loaded by ``seed_demo`` after the customers and tickets.

Everything goes through the services, by the demo staff of ``portal.demo``: a chat answered with
a help article and rated, hotline calls (self-service balance; a fault put through the voice
menu to tech support, answered and ended), mail read from a demo maildir (a question from a
stranger and an auto-reply that is ignored), a fraud warning to every customer and a maintenance
notice for Hangzhou, and service agreements on two lines. The voice menu, help articles and
canned answers come with the migrations.

Each record is keyed (a chat on its customer and topic, a call on its id, a mail on its
Message-ID, a notice on its title, an agreement on its line), so a second run creates nothing.
"""

import datetime
from collections.abc import Callable
from email.message import EmailMessage

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from crm.agreements import sign_agreement
from crm.channel_choices import NoticeKind, PresenceStatus
from crm.channel_models import (
    ChatSession,
    InboundCall,
    InboundEmail,
    KnowledgeArticle,
    Notice,
    ServiceAgreement,
)
from crm.chat import accept_chat, end_chat, post_agent_message, post_customer_message, rate_chat
from crm.chat import start_chat as start_customer_chat
from crm.contact_centre import set_presence
from crm.mail_in import process_mail
from crm.models import Customer, Subscription
from crm.notices import create_notice, publish_notice
from crm.telephony import answer_call, end_call, receive_call, wrap_up_call

HOTLINE = "10000"


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _customer(login: str) -> Customer:
    return Customer.objects.get(user__username=login)


@transaction.atomic
def demo_chat() -> int:
    customer = _customer("customer1")
    topic = "宽带晚上经常断线"
    if ChatSession.objects.filter(customer=customer, topic=topic).exists():
        return 0
    specialist = _user("specialist")
    set_presence(specialist, PresenceStatus.AWAY)
    chat = start_customer_chat(customer=customer, topic=topic, actor=customer.user)
    post_customer_message(chat, body="家里宽带晚上八点以后经常断线，怎么办？")
    accept_chat(chat, actor=specialist)
    post_agent_message(chat, actor=specialist, body="您好，我是客户服务专员李娜，很高兴为您服务。")
    post_agent_message(
        chat,
        actor=specialist,
        article=KnowledgeArticle.objects.get(slug="broadband-no-connection"),
    )
    post_customer_message(chat, body="重启光猫以后好了，谢谢！")
    end_chat(chat, actor=specialist)
    rate_chat(chat, score=5, comment="解答很快")
    return 1


@transaction.atomic
def demo_calls() -> int:
    created = 0
    line = Subscription.objects.get(msisdn="18900000001")
    if not InboundCall.objects.filter(call_id="demo-call-balance").exists():
        call = receive_call(
            call_id="demo-call-balance",
            caller_number=line.msisdn,
            dialled_number=HOTLINE,
            ivr_path="1",
            started_at=timezone.now() - datetime.timedelta(hours=3),
        )
        end_call(call, duration_seconds=48)
        created += 1
    if not InboundCall.objects.filter(call_id="demo-call-fault").exists():
        engineer = _user("engineer")
        set_presence(engineer, PresenceStatus.AVAILABLE)
        caller = Subscription.objects.get(msisdn="18900000003")
        call = receive_call(
            call_id="demo-call-fault",
            caller_number=caller.msisdn,
            dialled_number=HOTLINE,
            ivr_path="3-1",
            started_at=timezone.now() - datetime.timedelta(hours=1),
        )
        answer_call(call, actor=engineer)
        wrap_up_call(call, actor=engineer, outcome="resolved", notes="指导客户重置网络设置后恢复。")
        end_call(call, duration_seconds=312)
        set_presence(engineer, PresenceStatus.OFFLINE)
        created += 1
    return created


def _mail(message_id: str, sender: str, subject: str, body: str, **headers) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "service@telecom-crm.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


def demo_mail() -> int:
    mails = [
        _mail(
            "<demo-question@example.net>",
            "zhang.reader@example.net",
            "请问如何办理宽带？",
            "您好，我刚搬到杭州，想办理300M宽带，请问需要带什么证件？",
        ),
        _mail(
            "<demo-autoreply@example.net>",
            "zhang.reader@example.net",
            "自动回复：我正在休假",
            "我正在休假，回来后回复您。",
            **{"Auto-Submitted": "auto-replied"},
        ),
    ]
    before = InboundEmail.objects.count()
    for raw in mails:
        process_mail(raw, source="demo")
    return InboundEmail.objects.count() - before


@transaction.atomic
def demo_notices() -> int:
    supervisor = _user("supervisor")
    specs = [
        {
            "kind": NoticeKind.FRAUD_WARNING,
            "title": "警惕冒充客服的诈骗电话",
            "body": (
                "近期有不法分子冒充客服以“退费”“升级套餐”为由索要短信验证码。"
                "我们不会索要验证码或要求转账。"
            ),
        },
        {
            "kind": NoticeKind.MAINTENANCE,
            "title": "杭州地区网络夜间升级",
            "body": "本周六凌晨1:00至5:00，杭州市西湖区宽带网络升级，期间可能短暂断网。",
            "area": "杭州市",
        },
    ]
    created = 0
    for spec in specs:
        if Notice.objects.filter(title=spec["title"]).exists():
            continue
        notice = create_notice(actor=supervisor, **spec)
        publish_notice(notice, actor=supervisor)
        created += 1
    return created


@transaction.atomic
def demo_agreements() -> int:
    sales = _user("sales")
    created = 0
    for msisdn, term, auto_renew in (("18900000001", 24, True), ("18900000003", 12, False)):
        line = Subscription.objects.get(msisdn=msisdn)
        if ServiceAgreement.objects.filter(subscription=line).exists():
            continue
        sign_agreement(
            line,
            actor=sales,
            term_months=term,
            starts_on=line.activated_on,
            auto_renew=auto_renew,
        )
        created += 1
    return created


def demo_steps() -> list[tuple[str, Callable[[], int]]]:
    return [
        ("chat", demo_chat),
        ("calls", demo_calls),
        ("mail", demo_mail),
        ("notices", demo_notices),
        ("agreements", demo_agreements),
    ]
