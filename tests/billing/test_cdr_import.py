"""CDR import: bad rows by line, billing months, re-import safety, running totals across
imports, the ledger debit, and the ``import_cdrs`` command."""

import datetime
import io
import os
import subprocess
import sys
from decimal import Decimal as D
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from billing.cdr_import import (
    CDR_COLUMNS,
    BadRow,
    CdrFileError,
    bad_rows_of,
    check_cdr_file,
    import_cdrs,
)
from billing.choices import LedgerEntryKind
from billing.models import CdrImport, LedgerEntry, UsageMonth, UsageRecord
from billing.services import audit_ledger, balance_of
from crm.choices import SubscriptionStatus
from tests.conftest import BASE_DIR, database_url_for_subprocess
from tests.crm.factories import MobileLineFactory

MARCH = datetime.date(2026, 3, 1)
APRIL = datetime.date(2026, 4, 1)
HEADER = ",".join(CDR_COLUMNS)


@pytest.fixture(autouse=True)
def _reports_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


def csv_text(rows) -> str:
    return "\n".join([HEADER, *(row if isinstance(row, str) else ",".join(row) for row in rows)])


def import_rows(*rows):
    with translation.override("en"):
        return import_cdrs(io.BytesIO((csv_text(rows) + "\n").encode()), file_name="test.csv")


def counts(cdr_import: CdrImport) -> dict:
    return {
        "rows": cdr_import.rows,
        "rated": cdr_import.rated,
        "rejected": cdr_import.rejected,
        "duplicates": cdr_import.duplicates,
        "bad": cdr_import.bad_rows,
    }


@pytest.fixture
def line(db):
    return MobileLineFactory()


# --- Billing month --------------------------------------------------------------------------


def test_the_billing_month_is_the_month_of_the_shanghai_local_time(line):
    msisdn = line.msisdn
    import_rows(
        f"M1,{msisdn},sms,2026-03-31T23:30:00+08:00,,,",
        f"M2,{msisdn},sms,2026-03-31T16:30:00Z,,,",  # 2026-04-01 00:30 in Shanghai
        f"M3,{msisdn},sms,2026-03-31T23:30:00,,,",  # no offset: Shanghai time
        f"M4,{msisdn},sms,2026-03-31 16:30:00+00:00,,,",
    )

    records = UsageRecord.objects.order_by("record_id")
    assert [(r.record_id, r.billing_month) for r in records] == [
        ("M1", MARCH),
        ("M2", APRIL),
        ("M3", MARCH),
        ("M4", APRIL),
    ]
    utc = datetime.UTC
    assert [r.started_at for r in records] == [
        datetime.datetime(2026, 3, 31, 15, 30, tzinfo=utc),
        datetime.datetime(2026, 3, 31, 16, 30, tzinfo=utc),
        datetime.datetime(2026, 3, 31, 15, 30, tzinfo=utc),
        datetime.datetime(2026, 3, 31, 16, 30, tzinfo=utc),
    ]
    # One debit per line and month: 2 SMS in each.
    assert list(LedgerEntry.objects.filter(subscription=line).values_list("period", "amount")) == [
        (MARCH, D("-0.20")),
        (APRIL, D("-0.20")),
    ]


# --- Bad rows -------------------------------------------------------------------------------


