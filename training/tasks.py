"""Celery tasks of the training app: beat sweeps that re-read the database and are safe to run
twice (the rows they act on are claimed in the database, see ``sweeps``)."""

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from portal.months import parse_month, previous_month
from training import kpis, services, sweeps

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "max_retries": 5,
}


@shared_task(ignore_result=True, **RETRY)
def remind_overdue_training() -> int:
    return sweeps.remind_overdue_assignments()


@shared_task(ignore_result=True, **RETRY)
def assign_remedial_training_task() -> int:
    return sweeps.assign_remedial_training()


@shared_task(ignore_result=True, **RETRY)
def expire_overdue_attempts_task() -> int:
    return services.expire_overdue_attempts()


@shared_task(ignore_result=True, **RETRY)
def compute_kpis_task(month: str | None = None) -> int:
    """This month's KPIs so far and, in the first days of a month, last month's final ones."""
    today = timezone.localdate()
    months = [parse_month(month)] if month else [today.replace(day=1)]
    if not month and today.day <= 3:
        months.append(previous_month(today))
    written = sum(kpis.compute_monthly_kpis(m) for m in months)
    logger.info("KPIs computed for %s: %s rows", [m.isoformat() for m in months], written)
    return written
