"""Import of call detail records (CDRs) from CSV: streamed, checked row by row, rated in bulk.

The file (UTF-8, header ``record_id,msisdn,event_type,started_at,duration_s,volume_kb,
counterpart``) is never loaded whole; memory stays flat in its size:

1. ``check_cdr_file`` reads it once in chunks: UTF-8 throughout and the right header, or the
   import is refused before anything is stored (``CdrFileError``).
2. Rows are read one by one and checked; good rows are streamed into a staging temp table (one
   ``COPY`` on PostgreSQL, batched inserts on SQLite), bad rows into a bad-row temp table with
   their line number (the header is line 1; a quoted field spanning lines counts from the line
   the row starts on).
3. In SQL: a record_id repeated within the file is a bad row on its later lines; records whose
   record_id is already stored are counted as duplicates and dropped, so re-importing never
   charges twice (``UsageRecord.record_id`` is unique).
4. The staged rows, sorted by (msisdn, started_at, record_id) in the database (on PostgreSQL
   first downloaded to a local temp file, which frees the connection), are resolved to the line
   that had the number on the record's local date and to the plan it had that day, rated by
   ``billing.rating`` in one pass, and streamed into ``billing_usagerecord`` as they are rated
   (one ``COPY``: the server inserts while Python rates).
5. The months' running totals (``UsageMonth``) are saved, one ledger entry per (account, line,
   month) debits the charges through ``post_ledger_entry``, and the bad-row report is written.

One transaction per import: a crash or an error leaves nothing behind — no record rated without
its debit, no running total ahead of its records — and the same file can simply be imported
again. Imports are serialized (an advisory lock on PostgreSQL; SQLite's write lock), so two
imports never race on the same records, months or balances. Balances are locked only at the
end, while the ledger entries are posted, so top-ups wait at most for that last step.
"""

import codecs
import csv
import datetime
import io
import logging
import marshal
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import BinaryIO, Protocol

from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from psycopg.copy import QueuedLibpqWriter

from billing.choices import VOICE_EVENTS, UsageEventType
from billing.models import CdrImport, CdrImportBadRow
from billing.rating import BILLING_TIME_ZONE, EPOCH, RatingRun, yuan
from crm.choices import SubscriptionKind
from crm.models import Subscription

logger = logging.getLogger(__name__)

CDR_COLUMNS = (
    "record_id",
    "msisdn",
    "event_type",
    "started_at",
    "duration_s",
    "volume_kb",
    "counterpart",
)
# Bad rows kept with the result (the API shows them); the report file has all of them.
BAD_ROWS_KEPT = 100
_BATCH_ROWS = 10_000
_PROGRESS_ROWS = 10_000
_CHUNK_BYTES = 1 << 20
_MAX_DURATION_S = 2_147_483_647
_MAX_VOLUME_KB = 9_223_372_036_854_775_807
# Any constant: the key of the PostgreSQL advisory lock that serializes CDR imports.
_IMPORT_LOCK_KEY = 0x43445249


class CdrFileError(Exception):
    """The file cannot be imported at all: missing, unreadable, not UTF-8, or a wrong header."""


class CdrRowError(StrEnum):
    WRONG_COLUMNS = "wrong_columns"
    MISSING_RECORD_ID = "missing_record_id"
    RECORD_ID_TOO_LONG = "record_id_too_long"
    BAD_EVENT_TYPE = "bad_event_type"
    BAD_DATE = "bad_date"
    MISSING_DURATION = "missing_duration"
    BAD_DURATION = "bad_duration"
    NEGATIVE_DURATION = "negative_duration"
    UNEXPECTED_DURATION = "unexpected_duration"
    MISSING_VOLUME = "missing_volume"
    BAD_VOLUME = "bad_volume"
    NEGATIVE_VOLUME = "negative_volume"
    UNEXPECTED_VOLUME = "unexpected_volume"
    COUNTERPART_TOO_LONG = "counterpart_too_long"
    DUPLICATE_IN_FILE = "duplicate_in_file"
    UNKNOWN_MSISDN = "unknown_msisdn"
    NO_PLAN = "no_plan"


