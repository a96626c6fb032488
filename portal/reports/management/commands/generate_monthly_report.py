"""python manage.py generate_monthly_report --month 2026-11

Write (or rewrite) the monthly service report of a month that has ended; stored like the one
the monthly job writes on the 1st.
"""

from django.core.management.base import BaseCommand, CommandError

from portal.months import parse_month
from portal.reports.services import ReportError, generate_monthly_report


class Command(BaseCommand):
    help = "Write the monthly service report (PDF) of a month that has ended."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args, month: str, **options):
        try:
            first = parse_month(month)
        except ValueError:
            raise CommandError(f"not a month (YYYY-MM): {month!r}") from None
        try:
            report = generate_monthly_report(first)
        except ReportError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Monthly service report {report.month:%Y-%m}: {report.file.name}")
