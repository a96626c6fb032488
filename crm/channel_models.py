"""Contact channels beside the business hall: online chat, the hotline with its voice menu (IVR)
and the telephony system's calls, e-mail in, notices to customers, service agreements, and the
knowledge base with staff's canned answers.

Every contact is a ``crm.Interaction``: a chat, a call and a mail each own one, so a customer's
history shows them all in one list. Imported by ``crm.models`` (one app, one migration history).
"""

import re
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from complaints.choices import Queue
from crm.channel_choices import (
    AgreementEventKind,
    AgreementStatus,
    ArticleAudience,
    ArticleCategory,
    CallStatus,
    ChatSender,
    ChatStatus,
    DeliveryStatus,
    InboundEmailStatus,
    IvrAction,
    NoticeKind,
    NoticeStatus,
    PresenceStatus,
)
from crm.choices import Segment
from crm.masking import mask_phone, mask_pii
from portal.outbox import OutboxFields
from portal.roles import Role

__all__ = [
    "AgentPresence",
    "AgreementEvent",
    "ArticleFeedback",
    "CannedAnswer",
    "ChatMessage",
    "ChatSession",
    "InboundCall",
    "InboundEmail",
    "IvrNode",
    "KnowledgeArticle",
    "Notice",
    "NoticeDelivery",
    "ServiceAgreement",
    "TicketArticle",
]

MONEY = {"max_digits": 12, "decimal_places": 2}
IVR_KEYS = ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#")