def test_bad_rows_are_reported_by_line_and_the_good_rows_kept(db):
    line = MobileLineFactory()
    old = MobileLineFactory(
        status=SubscriptionStatus.TERMINATED, terminated_on=datetime.date(2026, 3, 10)
    )
    no_plan = MobileLineFactory()
    no_plan.products.all().delete()
    m = line.msisdn
    lines = [
        f"G1,{m},voice_out_local,2026-03-02T10:00:00,61,,13900000000",  # line 2: good
        f"B3,{m},sms,2026-03-02T10:00:00,,",  # 3: six columns
        f"B4,{m},video,2026-03-02T10:00:00,,,",  # 4
        f"B5,{m},sms,2026-03-32T10:00:00,,,",  # 5
        f"B6,{m},voice_out_local,2026-03-02T10:00:00,-5,,",  # 6
        f"B7,{m},voice_out_local,2026-03-02T10:00:00,1.5,,",  # 7
        f"B8,{m},voice_in,2026-03-02T10:00:00,,,",  # 8
        f"B9,{m},data,2026-03-02T10:00:00,,,",  # 9
        f"B10,{m},data,2026-03-02T10:00:00,,-1,",  # 10
        "B11,13800000000,sms,2026-03-02T10:00:00,,,",  # 11: nobody has this number
        f"G1,{m},sms,2026-03-03T10:00:00,,,",  # 12: the record of line 2 again
        f",{m},sms,2026-03-03T10:00:00,,,",  # 13
        f"B14,{m},sms,2026-03-03T10:00:00,,5,",  # 14
        "",  # 15: blank, skipped
        f"B16,{old.msisdn},sms,2026-03-11T10:00:00,,,",  # 16: line ended on 10 March
        f"G17,{old.msisdn},sms,2026-03-10T23:59:59,,,",  # 17: its last day: good
        f"B18,{m},data,2026-03-02T10:00:00,,abc,",  # 18
        f"B19,{m},sms,not a date,,,",  # 19
        f"{'X' * 65},{m},sms,2026-03-02T10:00:00,,,",  # 20
        f"B21,{m},sms,2026-03-02T10:00:00,,,{'1' * 33}",  # 21
        f"B22,{m},data,2026-03-02T10:00:00,5,5,",  # 22
        f"B23,{no_plan.msisdn},sms,2026-03-02T10:00:00,,,",  # 23
    ]

    result = import_rows(*lines)

    assert result.bad_rows == [
        BadRow(3, "Wrong number of columns: 6 instead of 7."),
        BadRow(4, "Unknown event type “video”."),
        BadRow(
            5,
            "Bad date “2026-03-32T10:00:00”: expected ISO 8601, such as 2026-03-31T23:30:00+08:00.",
        ),
        BadRow(6, "Negative duration_s: -5."),
        BadRow(7, "duration_s “1.5” is not a whole number of seconds."),
        BadRow(8, "Missing duration_s for a voice record."),
        BadRow(9, "Missing volume_kb for a data record."),
        BadRow(10, "Negative volume_kb: -1."),
        BadRow(11, "Unknown MSISDN: no line had this number on 2026-03-02."),
        BadRow(12, "Duplicate record_id: the same record is on line 2."),
        BadRow(13, "Missing record_id."),
        BadRow(14, "volume_kb must be empty for event type sms."),
        BadRow(16, "Unknown MSISDN: no line had this number on 2026-03-11."),
        BadRow(18, "volume_kb “abc” is not a whole number of KB."),
        BadRow(19, "Bad date “not a date”: expected ISO 8601, such as 2026-03-31T23:30:00+08:00."),
        BadRow(20, "record_id is longer than 64 characters."),
        BadRow(21, "counterpart is longer than 32 characters."),
        BadRow(22, "duration_s must be empty for event type data."),
        BadRow(23, "The line had no mobile plan on 2026-03-02."),
    ]
    assert counts(result.cdr_import) == {
        "rows": 21,
        "rated": 2,
        "rejected": 0,
        "duplicates": 0,
        "bad": 19,
    }
    assert sorted(UsageRecord.objects.values_list("record_id", "subscription")) == [
        ("G1", line.pk),
        ("G17", old.pk),
    ]
    assert bad_rows_of(result.cdr_import, limit=2) == result.bad_rows[:2]


def test_a_reissued_number_is_rated_on_the_line_that_had_it_that_day(db):
    old = MobileLineFactory(
        status=SubscriptionStatus.TERMINATED, terminated_on=datetime.date(2026, 3, 10)
    )
    new = MobileLineFactory(msisdn=old.msisdn, activated_on=datetime.date(2026, 3, 11))

    import_rows(
        f"A,{old.msisdn},sms,2026-03-10T12:00:00,,,",
        f"B,{old.msisdn},sms,2026-03-11T12:00:00,,,",
    )

    assert dict(UsageRecord.objects.values_list("record_id", "subscription")) == {
        "A": old.pk,
        "B": new.pk,
    }


# --- Re-import and running totals -----------------------------------------------------------


def test_importing_the_same_file_twice_charges_once(line):
    rows = [
        f"R1,{line.msisdn},voice_out_ld,2026-03-02T10:00:00,61,,",  # 0.60
        f"R2,{line.msisdn},sms,2026-03-02T11:00:00,,,",  # 0.10
        f"R3,{line.msisdn},data,2026-03-02T12:00:00,,34,",  # 0.02
    ]
    first = import_rows(*rows)
    balance = balance_of(line.billing_account)

    second = import_rows(*rows)

    assert counts(first.cdr_import) == {
        "rows": 3,
        "rated": 3,
        "rejected": 0,
        "duplicates": 0,
        "bad": 0,
    }
    assert counts(second.cdr_import) == {
        "rows": 3,
        "rated": 0,
        "rejected": 0,
        "duplicates": 3,
        "bad": 0,
    }
    assert balance == balance_of(line.billing_account) == D("-0.72")
    assert list(LedgerEntry.objects.values_list("cdr_import", "subscription", "amount")) == [
        (first.cdr_import.pk, line.pk, D("-0.72"))
    ]
    assert (first.ledger_entries, second.ledger_entries) == (1, 0)
    assert UsageMonth.objects.get(subscription=line).voice_charge == D("0.60")