# Each message takes the row's offending value (or the other line, or the date) as %(detail)s.
ROW_ERROR_MESSAGES = {
    CdrRowError.WRONG_COLUMNS: gettext_lazy("Wrong number of columns: %(detail)s instead of 7."),
    CdrRowError.MISSING_RECORD_ID: gettext_lazy("Missing record_id."),
    CdrRowError.RECORD_ID_TOO_LONG: gettext_lazy("record_id is longer than 64 characters."),
    CdrRowError.BAD_EVENT_TYPE: gettext_lazy("Unknown event type “%(detail)s”."),
    CdrRowError.BAD_DATE: gettext_lazy(
        "Bad date “%(detail)s”: expected ISO 8601, such as 2026-03-31T23:30:00+08:00."
    ),
    CdrRowError.MISSING_DURATION: gettext_lazy("Missing duration_s for a voice record."),
    CdrRowError.BAD_DURATION: gettext_lazy(
        "duration_s “%(detail)s” is not a whole number of seconds."
    ),
    CdrRowError.NEGATIVE_DURATION: gettext_lazy("Negative duration_s: %(detail)s."),
    CdrRowError.UNEXPECTED_DURATION: gettext_lazy(
        "duration_s must be empty for event type %(detail)s."
    ),
    CdrRowError.MISSING_VOLUME: gettext_lazy("Missing volume_kb for a data record."),
    CdrRowError.BAD_VOLUME: gettext_lazy("volume_kb “%(detail)s” is not a whole number of KB."),
    CdrRowError.NEGATIVE_VOLUME: gettext_lazy("Negative volume_kb: %(detail)s."),
    CdrRowError.UNEXPECTED_VOLUME: gettext_lazy(
        "volume_kb must be empty for event type %(detail)s."
    ),
    CdrRowError.COUNTERPART_TOO_LONG: gettext_lazy("counterpart is longer than 32 characters."),
    CdrRowError.DUPLICATE_IN_FILE: gettext_lazy(
        "Duplicate record_id: the same record is on line %(detail)s."
    ),
    CdrRowError.UNKNOWN_MSISDN: gettext_lazy(
        "Unknown MSISDN: no line had this number on %(detail)s."
    ),
    CdrRowError.NO_PLAN: gettext_lazy("The line had no mobile plan on %(detail)s."),
}

_VOICE = frozenset(event.value for event in VOICE_EVENTS)
_SMS = UsageEventType.SMS.value
_DATA = UsageEventType.DATA.value
_EVENT_TYPES = frozenset(UsageEventType.values)
_ONE_MICROSECOND = datetime.timedelta(microseconds=1)


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass(frozen=True)
class CdrImportResult:
    cdr_import: CdrImport
    bad_rows: list[BadRow]  # the first BAD_ROWS_KEPT, by line
    ledger_entries: int


class ImportProgress(Protocol):
    """Told how far an import got: ``start`` of each phase, then ``advance`` by rows."""

    def start(self, phase: str, total: int) -> None: ...

    def advance(self, rows: int) -> None: ...


class _NoProgress:
    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


# --- The file -------------------------------------------------------------------------------


