"""Delivering the notification outbox: claim, send with no transaction open, record.

``complaints.notifications`` writes ``Notification`` rows inside the transactions of what they
report; this module hands them to the gateways the way every outbox is delivered
(``portal.outbox``): a claimed row is sent over SMS (``portal.sms.deliver_sms``) or SMTP with
its key ``notification-<id>`` (the e-mail's ``Message-ID``), then marked sent, or retried later
with an exponential backoff for ``OUTBOX_RETRY_WINDOW_HOURS`` before it is failed. A message
that carries a survey's link makes the survey *sent* once it is delivered; when every message of
a survey ended undelivered, a specialist calls the customer instead.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Exists, OuterRef
from django.utils import timezone

from complaints import surveys
from complaints.choices import NotificationChannel, NotificationStatus
from complaints.models import Notification
from portal import outbox
from portal.models import DeliveryRetry
from portal.selfservice.selectors import email_opt_outs
from portal.sms import deliver_sms

logger = logging.getLogger(__name__)

# Customers' messages first, then the oldest due.
CLAIM_ORDER = ("priority", "next_attempt_at", "pk")


def deliver_due(*, now=None, budget_seconds: float | None = None) -> int:
    """A sweep: put back rows a dead worker left claimed, then deliver what is due, customers'
    messages first, until nothing is due or the time budget is spent. Returns how many were
    sent. Any number of sweeps may run at once (each claims other rows)."""
    clock = outbox.clock(now)
    outbox.recover_stale_claims(Notification.objects.all(), now=clock())
    return outbox.sweep(
        Notification,
        lambda: outbox.claim(
            Notification.objects.all(),
            now=clock(),
            limit=settings.OUTBOX_CLAIM_BATCH,
            order_by=CLAIM_ORDER,
        ),
        lambda claimed: deliver_claimed(claimed, now=clock()),
        budget_seconds=budget_seconds,
    )


def deliver_now(notification_ids: list[int]) -> int:
    """Deliver these rows at once if they are due (a survey's messages, just written); rows
    another worker holds are left to it. Returns how many were sent."""
    claims = outbox.claim(
        Notification.objects.filter(pk__in=notification_ids),
        now=timezone.now(),
        limit=len(notification_ids),
        order_by=CLAIM_ORDER,
    )
    return sum(deliver_claimed(claimed) for claimed in claims)


def deliver_claimed(claimed: outbox.Claim, *, now=None) -> bool:
    """Send one claimed row and record what happened; True when it was sent."""
    notification = Notification.objects.annotate(
        customer_opted_out=Exists(email_opt_outs().filter(customer_id=OuterRef("customer_id")))
    ).get(pk=claimed.pk)
    # An e-mail copy to a customer who turned e-mail off in the portal (SMS always goes).
    if notification.channel == NotificationChannel.EMAIL and notification.customer_opted_out:
        outbox.record_outcome(Notification, claimed, NotificationStatus.SKIPPED)
        _after_undelivered(notification)
        return False
    try:
        sms = _send(notification)
    except Exception as exc:  # noqa: BLE001 - any gateway failure is recorded and retried
        logger.warning(
            "notification %s attempt %s failed: %s", notification.pk, notification.attempts, exc
        )
        status = outbox.record_failure(Notification, claimed, exc, now=now or timezone.now())
        if status == NotificationStatus.FAILED:
            _after_undelivered(notification)
        return False
    sent_at = now or timezone.now()
    fields = {"sms": sms} if sms is not None else {}
    if not outbox.record_sent(Notification, claimed, now=sent_at, **fields):
        return False
    if notification.survey_id is not None:
        surveys.mark_survey_sent(notification.survey_id, at=sent_at)
    return True


def _send(notification: Notification):
    if notification.channel == NotificationChannel.SMS:
        return deliver_sms(
            notification.address,
            notification.body,
            idempotency_key=notification.idempotency_key,
        )
    if notification.address:
        send_email(notification)
    # A staff member without an address still sees the notification in the workspace.
    return None


def send_email(notification: Notification) -> None:
    """One e-mail, its ``Message-ID`` made from the row's key: every attempt carries the same one,
    so a repeat after a lost answer is recognisable as the same message."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    # Marked as automatic (RFC 3834) and with our loop tag: auto-responders stay silent, and a
    # bounce or auto-reply that still comes back is ignored by the mail intake (crm.mail_in).
    EmailMessage(
        notification.subject,
        notification.body,
        settings.DEFAULT_FROM_EMAIL,
        [notification.address],
        headers={
            "Message-ID": f"<{notification.idempotency_key}@{domain}>",
            "Auto-Submitted": "auto-generated",
            "X-Loop": settings.CRM_MAIL_IN_ADDRESS,
        },
    ).send(fail_silently=False)


def retry_messages(rows, *, actor, scope: str) -> int:
    """A supervisor sends failed or delayed messages again now (with a fresh retry window);
    recorded with how many. ``rows`` come from ``selectors.undelivered_messages``."""
    return outbox.retry_rows(
        rows, actor=actor, outbox=DeliveryRetry.Outbox.NOTIFICATIONS, scope=scope
    )


def _after_undelivered(notification: Notification) -> None:
    if notification.survey_id is not None:
        surveys.survey_undelivered_if_no_message_left(notification.survey_id)
