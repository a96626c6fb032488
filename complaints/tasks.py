"""Celery tasks of the complaints app: ids in, state re-read under a lock, safe to run twice.

Beat runs the sweeps; the sweeps hand single surveys to ``send_survey``. No task is scheduled
with a countdown: every delay is a database row (``Survey.send_after``, ``Callback.due_at``,
``Notification.next_attempt_at``). Message tasks run on the ``.messages`` queue
(``portal.celery.TASK_LANES``).
"""

import logging

from celery import shared_task
from django.db import OperationalError

from complaints import delivery, escalation, surveys

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "max_retries": 5,
}


@shared_task(ignore_result=True, **RETRY)
def escalate_breached_tickets_task() -> int:
    count = escalation.escalate_breached_tickets()
    if count:
        logger.info("SLA sweep escalated %s tickets", count)
    return count


@shared_task(ignore_result=True, **RETRY)
def dispatch_due_surveys() -> int:
    """Publish one ``send_survey`` per due survey. If the broker is down this task is not
    running either; the rows wait and the first sweep after recovery sends them."""
    ids = surveys.due_survey_ids()
    for survey_id in ids:
        send_survey.delay(survey_id)
    return len(ids)


@shared_task(ignore_result=True, acks_late=True, **RETRY)
def send_survey(survey_id: int) -> int:
    """Write the survey's messages (once), then deliver them at once rather than wait for the
    next sweep; returns how many were delivered now."""
    return delivery.deliver_now(surveys.send_survey(survey_id))


@shared_task(ignore_result=True, **RETRY)
def create_due_callbacks_task() -> int:
    return surveys.create_due_callbacks()


@shared_task(ignore_result=True, **RETRY)
def deliver_pending_notifications() -> int:
    """One sweep of the notification outbox, at most ``OUTBOX_SWEEP_SECONDS`` long; beat starts
    one every 10 s, so while a backlog lasts every free worker process takes a share."""
    return delivery.deliver_due()
