"""Online chat (在线客服): a customer or a verified visitor starts a chat from the portal; it waits
in a queue (VIP first, then first come, first served), is offered to an available service
specialist, and messages flow both ways by polling. The specialist sees the customer beside the
chat, answers with canned answers and help articles, and may turn the chat into a ticket or a
service order. The chat's ``Interaction`` holds the transcript when it ends; the customer then
rates it (1-5). With nobody available the customer leaves a message, which becomes a ticket.

Every status change checks ``CHAT_TRANSITIONS`` under the chat's row lock.
"""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.channel_choices import CHAT_TRANSITIONS, ChatSender, ChatStatus
from crm.channel_errors import ContactError, ContactErrorCode
from crm.channel_models import ChatMessage, ChatSession, KnowledgeArticle
from crm.choices import (
    Channel,
    InteractionOutcome,
    Segment,
    VerificationMethod,
    VerificationResult,
)
from crm.contact_centre import identify_caller, intake_user, offer_filter, pick_chat_agent
from crm.knowledge import require_customer_article
from crm.models import (
    Customer,
    IdentityVerification,
    Interaction,
    SmsVerificationCode,
)
from crm.services import (
    count_verification_attempt,
    create_service_order,
    start_interaction,
)
from crm.validators import normalize_mobile_number
from portal.roles import Role
from portal.sms import send_sms

MAX_MESSAGE_LENGTH = 2000
VERIFYING_MINUTES = 15


def _lock(chat: ChatSession) -> ChatSession:
    return ChatSession.objects.select_for_update().get(pk=chat.pk)


def _move(chat: ChatSession, to_status: str) -> None:
    if to_status not in CHAT_TRANSITIONS[chat.status]:
        raise ContactError(
            ContactErrorCode.INVALID_TRANSITION,
            _("A chat cannot go from %(from)s to %(to)s.")
            % {"from": ChatStatus(chat.status).label, "to": ChatStatus(to_status).label},
        )
    chat.status = to_status


def _system_message(chat: ChatSession, body: str) -> ChatMessage:
    return ChatMessage.objects.create(chat=chat, sender=ChatSender.SYSTEM, body=body)


def _clean_topic(topic: str) -> str:
    topic = (topic or "").strip()
    if not topic:
        raise ValidationError(
            {"topic": ValidationError(_("Tell us briefly what it is about."), code="required")}
        )
    return topic[:200]


def queue_position(chat: ChatSession) -> int | None:
    """1 for the next chat to be served; None once the chat is not waiting (one query)."""
    if chat.status != ChatStatus.WAITING or chat.queued_at is None:
        return None
    ahead = ChatSession.objects.filter(
        status=ChatStatus.WAITING, queue_role=chat.queue_role
    ).filter(
        Q(priority__gt=chat.priority)
        | Q(priority=chat.priority, queued_at__lt=chat.queued_at)
        | Q(priority=chat.priority, queued_at=chat.queued_at, pk__lt=chat.pk)
    )
    return ahead.count() + 1


def waiting_positions() -> dict[int, int]:
    """Every waiting chat's place in its queue, by chat id (one query; queues are short)."""
    positions: dict[int, int] = {}
    counters: dict[str, int] = {}
    waiting = (
        ChatSession.objects.filter(status=ChatStatus.WAITING)
        .order_by("-priority", "queued_at", "pk")
        .values_list("pk", "queue_role")
    )
    for pk, role in waiting:
        counters[role] = counters.get(role, 0) + 1
        positions[pk] = counters[role]
    return positions


def _enqueue(chat: ChatSession, now: datetime.datetime) -> None:
    _move(chat, ChatStatus.WAITING)
    chat.queued_at = now
    chat.customer_seen_at = now
    chat.priority = 1 if chat.customer and chat.customer.segment == Segment.VIP else 0
    chat.save(update_fields=["status", "queued_at", "customer_seen_at", "priority", "updated_at"])
    _system_message(
        chat,
        _("You are in the queue. A service specialist will be with you shortly."),
    )


# --- Starting -----------------------------------------------------------------------------------