def open_cdr_file(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise CdrFileError(_("%(path)s: no such file") % {"path": path}) from None
    except OSError as exc:
        raise CdrFileError(
            _("%(path)s: cannot read the file (%(error)s)") % {"path": path, "error": exc.strerror}
        ) from None


def check_cdr_file(source: BinaryIO, name: str) -> int:
    """Refuse a file that is not UTF-8 or lacks the header; return its number of lines.

    Reads the file once in chunks and rewinds it.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = offset = 0
    last = b""
    try:
        while chunk := source.read(_CHUNK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise CdrFileError(
                    _("%(name)s: not UTF-8 text (invalid byte at offset %(offset)s)")
                    % {"name": name, "offset": offset + exc.start}
                ) from None
            if b"\x00" in chunk:
                raise CdrFileError(
                    _("%(name)s: not a text file (NUL byte at offset %(offset)s)")
                    % {"name": name, "offset": offset + chunk.index(b"\x00")}
                )
            lines += chunk.count(b"\n")
            offset += len(chunk)
            last = chunk[-1:]
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise CdrFileError(
                _("%(name)s: not UTF-8 text (truncated at the end)") % {"name": name}
            ) from None
        source.seek(0)
    except OSError as exc:
        raise CdrFileError(
            _("%(name)s: cannot read the file (%(error)s)") % {"name": name, "error": exc.strerror}
        ) from None
    if last not in (b"", b"\n"):
        lines += 1
    with _as_text(source) as text:
        header = next(csv.reader(text), None)
        if tuple(column.strip() for column in header or ()) != CDR_COLUMNS:
            raise CdrFileError(
                _("%(name)s: wrong header; expected: %(columns)s")
                % {"name": name, "columns": ",".join(CDR_COLUMNS)}
            )
    source.seek(0)
    return lines


@contextmanager
def _as_text(source: BinaryIO) -> Iterator[io.TextIOWrapper]:
    """The binary file as text (a byte-order mark is skipped), without closing the file."""
    text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    try:
        yield text
    finally:
        text.detach()


# --- Checking the rows ----------------------------------------------------------------------


def _count(value: str, missing, bad, negative, maximum: int):
    """A whole non-negative number, or the error code (and the value to report)."""
    if value.isdigit() and value.isascii():
        number = int(value)
        return (number, None) if number <= maximum else (None, bad)
    if not value:
        return None, missing
    if value[0] == "-" and value[1:].isdigit() and value[1:].isascii():
        return None, negative
    return None, bad


def _checked_batches(text, batch_rows: int, name: str) -> Iterator[tuple[list, list, int]]:
    """Yield (good rows, bad rows, rows read) per batch of the file's data rows.

    A good row is (line, record_id, msisdn, event_type, started_us, local_date, billing_month,
    duration_s, volume_kb, counterpart): the start as microseconds since the epoch, the local
    date and billing month as ISO text. A bad row is (line, error code, detail).
    """
    reader = csv.reader(text)
    next(reader, None)
    previous_line = reader.line_num
    good: list = []
    bad: list = []
    read = 0
    voice, sms, data, event_types = _VOICE, _SMS, _DATA, _EVENT_TYPES
    fromisoformat = datetime.datetime.fromisoformat
    zone, epoch, one_us = BILLING_TIME_ZONE, EPOCH, _ONE_MICROSECOND
    try:
        for cells in reader:
            line, previous_line = previous_line + 1, reader.line_num
            if not cells:
                continue
            read += 1
            if len(cells) != 7:
                bad.append((line, CdrRowError.WRONG_COLUMNS, str(len(cells))))
            else:
                record_id, msisdn, event_type, started, duration, volume, counterpart = cells
                record_id = record_id.strip()
                event_type = event_type.strip()
                started = started.strip()
                duration = duration.strip()
                volume = volume.strip()
                counterpart = counterpart.strip()
                error = None
                if not record_id:
                    error = CdrRowError.MISSING_RECORD_ID, ""
                elif len(record_id) > 64:
                    error = CdrRowError.RECORD_ID_TOO_LONG, ""
                elif event_type not in event_types:
                    error = CdrRowError.BAD_EVENT_TYPE, event_type[:40]
                else:
                    try:
                        moment = fromisoformat(started)
                        if moment.tzinfo is None:
                            moment = local = moment.replace(tzinfo=zone)
                        else:
                            local = moment.astimezone(zone)
                        started_us = (moment - epoch) // one_us
                        local_date = local.date().isoformat()
                    except (ValueError, OverflowError):
                        error = CdrRowError.BAD_DATE, started[:40]
                duration_s = volume_kb = None
                if error is None:
                    if event_type in voice:
                        duration_s, code = _count(
                            duration,
                            CdrRowError.MISSING_DURATION,
                            CdrRowError.BAD_DURATION,
                            CdrRowError.NEGATIVE_DURATION,
                            _MAX_DURATION_S,
                        )
                        if code is not None:
                            error = code, duration[:40]
                        elif volume:
                            error = CdrRowError.UNEXPECTED_VOLUME, event_type
                    elif event_type == data:
                        volume_kb, code = _count(
                            volume,
                            CdrRowError.MISSING_VOLUME,
                            CdrRowError.BAD_VOLUME,
                            CdrRowError.NEGATIVE_VOLUME,
                            _MAX_VOLUME_KB,
                        )
                        if code is not None:
                            error = code, volume[:40]
                        elif duration:
                            error = CdrRowError.UNEXPECTED_DURATION, event_type
                    elif event_type == sms:
                        if duration:
                            error = CdrRowError.UNEXPECTED_DURATION, event_type
                        elif volume:
                            error = CdrRowError.UNEXPECTED_VOLUME, event_type
                if error is None and len(counterpart) > 32:
                    error = CdrRowError.COUNTERPART_TOO_LONG, ""
                if error is None:
                    good.append(
                        (
                            line,
                            record_id,
                            msisdn.strip(),
                            event_type,
                            started_us,
                            local_date,
                            local_date[:8] + "01",
                            duration_s,
                            volume_kb,
                            counterpart,
                        )
                    )
                else:
                    bad.append((line, error[0], error[1]))
            if len(good) + len(bad) >= batch_rows:
                yield good, bad, read
                good, bad, read = [], [], 0
    except csv.Error as exc:
        # Not a CSV row at all (a field over the csv module's size limit): the file is refused.
        raise CdrFileError(
            _("%(name)s: line %(line)s is not CSV (%(error)s)")
            % {"name": name, "line": reader.line_num, "error": exc}
        ) from None
    if good or bad or read:
        yield good, bad, read


# --- Staging tables -------------------------------------------------------------------------

_STAGE_COLUMNS = (
    "line, record_id, msisdn, event_type, started_us, local_date, billing_month, duration_s, "
    "volume_kb, counterpart"
)
_RECORD_COLUMNS = (
    "record_id, cdr_import_id, subscription_id, event_type, started_at, billing_month, "
    "duration_s, volume_kb, counterpart, charged_units, charge, status, rejection_reason, "
    "tariff_rule"
)
_SORTED_STAGE = f"SELECT {_STAGE_COLUMNS} FROM cdr_stage ORDER BY msisdn, started_us, record_id"  # noqa: S608
_NAIVE_EPOCH = datetime.datetime(1970, 1, 1)


class _Staging:
    """The import's temp tables and the bulk moves in and out of them.

    Portable SQL with batched ``executemany`` (SQLite); ``_PostgresStaging`` streams with COPY.
    The writers are context managers yielding ``(write_row, write_bad_row)``.
    """

    # Dropped by this qualified name, so that a real table of the same name is never touched.
    temp_schema = "temp"
    batch_rows = 10_000

    def __init__(self):
        self.cursor = connection.cursor()

    def create(self) -> None:
        self.drop()
        self.cursor.execute(
            "CREATE TEMPORARY TABLE cdr_stage (line integer NOT NULL, record_id text NOT NULL, "
            "msisdn text NOT NULL, event_type text NOT NULL, started_us bigint NOT NULL, "
            "local_date text NOT NULL, billing_month text NOT NULL, duration_s integer, "
            "volume_kb bigint, counterpart text NOT NULL)"
        )
        self.cursor.execute(
            "CREATE TEMPORARY TABLE cdr_bad (line integer NOT NULL, code text NOT NULL, "
            "detail text NOT NULL)"
        )

    def drop(self) -> None:
        self.cursor.execute(f"DROP TABLE IF EXISTS {self.temp_schema}.cdr_stage")
        self.cursor.execute(f"DROP TABLE IF EXISTS {self.temp_schema}.cdr_bad")

    def close(self) -> None:
        self.drop()
        self.cursor.close()

    def execute(self, sql: str, params=()) -> int:
        self.cursor.execute(sql, params)
        return self.cursor.rowcount

    def fetch(self, sql: str) -> list:
        self.cursor.execute(sql)
        return self.cursor.fetchall()

    def analyze(self) -> None:
        pass

    def started_at(self, started_us: int):
        """The value written to ``started_at`` (SQLite: Django's naive-UTC text)."""
        return str(_NAIVE_EPOCH + started_us * _ONE_MICROSECOND)

    @contextmanager
    def _batched_writer(self, table: str, columns: str, width: int):
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * width)})"  # noqa: S608
        rows: list = []
        bad: list = []

        def flush():
            if rows:
                self.cursor.executemany(sql, rows)
                rows.clear()
            if bad:
                self.cursor.executemany(
                    "INSERT INTO cdr_bad (line, code, detail) VALUES (%s, %s, %s)", bad
                )
                bad.clear()

        def write(row):
            rows.append(row)
            if len(rows) == self.batch_rows:
                flush()

        def write_bad(row):
            bad.append(row)
            if len(bad) == self.batch_rows:
                flush()

        yield write, write_bad
        flush()

    def stage_writer(self):
        """Writers of checked rows into ``cdr_stage`` and of bad rows into ``cdr_bad``."""
        return self._batched_writer("cdr_stage", _STAGE_COLUMNS, 10)

    def record_writer(self):
        """Writers of rated records into ``billing_usagerecord`` and of bad rows."""
        return self._batched_writer("billing_usagerecord", _RECORD_COLUMNS, 14)

    @contextmanager
    def sorted_rows(self) -> Iterator[Iterator[tuple]]:
        """The staged rows by (msisdn, started_at, record_id), typed as staged; enter it before
        opening the record writer."""
        reader = connection.cursor()
        try:
            reader.execute(_SORTED_STAGE)
            batches = iter(partial(reader.fetchmany, self.batch_rows), [])
            yield (row for batch in batches for row in batch)
        finally:
            reader.close()

    def bad_rows(self) -> Iterator[tuple[int, str, str]]:
        reader = connection.cursor()
        try:
            reader.execute("SELECT line, code, detail FROM cdr_bad ORDER BY line")
            while batch := reader.fetchmany(self.batch_rows):
                yield from batch
        finally:
            reader.close()


