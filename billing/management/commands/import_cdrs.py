"""Import call detail records from a CSV file, rate them and debit the prepaid balances."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from billing.cdr_import import CDR_COLUMNS, CdrFileError, bad_rows_of, import_cdrs, open_cdr_file

# Some rows were bad (and reported); the good rows were imported.
EXIT_BAD_ROWS = 2
# Bad rows listed on standard output; --report has all of them.
BAD_ROWS_SHOWN = 50


class TqdmProgress:
    """One progress bar per phase of the import, on standard error."""

    def __init__(self, stream, *, disable: bool):
        self.stream = stream
        self.disable = disable
        self.bar = None

    def start(self, phase: str, total: int) -> None:
        self.close()
        self.bar = tqdm(
            total=total,
            desc=f"import_cdrs {phase}",
            unit="row",
            disable=self.disable,
            file=self.stream,
        )

    def advance(self, rows: int) -> None:
        self.bar.update(rows)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Import and rate call detail records from a UTF-8 CSV file with the header "
        f"{','.join(CDR_COLUMNS)}. Records already imported are counted as duplicates and "
        f"never charged twice. Exit status {EXIT_BAD_ROWS} when some rows were bad (the good "
        "rows are kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8, with or without BOM).")
        parser.add_argument(
            "--report", type=Path, help="Write all bad rows (line, reason) to this CSV file."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, file, report, no_progress, **options):
        progress = TqdmProgress(self.stderr._out, disable=no_progress)
        try:
            with open_cdr_file(file) as source:
                result = import_cdrs(source, file_name=file.name, progress=progress)
        except CdrFileError as exc:
            raise CommandError(str(exc)) from None
        finally:
            progress.close()

        cdr_import = result.cdr_import
        self.stdout.write(
            f"rows={cdr_import.rows} rated={cdr_import.rated} rejected={cdr_import.rejected} "
            f"duplicates={cdr_import.duplicates} bad={cdr_import.bad_rows}"
        )
        for bad in result.bad_rows[:BAD_ROWS_SHOWN]:
            self.stdout.write(f"line {bad.line}: {bad.reason}")
        if cdr_import.bad_rows > BAD_ROWS_SHOWN:
            self.stdout.write(
                f"... {cdr_import.bad_rows - BAD_ROWS_SHOWN} more bad rows"
                + (f" in {report}" if report else " (use --report FILE to list them all)")
            )
        if report is not None:
            self._write_report(report, cdr_import)
        if cdr_import.bad_rows:
            raise CommandError(
                f"{cdr_import.bad_rows} bad rows; the other rows were imported.",
                returncode=EXIT_BAD_ROWS,
            )

    def _write_report(self, path: Path, cdr_import) -> None:
        try:
            # With a byte-order mark, so that Excel shows the Chinese reasons correctly.
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["line", "reason"])
                writer.writerows(
                    (row.line, row.reason) for row in bad_rows_of(cdr_import, limit=None)
                )
        except OSError as exc:
            raise CommandError(f"{path}: cannot write the report ({exc.strerror})") from None
