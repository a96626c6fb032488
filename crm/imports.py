"""Bulk import of customers from CSV, as the business hall's migration files come.

The file is read twice, streaming both times: a first pass checks that it is UTF-8 with the
right header and counts its rows (for the progress bar), so that a file that is not importable
is refused before any row is stored; the second pass registers each row in its own transaction
through ``clean_customer_data`` and ``create_customer``, like every other channel.

A row whose document is already registered is left as it is ("unchanged"), which makes a
re-import of the same file safe. A bad row is reported with its line number (the header being
line 1) and does not stop the import.
"""

import codecs
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from crm.choices import Channel, Segment
from crm.services import clean_customer_data, create_customer

IMPORT_COLUMNS = (
    "kind",
    "name",
    "document_type",
    "document_number",
    "contact_phone",
    "email",
    "address",
    "segment",
)
# Field named in the report for a row that could not be read as a customer at all.
ROW_FIELD = "row"
_CHUNK_BYTES = 64 * 1024


class ImportFileError(Exception):
    """The file cannot be imported at all (missing, unreadable, not UTF-8, wrong header)."""


@dataclass(frozen=True)
class RejectedField:
    line: int
    field: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[RejectedField] = field(default_factory=list)


@dataclass(frozen=True)
class ImportFile:
    """A checked import file: readable UTF-8 with a valid header; ``rows`` data rows."""

    path: Path
    columns: tuple[str, ...]
    rows: int


def check_import_file(path: Path) -> ImportFile:
    """Refuse a file that cannot be imported, before anything is stored; count its rows."""
    _check_utf8(path)
    with _open(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        columns = tuple(column.strip() for column in header or ())
        missing = [column for column in IMPORT_COLUMNS if column not in columns]
        unknown = sorted({column for column in columns if column not in IMPORT_COLUMNS})
        duplicated = sorted({column for column in columns if columns.count(column) > 1})
        problems = []
        if missing:
            problems.append(f"missing columns: {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown columns: {', '.join(unknown)}")
        if duplicated:
            problems.append(f"repeated columns: {', '.join(duplicated)}")
        if problems:
            raise ImportFileError(
                f"{path}: wrong header ({'; '.join(problems)}); "
                f"expected: {','.join(IMPORT_COLUMNS)}"
            )
        rows = sum(1 for row in reader if row)
    return ImportFile(path=path, columns=columns, rows=rows)


def _open(path: Path):
    try:
        # utf-8-sig: Excel writes a byte-order mark in front of UTF-8 CSV files.
        return path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file ({exc.strerror})") from None


def _check_utf8(path: Path) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK_BYTES):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    raise ImportFileError(
                        f"{path}: not UTF-8 text (invalid byte at offset {offset + exc.start})"
                    ) from None
                offset += len(chunk)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise ImportFileError(f"{path}: not UTF-8 text (truncated at the end)") from None
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file ({exc.strerror})") from None


def _numbered_rows(handle) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number where the row starts, cells), skipping the header and blank lines."""
    reader = csv.reader(handle)
    next(reader, None)
    previous_line = reader.line_num
    for row in reader:
        start, previous_line = previous_line + 1, reader.line_num
        if row:
            yield start, row


def import_customers(
    checked: ImportFile,
    *,
    channel: str = Channel.BUSINESS_HALL,
    actor=None,
    on_row: Callable[[], None] | None = None,
) -> ImportResult:
    """Register every good row of a checked file; report the others. ``on_row`` ticks progress."""
    result = ImportResult()
    # Documents seen in this file and the line of their first row: a second row for the same
    # person is a mistake in the file, not a re-import.
    first_line_of: dict[tuple[str, str], int] = {}
    with _open(checked.path) as handle:
        for line, cells in _numbered_rows(handle):
            errors = _import_row(
                line, cells, checked.columns, channel, actor, result, first_line_of
            )
            if errors:
                result.rejected += 1
                result.errors.extend(errors)
            if on_row is not None:
                on_row()
    return result


def _import_row(
    line: int,
    cells: list[str],
    columns: tuple[str, ...],
    channel: str,
    actor,
    result: ImportResult,
    first_line_of: dict[tuple[str, str], int],
) -> list[RejectedField]:
    """Import one row, counting it in ``result``; return its errors if it is rejected."""
    if len(cells) != len(columns):
        message = _("Expected %(expected)d columns, found %(found)d.") % {
            "expected": len(columns),
            "found": len(cells),
        }
        return [RejectedField(line, ROW_FIELD, message)]
    values = {column: cell.strip() for column, cell in zip(columns, cells, strict=True)}
    values["segment"] = values["segment"] or Segment.STANDARD
    try:
        data = clean_customer_data(**values)
    except ValidationError as exc:
        return _rejections(line, exc)
    document = (data.document_type, data.document_number)
    if document in first_line_of:
        message = _("Same document as line %(line)d.") % {"line": first_line_of[document]}
        return [RejectedField(line, "document_number", message)]
    first_line_of[document] = line
    try:
        create_customer(data, channel=channel, actor=actor)
    except ValidationError as exc:
        if _is_duplicate(exc):
            result.unchanged += 1
            return []
        return _rejections(line, exc)
    result.created += 1
    return []


def _is_duplicate(exc: ValidationError) -> bool:
    errors = getattr(exc, "error_dict", {}).get("document_number", [])
    return any(error.code == "duplicate" for error in errors)


def _rejections(line: int, exc: ValidationError) -> list[RejectedField]:
    if not hasattr(exc, "error_dict"):
        return [RejectedField(line, ROW_FIELD, message) for message in exc.messages]
    return [
        RejectedField(line, name, message)
        for name, messages in exc.message_dict.items()
        for message in messages
    ]
