"""python manage.py rollup_reports [--start 2026-01-01] [--end 2026-11-30]

Recompute the dashboard's daily rollups of a span of days (default: the nightly job's window).
"""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.reports.rollups import refresh_recent_days, roll_up_days


def _day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = "Recompute the daily rollups of the supervisor's dashboard for a span of days."

    def add_arguments(self, parser):
        parser.add_argument("--start", help="first day, YYYY-MM-DD")
        parser.add_argument("--end", help="last day, YYYY-MM-DD (default: yesterday)")

    def handle(self, *args, start=None, end=None, **options):
        if start is None and end is None:
            written = refresh_recent_days()
            self.stdout.write(f"Recent days rolled up: {written} rows.")
            return
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        last = _day(end) if end else yesterday
        if start is None:
            raise CommandError("--start is needed with --end")
        first = _day(start)
        if last < first:
            raise CommandError("--end is before --start")
        if last > yesterday:
            raise CommandError("only days that have ended can be rolled up (today is live)")
        written = roll_up_days(first, last)
        self.stdout.write(f"Rolled up {first} to {last}: {written} rows.")