@transaction.atomic
def start_chat(*, customer: Customer, topic: str, actor) -> ChatSession:
    """A signed-in customer starts a chat: it joins the queue and is offered to a specialist."""
    topic = _clean_topic(topic)
    interaction = start_interaction(
        channel=Channel.ONLINE_CHAT, actor=None, reason=topic, customer=customer
    )
    chat = ChatSession.objects.create(
        interaction=interaction, customer=customer, topic=topic, status=ChatStatus.VERIFYING
    )
    _enqueue(chat, timezone.now())
    offer_waiting_chats()
    return chat


@transaction.atomic
def begin_visitor_chat(*, phone: str, topic: str) -> ChatSession | None:
    """A visitor gives a phone number: when it is one of ours, a one-time code is texted to it
    and a chat waits for that code. Returns None otherwise; callers answer the same either way,
    so the page does not tell who is a customer."""
    topic = _clean_topic(topic)
    try:
        msisdn = normalize_mobile_number(phone or "")
    except ValidationError as exc:
        raise ValidationError({"phone": exc.error_list}) from exc
    customer, _line = identify_caller(msisdn)
    if customer is None:
        return None
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.verification_locked:
        return None
    interaction = start_interaction(
        channel=Channel.ONLINE_CHAT, actor=None, reason=topic, customer=customer
    )
    chat = ChatSession.objects.create(
        interaction=interaction,
        customer=customer,
        visitor_phone=msisdn,
        topic=topic,
        status=ChatStatus.VERIFYING,
    )
    code = f"{secrets.randbelow(10**6):06d}"
    SmsVerificationCode.objects.create(
        interaction=interaction,
        customer=customer,
        code_hash=make_password(code),
        expires_at=timezone.now() + datetime.timedelta(minutes=settings.CRM_SMS_CODE_TTL_MINUTES),
    )
    text = _("Your online service code is %(code)s. Never tell it to anyone who calls you.")
    send_sms(msisdn, text % {"code": code}, sensitive_body=text % {"code": "******"})
    return chat


