"""``manage.py compute_kpis --month 2026-11``: compute (or recompute) a month's staff KPIs."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.months import parse_month
from training.kpis import compute_monthly_kpis


class Command(BaseCommand):
    help = (
        "Compute every staff member's KPIs and incentive score for a month (default: this "
        "month). Running it again replaces the month's figures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="The month, YYYY-MM (default: the current month).")

    def handle(self, *args, month=None, **options):
        try:
            day = parse_month(month) if month else timezone.localdate().replace(day=1)
        except ValueError:
            raise CommandError(f"--month must be YYYY-MM, not {month!r}") from None
        started = time.perf_counter()
        rows = compute_monthly_kpis(day)
        self.stdout.write(
            f"{day:%Y-%m}: KPIs of {rows} staff members, {time.perf_counter() - started:.1f} s"
        )
