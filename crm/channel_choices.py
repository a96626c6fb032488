"""Choices of the contact channels (chat, hotline and IVR, e-mail in, notices, agreements, the
knowledge base) and the allowed moves of their status fields."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PresenceStatus(models.TextChoices):
    """Whether a staff member takes chats and calls now (the console sets it)."""

    AVAILABLE = "available", _("Available")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


# --- Online chat --------------------------------------------------------------------------------


class ChatStatus(models.TextChoices):
    VERIFYING = "verifying", _("Confirming the visitor's phone")
    WAITING = "waiting", _("Waiting in the queue")
    ACTIVE = "active", _("In conversation")
    ENDED = "ended", _("Ended")
    MESSAGE_LEFT = "message_left", _("Message left")
    ABANDONED = "abandoned", _("Abandoned")


# The one table of a chat's moves. A visitor confirms a phone number first; a chat waits in the
# queue until a specialist accepts it; while waiting the customer may leave a message instead.
CHAT_TRANSITIONS: dict[str, frozenset[str]] = {
    ChatStatus.VERIFYING: frozenset({ChatStatus.WAITING, ChatStatus.ABANDONED}),
    ChatStatus.WAITING: frozenset(
        {ChatStatus.ACTIVE, ChatStatus.MESSAGE_LEFT, ChatStatus.ABANDONED}
    ),
    ChatStatus.ACTIVE: frozenset({ChatStatus.ENDED}),
    ChatStatus.ENDED: frozenset(),
    ChatStatus.MESSAGE_LEFT: frozenset(),
    ChatStatus.ABANDONED: frozenset(),
}
CHAT_LIVE_STATUSES = frozenset({ChatStatus.VERIFYING, ChatStatus.WAITING, ChatStatus.ACTIVE})


class ChatSender(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    AGENT = "agent", _("Service specialist")
    SYSTEM = "system", _("System")


# --- Hotline and IVR ----------------------------------------------------------------------------


class IvrAction(models.TextChoices):
    """What a key press on the voice menu leads to (客服呼叫流程 二.2 语音导航)."""

    MENU = "menu", _("Sub-menu")
    BALANCE = "balance", _("Self-service: balance")
    BILL_SMS = "bill_sms", _("Self-service: last bill by SMS")
    AGENT = "agent", _("Transfer to a person")


class CallStatus(models.TextChoices):
    SELF_SERVICE = "self_service", _("In self-service")
    QUEUED = "queued", _("Waiting for a person")
    CONNECTED = "connected", _("Connected")
    ENDED = "ended", _("Ended")
    ABANDONED = "abandoned", _("Caller hung up while waiting")


CALL_TRANSITIONS: dict[str, frozenset[str]] = {
    CallStatus.SELF_SERVICE: frozenset({CallStatus.ENDED, CallStatus.QUEUED}),
    CallStatus.QUEUED: frozenset({CallStatus.CONNECTED, CallStatus.ABANDONED}),
    CallStatus.CONNECTED: frozenset({CallStatus.ENDED}),
    CallStatus.ENDED: frozenset(),
    CallStatus.ABANDONED: frozenset(),
}


class CtiEvent(models.TextChoices):
    """What the telephony system reports to the webhook."""

    INCOMING = "call.incoming", _("Call came in (after the voice menu)")
    ENDED = "call.ended", _("Call ended")


# --- E-mail in ----------------------------------------------------------------------------------


class InboundEmailStatus(models.TextChoices):
    NEW_CONTACT = "new_contact", _("Recorded as a contact")
    TICKET_OPENED = "ticket_opened", _("Ticket opened")
    THREADED = "threaded", _("Added to its ticket")
    AUTO_REPLY = "auto_reply", _("Ignored: automatic reply")
    LOOP = "loop", _("Ignored: mail loop")
    REJECTED = "rejected", _("Rejected: unreadable")


# --- Notices ------------------------------------------------------------------------------------


class NoticeKind(models.TextChoices):
    FRAUD_WARNING = "fraud_warning", _("Fraud warning")
    MAINTENANCE = "maintenance", _("Planned maintenance")
    SERVICE = "service", _("Service announcement")


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")


NOTICE_TRANSITIONS: dict[str, frozenset[str]] = {
    NoticeStatus.DRAFT: frozenset({NoticeStatus.PUBLISHED, NoticeStatus.WITHDRAWN}),
    NoticeStatus.PUBLISHED: frozenset({NoticeStatus.WITHDRAWN}),
    NoticeStatus.WITHDRAWN: frozenset(),
}


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BANNER_ONLY = "banner_only", _("Banner only (no SMS)")


# --- Service agreements -------------------------------------------------------------------------


class AgreementStatus(models.TextChoices):
    ACTIVE = "active", _("In force")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated early")


AGREEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    AgreementStatus.ACTIVE: frozenset({AgreementStatus.EXPIRED, AgreementStatus.TERMINATED}),
    AgreementStatus.EXPIRED: frozenset(),
    AgreementStatus.TERMINATED: frozenset(),
}


class AgreementEventKind(models.TextChoices):
    SIGNED = "signed", _("Signed")
    REMINDED = "reminded", _("Renewal reminder sent")
    RENEWED = "renewed", _("Renewed")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated early")


# --- Knowledge base -----------------------------------------------------------------------------


class ArticleCategory(models.TextChoices):
    BILLING = "billing", _("Charges and bills")
    DATA = "data", _("Mobile data")
    BROADBAND = "broadband", _("Broadband")
    FIXED_LINE = "fixed_line", _("Fixed line")
    PRIVACY_SECURITY = "privacy_security", _("Privacy and security")
    FRAUD_PREVENTION = "fraud_prevention", _("Fraud prevention")


class ArticleAudience(models.TextChoices):
    PUBLIC = "public", _("Customers (public)")
    STAFF = "staff", _("Staff only")
