"""manage.py import_customers: good rows kept, bad rows reported by line, re-import safe."""

import csv
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from crm.choices import Channel
from crm.imports import IMPORT_COLUMNS
from crm.models import BillingAccount, Customer
from tests.conftest import BASE_DIR, database_url_for_subprocess
from tests.crm.factories import CustomerFactory, credit_code, resident_id

HEADER = ",".join(IMPORT_COLUMNS)
GOOD_ID = resident_id(101)
BAD_CHECK_DIGIT = GOOD_ID[:-1] + ("1" if GOOD_ID[-1] != "1" else "2")
ENTERPRISE_CODE = credit_code(5)
SECOND_ID = resident_id(102, birth="19700101")

ROWS = [
    HEADER,  # line 1
    f"individual,张伟,resident_id,{GOOD_ID},13812345678,zw@example.com,上海市黄浦区1号,vip",
    f"individual,李娜,resident_id,{BAD_CHECK_DIGIT},13812345679,,,standard",
    f"enterprise,上海示范科技有限公司,credit_code,{ENTERPRISE_CODE},18912345678,,上海市浦东新区2号,",
    f"individual,王强,resident_id,{resident_id(103)},1381234567,,,standard",
    f"person,赵敏,resident_id,{resident_id(104)},13612345678,,,standard",
    f"individual,孙丽,resident_id,{resident_id(105)},13512345678",
    f"individual,张伟伟,resident_id,{GOOD_ID.lower()},13812345670,,,standard",
    # A quoted address over two lines: the next row starts on line 11.
    f'individual,周杰,resident_id,{SECOND_ID},+86 139 0000 1111,,"杭州市\n西湖区3号",standard',
    f"individual, ,resident_id,{resident_id(106)},13712345678,not-an-email,,standard",
]
EXPECTED_REJECTIONS = [
    "line 3: document_number: The check digit of this ID number is wrong.",
    "line 5: contact_phone: Enter a valid mainland China mobile number, e.g. 13800138000.",
    "line 6: kind: Choose individual or enterprise.",
    "line 7: row: Expected 8 columns, found 5.",
    "line 8: document_number: Same document as line 2.",
    "line 11: name: Enter the customer's name.",
    "line 11: email: Enter a valid email address.",
]


def write_csv(tmp_path: Path, lines: list[str], *, encoding="utf-8", name="customers.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def run_import(*args) -> tuple[str, str, int]:
    """Run the command in English; return stdout, stderr and the exit status it would give."""
    out, err = StringIO(), StringIO()
    returncode = 0
    with translation.override("en"):
        try:
            call_command("import_customers", *map(str, args), stdout=out, stderr=err)
        except CommandError as exc:
            if exc.returncode == 1:
                raise
            returncode = exc.returncode
    return out.getvalue(), err.getvalue(), returncode


def test_import_keeps_good_rows_and_reports_bad_rows_by_line(db, tmp_path):
    path = write_csv(tmp_path, ROWS)

    out, _err, returncode = run_import(path, "--no-progress")

    assert returncode == 2
    assert out.splitlines() == ["created=3 unchanged=0 rejected=6", *EXPECTED_REJECTIONS]
    assert sorted(Customer.objects.values_list("name", "document_number", "contact_phone")) == [
        ("上海示范科技有限公司", ENTERPRISE_CODE, "18912345678"),
        ("周杰", SECOND_ID, "13900001111"),
        ("张伟", GOOD_ID, "13812345678"),
    ]
    assert BillingAccount.objects.count() == 3
    zhang = Customer.objects.get(document_number=GOOD_ID)
    assert (zhang.segment, zhang.email, zhang.channel, zhang.created_by) == (
        "vip",
        "zw@example.com",
        Channel.BUSINESS_HALL,
        None,
    )
    assert Customer.objects.get(document_number=SECOND_ID).address == "杭州市\n西湖区3号"
    assert Customer.objects.get(document_number=ENTERPRISE_CODE).segment == "standard"


def test_reimporting_the_same_file_creates_nothing(db, tmp_path):
    path = write_csv(tmp_path, ROWS)
    run_import(path, "--no-progress")

    out, _err, returncode = run_import(path, "--no-progress")

    assert returncode == 2
    assert out.splitlines() == ["created=0 unchanged=3 rejected=6", *EXPECTED_REJECTIONS]
    assert Customer.objects.count() == 3


def test_a_document_already_registered_is_left_unchanged(db, tmp_path):
    existing = CustomerFactory(document_number=GOOD_ID, name="张伟", contact_phone="13700000000")
    path = write_csv(tmp_path, ROWS[:2])

    out, _err, returncode = run_import(path, "--no-progress")

    assert (out, returncode) == ("created=0 unchanged=1 rejected=0\n", 0)
    existing.refresh_from_db()
    assert (existing.contact_phone, existing.segment) == ("13700000000", "standard")


def test_a_clean_file_exits_zero_with_a_byte_order_mark(db, tmp_path):
    path = write_csv(tmp_path, [ROWS[0], ROWS[1], ROWS[3]], encoding="utf-8-sig")

    out, _err, returncode = run_import(path, "--no-progress")

    assert (out, returncode) == ("created=2 unchanged=0 rejected=0\n", 0)


def test_report_lists_rejected_rows_as_csv(db, tmp_path):
    path = write_csv(tmp_path, ROWS)
    report = tmp_path / "report.csv"

    run_import(path, "--no-progress", "--report", report)

    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["line", "field", "message"],
        ["3", "document_number", "The check digit of this ID number is wrong."],
        ["5", "contact_phone", "Enter a valid mainland China mobile number, e.g. 13800138000."],
        ["6", "kind", "Choose individual or enterprise."],
        ["7", "row", "Expected 8 columns, found 5."],
        ["8", "document_number", "Same document as line 2."],
        ["11", "name", "Enter the customer's name."],
        ["11", "email", "Enter a valid email address."],
    ]


