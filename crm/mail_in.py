"""E-mail in: the service mailbox read over IMAP or from a maildir, every mail turned into what
it is (客服呼叫流程 五.2 电子邮件).

``fetch_mailbox`` reads unread mail one by one; ``process_mail`` decides, in its own transaction:

- a reply whose subject carries a ticket number (``TT…``) of the sender's ticket is added to that
  ticket as the customer's reply (the SLA clock restarts if the ticket waited for them);
- a new mail becomes an e-mail ``Interaction``; when it asks for help and the sender is a
  customer (matched by address), also a ticket of the kind its words suggest, and the customer
  is told the number (their reply then threads);
- automatic replies and loops are recorded and ignored: ``Auto-Submitted`` other than ``no``,
  ``Precedence: bulk/junk/list/auto_reply``, ``X-Autoreply``/``X-Autorespond``, delivery
  reports, ``X-Loop`` or ``From`` naming our own address, mailer daemons, and more than
  ``CRM_MAIL_IN_MAX_PER_SENDER_HOUR`` mails from one sender in an hour;
- attachments go to the ticket through ``complaints.services.add_attachment`` (type checked by
  content and a clean parse, size limited: ``complaints.uploads``), at most
  ``CRM_MAIL_IN_MAX_ATTACHMENTS``; others are noted as skipped with the reason;
- mail that cannot be read is recorded as rejected with the reason; the next mail goes on.

The mailbox keeps every original: a mail is marked read (maildir ``S`` flag, IMAP ``\\Seen``)
only after its row committed, and the row's unique ``message_key`` makes a second reading of
the same mail a no-op.
"""

import datetime
import email
import hashlib
import imaplib
import logging
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.errors import HeaderParseError, MessageError
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from crm.channel_choices import InboundEmailStatus
from crm.channel_models import InboundEmail
from crm.choices import Channel, InteractionOutcome
from crm.contact_centre import intake_user
from crm.models import Customer, Interaction
from crm.services import start_interaction
from portal.errors import DomainError

logger = logging.getLogger(__name__)

TICKET_NUMBER = re.compile(r"\bTT\d{14}\b")
MAX_BODY_CHARS = 20_000
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
DAEMON_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply")

# Words that show a mail asks for something (Chinese and English, lower-case).
HELP_WORDS = (
    "帮", "请", "问题", "故障", "投诉", "无法", "不能", "怎么", "如何", "为什么", "错误",
    "退", "扣费", "断", "慢", "help", "problem", "issue", "complain", "cannot", "can't",
    "unable", "error", "refund", "not working", "broken", "?", "？",
)  # fmt: skip
# The kind of ticket a mail's words suggest, most specific first.
KIND_WORDS = (
    ("complaint", ("投诉", "不满", "complain")),
    ("billing_dispute", ("扣费", "多扣", "乱收费", "账单有误", "退费", "refund", "overcharg")),
    ("fault", ("故障", "断网", "上不了网", "无法上网", "没信号", "信号差", "掉线", "网速慢",
               "fault", "outage", "no signal", "not working")),
)  # fmt: skip
CATEGORY_WORDS = (
    ("broadband", ("宽带", "broadband")),
    ("fixed_line", ("固话", "座机", "fixed line", "landline")),
    ("mobile_signal", ("信号", "signal")),
    ("mobile_data", ("流量", "上网", "data")),
    ("billing", ("账单", "话费", "扣费", "bill", "charge")),
)
DEFAULT_CATEGORY = {"complaint": "service_quality", "billing_dispute": "billing"}


class MailboxError(Exception):
    """The mailbox could not be opened or read (configuration, network): nothing was lost."""


# --- Reading the mailbox ------------------------------------------------------------------------


_MAILDIR_KEY = re.compile(r"^(\d+)\.(?:M(\d+))?(?:P\d+)?(?:Q(\d+))?")


