"""Import customers from a CSV file; bad rows are reported with their line numbers and skipped."""

import csv
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from crm.choices import Channel
from crm.imports import IMPORT_COLUMNS, ImportFileError, check_import_file, import_customers

# Some rows were rejected (and reported); the good rows were imported.
EXIT_ROWS_REJECTED = 2


class Command(BaseCommand):
    help = (
        "Import customers from a UTF-8 CSV file with the header "
        f"{','.join(IMPORT_COLUMNS)}. Re-importing a file creates nothing new. "
        f"Exit status {EXIT_ROWS_REJECTED} when some rows were rejected."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8, with or without BOM).")
        parser.add_argument("--report", type=Path, help="Write the rejected rows to this CSV file.")
        parser.add_argument(
            "--channel",
            default=Channel.BUSINESS_HALL.value,
            choices=Channel.values,
            help="Channel recorded on the new customers (default: business_hall).",
        )
        parser.add_argument(
            "--actor", metavar="USERNAME", help="Staff member recorded as creating them."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, file, report, channel, actor, no_progress, **options):
        actor_user = None
        if actor:
            actor_user = get_user_model().objects.filter(username=actor).first()
            if actor_user is None:
                raise CommandError(f"No user named {actor!r}.")
        try:
            checked = check_import_file(file)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None

        with tqdm(
            total=checked.rows,
            desc="import_customers",
            unit="row",
            disable=no_progress,
            file=self.stderr._out,
        ) as progress:
            result = import_customers(
                checked, channel=channel, actor=actor_user, on_row=progress.update
            )

        self.stdout.write(
            f"created={result.created} unchanged={result.unchanged} rejected={result.rejected}"
        )
        for error in result.errors:
            self.stdout.write(f"line {error.line}: {error.field}: {error.message}")
        if report is not None:
            self._write_report(report, result.errors)
        if result.rejected:
            raise CommandError(
                f"{result.rejected} rows rejected; the other rows were imported.",
                returncode=EXIT_ROWS_REJECTED,
            )

    def _write_report(self, path: Path, errors) -> None:
        try:
            # With a byte-order mark, so that Excel shows the Chinese messages correctly.
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["line", "field", "message"])
                writer.writerows([error.line, error.field, error.message] for error in errors)
        except OSError as exc:
            raise CommandError(f"{path}: cannot write the report ({exc.strerror})") from None
