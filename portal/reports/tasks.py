"""Celery tasks of the reports app, run by beat (``portal/schedules.py``); both re-read the
database and are safe to run twice."""

import logging

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from portal.months import parse_month, previous_month
from portal.reports import rollups, services
from portal.reports.models import MonthlyServiceReport

logger = logging.getLogger(__name__)

RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 5,
    "max_retries": 5,
}


@shared_task(ignore_result=True, **RETRY)
def refresh_rollups_task() -> int:
    """Recompute the daily rollups of the last days (nightly)."""
    written = rollups.refresh_recent_days()
    logger.info("Daily rollups refreshed: %s rows", written)
    return written


@shared_task(ignore_result=True, **RETRY)
def generate_monthly_report_task(month: str | None = None) -> int:
    """Write last month's service report (on the 1st), or ``month``'s (``YYYY-MM``) on request.

    The scheduled run leaves a report that already exists alone (a supervisor may have written
    it, or the job ran twice); a named month is always rewritten. Returns the report's id.
    """
    if month:
        report = services.generate_monthly_report(parse_month(month))
        return report.pk
    target = previous_month(timezone.localdate())
    existing = MonthlyServiceReport.objects.filter(month=target).values_list("pk", flat=True)
    if existing:
        logger.info("Monthly service report %s already written", f"{target:%Y-%m}")
        return existing[0]
    return services.generate_monthly_report(target).pk