class AgentPresence(models.Model):
    """Whether a staff member takes chats and calls now, and how many chats at once.

    The console's polling refreshes ``last_seen_at``: a closed browser stops counting as
    available after ``CRM_PRESENCE_TIMEOUT_SECONDS``, whatever the status says.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="presence",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=PresenceStatus.choices, default=PresenceStatus.OFFLINE
    )
    max_chats = models.PositiveSmallIntegerField(
        _("chats at once"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("agent presence")
        verbose_name_plural = _("agent presence")
        ordering = ["user"]
        indexes = [models.Index(fields=["status", "last_seen_at"], name="crm_presence_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_chats__gte=1, max_chats__lte=10), name="presence_max_chats_1_10"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.status}"


# --- Knowledge base -----------------------------------------------------------------------------


# CJK ideographs (and the compatibility block): searched by character pairs, not by words.
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACES = re.compile(r"\s+")


def searchable_text(*parts: str) -> str:
    """Lower-case, single-spaced text that search matches substrings against."""
    return _SPACES.sub(" ", " ".join(part for part in parts if part)).strip().lower()


class KnowledgeArticle(models.Model):
    """A help article: public ones answer customers on the help pages and in chat, staff-only
    ones are scripts for the desk. Chinese first; English where it has been written."""

    slug = models.SlugField(_("address name"), max_length=60, unique=True)
    category = models.CharField(_("category"), max_length=20, choices=ArticleCategory.choices)
    audience = models.CharField(
        _("audience"), max_length=8, choices=ArticleAudience.choices, default=ArticleAudience.PUBLIC
    )
    title = models.CharField(_("title (Chinese)"), max_length=200)
    body = models.TextField(_("text (Chinese)"))
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
        help_text=_("Other words customers use for this, separated by spaces or commas."),
    )
    search_text = models.TextField(_("search text"), editable=False, blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge-base article")
        verbose_name_plural = _("knowledge-base articles")
        ordering = ["category", "title"]
        indexes = [
            models.Index(fields=["audience", "is_published", "category"], name="crm_kb_list_idx")
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # Derived, not business logic: what search reads, kept with the text it comes from.
        self.search_text = searchable_text(
            self.title, self.keywords, self.body, self.title_en, self.body_en
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def title_in(self, language: str) -> str:
        return self.title_en if language.startswith("en") and self.title_en else self.title

    def body_in(self, language: str) -> str:
        return self.body_en if language.startswith("en") and self.body_en else self.body


class ArticleFeedback(models.Model):
    """One "was this helpful?" answer (the counters on the article are bumped with it)."""

    article = models.ForeignKey(
        KnowledgeArticle,
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        related_name="feedback",
    )
    helpful = models.BooleanField(_("helpful"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.article} {'+' if self.helpful else '-'}"


class CannedAnswer(models.Model):
    """A ready answer for staff, by role and queue (empty means every role / queue)."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text (Chinese)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    queue = models.CharField(_("queue"), max_length=16, choices=Queue.choices, blank=True)
    article = models.ForeignKey(
        KnowledgeArticle,
        verbose_name=_("article"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="canned_answers",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("canned answer")
        verbose_name_plural = _("canned answers")
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title


class TicketArticle(models.Model):
    """An article given to the customer as part of a ticket's answer."""

    ticket = models.ForeignKey(
        "complaints.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="article_links",
    )
    article = models.ForeignKey(
        KnowledgeArticle,
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        related_name="ticket_links",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("linked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article linked to a ticket")
        verbose_name_plural = _("articles linked to tickets")
        ordering = ["ticket", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "article"], name="uniq_ticket_article")
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.article}"


# --- Online chat --------------------------------------------------------------------------------


class ChatSession(models.Model):
    """A chat from the portal: queued, offered to an available specialist, talked, rated.

    The chat owns an ``Interaction`` (channel online chat): its messages are the transcript,
    which is also written into the interaction's notes when the chat ends. ``token`` is the
    unguessable name the customer's browser uses to follow the chat.
    """

    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    interaction = models.OneToOneField(
        "crm.Interaction",
        verbose_name=_("interaction"),
        on_delete=models.PROTECT,
        related_name="chat",
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chats",
    )
    visitor_phone = models.CharField(
        _("visitor's phone"),
        max_length=11,
        blank=True,
        help_text=_("The number a visitor confirmed by SMS code (shown masked)."),
    )
    topic = models.CharField(_("topic"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=ChatStatus.choices, default=ChatStatus.WAITING
    )
    queue_role = models.CharField(
        _("queue"), max_length=32, choices=Role.choices, default=Role.SERVICE_SPECIALIST
    )
    # VIP customers are served first; within a priority, first come, first served.
    priority = models.PositiveSmallIntegerField(_("priority"), default=0)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # The customer's page polls; a chat nobody watches any more leaves the queue.
    customer_seen_at = models.DateTimeField(_("customer last seen at"), null=True, blank=True)
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("offered to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service specialist"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chats",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    ticket = models.ForeignKey(
        "complaints.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chats",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["status", "queue_role", "-priority", "queued_at", "id"],
                name="crm_chat_queue_idx",
            ),
            models.Index(fields=["agent", "status"], name="crm_chat_agent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="chat_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(visitor_phone=""),
                name="chat_has_a_person",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(agent__isnull=False),
                name="active_chat_has_agent",
            ),
        ]

    def __str__(self) -> str:
        return self.interaction.number

    @property
    def masked_visitor_phone(self) -> str:
        return mask_phone(self.visitor_phone)


class ChatMessage(models.Model):
    """One line of a chat's transcript; an agent's answer may carry a help article."""

    chat = models.ForeignKey(
        ChatSession, verbose_name=_("chat"), on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.CharField(_("from"), max_length=10, choices=ChatSender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("text"))
    article = models.ForeignKey(
        KnowledgeArticle,
        verbose_name=_("article"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["chat", "pk"]
        indexes = [models.Index(fields=["chat", "id"], name="crm_chat_message_idx")]

    def __str__(self) -> str:
        return f"{self.chat_id}#{self.pk} {self.sender}"


# --- Hotline and IVR ----------------------------------------------------------------------------


class IvrNode(models.Model):
    """One entry of the hotline's voice menu, edited in the admin.

    The root (no parent, no key) greets the caller; each child is reached by its key. A node
    either opens a sub-menu, answers by itself (balance, last bill by SMS) or transfers the call
    to a person of ``target_role``. "0" transfers to a service specialist from any menu that
    does not give "0" another meaning.
    """

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent menu"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    key = models.CharField(
        _("key"), max_length=1, blank=True, help_text=_("0-9, * or #; empty for the root.")
    )
    label = models.CharField(_("name"), max_length=60)
    prompt = models.TextField(_("what the voice says"))
    action = models.CharField(
        _("action"), max_length=10, choices=IvrAction.choices, default=IvrAction.MENU
    )
    target_role = models.CharField(
        _("transfer to"), max_length=32, choices=Role.choices, blank=True
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("voice menu entry")
        verbose_name_plural = _("voice menu (IVR)")
        ordering = ["parent_id", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "key"], name="uniq_ivr_key_per_menu"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(parent__isnull=True), name="ivr_single_root"
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, key="")
                | Q(parent__isnull=False, key__in=IVR_KEYS),
                name="ivr_key_fits_place",
            ),
            models.CheckConstraint(
                condition=~Q(action=IvrAction.AGENT) | ~Q(target_role=""),
                name="ivr_transfer_has_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key or '—'} {self.label}"


class InboundCall(models.Model):
    """A hotline call as the telephony system (CTI) reported it: who called, the voice-menu path
    taken, whose queue it waits in, who answered, and how long it lasted."""

    call_id = models.CharField(_("call id"), max_length=64, unique=True)
    caller_number = models.CharField(_("caller number"), max_length=20)
    dialled_number = models.CharField(_("dialled number"), max_length=20)
    ivr_path = models.CharField(_("keys pressed"), max_length=40, blank=True)
    ivr_labels = models.CharField(_("voice-menu path"), max_length=300, blank=True)
    ivr_node = models.ForeignKey(
        IvrNode,
        verbose_name=_("last menu entry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
    )
    subscription = models.ForeignKey(
        "crm.Subscription",
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    interaction = models.OneToOneField(
        "crm.Interaction",
        verbose_name=_("interaction"),
        on_delete=models.PROTECT,
        related_name="call",
    )
    status = models.CharField(_("status"), max_length=16, choices=CallStatus.choices)
    target_role = models.CharField(_("queue"), max_length=32, choices=Role.choices, blank=True)
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("offered to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("call", "answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
    )
    started_at = models.DateTimeField(_("started at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("hotline call")
        verbose_name_plural = _("hotline calls")
        ordering = ["-started_at"]
        indexes = [
            models.Index(
                fields=["status", "target_role", "started_at", "id"], name="crm_call_queue_idx"
            )
        ]

    def __str__(self) -> str:
        return self.call_id

    @property
    def masked_caller_number(self) -> str:
        return mask_phone(self.caller_number) if len(self.caller_number) == 11 else "****"


# --- E-mail in ----------------------------------------------------------------------------------


class InboundEmail(models.Model):
    """One mail read from the service mailbox and what became of it. The mailbox keeps the
    original; ``message_key`` (its Message-ID, else a hash of it) makes a re-read a no-op."""

    message_key = models.CharField(_("message key"), max_length=255, unique=True)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"))
    status = models.CharField(_("status"), max_length=16, choices=InboundEmailStatus.choices)
    reason = models.CharField(_("note"), max_length=500, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    attachments_kept = models.PositiveSmallIntegerField(_("attachments kept"), default=0)
    attachments_skipped = models.PositiveSmallIntegerField(_("attachments skipped"), default=0)
    source = models.CharField(_("mailbox entry"), max_length=300, blank=True)
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="emails",
    )
    interaction = models.OneToOneField(
        "crm.Interaction",
        verbose_name=_("interaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="email",
    )
    ticket = models.ForeignKey(
        "complaints.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["from_address", "created_at"], name="crm_email_sender_idx")]

    def __str__(self) -> str:
        return f"{self.from_address} {mask_pii(self.subject)}"


# --- Notices ------------------------------------------------------------------------------------


class Notice(models.Model):
    """A notice to customers (a fraud warning, planned maintenance): shown as a banner in the
    portal and texted through the SMS outbox to the customers it targets.

    Targeting: ``segment`` (empty: every segment) and ``area`` (empty: everywhere; otherwise a
    place name such as 浦东新区 found in the customer's address or a line's installation
    address). Publishing fixes the audience: one ``NoticeDelivery`` per customer.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=NoticeKind.choices)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    sms_text = models.CharField(
        _("SMS text"),
        max_length=300,
        blank=True,
        help_text=_("What the SMS says; empty sends the title and the text."),
    )
    segment = models.CharField(_("segment"), max_length=16, choices=Segment.choices, blank=True)
    area = models.CharField(_("area"), max_length=60, blank=True)
    starts_at = models.DateTimeField(_("shown from"))
    ends_at = models.DateTimeField(_("shown until"), null=True, blank=True)
    send_sms = models.BooleanField(_("send by SMS"), default=True)
    status = models.CharField(
        _("status"), max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT
    )
    audience_size = models.PositiveIntegerField(_("customers reached"), default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="notice_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def sms_body(self) -> str:
        return self.sms_text or f"【{self.title}】{self.body}"


class NoticeDelivery(OutboxFields):
    """A notice to one customer: the banner shows from this row, the SMS is sent from it.

    An outbox row (``portal.outbox``: claimed with ``SKIP LOCKED``, texted with no transaction
    open under the key ``notice-delivery-<id>``, retried with backoff); the SMS it sent is
    linked, so delivery is recorded per customer."""

    notice = models.ForeignKey(
        Notice, verbose_name=_("notice"), on_delete=models.CASCADE, related_name="deliveries"
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="notice_deliveries",
    )
    msisdn = models.CharField(_("mobile number"), max_length=11)
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    sms = models.OneToOneField(
        "portal.OutboundSms",
        verbose_name=_("SMS"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notice delivery")
        verbose_name_plural = _("notice deliveries")
        ordering = ["notice", "pk"]
        permissions = [("retry_noticedelivery", "Can send failed or delayed notice SMS again")]
        constraints = [
            models.UniqueConstraint(fields=["notice", "customer"], name="uniq_notice_customer")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="crm_notice_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} → {self.customer_id}"

    @property
    def idempotency_key(self) -> str:
        return f"notice-delivery-{self.pk}"

    @property
    def masked_msisdn(self) -> str:
        return mask_phone(self.msisdn)


# --- Service agreements -------------------------------------------------------------------------


class ServiceAgreement(models.Model):
    """The service agreement of one line (2024版电信服务协议): its term, renewal, the rules
    and fee of early termination, and both sides' obligations as signed."""

    number = models.CharField(_("agreement number"), max_length=20, unique=True, editable=False)
    subscription = models.ForeignKey(
        "crm.Subscription",
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    version = models.CharField(_("agreement version"), max_length=60)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=AgreementStatus.choices,
        default=AgreementStatus.ACTIVE,
        editable=False,
    )
    term_months = models.PositiveSmallIntegerField(
        _("term (months)"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), help_text=_("The last day of the current term."))
    auto_renew = models.BooleanField(_("renews automatically"), default=True)
    renewals = models.PositiveSmallIntegerField(_("times renewed"), default=0, editable=False)
    reminder_days = models.PositiveSmallIntegerField(
        _("remind days before the end"), default=30, validators=[MaxValueValidator(180)]
    )
    reminded_for = models.DateField(
        _("reminder sent for the end on"), null=True, blank=True, editable=False
    )
    monthly_commitment = models.DecimalField(
        _("monthly commitment"), **MONEY, validators=[MinValueValidator(0)]
    )
    termination_fee_percent = models.DecimalField(
        _("early-termination fee (percent of the remaining commitment)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    termination_fee_fixed = models.DecimalField(
        _("early-termination fee, fixed part"), **MONEY, validators=[MinValueValidator(0)]
    )
    service_scope = models.TextField(_("services provided"))
    customer_obligations = models.TextField(_("customer's obligations"))
    operator_obligations = models.TextField(_("operator's obligations"))
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True, editable=False)
    termination_reason = models.CharField(
        _("termination reason"), max_length=300, blank=True, editable=False
    )
    termination_fee = models.DecimalField(
        _("early-termination fee charged"), **MONEY, null=True, blank=True, editable=False
    )
    termination_entry = models.OneToOneField(
        "billing.LedgerEntry",
        verbose_name=_("fee ledger entry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("service agreement")
        verbose_name_plural = _("service agreements")
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["status", "ends_on"], name="crm_agreement_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="agreement_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(termination_fee_percent__gte=0, termination_fee_percent__lte=100)
                & Q(termination_fee_fixed__gte=0)
                & Q(monthly_commitment__gte=0),
                name="agreement_fees_in_range",
            ),
            models.UniqueConstraint(
                fields=["subscription"],
                condition=Q(status="active"),
                name="uniq_active_agreement_per_line",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AgreementEvent(models.Model):
    """Append-only history of an agreement: signed, reminded, renewed, expired, terminated."""

    agreement = models.ForeignKey(
        ServiceAgreement,
        verbose_name=_("agreement"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=AgreementEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when a scheduled job made the change."),
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement event")
        verbose_name_plural = _("agreement events")
        ordering = ["agreement", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.agreement} {self.kind}"