def test_channel_and_actor_options_are_recorded(db, tmp_path, make_user):
    clerk = make_user(None, username="clerk")
    path = write_csv(tmp_path, ROWS[:2])

    run_import(path, "--no-progress", "--channel", "hotline", "--actor", "clerk")

    customer = Customer.objects.get()
    assert (customer.channel, customer.created_by) == (Channel.HOTLINE, clerk)


def test_unknown_actor_is_refused(db, tmp_path):
    path = write_csv(tmp_path, ROWS[:2])

    with pytest.raises(CommandError, match=r"^No user named 'ghost'\.$"):
        run_import(path, "--actor", "ghost")
    assert Customer.objects.count() == 0


def test_progress_bar_goes_to_stderr(db, tmp_path):
    path = write_csv(tmp_path, ROWS)

    out, err, _returncode = run_import(path)

    assert "import_customers: 100%" in err
    assert "9/9" in err
    assert "import_customers" not in out


def test_missing_file_is_a_command_error(db, tmp_path):
    path = tmp_path / "nowhere.csv"

    with pytest.raises(CommandError) as excinfo:
        run_import(path)

    assert str(excinfo.value) == f"{path}: no such file"
    assert excinfo.value.returncode == 1


def test_a_directory_is_unreadable(db, tmp_path):
    with pytest.raises(CommandError) as excinfo:
        run_import(tmp_path)

    assert str(excinfo.value) == f"{tmp_path}: cannot read the file (Is a directory)"


def test_wrong_header_names_the_missing_columns(db, tmp_path):
    path = write_csv(tmp_path, ["kind,name,document_type,document_number,phone,address", *ROWS[1:]])

    with pytest.raises(CommandError) as excinfo:
        run_import(path)

    assert str(excinfo.value) == (
        f"{path}: wrong header (missing columns: contact_phone, email, segment; "
        "unknown columns: phone); expected: "
        "kind,name,document_type,document_number,contact_phone,email,address,segment"
    )
    assert Customer.objects.count() == 0


def test_empty_file_has_a_wrong_header(db, tmp_path):
    path = write_csv(tmp_path, [])

    with pytest.raises(CommandError, match="wrong header \\(missing columns: kind, name, "):
        run_import(path)


def test_file_that_is_not_utf8_is_refused_before_any_row_is_stored(db, tmp_path):
    path = write_csv(tmp_path, ROWS[:4], encoding="gbk")

    with pytest.raises(CommandError) as excinfo:
        run_import(path)

    offset = len((ROWS[0] + "\nindividual,").encode())
    assert str(excinfo.value) == f"{path}: not UTF-8 text (invalid byte at offset {offset})"
    assert Customer.objects.count() == 0


# The command runs in its own process, so it sees committed rows only; serialized_rollback
# restores the migrations' data (roles, catalog) that the flush after the test removes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_command_line_exit_status_is_2_when_rows_were_rejected(tmp_path):
    path = write_csv(tmp_path, ROWS[:4])

    finished = subprocess.run(
        [sys.executable, "manage.py", "import_customers", str(path), "--no-progress"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url_for_subprocess()},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 2
    assert finished.stdout.splitlines()[0] == "created=2 unchanged=0 rejected=1"
    assert finished.stderr == "CommandError: 1 rows rejected; the other rows were imported.\n"
    assert Customer.objects.count() == 2