def _arrival_order(key: str) -> tuple:
    """Maildir names start with the delivery time (``1733040000.M52P123Q4.host``): numbers, so
    ``M99`` comes before ``M100``, which a plain string sort gets wrong."""
    match = _MAILDIR_KEY.match(key)
    if match is None:
        return (float("inf"), 0, 0, key)
    seconds, micros, counter = (int(part or 0) for part in match.groups())
    return (seconds, micros, counter, key)


class MaildirSource:
    """A maildir on disk (``maildir:///srv/mail/service``): unread = no ``S`` flag."""

    def __init__(self, path: str):
        if not Path(path, "cur").is_dir():
            raise MailboxError(f"no maildir at {path}")
        self.path = path
        self.box = mailbox.Maildir(path, factory=None, create=False)

    def unread(self) -> Iterator[tuple[str, bytes]]:
        for key in sorted(self.box.keys(), key=_arrival_order):
            if "S" in self.box.get_message(key).get_flags():
                continue
            yield key, self.box.get_bytes(key)

    def mark_read(self, key: str) -> None:
        message = self.box.get_message(key)
        message.set_subdir("cur")
        message.add_flag("S")
        self.box[key] = message

    def describe(self, key: str) -> str:
        return f"maildir:{key}"

    def close(self) -> None:
        self.box.close()


class ImapSource:
    """An IMAP mailbox (``imaps://user:password@host:993/INBOX``), read with a timeout;
    unread = without ``\\Seen``; mail is fetched with ``BODY.PEEK[]`` so reading alone marks
    nothing."""

    def __init__(self, url: str):
        parts = urlparse(url)
        secure = parts.scheme == "imaps"
        port = parts.port or (993 if secure else 143)
        timeout = settings.CRM_MAIL_IN_TIMEOUT
        try:
            if secure:
                self.conn = imaplib.IMAP4_SSL(parts.hostname, port, timeout=timeout)
            else:
                self.conn = imaplib.IMAP4(parts.hostname, port, timeout=timeout)
            self.conn.login(unquote(parts.username or ""), unquote(parts.password or ""))
            folder = unquote(parts.path.lstrip("/")) or "INBOX"
            status, _data = self.conn.select(folder)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"IMAP {parts.hostname}:{port}: {exc}") from exc
        if status != "OK":
            raise MailboxError(f"IMAP folder {folder} cannot be opened")

    def unread(self) -> Iterator[tuple[str, bytes]]:
        try:
            status, data = self.conn.uid("SEARCH", None, "UNSEEN")
            uids = data[0].split() if status == "OK" and data and data[0] else []
            for uid in uids:
                status, parts = self.conn.uid("FETCH", uid, "(BODY.PEEK[])")
                if status == "OK" and parts and isinstance(parts[0], tuple):
                    yield uid.decode(), parts[0][1]
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"IMAP read failed: {exc}") from exc

    def mark_read(self, uid: str) -> None:
        try:
            self.conn.uid("STORE", uid, "+FLAGS", "(\\Seen)")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"IMAP flag failed: {exc}") from exc

    def describe(self, uid: str) -> str:
        return f"imap:{uid}"

    def close(self) -> None:
        try:
            self.conn.logout()
        except (OSError, imaplib.IMAP4.error):
            logger.warning("IMAP logout failed")


def open_source(url: str):
    if url.startswith("maildir://"):
        return MaildirSource(unquote(urlparse(url).path))
    if url.startswith(("imap://", "imaps://")):
        return ImapSource(url)
    raise ImproperlyConfigured("CRM_MAIL_IN_URL must start with maildir://, imap:// or imaps://.")


@dataclass
class MailRun:
    """What one reading of the mailbox did, by status."""

    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1


def fetch_mailbox(url: str | None = None, *, limit: int = 200) -> MailRun:
    """Read up to ``limit`` unread mails; each is processed, committed, then marked read."""
    url = url if url is not None else settings.CRM_MAIL_IN_URL
    run = MailRun()
    if not url:
        return run
    source = open_source(url)
    try:
        for count, (key, raw) in enumerate(source.unread()):
            if count >= limit:
                break
            row = process_mail(raw, source=source.describe(key))
            source.mark_read(key)
            run.add(row.status)
    finally:
        source.close()
    return run