@transaction.atomic
def confirm_visitor_chat(chat: ChatSession, *, code: str) -> ChatSession:
    """The visitor types the code: right, the chat joins the queue; wrong, the attempt counts
    towards the customer's verification lock (one code, one try)."""
    chat = _lock(chat)
    if chat.status != ChatStatus.VERIFYING:
        raise ContactError(ContactErrorCode.CHAT_NOT_OPEN, _("This chat is already confirmed."))
    customer = Customer.objects.select_for_update().get(pk=chat.customer_id)
    sms = (
        SmsVerificationCode.objects.select_for_update()
        .filter(
            interaction=chat.interaction_id,
            customer=customer,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
    passed = (
        sms is not None
        and not customer.verification_locked
        and check_password((code or "").strip(), sms.code_hash)
    )
    if sms is not None:
        sms.used_at = timezone.now()
        sms.save(update_fields=["used_at"])
    count_verification_attempt(customer, passed=passed)
    if not passed:
        # The failure is kept: the caller's transaction must commit, not roll back.
        _move(chat, ChatStatus.ABANDONED)
        chat.ended_at = timezone.now()
        chat.save(update_fields=["status", "ended_at", "updated_at"])
        _end_interaction(chat, InteractionOutcome.ABANDONED)
        return chat
    _enqueue(chat, timezone.now())
    offer_waiting_chats()
    return chat


# --- The queue and the offer --------------------------------------------------------------------


def offer_waiting_chats(now: datetime.datetime | None = None, *, limit: int = 50) -> int:
    """Offer waiting chats, in queue order, to available specialists with room for one more;
    an offer nobody accepted in time goes to someone else. Returns how many were offered."""
    now = now or timezone.now()
    offered = 0
    with transaction.atomic():
        chats = list(
            ChatSession.objects.select_for_update(skip_locked=True)
            .filter(status=ChatStatus.WAITING)
            .filter(offer_filter(now))
            .order_by("-priority", "queued_at", "pk")[:limit]
        )
        for chat in chats:
            agent = pick_chat_agent(chat.queue_role, now=now, exclude_ids=[chat.offered_to_id])
            if agent is None:
                break
            chat.offered_to, chat.offered_at = agent, now
            chat.save(update_fields=["offered_to", "offered_at", "updated_at"])
            offered += 1
    return offered


@transaction.atomic
def accept_chat(chat: ChatSession, *, actor) -> ChatSession:
    """The specialist takes the chat: it was offered to them, or its offer lapsed.

    A visitor who confirmed their phone by SMS code passed that check minutes ago; it is
    recorded in the chat's interaction, so the specialist sees the account without asking again.
    """
    chat = _lock(chat)
    if chat.status != ChatStatus.WAITING:
        raise ContactError(ContactErrorCode.CHAT_NOT_OPEN, _("This chat is no longer waiting."))
    if Role(chat.queue_role) not in actor.roles:
        raise ContactError(ContactErrorCode.NO_ROLE, _("This chat is for another team."))
    now = timezone.now()
    offer_live = (
        chat.offered_to_id
        and chat.offered_at
        and chat.offered_at >= now - (datetime.timedelta(seconds=settings.CRM_OFFER_SECONDS))
    )
    if offer_live and chat.offered_to_id != actor.pk:
        raise ContactError(
            ContactErrorCode.NOT_OFFERED_TO_YOU, _("This chat was offered to a colleague.")
        )
    _move(chat, ChatStatus.ACTIVE)
    chat.agent, chat.accepted_at = actor, now
    chat.offered_to = actor
    chat.save(update_fields=["status", "agent", "accepted_at", "offered_to", "updated_at"])
    Interaction.objects.filter(pk=chat.interaction_id).update(staff=actor, updated_at=now)
    if chat.visitor_phone and chat.customer_id:
        IdentityVerification.objects.create(
            interaction_id=chat.interaction_id,
            customer_id=chat.customer_id,
            method=VerificationMethod.SMS_CODE,
            result=VerificationResult.PASSED,
            performed_by=actor,
        )
    _system_message(
        chat,
        _("Service specialist %(name)s is here to help you.") % {"name": agent_name(actor)},
    )
    return chat


def agent_name(user) -> str:
    """What the customer sees of the specialist: the first name, else the staff login."""
    return user.first_name or user.get_username()


# --- Messages -----------------------------------------------------------------------------------


@transaction.atomic
def post_customer_message(chat: ChatSession, *, body: str) -> ChatMessage:
    """The customer writes; allowed while waiting (the specialist reads it on accepting)."""
    body = _clean_body(body)
    chat = _lock(chat)
    if chat.status not in (ChatStatus.WAITING, ChatStatus.ACTIVE):
        raise ContactError(ContactErrorCode.CHAT_NOT_OPEN, _("This chat has ended."))
    return ChatMessage.objects.create(chat=chat, sender=ChatSender.CUSTOMER, body=body)


@transaction.atomic
def post_agent_message(
    chat: ChatSession, *, actor, body: str = "", article: KnowledgeArticle | None = None
) -> ChatMessage:
    """The specialist answers, in words, with a help article, or both."""
    chat = _lock(chat)
    _require_agent(chat, actor)
    if chat.status != ChatStatus.ACTIVE:
        raise ContactError(ContactErrorCode.CHAT_NOT_OPEN, _("This chat has ended."))
    if article is not None:
        require_customer_article(article)
    if article is not None and not body.strip():
        body = _("This article answers it: %(title)s") % {"title": article.title}
    return ChatMessage.objects.create(
        chat=chat, sender=ChatSender.AGENT, author=actor, body=_clean_body(body), article=article
    )


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ValidationError(_("Write a message."), code="required")})
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            {
                "body": ValidationError(
                    _("Keep a message under %(limit)d characters.") % {"limit": MAX_MESSAGE_LENGTH},
                    code="max_length",
                )
            }
        )
    return body


def _require_agent(chat: ChatSession, actor) -> None:
    if chat.agent_id != actor.pk:
        raise ContactError(
            ContactErrorCode.NOT_YOUR_CHAT, _("Only the specialist in this chat may do this.")
        )


def customer_seen(chat: ChatSession) -> None:
    """The customer's page polled; written at most every 20 seconds."""
    now = timezone.now()
    ChatSession.objects.filter(
        Q(customer_seen_at__isnull=True)
        | Q(customer_seen_at__lt=now - datetime.timedelta(seconds=20)),
        pk=chat.pk,
    ).update(customer_seen_at=now)


