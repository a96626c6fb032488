"""Writes of the reports app: the monthly service report (the daily rollups are written by
``portal.reports.rollups``, set-based)."""

import datetime
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import DomainError
from portal.months import month_start
from portal.reports.error_codes import ReportErrorCode
from portal.reports.models import MonthlyServiceReport
from portal.reports.monthly import render_monthly_report_pdf

logger = logging.getLogger(__name__)


class ReportError(DomainError):
    pass


def generate_monthly_report(
    month: datetime.date, *, actor=None, today: datetime.date | None = None
) -> MonthlyServiceReport:
    """Write (or rewrite) the service report of ``month``, a month that has ended.

    The PDF is rendered before the transaction (it takes a second, and needs no lock); the row
    is then created or locked and pointed at the new file, and the file it replaces is removed
    only after the commit. Two generations of one month queue on the row's lock, and the last
    one's file wins; a failed one leaves no file behind. ``actor`` None is the monthly job.
    """
    month = month_start(month)
    today = today or timezone.localdate()
    if month >= month_start(today):
        raise ReportError(
            ReportErrorCode.MONTH_NOT_ENDED,
            _("The report of %(month)s can be written once the month has ended.")
            % {"month": f"{month:%Y-%m}"},
            field="month",
        )
    pdf, summary = render_monthly_report_pdf(month)
    written = ""
    try:
        with transaction.atomic():
            report, _created = MonthlyServiceReport.objects.select_for_update().get_or_create(
                month=month, defaults={"generated_at": timezone.now()}
            )
            replaced = report.file.name
            report.file.save(f"{month:%Y-%m}.pdf", ContentFile(pdf), save=False)
            written = report.file.name
            report.figures = summary.as_dict()
            report.generated_at = timezone.now()
            report.generated_by = actor
            report.save()
            if replaced:
                storage = report.file.storage
                # robust: a file that cannot be removed is logged, never undoes the report.
                transaction.on_commit(lambda: storage.delete(replaced), robust=True)
    except BaseException:
        # The new file is referenced by no committed row: remove it, then let the error go on.
        if written:
            MonthlyServiceReport.file.field.storage.delete(written)
        raise
    logger.info(
        "Monthly service report %s written by %s", f"{month:%Y-%m}", actor or "the monthly job"
    )
    return report