class _PostgresStaging(_Staging):
    """PostgreSQL: one COPY per table and phase, written while the rows are produced, so the
    server inserts (and maintains indexes) while Python checks and rates the next rows."""

    temp_schema = "pg_temp"

    def __init__(self):
        super().__init__()
        self.raw = connection.connection  # the psycopg connection, in Django's transaction

    def create(self) -> None:
        # Sorting and de-duplicating a million rows stays in memory instead of spilling to disk.
        self.cursor.execute("SET LOCAL work_mem = '256MB'")
        super().create()

    def analyze(self) -> None:
        # Temp tables are never auto-analyzed: give the planner the staged table's real size.
        self.cursor.execute("ANALYZE cdr_stage")

    def started_at(self, started_us: int):
        return EPOCH + started_us * _ONE_MICROSECOND

    @contextmanager
    def _copy_writer(self, table: str, columns: str):
        # Bad rows wait in a local file: the connection is busy with the COPY until it ends.
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as bad_file:
            bad_writer = csv.writer(bad_file)
            with (
                self.raw.cursor() as cursor,
                cursor.copy(
                    f"COPY {table} ({columns}) FROM STDIN",
                    writer=QueuedLibpqWriter(cursor),
                ) as copy,
            ):
                yield copy.write_row, bad_writer.writerow
            bad_file.seek(0)
            with (
                self.raw.cursor() as cursor,
                cursor.copy(
                    "COPY cdr_bad (line, code, detail) FROM STDIN "
                    "(FORMAT csv, FORCE_NOT_NULL (detail))"
                ) as copy,
            ):
                while data := bad_file.read(_CHUNK_BYTES):
                    copy.write(data)

    def stage_writer(self):
        return self._copy_writer("cdr_stage", _STAGE_COLUMNS)

    def record_writer(self):
        return self._copy_writer("billing_usagerecord", _RECORD_COLUMNS)

    @contextmanager
    def sorted_rows(self) -> Iterator[Iterator[tuple]]:
        # Downloaded to a local file first (marshal: typed rows, written and read back at C
        # speed), so that the connection is free for the COPY of the rated records.
        with tempfile.TemporaryFile() as sorted_file:
            with self.raw.cursor(name="cdr_stage_sorted") as reader:
                reader.itersize = self.batch_rows
                reader.execute(_SORTED_STAGE)
                while batch := reader.fetchmany(self.batch_rows):
                    blob = marshal.dumps(batch)
                    sorted_file.write(len(blob).to_bytes(8, "little"))
                    sorted_file.write(blob)
            sorted_file.seek(0)
            yield self._read_back(sorted_file)

    @staticmethod
    def _read_back(sorted_file) -> Iterator[tuple]:
        while size := sorted_file.read(8):
            # Our own temp file, written just above.
            yield from marshal.loads(sorted_file.read(int.from_bytes(size, "little")))  # noqa: S302


