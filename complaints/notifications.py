"""Telling customers and staff what happened to a ticket: an outbox, delivered by a worker.

``notify_customer`` and ``notify_staff`` only write ``Notification`` rows, inside the caller's
transaction: nothing is published from a request or an open transaction. ``deliver`` sends one
row under its lock and marks it sent in the same transaction, so two workers (or a retry) can
never send it twice; the beat task ``deliver_pending_notifications`` picks up whatever is
pending. E-mail goes through Django's e-mail backend, SMS through ``portal.sms`` (the gateway
interface whose default backend is the outbox table).
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.choices import NotificationChannel, NotificationStatus
from complaints.models import Notification, Ticket
from portal.sms import send_sms

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def customer_msisdn(ticket: Ticket) -> str:
    """The mobile number to text: the ticket's line when it is a mobile, else the contact."""
    if ticket.subscription_id and ticket.subscription.msisdn:
        return ticket.subscription.msisdn
    return ticket.customer.contact_phone


def notify_customer(ticket: Ticket, *, subject: str, body: str) -> list[Notification]:
    """Queue a message to the ticket's customer: SMS always, e-mail too when there is one."""
    customer = ticket.customer
    rows = [
        Notification(
            channel=NotificationChannel.SMS,
            address=customer_msisdn(ticket),
            subject=subject,
            body=body,
            ticket=ticket,
            customer=customer,
        )
    ]
    if customer.email:
        rows.append(
            Notification(
                channel=NotificationChannel.EMAIL,
                address=customer.email,
                subject=subject,
                body=body,
                ticket=ticket,
                customer=customer,
            )
        )
    return Notification.objects.bulk_create(rows)


def notify_account_holder(
    customer, *, subject: str, body: str, msisdn: str = ""
) -> list[Notification]:
    """Queue a message about a customer's account rather than a ticket (low balance, arrears,
    suspension and restoration): SMS to ``msisdn`` (one of their lines) or else their contact
    phone, e-mail too when there is one. The same outbox and delivery as ticket messages, and
    the customer reads it under ``/my/messages/``."""
    return Notification.objects.bulk_create(
        account_holder_notifications(customer, subject=subject, body=body, msisdn=msisdn)
    )


def account_holder_notifications(
    customer, *, subject: str, body: str, msisdn: str = ""
) -> list[Notification]:
    """The unsaved rows ``notify_account_holder`` writes, for callers that write many at once."""
    rows = [
        Notification(
            channel=NotificationChannel.SMS,
            address=msisdn or customer.contact_phone,
            subject=subject,
            body=body,
            customer=customer,
        )
    ]
    if customer.email:
        rows.append(
            Notification(
                channel=NotificationChannel.EMAIL,
                address=customer.email,
                subject=subject,
                body=body,
                customer=customer,
            )
        )
    return rows


def staff_notification(user, ticket: Ticket, *, subject: str, body: str) -> Notification:
    """An unsaved e-mail notification to a staff member (it also shows in their workspace)."""
    return Notification(
        channel=NotificationChannel.EMAIL,
        address=user.email or "",
        subject=subject,
        body=body,
        ticket=ticket,
        user=user,
    )


def notify_staff(user, ticket: Ticket, *, subject: str, body: str) -> Notification:
    notification = staff_notification(user, ticket, subject=subject, body=body)
    notification.save()
    return notification


def status_message(ticket: Ticket, detail: str = "") -> tuple[str, str]:
    """Subject and text telling the customer a ticket's new status (and, say, its resolution)."""
    subject = _("Your ticket %(number)s: %(status)s") % {
        "number": ticket.number,
        "status": ticket.get_status_display(),
    }
    values = {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.get_status_display(),
        "detail": detail,
        "url": f"{settings.SITE_URL}/my/tickets/",
    }
    if detail:
        body = _(
            "Ticket %(number)s (%(subject)s) is now: %(status)s. %(detail)s Follow it at %(url)s"
        )
    else:
        body = _("Ticket %(number)s (%(subject)s) is now: %(status)s. Follow it at %(url)s")
    return subject, body % values


def deliver(notification_id: int) -> bool:
    """Send one pending notification; True when this call sent it. Safe to call twice."""
    from portal.selfservice.selectors import email_opt_outs

    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, status=NotificationStatus.PENDING)
            .annotate(
                customer_opted_out=Exists(
                    email_opt_outs().filter(customer_id=OuterRef("customer_id"))
                )
            )
            .first()
        )
        if notification is None:
            return False
        # An e-mail copy to a customer who turned e-mail off in the portal (SMS always goes).
        if notification.channel == NotificationChannel.EMAIL and notification.customer_opted_out:
            notification.status = NotificationStatus.SKIPPED
            notification.save(update_fields=["status"])
            return False
        notification.attempts += 1
        try:
            # A savepoint: a gateway that fails half-way leaves nothing behind but the error.
            with transaction.atomic():
                _send(notification)
        except Exception as exc:  # noqa: BLE001 - any gateway failure is recorded and retried
            logger.warning("notification %s failed: %s", notification.pk, exc)
            notification.error = str(exc)[:300]
            if notification.attempts >= MAX_ATTEMPTS:
                notification.status = NotificationStatus.FAILED
            notification.save(update_fields=["attempts", "error", "status"])
            return False
        notification.status = NotificationStatus.SENT
        notification.sent_at = timezone.now()
        notification.error = ""
        notification.save(update_fields=["attempts", "error", "status", "sent_at", "sms"])
        return True


def _send(notification: Notification) -> None:
    if notification.channel == NotificationChannel.SMS:
        notification.sms = send_sms(notification.address, f"{notification.body}")
        return
    if not notification.address:
        # A staff member without an address still sees the notification in the workspace.
        return
    # Marked as automatic (RFC 3834) and with our loop tag: auto-responders stay silent, and a
    # bounce or auto-reply that still comes back is ignored by the mail intake (crm.mail_in).
    EmailMessage(
        notification.subject,
        notification.body,
        settings.DEFAULT_FROM_EMAIL,
        [notification.address],
        headers={"Auto-Submitted": "auto-generated", "X-Loop": settings.CRM_MAIL_IN_ADDRESS},
    ).send(fail_silently=False)


def deliver_pending(limit: int = 500) -> int:
    """Deliver what is pending, oldest first; returns how many were sent."""
    ids = list(
        Notification.objects.filter(status=NotificationStatus.PENDING)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver(pk) for pk in ids)