# --- One mail -----------------------------------------------------------------------------------


@dataclass
class ParsedMail:
    key: str
    sender: str
    subject: str
    received_at: datetime.datetime
    body: str
    message: EmailMessage


class BadMail(ValueError):
    """A mail that cannot be read; the message says why."""


def _message_key(message: EmailMessage | None, raw: bytes) -> str:
    if message is not None:
        try:
            message_id = (message.get("Message-ID") or "").strip().strip("<>").strip()
        except (HeaderParseError, ValueError, TypeError, IndexError):
            message_id = ""
        if message_id and len(message_id) <= 240:
            return f"mid:{message_id}"
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name) or "").strip()
    except (HeaderParseError, ValueError, TypeError, IndexError) as exc:
        raise BadMail(_("Header %(name)s cannot be read.") % {"name": name}) from exc


def parse_mail(raw: bytes) -> ParsedMail:
    """Headers, sender and text of a mail, or ``BadMail``."""
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
    except (MessageError, ValueError, TypeError, IndexError) as exc:
        raise BadMail(_("The mail cannot be parsed.")) from exc
    if not message.keys():
        raise BadMail(_("The mail has no headers."))
    _name, sender = parseaddr(_header(message, "From"))
    sender = sender.strip().lower()
    if "@" not in sender:
        raise BadMail(_("The mail has no sender address."))
    subject = " ".join(_header(message, "Subject").split())[:300]
    try:
        received = parsedate_to_datetime(_header(message, "Date"))
        if received.tzinfo is None:
            received = timezone.make_aware(received)
    except (BadMail, TypeError, ValueError, IndexError):
        received = timezone.now()
    return ParsedMail(
        key=_message_key(message, raw),
        sender=sender,
        subject=subject,
        received_at=received,
        body=_text_of(message),
        message=message,
    )


def _text_of(message: EmailMessage) -> str:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        text = part.get_content()
    except (KeyError, LookupError, ValueError, TypeError, AttributeError) as exc:
        raise BadMail(_("The text of the mail cannot be decoded.")) from exc
    if part.get_content_subtype() == "html":
        text = strip_tags(text)
    return text.strip()[:MAX_BODY_CHARS]


def loop_reason(parsed: ParsedMail) -> tuple[str, str]:
    """The status and reason when this mail is an automatic reply or part of a loop, else
    two empty strings."""
    message = parsed.message
    own = settings.CRM_MAIL_IN_ADDRESS.lower()
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return InboundEmailStatus.AUTO_REPLY, f"Auto-Submitted: {auto_submitted}"
    precedence = _header(message, "Precedence").lower()
    if precedence in AUTO_PRECEDENCE:
        return InboundEmailStatus.AUTO_REPLY, f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if _header(message, name):
            return InboundEmailStatus.AUTO_REPLY, name
    if message.get_content_type() == "multipart/report":
        return InboundEmailStatus.AUTO_REPLY, "delivery report"
    if parsed.sender == own:
        return InboundEmailStatus.LOOP, "From: our own address"
    if own and own in _header(message, "X-Loop").lower():
        return InboundEmailStatus.LOOP, "X-Loop: our own address"
    if parsed.sender.split("@", 1)[0] in DAEMON_SENDERS:
        return InboundEmailStatus.AUTO_REPLY, "sent by a mail daemon"
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    recent = InboundEmail.objects.filter(from_address=parsed.sender, created_at__gte=hour_ago)
    if recent.count() >= settings.CRM_MAIL_IN_MAX_PER_SENDER_HOUR:
        return InboundEmailStatus.LOOP, "too many mails from this sender within an hour"
    return "", ""


def asks_for_help(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in HELP_WORDS)


