"""E-mail in, read from a real maildir: new mail, tickets, threading by ticket number, loop and
auto-reply protection, attachments within limits, bad mail next to good mail, and the command."""

import imaplib
import mailbox
import os
import shutil
import subprocess
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from complaints.choices import NoteVisibility, TicketKind, TicketStatus
from complaints.models import TicketAttachment
from complaints.services import assign_ticket, transition_ticket
from complaints.uploads import check_upload
from crm.channel_choices import InboundEmailStatus
from crm.channel_models import InboundEmail
from crm.choices import Channel, InteractionOutcome
from crm.mail_in import fetch_mailbox, process_mail
from portal.roles import Role
from tests.complaints.factories import make_ticket
from tests.complaints.files import PNG, PNG_WITH_HTML, tiny_pdf
from tests.conftest import free_port, require_service, wait_for
from tests.crm.factories import CustomerFactory, MobileLineFactory

# Tests here store files: MEDIA_ROOT is each test's own tmp_path / "media".
pytestmark = pytest.mark.usefixtures("media_in_tmp")


@pytest.fixture(autouse=True)
def _in_chinese():
    # Messages are checked in the site's default language, whatever an earlier test activated.
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def maildir(tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    yield box
    box.close()


@pytest.fixture
def customer(db):
    customer = CustomerFactory(name="李雷", email="lilei@example.com")
    MobileLineFactory(customer=customer)
    return customer


def mail(
    sender="lilei@example.com",
    subject="宽带无法上网",
    body="家里宽带断网了，请帮忙处理。",
    **headers,
):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "service@telecom-crm.example"
    message["Subject"] = subject
    message["Message-ID"] = headers.pop("message_id", make_msgid(domain="example.com"))
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def deliver(box, message) -> str:
    raw = message if isinstance(message, bytes) else message.as_bytes()
    return box.add(mailbox.MaildirMessage(raw))


def url_of(box) -> str:
    return f"maildir://{box._path}"


def test_a_mail_asking_for_help_becomes_an_interaction_and_a_ticket(maildir, customer):
    deliver(maildir, mail())

    run = fetch_mailbox(url_of(maildir))

    row = InboundEmail.objects.get()
    ticket = row.ticket
    assert run.counts == {InboundEmailStatus.TICKET_OPENED: 1}
    assert (row.status, row.customer, row.from_address) == (
        InboundEmailStatus.TICKET_OPENED,
        customer,
        "lilei@example.com",
    )
    assert (ticket.kind, ticket.category, ticket.channel, ticket.subject) == (
        TicketKind.FAULT,
        "broadband",
        Channel.EMAIL,
        "宽带无法上网",
    )
    assert (row.interaction.channel, row.interaction.outcome, ticket.interaction) == (
        Channel.EMAIL,
        InteractionOutcome.TICKET_OPENED,
        row.interaction,
    )
    told = ticket.notifications.get(channel="email")
    assert ticket.number in told.subject
    assert "S" in maildir.get_message(maildir.keys()[0]).get_flags()


def test_a_mail_asking_nothing_is_a_contact_only(maildir, customer):
    deliver(maildir, mail(subject="感谢", body="上次的工作人员服务很好，谢谢。"))

    fetch_mailbox(url_of(maildir))

    row = InboundEmail.objects.get()
    assert (row.status, row.ticket, row.interaction.outcome) == (
        InboundEmailStatus.NEW_CONTACT,
        None,
        InteractionOutcome.INFORMATION_GIVEN,
    )


def test_an_unknown_sender_asking_for_help_needs_a_callback(maildir, db):
    deliver(maildir, mail(sender="stranger@example.net", subject="怎么办理宽带？"))

    fetch_mailbox(url_of(maildir))

    row = InboundEmail.objects.get()
    assert (row.status, row.customer, row.ticket, row.interaction.outcome) == (
        InboundEmailStatus.NEW_CONTACT,
        None,
        None,
        InteractionOutcome.CALLBACK_NEEDED,
    )


def test_a_reply_with_the_ticket_number_threads_and_restarts_the_clock(maildir, customer, personas):
    engineer = personas[Role.TECH_SUPPORT]
    ticket = make_ticket(personas[Role.SERVICE_SPECIALIST], line=customer.subscriptions.get())
    assign_ticket(ticket, engineer, actor=engineer)
    transition_ticket(ticket, TicketStatus.IN_PROGRESS, actor=engineer)
    transition_ticket(ticket, TicketStatus.WAITING_CUSTOMER, actor=engineer)
    deliver(
        maildir, mail(subject=f"Re: [{ticket.number}] 工单进展", body="今天下午在家，可以上门。")
    )

    fetch_mailbox(url_of(maildir))

    ticket.refresh_from_db()
    row = InboundEmail.objects.get()
    note = ticket.notes.get(body__contains="今天下午在家")
    assert (row.status, row.ticket, row.interaction) == (InboundEmailStatus.THREADED, ticket, None)
    assert note.visibility == NoteVisibility.CUSTOMER
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_a_ticket_number_of_someone_else_does_not_thread(maildir, customer, personas):
    other_ticket = make_ticket(personas[Role.SERVICE_SPECIALIST])
    deliver(maildir, mail(subject=f"Re: {other_ticket.number} 请问进展？"))

    fetch_mailbox(url_of(maildir))

    row = InboundEmail.objects.get()
    assert row.status == InboundEmailStatus.TICKET_OPENED
    assert row.ticket != other_ticket
    assert other_ticket.notes.count() == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Auto_Submitted": "auto-replied"}, InboundEmailStatus.AUTO_REPLY),
        ({"Precedence": "bulk"}, InboundEmailStatus.AUTO_REPLY),
        ({"X_Autoreply": "yes"}, InboundEmailStatus.AUTO_REPLY),
        ({"X_Loop": "service@telecom-crm.example"}, InboundEmailStatus.LOOP),
        ({"sender": "service@telecom-crm.example"}, InboundEmailStatus.LOOP),
        ({"sender": "MAILER-DAEMON@example.com"}, InboundEmailStatus.AUTO_REPLY),
    ],
)
def test_automatic_replies_and_loops_are_ignored(maildir, customer, headers, status):
    deliver(maildir, mail(**headers))

    fetch_mailbox(url_of(maildir))

    row = InboundEmail.objects.get()
    assert (row.status, row.ticket, row.interaction) == (status, None, None)


