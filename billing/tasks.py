"""Celery tasks of billing: ids and dates in, state re-read, safe to run twice."""

import datetime
import logging

from celery import shared_task
from django.db import OperationalError

from billing.bill_run import previous_period, run_bill_run

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