def test_a_later_import_continues_the_months_running_totals(line):
    first = import_rows(f"D1,{line.msisdn},data,2026-03-02T10:00:00,,3000000,")  # 900.00
    second = import_rows(
        f"D2,{line.msisdn},data,2026-03-03T10:00:00,,400000,",  # 120.00, only 95.00 left
        f"D3,{line.msisdn},data,2026-03-04T10:00:00,,20000000,",  # 20 GB reached
    )
    third = import_rows(f"D4,{line.msisdn},data,2026-03-05T10:00:00,,1,")

    assert [
        (r.record_id, r.charge, r.charged_units, r.status)
        for r in UsageRecord.objects.order_by("record_id")
    ] == [
        ("D1", D("900.00"), 3_000_000, "rated"),
        ("D2", D("95.00"), 400_000, "rated"),
        ("D3", D("0.00"), 17_571_520, "rated"),
        ("D4", D("0.00"), 0, "rejected"),
    ]
    assert counts(third.cdr_import)["rejected"] == 1
    month = UsageMonth.objects.get(subscription=line, month=MARCH)
    assert (month.data_kb, month.data_charge) == (20_971_520, D("995.00"))
    assert list(LedgerEntry.objects.values_list("cdr_import", "amount")) == [
        (first.cdr_import.pk, D("-900.00")),
        (second.cdr_import.pk, D("-95.00")),
    ]


# --- The ledger -----------------------------------------------------------------------------


def test_one_debit_per_account_line_and_month_and_the_ledger_balances(db):
    first, second = MobileLineFactory(), MobileLineFactory()
    third = MobileLineFactory(customer=first.customer, billing_account=first.billing_account)

    result = import_rows(
        f"A1,{first.msisdn},voice_out_local,2026-03-02T10:00:00,60,,",  # 0.20
        f"A2,{first.msisdn},voice_out_local,2026-03-03T10:00:00,120,,",  # 0.40
        f"A3,{first.msisdn},voice_out_local,2026-04-01T10:00:00,60,,",  # April: 0.20
        f"B1,{second.msisdn},sms,2026-03-02T10:00:00,,,",  # 0.10
        f"C1,{third.msisdn},voice_out_roaming,2026-03-02T10:00:00,1,,",  # 0.60
        f"C2,{third.msisdn},voice_in,2026-03-02T10:00:00,600,,",  # 0.00: no entry of its own
    )

    entries = LedgerEntry.objects.order_by("account_id", "subscription_id", "period")
    assert [(e.subscription_id, e.period, e.amount, e.kind) for e in entries] == [
        (first.pk, MARCH, D("-0.60"), LedgerEntryKind.USAGE_CHARGE),
        (first.pk, APRIL, D("-0.20"), LedgerEntryKind.USAGE_CHARGE),
        (third.pk, MARCH, D("-0.60"), LedgerEntryKind.USAGE_CHARGE),
        (second.pk, MARCH, D("-0.10"), LedgerEntryKind.USAGE_CHARGE),
    ]
    assert {e.cdr_import_id for e in entries} == {result.cdr_import.pk}
    assert balance_of(first.billing_account) == D("-1.40")
    assert audit_ledger() == []


def test_a_file_without_good_rows_stores_nothing_but_the_import(db):
    result = import_rows("X1,13800000000,sms,2026-03-02T10:00:00,,,")

    assert counts(result.cdr_import) == {
        "rows": 1,
        "rated": 0,
        "rejected": 0,
        "duplicates": 0,
        "bad": 1,
    }
    assert (UsageRecord.objects.count(), LedgerEntry.objects.count()) == (0, 0)


# --- The file itself ------------------------------------------------------------------------


def test_a_byte_order_mark_and_crlf_line_ends_are_accepted(line):
    body = f"\ufeff{HEADER}\r\nR1,{line.msisdn},sms,2026-03-02T10:00:00,,,\r\n"

    result = import_cdrs(io.BytesIO(body.encode()), file_name="excel.csv")

    assert counts(result.cdr_import)["rated"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "f.csv: wrong header; expected: " + HEADER),
        (b"record_id,msisdn\n", "f.csv: wrong header; expected: " + HEADER),
        (
            HEADER.encode() + b"\nR1,\xb2\xe2,sms,,,,\n",
            f"f.csv: not UTF-8 text (invalid byte at offset {len(HEADER) + 4})",
        ),
        (
            HEADER.encode() + b"\nR1\x00,1,sms,,,,\n",
            f"f.csv: not a text file (NUL byte at offset {len(HEADER) + 3})",
        ),
    ],
)
def test_a_file_that_cannot_be_imported_is_refused_before_anything_is_stored(db, content, message):
    with translation.override("en"), pytest.raises(CdrFileError) as refused:
        check_cdr_file(io.BytesIO(content), "f.csv")

    assert str(refused.value) == message
    assert CdrImport.objects.count() == 0


