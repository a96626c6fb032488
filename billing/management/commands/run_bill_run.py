"""``manage.py run_bill_run --period 2026-03``: close a month, with a progress bar."""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from billing.bill_run import CHUNK_SIZE, BillRunError, lines_in_month, parse_period, run_bill_run


class Command(BaseCommand):
    help = (
        "Close a billing month: debit monthly fees and write one bill per mobile line. "
        "Running it again for the same month changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="The month to close, YYYY-MM.")
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, period, chunk_size, no_progress, **options):
        try:
            month = parse_period(period)
        except ValueError as exc:
            raise CommandError(f"--period: {exc}") from None
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        started = time.perf_counter()
        with tqdm(
            total=lines_in_month(month).count(),
            unit="line",
            desc=f"bill run {month:%Y-%m}",
            disable=no_progress,
            file=self.stderr,
        ) as bar:
            try:
                result = run_bill_run(month, chunk_size=chunk_size, progress=bar.update)
            except BillRunError as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{month:%Y-%m}: {result.lines} lines, {result.bills_created} bills created, "
            f"{result.already_billed} already billed, {result.fee_entries} monthly-fee entries "
            f"({result.fees_charged} yuan), {time.perf_counter() - started:.1f} s"
        )