# --- Ending, rating -----------------------------------------------------------------------------


def transcript(chat: ChatSession) -> str:
    """The conversation as text, for the interaction's notes."""
    names = {
        ChatSender.CUSTOMER: _("Customer"),
        ChatSender.AGENT: _("Specialist"),
        ChatSender.SYSTEM: _("System"),
    }
    return "\n".join(
        f"[{timezone.localtime(message.created_at):%H:%M:%S}] {names[message.sender]}: "
        f"{message.body}"
        for message in chat.messages.order_by("pk")
    )


def _end_interaction(chat: ChatSession, outcome: str) -> None:
    interaction = Interaction.objects.select_for_update().get(pk=chat.interaction_id)
    if interaction.ended_at is not None:
        return
    interaction.outcome = outcome
    interaction.ended_at = timezone.now()
    interaction.notes = "\n".join(part for part in (interaction.notes, transcript(chat)) if part)
    interaction.save(update_fields=["outcome", "ended_at", "notes", "updated_at"])


@transaction.atomic
def end_chat(
    chat: ChatSession, *, actor=None, by_customer: bool = False, outcome: str = ""
) -> ChatSession:
    """End the chat: the specialist or the customer from a conversation, the customer from
    the queue (abandoned). The transcript goes into the interaction."""
    chat = _lock(chat)
    if not by_customer:
        _require_agent(chat, actor)
    if outcome and outcome not in InteractionOutcome.values:
        raise ValidationError({"outcome": ValidationError(_("Unknown outcome."), code="invalid")})
    now = timezone.now()
    if chat.status in (ChatStatus.WAITING, ChatStatus.VERIFYING) and by_customer:
        _move(chat, ChatStatus.ABANDONED)
        final = InteractionOutcome.ABANDONED
    else:
        _move(chat, ChatStatus.ENDED)
        interaction = chat.interaction
        if chat.ticket_id:
            final = InteractionOutcome.TICKET_OPENED
        elif interaction.service_order_id:
            final = InteractionOutcome.ORDER_CREATED
        else:
            final = outcome or InteractionOutcome.RESOLVED
        _system_message(
            chat,
            _("The chat has ended. Please rate it: your answer helps us improve."),
        )
    chat.ended_at = now
    chat.save(update_fields=["status", "ended_at", "updated_at"])
    _end_interaction(chat, final)
    return chat


@transaction.atomic
def rate_chat(chat: ChatSession, *, score, comment: str = "") -> ChatSession:
    """The customer's one rating of an ended chat, 1 (poor) to 5 (excellent)."""
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError(
            {"score": ValidationError(_("Choose a score from 1 to 5."), code="invalid")}
        )
    chat = _lock(chat)
    if chat.status != ChatStatus.ENDED:
        raise ContactError(ContactErrorCode.NOT_ENDED, _("A chat is rated once it has ended."))
    if chat.rating is not None:
        raise ContactError(ContactErrorCode.ALREADY_RATED, _("This chat has already been rated."))
    chat.rating, chat.rating_comment = score, (comment or "").strip()[:500]
    chat.rated_at = timezone.now()
    chat.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    return chat


# --- No one available: a message becomes a ticket ----------------------------------------------


@transaction.atomic
def leave_message(chat: ChatSession, *, body: str, actor=None):
    """Nobody could take the chat: the customer's message (and anything written while waiting)
    becomes an inquiry ticket in the specialists' queue, and the chat closes with its number."""
    from complaints.choices import TicketCategory, TicketKind
    from complaints.services import open_ticket

    body = _clean_body(body)
    chat = _lock(chat)
    if chat.customer_id is None:
        raise ContactError(
            ContactErrorCode.NEEDS_CUSTOMER, _("Only a known customer can leave a message.")
        )
    _move(chat, ChatStatus.MESSAGE_LEFT)
    ChatMessage.objects.create(chat=chat, sender=ChatSender.CUSTOMER, body=body)
    earlier = [
        message.body for message in chat.messages.filter(sender=ChatSender.CUSTOMER).order_by("pk")
    ]
    ticket = open_ticket(
        kind=TicketKind.INQUIRY,
        category=TicketCategory.OTHER,
        customer=chat.customer,
        subject=chat.topic,
        description="\n\n".join(earlier),
        channel=Channel.ONLINE_CHAT,
        actor=actor if actor is not None and actor.is_authenticated else intake_user(),
        interaction=chat.interaction,
    )
    chat.ticket = ticket
    chat.ended_at = timezone.now()
    chat.save(update_fields=["status", "ticket", "ended_at", "updated_at"])
    _system_message(
        chat,
        _("Thank you. Your message is ticket %(number)s; we will get back to you.")
        % {"number": ticket.number},
    )
    _end_interaction(chat, InteractionOutcome.TICKET_OPENED)
    return ticket


