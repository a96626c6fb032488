"""Telling customers and staff what happened to a ticket or an account: an outbox.

``notify_customer``, ``notify_account_holder`` and ``notify_staff`` only write ``Notification``
rows, inside the caller's transaction: nothing is published or sent from a request or an open
transaction. Workers deliver them (``complaints.delivery``: claimed, sent with no transaction
open, recorded, retried with backoff for a day).
"""

from django.conf import settings
from django.utils.translation import gettext as _

from complaints.choices import NotificationChannel, NotificationPriority
from complaints.models import Notification, Survey, Ticket


def customer_msisdn(ticket: Ticket) -> str:
    """The mobile number to text: the ticket's line when it is a mobile, else the contact."""
    if ticket.subscription_id and ticket.subscription.msisdn:
        return ticket.subscription.msisdn
    return ticket.customer.contact_phone


def notify_customer(
    ticket: Ticket, *, subject: str, body: str, survey: Survey | None = None
) -> list[Notification]:
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
            survey=survey,
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
                survey=survey,
            )
        )
    return Notification.objects.bulk_create(rows)


def notify_account_holder(
    customer, *, subject: str, body: str, msisdn: str = "", survey: Survey | None = None
) -> list[Notification]:
    """Queue a message about a customer's account rather than a ticket (low balance, arrears,
    suspension and restoration): SMS to ``msisdn`` (one of their lines) or else their contact
    phone, e-mail too when there is one. The same outbox and delivery as ticket messages, and
    the customer reads it under ``/my/messages/``."""
    rows = account_holder_notifications(customer, subject=subject, body=body, msisdn=msisdn)
    for row in rows:
        row.survey = survey
    return Notification.objects.bulk_create(rows)


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
        priority=NotificationPriority.STAFF,
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