def _staging() -> _Staging:
    return _PostgresStaging() if connection.vendor == "postgresql" else _Staging()


# --- The import -----------------------------------------------------------------------------


def _serialize_imports() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK_KEY])
    # SQLite: the project opens IMMEDIATE transactions, which already take the write lock.


def row_error_message(code: str, detail: str) -> str:
    return str(ROW_ERROR_MESSAGES[CdrRowError(code)]) % {"detail": detail}


def bad_rows_of(cdr_import: CdrImport, limit: int | None = BAD_ROWS_KEPT) -> list[BadRow]:
    """The first ``limit`` bad rows of an import (all with ``None``), by line."""
    rows = cdr_import.bad_row_reports.order_by("line").values_list("line", "reason")
    if limit is not None:
        rows = rows[:limit]
    return [BadRow(line, reason) for line, reason in rows]


def import_cdrs(
    source: BinaryIO,
    *,
    file_name: str,
    actor=None,
    progress: ImportProgress | None = None,
) -> CdrImportResult:
    """Import, rate and debit the CDRs of ``source`` (a binary file); see the module docstring.

    Raises ``CdrFileError`` (nothing stored) when the file is not importable at all.
    """
    progress = progress or _NoProgress()
    with _timed("check the file"):
        lines = check_cdr_file(source, file_name)
    started = time.perf_counter()
    with transaction.atomic():
        _serialize_imports()
        cdr_import = CdrImport.objects.create(file_name=file_name[:255], created_by=actor)
        # The temp tables go with a rollback; they are dropped here after a success, so that
        # a next import in the same (outer) transaction starts afresh.
        staging = _staging()
        staging.create()
        with _timed("read and stage"):
            rows = _stage(source, staging, progress, total=max(lines - 1, 0), name=file_name)
        with _timed("drop duplicates"):
            duplicates = _drop_duplicates(staging)
        with _timed("rate and store"):
            run = _rate(staging, cdr_import, progress)
        with _timed("save month totals"):
            run.save_month_totals()
        with _timed("debit balances"):
            ledger_entries = run.debit_charges(cdr_import, actor=actor)
        with _timed("write bad-row report"):
            bad_kept, bad_count = _write_report(staging, cdr_import)
        staging.close()
        cdr_import.rows = rows
        cdr_import.rated = run.rated
        cdr_import.rejected = run.rejected
        cdr_import.duplicates = duplicates
        cdr_import.bad_rows = bad_count
        cdr_import.finished_at = timezone.now()
        cdr_import.save(
            update_fields=["rows", "rated", "rejected", "duplicates", "bad_rows", "finished_at"]
        )
        committing = time.perf_counter()
    logger.debug(
        "CDR import: commit took %.2f s, in all %.2f s",
        time.perf_counter() - committing,
        time.perf_counter() - started,
    )
    return CdrImportResult(cdr_import, bad_kept, ledger_entries)


