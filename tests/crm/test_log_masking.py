"""The configured console log handler masks ID and phone numbers in every record it writes."""

import io
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from crm.masking import PiiMaskingFilter
from tests.conftest import BASE_DIR, database_url_for_subprocess, free_port, wait_for


@pytest.fixture
def console_handler() -> logging.Handler:
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    return handler


def record(msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord("crm.services", logging.INFO, __file__, 1, msg, args, None)


def test_console_handler_carries_the_pii_filter_last(console_handler):
    # Last, so that it masks the final message (portal.log_filters may add to it).
    assert type(console_handler.filters[-1]) is PiiMaskingFilter


def test_console_handler_masks_id_and_phone_in_the_arguments(console_handler):
    entry = record("caller %s gave ID %s", "13812345678", "11010519491231002X")

    passed = console_handler.filter(entry)

    assert passed is True or passed is entry  # a bool before Python 3.12, the record after
    assert entry.getMessage() == "caller 138****5678 gave ID 110105********002X"


def test_console_handler_masks_numbers_written_into_the_message(console_handler):
    entry = record("new contact +86 139 1234 5678 for credit code 91350100M000100Y43")

    console_handler.filter(entry)

    assert entry.getMessage() == "new contact +86 139****5678 for credit code 913501********0Y43"


def test_console_handler_writes_the_masked_line(console_handler):
    buffer = io.StringIO()
    previous = console_handler.setStream(buffer)
    try:
        console_handler.handle(record("SMS to %s sent", "18900000001"))
    finally:
        console_handler.setStream(previous)

    assert buffer.getvalue().endswith(" INFO crm.services SMS to 189****0001 sent\n")


def test_console_handler_masks_the_traceback_of_a_logged_exception(console_handler):
    try:
        raise ValueError("no line for msisdn 13812345678")
    except ValueError:
        entry = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    buffer = io.StringIO()
    previous = console_handler.setStream(buffer)
    try:
        console_handler.handle(entry)
    finally:
        console_handler.setStream(previous)

    written = buffer.getvalue()
    assert "ValueError: no line for msisdn 138****5678" in written
    assert "13812345678" not in written


def test_the_request_log_of_a_running_server_masks_numbers_in_the_query_string(
    django_db_serialized_rollback, transactional_db, tmp_path
):
    """The request lines a real server prints (runserver's ``django.server``) and the one-line
    4xx warnings of ``django.request``, read from the process's own output."""
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=BASE_DIR,
            env={**os.environ, "DATABASE_URL": database_url_for_subprocess(), "LOG_LEVEL": "INFO"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: _answers(f"{base}/healthz/web"), timeout=30), log_path.read_text()
        for path in (
            "/api/v1/customers/?msisdn=13812345678",
            "/workspace/search/?q=%2B8613912345678",
            "/no-such-page/?msisdn=18900000001&id=11010519491231002X",
        ):
            _answers(base + path)
    finally:
        server.terminate()
        server.wait(timeout=15)

    written = log_path.read_text()
    assert "/api/v1/customers/?msisdn=138****5678" in written
    for number in ("13812345678", "13912345678", "18900000001", "11010519491231002X"):
        assert number not in written


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=5)  # noqa: S310 - a loopback URL of our own
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True