def test_a_sender_flooding_the_mailbox_is_a_loop(maildir, customer, settings):
    settings.CRM_MAIL_IN_MAX_PER_SENDER_HOUR = 2
    for n in range(4):
        deliver(maildir, mail(subject=f"帮忙看看 {n}"))

    fetch_mailbox(url_of(maildir))

    statuses = list(InboundEmail.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == [
        InboundEmailStatus.TICKET_OPENED,
        InboundEmailStatus.TICKET_OPENED,
        InboundEmailStatus.LOOP,
        InboundEmailStatus.LOOP,
    ]


def test_bad_mail_is_recorded_and_the_good_mail_after_it_is_processed(maildir, customer):
    deliver(maildir, b"this is not a mail at all\x00\xff")
    deliver(maildir, mail(sender="no address here"))
    deliver(maildir, mail(subject="请帮忙", body="话费扣费有误，请核实。"))

    run = fetch_mailbox(url_of(maildir))

    rows = list(InboundEmail.objects.order_by("pk"))
    assert run.counts == {InboundEmailStatus.REJECTED: 2, InboundEmailStatus.TICKET_OPENED: 1}
    assert [row.status for row in rows] == [
        InboundEmailStatus.REJECTED,
        InboundEmailStatus.REJECTED,
        InboundEmailStatus.TICKET_OPENED,
    ]
    assert [rows[0].reason, rows[1].reason] == ["邮件没有邮件头。", "邮件没有可识别的发件人地址。"]
    assert rows[2].ticket.kind == TicketKind.BILLING_DISPUTE
    assert all("S" in maildir.get_message(key).get_flags() for key in maildir.keys())  # noqa: SIM118


def test_reading_the_mailbox_twice_creates_nothing_twice(maildir, customer):
    message = mail()
    deliver(maildir, message)
    fetch_mailbox(url_of(maildir))
    deliver(maildir, message)

    fetch_mailbox(url_of(maildir))
    again = process_mail(message.as_bytes())

    assert InboundEmail.objects.count() == 1
    assert again.pk == InboundEmail.objects.get().pk
    assert customer.tickets.count() == 1


def test_attachments_are_kept_within_limits(maildir, customer, settings):
    settings.CRM_MAIL_IN_MAX_ATTACHMENTS = 2
    message = mail(subject="信号差截图", body="请帮忙看看，信号很差。")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="signal.png")
    message.add_attachment(b"MZ\x90\x00 not a photo", maintype="application",
                           subtype="octet-stream", filename="photo.exe")  # fmt: skip
    message.add_attachment(PNG, maintype="image", subtype="png", filename="signal-2.png")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="signal-3.png")
    deliver(maildir, message)

    fetch_mailbox(url_of(maildir))

    row = InboundEmail.objects.get()
    assert (row.attachments_kept, row.attachments_skipped) == (2, 2)
    assert sorted(TicketAttachment.objects.values_list("original_name", flat=True)) == [
        "signal-2.png",
        "signal.png",
    ]
    assert "photo.exe" in row.reason
    assert "signal-3.png" in row.reason


