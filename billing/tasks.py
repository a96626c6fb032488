"""Celery tasks of billing: ids and dates in, state re-read, safe to run twice."""

import datetime
import logging

from celery import shared_task
from django.db import OperationalError

from billing.arrears import review_account_standing
from billing.bill_run import previous_period, run_bill_run
from billing.instalments import charge_due_instalments
from billing.points import expire_points

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    max_retries=3,
)
def run_bill_run_task(self, period_iso: str | None = None) -> int:
    """Close a month (``"2026-03-01"``); beat sends no argument on the 1st: the previous month.

    A retry after a lost connection starts over safely: finished chunks are skipped.
    """
    period = datetime.date.fromisoformat(period_iso) if period_iso else previous_period()
    result = run_bill_run(period)
    logger.info(
        "bill run %s: %s lines, %s bills created, %s already billed, %s fee entries (%s yuan)",
        f"{period:%Y-%m}",
        result.lines,
        result.bills_created,
        result.already_billed,
        result.fee_entries,
        result.fees_charged,
    )
    return result.bills_created


# --- Commerce: instalments, arrears, points ---------------------------------------------------

COMMERCE_RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 30,
    "max_retries": 3,
}


@shared_task(ignore_result=True, **COMMERCE_RETRY)
def charge_due_instalments_task(today_iso: str | None = None) -> dict:
    """Charge the dues whose day has come (each once: a paid or overdue due is not scheduled
    any more), then retry overdue ones the balance now covers."""
    today = datetime.date.fromisoformat(today_iso) if today_iso else None
    counts = charge_due_instalments(today)
    if any(counts.values()):
        logger.info("instalments: %(paid)s paid, %(overdue)s overdue, %(settled)s settled", counts)
    return counts


@shared_task(ignore_result=True, **COMMERCE_RETRY)
def review_account_standing_task() -> dict:
    """Arrears notices, suspensions after the grace period, clearances, low-balance reminders."""
    counts = review_account_standing()
    if any(counts.values()):
        logger.info(
            "account standing: %(opened)s notified, %(suspended)s suspended, %(cleared)s cleared,"
            " %(reminded)s reminded of a low balance",
            counts,
        )
    return counts


@shared_task(ignore_result=True, **COMMERCE_RETRY)
def expire_points_task(today_iso: str | None = None) -> int:
    today = datetime.date.fromisoformat(today_iso) if today_iso else None
    expired = expire_points(today)
    if expired:
        logger.info("points: %s expired", expired)
    return expired