@contextmanager
def _timed(phase: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    logger.debug("CDR import: %s took %.2f s", phase, time.perf_counter() - started)


def _stage(
    source: BinaryIO, staging: _Staging, progress: ImportProgress, *, total: int, name: str
) -> int:
    rows = 0
    progress.start("read", total)
    with _as_text(source) as text, staging.stage_writer() as (write, write_bad):
        for good, bad, read in _checked_batches(text, _BATCH_ROWS, name):
            for row in good:
                write(row)
            for row in bad:
                write_bad(row)
            rows += read
            progress.advance(read)
    return rows


def _drop_duplicates(staging: _Staging) -> int:
    """Report a record_id repeated in the file on its later lines; drop records already stored
    (returning how many: the import's duplicates)."""
    staging.analyze()
    repeated = staging.execute(
        "INSERT INTO cdr_bad (line, code, detail) "
        "SELECT line, %s, CAST(first_line AS text) FROM ("
        " SELECT line, MIN(line) OVER (PARTITION BY record_id) AS first_line FROM cdr_stage"
        ") AS numbered WHERE line <> first_line",
        [CdrRowError.DUPLICATE_IN_FILE.value],
    )
    if repeated:
        staging.execute(
            "DELETE FROM cdr_stage WHERE line IN (SELECT line FROM cdr_bad WHERE code = %s)",
            [CdrRowError.DUPLICATE_IN_FILE.value],
        )
    return staging.execute(
        "DELETE FROM cdr_stage WHERE EXISTS ("
        " SELECT 1 FROM billing_usagerecord AS stored WHERE stored.record_id = cdr_stage.record_id"
        ")"
    )


def _rate(staging: _Staging, cdr_import: CdrImport, progress: ImportProgress) -> RatingRun:
    """Resolve each staged row to its line and plan, rate it, and store the record."""
    months = [
        datetime.date.fromisoformat(month)
        for (month,) in staging.fetch("SELECT DISTINCT billing_month FROM cdr_stage")
    ]
    staged = staging.fetch("SELECT COUNT(*) FROM cdr_stage")[0][0]
    lines = Subscription.objects.filter(
        kind=SubscriptionKind.MOBILE,
        msisdn__in=RawSQL("SELECT DISTINCT msisdn FROM cdr_stage", ()),
    )
    run = RatingRun.load(lines, months)
    lines_by_msisdn = run.lines_by_msisdn
    import_id = cdr_import.pk
    started_at = staging.started_at
    rate = run.rate
    unknown, no_plan = CdrRowError.UNKNOWN_MSISDN.value, CdrRowError.NO_PLAN.value
    charge_text: dict[int, str] = {}
    progress.start("rate", staged)
    current_msisdn, candidates = None, ()
    done = 0
    with staging.sorted_rows() as rows, staging.record_writer() as (write, write_bad):
        for row in rows:
            done += 1
            if done % _PROGRESS_ROWS == 0:
                progress.advance(_PROGRESS_ROWS)
            (line_no, record_id, msisdn, event_type, started_us, local_date, month) = row[:7]
            if msisdn != current_msisdn:
                current_msisdn, candidates = msisdn, lines_by_msisdn.get(msisdn, ())
            line = None
            for candidate in candidates:
                if candidate.is_live_on(local_date):
                    line = candidate
                    break
            if line is None:
                write_bad((line_no, unknown, local_date))
                continue
            plan = line.plan_on(local_date)
            if plan is None:
                write_bad((line_no, no_plan, local_date))
                continue
            duration_s, volume_kb = row[7], row[8]
            rating = rate(line, plan, month, event_type, started_us, duration_s, volume_kb)
            fen = rating.charge_fen
            charge = charge_text.get(fen)
            if charge is None:
                charge = charge_text[fen] = str(yuan(fen))
            write(
                (
                    record_id,
                    import_id,
                    line.id,
                    event_type,
                    started_at(started_us),
                    month,
                    duration_s,
                    volume_kb,
                    row[9],
                    rating.charged_units,
                    charge,
                    rating.status,
                    rating.rejection_reason,
                    rating.tariff_rule,
                )
            )
    progress.advance(done % _PROGRESS_ROWS)
    return run


def _write_report(staging: _Staging, cdr_import: CdrImport) -> tuple[list[BadRow], int]:
    """Store all bad rows with the import; return the first ones and the count."""
    kept: list[BadRow] = []
    batch: list[CdrImportBadRow] = []
    count = 0
    for line, code, detail in staging.bad_rows():
        reason = row_error_message(code, detail)[:300]
        if count < BAD_ROWS_KEPT:
            kept.append(BadRow(line, reason))
        batch.append(CdrImportBadRow(cdr_import=cdr_import, line=line, reason=reason))
        count += 1
        if len(batch) == 5_000:
            CdrImportBadRow.objects.bulk_create(batch)
            batch = []
    CdrImportBadRow.objects.bulk_create(batch)
    return kept, count