def refusal(content: bytes) -> str:
    """What the ticket's upload check says about this file, in the active language."""
    with pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile("x", content))
    return " ".join(refused.value.messages)


def test_a_picture_with_a_page_behind_it_is_skipped_and_the_good_ones_kept(maildir, customer):
    message = mail(subject="宽带无法上网，截图和账单见附件")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="screenshot.png")
    message.add_attachment(PNG_WITH_HTML, maintype="text", subtype="html", filename="invoice.html")
    message.add_attachment(tiny_pdf(b"/OpenAction [3 0 R /Fit] "), maintype="application",
                           subtype="pdf", filename="账单.pdf")  # fmt: skip
    deliver(maildir, message)

    fetch_mailbox(url_of(maildir))

    row = InboundEmail.objects.get()
    kept = TicketAttachment.objects.get()
    assert row.ticket.subject == "宽带无法上网，截图和账单见附件"
    assert (row.attachments_kept, row.attachments_skipped) == (1, 2)
    assert (kept.original_name, kept.content_type) == ("screenshot.png", "image/png")
    assert kept.download_name == f"{row.ticket.number}-{kept.pk}.png"
    assert f"invoice.html: {refusal(PNG_WITH_HTML)}" in row.reason
    assert f"账单.pdf: {refusal(tiny_pdf(b'/OpenAction [3 0 R /Fit] '))}" in row.reason


def test_the_command_reports_and_refuses_a_missing_mailbox(maildir, customer, tmp_path, capsys):
    deliver(maildir, mail())

    call_command("fetch_mail", "--source", url_of(maildir))
    with pytest.raises(CommandError) as missing:
        call_command("fetch_mail", "--source", f"maildir://{tmp_path}/nowhere")

    assert capsys.readouterr().out.strip() == "1 mails read: ticket_opened 1"
    assert "no maildir" in str(missing.value)


DOVECOT_CONF = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={root}/mail/%u
}}
mail_location = maildir:{root}/mail/%u/Maildir
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""


@pytest.fixture
def imap_server():
    """A private Dovecot (Debian's dovecot-imapd, installed by .ci/run) on a free port, with a
    service mailbox whose password is ``secret-pass``; stopped after the test."""
    dovecot = shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None
    )
    require_service("dovecot", dovecot is not None, "install Debian's dovecot-imapd")
    # Dovecot drops to an unprivileged user for the mailbox: a world-writable folder of its own.
    root = Path(tempfile.mkdtemp(prefix="crm-imap-"))
    for folder in ("run", "state", "mail"):
        (root / folder).mkdir()
    root.chmod(0o755)
    (root / "mail").chmod(0o777)
    port = free_port()
    config = root / "dovecot.conf"
    config.write_text(DOVECOT_CONF.format(root=root, port=port, password="secret-pass"))
    subprocess.run([dovecot, "-c", str(config)], check=True, timeout=30)
    try:
        url = f"imap://service:secret-pass@127.0.0.1:{port}/INBOX"
        if not wait_for(lambda: _imap_answers(port), 15):
            raise RuntimeError(f"dovecot did not start: {(root / 'dovecot.log').read_text()}")
        yield url
    finally:
        subprocess.run([dovecot, "-c", str(config), "stop"], check=False, timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def _imap_answers(port: int) -> bool:
    try:
        with imaplib.IMAP4("127.0.0.1", port, timeout=2):
            return True
    except OSError:
        return False


def test_an_imap_mailbox_is_read_like_a_maildir(db, customer, imap_server):
    parts = urlparse(imap_server)
    with imaplib.IMAP4(parts.hostname, parts.port, timeout=10) as conn:
        conn.login(unquote(parts.username), unquote(parts.password))
        conn.append("INBOX", "", imaplib.Time2Internaldate(time.time()), mail().as_bytes())

    run = fetch_mailbox(imap_server)

    assert run.counts.get(InboundEmailStatus.TICKET_OPENED) == 1
    # Read mail is marked seen: the next run finds nothing new.
    assert fetch_mailbox(imap_server).total == 0