def ticket_kind_and_category(text: str) -> tuple[str, str]:
    """The kind and category of ticket a mail's words suggest (an inquiry by default)."""
    lowered = text.lower()
    kind = next(
        (kind for kind, words in KIND_WORDS if any(word in lowered for word in words)), "inquiry"
    )
    category = next(
        (name for name, words in CATEGORY_WORDS if any(word in lowered for word in words)),
        DEFAULT_CATEGORY.get(kind, "other"),
    )
    return kind, category


def _customer_by_address(address: str) -> Customer | None:
    matches = list(Customer.objects.filter(email__iexact=address)[:2])
    return matches[0] if len(matches) == 1 else None


def process_mail(raw: bytes, *, source: str = "") -> InboundEmail:
    """Decide what one mail is and record it; never raises for a bad mail (see module doc)."""
    try:
        parsed = parse_mail(raw)
    except BadMail as exc:
        return _record_rejected(raw, str(exc), source)
    existing = InboundEmail.objects.filter(message_key=parsed.key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _process(parsed, raw, source)
    except BadMail as exc:
        return _record_rejected(raw, str(exc), source, parsed=parsed)
    except IntegrityError:
        # Read twice at once: the first reading's row stands.
        return InboundEmail.objects.get(message_key=parsed.key)


def _record_rejected(raw: bytes, reason: str, source: str, parsed: ParsedMail | None = None):
    key = parsed.key if parsed else _message_key(None, raw)
    row, _created = InboundEmail.objects.get_or_create(
        message_key=key,
        defaults={
            "from_address": parsed.sender if parsed else "",
            "subject": parsed.subject if parsed else "",
            "received_at": parsed.received_at if parsed else timezone.now(),
            "status": InboundEmailStatus.REJECTED,
            "reason": reason[:500],
            "size": len(raw),
            "source": source[:300],
        },
    )
    logger.warning("inbound mail rejected (%s): %s", source, reason)
    return row


def _process(parsed: ParsedMail, raw: bytes, source: str) -> InboundEmail:
    row = InboundEmail(
        message_key=parsed.key,
        from_address=parsed.sender,
        subject=parsed.subject,
        received_at=parsed.received_at,
        size=len(raw),
        source=source[:300],
    )
    if len(raw) > settings.CRM_MAIL_IN_MAX_BYTES:
        raise BadMail(
            _("The mail is larger than %(mb)d MB.")
            % {"mb": settings.CRM_MAIL_IN_MAX_BYTES // 2**20}
        )
    status, reason = loop_reason(parsed)
    if status:
        row.status, row.reason = status, reason
        row.save()
        return row
    customer = _customer_by_address(parsed.sender)
    row.customer = customer
    ticket = _ticket_replied_to(parsed, customer)
    if ticket is not None and _thread_reply(ticket, parsed, row):
        row.save()
        return row
    return _new_contact(parsed, row, customer)


def _ticket_replied_to(parsed: ParsedMail, customer: Customer | None):
    from complaints.models import Ticket

    match = TICKET_NUMBER.search(parsed.subject)
    if match is None or customer is None:
        return None
    return Ticket.objects.filter(number=match.group(0), customer=customer).first()


def _author_for(customer: Customer):
    return customer.user if customer.user_id and customer.user.is_active else intake_user()


def _thread_reply(ticket, parsed: ParsedMail, row: InboundEmail) -> bool:
    """Add the mail to its ticket as the customer's reply; False when the ticket is finished
    (the mail then becomes a new contact)."""
    from complaints.choices import OPEN_STATUSES, NoteVisibility, TicketStatus
    from complaints.services import add_note, transition_ticket

    if ticket.status not in OPEN_STATUSES:
        return False
    author = _author_for(ticket.customer)
    body = parsed.body or _("(no text)")
    add_note(
        ticket,
        author=author,
        body=_("E-mail from the customer: %(body)s") % {"body": body},
        visibility=NoteVisibility.CUSTOMER,
        notify=False,
    )
    ticket.refresh_from_db(fields=["status"])
    if ticket.status == TicketStatus.WAITING_CUSTOMER:
        # A customer without a portal login answered: the note's author is the intake account.
        transition_ticket(
            ticket,
            TicketStatus.IN_PROGRESS,
            actor=None,
            reason=_("The customer replied by e-mail."),
        )
    row.status, row.ticket = InboundEmailStatus.THREADED, ticket
    _keep_attachments(parsed, row, ticket, author)
    return True


def _new_contact(parsed: ParsedMail, row: InboundEmail, customer: Customer | None):
    from complaints.notifications import notify_customer
    from complaints.services import open_ticket

    subject = parsed.subject or _("(no subject)")
    interaction = start_interaction(
        channel=Channel.EMAIL,
        actor=None,
        reason=(_("E-mail: %(subject)s") % {"subject": subject})[:300],
        customer=customer,
    )
    text = f"{parsed.subject}\n{parsed.body}"
    wants_help = asks_for_help(text)
    outcome = InteractionOutcome.INFORMATION_GIVEN
    row.status = InboundEmailStatus.NEW_CONTACT
    if wants_help and customer is not None:
        kind, category = ticket_kind_and_category(text)
        author = _author_for(customer)
        ticket = open_ticket(
            kind=kind,
            category=category,
            customer=customer,
            subject=subject[:200],
            description=parsed.body or subject,
            channel=Channel.EMAIL,
            actor=author,
            interaction=interaction,
        )
        row.status, row.ticket = InboundEmailStatus.TICKET_OPENED, ticket
        outcome = InteractionOutcome.TICKET_OPENED
        _keep_attachments(parsed, row, ticket, author)
        notify_customer(
            ticket,
            subject=_("[%(number)s] We received your e-mail") % {"number": ticket.number},
            body=_(
                "We registered your e-mail as ticket %(number)s. Reply keeping %(number)s in the "
                "subject to add to it."
            )
            % {"number": ticket.number},
        )
    elif wants_help:
        row.reason = _("The sender is not a known customer: call them back or answer by mail.")
        outcome = InteractionOutcome.CALLBACK_NEEDED
    if row.ticket is None and _attachments(parsed.message):
        row.attachments_skipped = len(_attachments(parsed.message))
        row.reason = " ".join(
            part for part in (row.reason, _("Attachments stay in the mailbox.")) if part
        )[:500]
    Interaction.objects.filter(pk=interaction.pk).update(
        outcome=outcome,
        ended_at=timezone.now(),
        notes=(parsed.body or "")[:MAX_BODY_CHARS],
    )
    row.interaction = interaction
    row.save()
    return row


def _attachments(message: EmailMessage) -> list:
    try:
        return list(message.iter_attachments())
    except (KeyError, ValueError, TypeError, AttributeError):
        return []


def _keep_attachments(parsed: ParsedMail, row: InboundEmail, ticket, author) -> None:
    """Each attachment through the ticket's own checks (real type, size, count); what does not
    pass, or is over the per-mail limit, is noted as skipped."""
    from complaints.services import add_attachment

    skipped = []
    for index, part in enumerate(_attachments(parsed.message)):
        name = (part.get_filename() or f"attachment-{index + 1}")[:200]
        if row.attachments_kept >= settings.CRM_MAIL_IN_MAX_ATTACHMENTS:
            skipped.append(_("%(name)s: over the limit of files per mail") % {"name": name})
            continue
        try:
            content = part.get_payload(decode=True) or b""
        except (ValueError, TypeError) as exc:
            logger.info("attachment %s undecodable: %s", name, exc)
            content = b""
        if not content:
            skipped.append(_("%(name)s: empty or undecodable") % {"name": name})
            continue
        upload = SimpleUploadedFile(name, content, content_type=part.get_content_type())
        try:
            with transaction.atomic():
                add_attachment(ticket, upload, actor=author)
        except (ValidationError, DomainError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [exc.message]
            skipped.append(f"{name}: {' '.join(messages)}")
            continue
        row.attachments_kept += 1
    row.attachments_skipped = len(skipped)
    if skipped:
        row.reason = "; ".join([row.reason, *skipped] if row.reason else skipped)[:500]