def test_a_row_that_is_not_csv_refuses_the_whole_file(line):
    rows = [f"R1,{line.msisdn},sms,2026-03-02T10:00:00,,,", f"R2,{'x' * 200_000},sms,,,,"]

    with translation.override("en"), pytest.raises(CdrFileError) as refused:
        import_rows(*rows)

    assert str(refused.value) == (
        "test.csv: line 3 is not CSV (field larger than field limit (131072))"
    )
    assert (CdrImport.objects.count(), UsageRecord.objects.count()) == (0, 0)


# --- The command ----------------------------------------------------------------------------


def write_csv(tmp_path: Path, rows, *, name="cdrs.csv") -> Path:
    path = tmp_path / name
    path.write_text(csv_text(rows) + "\n", encoding="utf-8")
    return path


def run_command(*args) -> tuple[str, str, int]:
    """Run the command in English; return stdout, stderr and the exit status it would give."""
    out, err = StringIO(), StringIO()
    returncode = 0
    with translation.override("en"):
        try:
            call_command("import_cdrs", *map(str, args), stdout=out, stderr=err)
        except CommandError as exc:
            if exc.returncode == 1:
                raise
            returncode = exc.returncode
    return out.getvalue(), err.getvalue(), returncode


def test_the_command_prints_the_counts_and_exits_0_without_bad_rows(line, tmp_path):
    path = write_csv(tmp_path, [f"R1,{line.msisdn},sms,2026-03-02T10:00:00,,,"])

    out, err, returncode = run_command(path, "--no-progress")

    assert (out, err, returncode) == ("rows=1 rated=1 rejected=0 duplicates=0 bad=0\n", "", 0)


def test_the_command_lists_bad_rows_writes_the_report_and_exits_2(line, tmp_path):
    rows = [f"R{n},{line.msisdn},sms,2026-03-02T10:00:00,,,x" for n in range(3)]
    rows += [f"B{n},13800000000,sms,2026-03-02T10:00:00,,," for n in range(52)]
    path = write_csv(tmp_path, rows)
    report = tmp_path / "bad.csv"

    out, _err, returncode = run_command(path, "--no-progress", "--report", report)

    lines = out.splitlines()
    assert returncode == 2
    assert lines[0] == "rows=55 rated=3 rejected=0 duplicates=0 bad=52"
    assert lines[1] == "line 5: Unknown MSISDN: no line had this number on 2026-03-02."
    assert lines[50] == "line 54: Unknown MSISDN: no line had this number on 2026-03-02."
    assert lines[51:] == [f"... 2 more bad rows in {report}"]
    written = report.read_text(encoding="utf-8-sig").splitlines()
    assert written[0] == "line,reason"
    assert written[-1] == "56,Unknown MSISDN: no line had this number on 2026-03-02."
    assert len(written) == 53


def test_the_progress_bar_goes_to_stderr(line, tmp_path):
    path = write_csv(tmp_path, [f"R1,{line.msisdn},sms,2026-03-02T10:00:00,,,"])

    out, err, _returncode = run_command(path)

    assert "import_cdrs read: 100%" in err
    assert "import_cdrs rate: 100%" in err
    assert "import_cdrs" not in out


def test_a_missing_file_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError) as refused:
        run_command(tmp_path / "nowhere.csv")

    assert str(refused.value) == f"{tmp_path / 'nowhere.csv'}: no such file"
    assert refused.value.returncode == 1


def test_a_file_with_a_wrong_header_is_a_command_error(db, tmp_path):
    path = tmp_path / "cdrs.csv"
    path.write_text("id,number\n1,2\n", encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        run_command(path)

    assert str(refused.value) == f"cdrs.csv: wrong header; expected: {HEADER}"
    assert CdrImport.objects.count() == 0


# The command runs in its own process, so it sees committed rows only; serialized_rollback
# restores the migrations' data (roles, catalog) that the flush after the test removes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_command_line_exit_status_is_2_when_rows_were_bad(tmp_path):
    line = MobileLineFactory()
    path = write_csv(
        tmp_path,
        [f"R1,{line.msisdn},sms,2026-03-02T10:00:00,,,", "R2,13800000000,sms,2026-03-02,,,"],
    )

    finished = subprocess.run(
        [sys.executable, "manage.py", "import_cdrs", str(path), "--no-progress"],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": database_url_for_subprocess(),
            "VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 2
    assert finished.stdout.splitlines()[0] == "rows=2 rated=1 rejected=0 duplicates=0 bad=1"
    assert finished.stderr == "CommandError: 1 bad rows; the other rows were imported.\n"
    assert UsageRecord.objects.count() == 1