# --- Converting ---------------------------------------------------------------------------------


@transaction.atomic
def convert_chat_to_ticket(
    chat: ChatSession,
    *,
    actor,
    kind: str,
    category: str,
    subject: str,
    description: str,
    subscription=None,
):
    """The specialist turns the conversation into a ticket (a fault, a complaint ...)."""
    from complaints.services import open_ticket

    chat = _lock(chat)
    _require_agent(chat, actor)
    if chat.customer_id is None:
        raise ContactError(
            ContactErrorCode.NEEDS_CUSTOMER, _("Identify the customer before opening a ticket.")
        )
    if chat.ticket_id is not None:
        raise ContactError(
            ContactErrorCode.ALREADY_CONVERTED,
            _("This chat already has ticket %(number)s.") % {"number": chat.ticket.number},
        )
    ticket = open_ticket(
        kind=kind,
        category=category,
        customer=chat.customer,
        subscription=subscription,
        subject=subject,
        description=description,
        channel=Channel.ONLINE_CHAT,
        actor=actor,
        interaction=chat.interaction,
    )
    chat.ticket = ticket
    chat.save(update_fields=["ticket", "updated_at"])
    _system_message(
        chat,
        _("We registered ticket %(number)s for you; follow it under My tickets.")
        % {"number": ticket.number},
    )
    return ticket


@transaction.atomic
def convert_chat_to_order(chat: ChatSession, *, actor, **order_fields):
    """The specialist takes a service order from the chat (``create_service_order`` fields)."""
    chat = _lock(chat)
    _require_agent(chat, actor)
    if chat.status != ChatStatus.ACTIVE:
        raise ContactError(ContactErrorCode.CHAT_NOT_OPEN, _("This chat has ended."))
    if chat.customer_id is None:
        raise ContactError(
            ContactErrorCode.NEEDS_CUSTOMER, _("Identify the customer before taking an order.")
        )
    order = create_service_order(
        **order_fields,
        customer=chat.customer,
        channel=Channel.ONLINE_CHAT,
        actor=actor,
        interaction=chat.interaction,
    )
    _system_message(
        chat,
        _("We received your order %(number)s.") % {"number": order.number},
    )
    return order


# --- The sweep ----------------------------------------------------------------------------------


def abandon_stale_chats(now: datetime.datetime | None = None) -> int:
    """Close chats nobody follows any more: a visitor who never typed the code, a waiting
    customer whose page stopped polling. Each closes its interaction as abandoned."""
    now = now or timezone.now()
    gone = now - datetime.timedelta(seconds=settings.CRM_CHAT_ABANDON_SECONDS)
    stale = ChatSession.objects.filter(
        Q(
            status=ChatStatus.VERIFYING,
            created_at__lt=now - datetime.timedelta(minutes=VERIFYING_MINUTES),
        )
        | Q(status=ChatStatus.WAITING, customer_seen_at__lt=gone)
    )
    closed = 0
    for chat_id in stale.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            chat = ChatSession.objects.select_for_update().filter(pk=chat_id).first()
            if chat is None or chat.status not in (ChatStatus.VERIFYING, ChatStatus.WAITING):
                continue
            _move(chat, ChatStatus.ABANDONED)
            chat.ended_at = now
            chat.save(update_fields=["status", "ended_at", "updated_at"])
            _end_interaction(chat, InteractionOutcome.ABANDONED)
            closed += 1
    return closed
