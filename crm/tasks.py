"""Celery tasks of crm's contact channels: beat's sweeps, each safe to run twice.

No task carries state: each re-reads the database. The chat and call queues are swept so an
offer that lapsed goes to someone else even when no console is polling; the mailbox is read
(each mail committed before it is marked read); notice SMS are claimed row by row; agreements
are reminded and renewed once a day (a reminder per term end, claimed by a conditional UPDATE).
"""

import logging

from celery import shared_task
from django.db import OperationalError

from crm import agreements, chat, mail_in, notices, telephony

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "max_retries": 5,
}


@shared_task(ignore_result=True, **RETRY)
def sweep_contact_queues() -> dict:
    """Offer waiting chats and calls to available staff; close chats nobody follows."""
    return {
        "chats_offered": chat.offer_waiting_chats(),
        "calls_offered": telephony.offer_queued_calls(),
        "chats_abandoned": chat.abandon_stale_chats(),
    }


@shared_task(ignore_result=True, **RETRY)
def fetch_mail_task() -> int:
    """Read the service mailbox (``CRM_MAIL_IN_URL``; nothing when unset)."""
    try:
        run = mail_in.fetch_mailbox()
    except mail_in.MailboxError as exc:
        # The mail waits in the mailbox; the next run tries again.
        logger.warning("mailbox not read: %s", exc)
        return 0
    if run.total:
        logger.info("mailbox: %s", run.counts)
    return run.total


@shared_task(ignore_result=True, **RETRY)
def deliver_pending_notices_task() -> int:
    return notices.deliver_pending_notices()


@shared_task(ignore_result=True, **RETRY)
def agreement_renewals_task() -> dict:
    reminded = agreements.send_renewal_reminders()
    renewed, expired = agreements.renew_due_agreements()
    return {"reminded": reminded, "renewed": renewed, "expired": expired}
