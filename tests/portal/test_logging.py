"""Quiet, honest logs: every line once, a refused request one line, e-mails readable.

The site has one log handler (root's "console", settings.LOGGING) for the web, the worker and
beat; these tests read what it writes, in-process and from real runserver/worker processes.
"""

import http.client
import io
import logging
import os
import subprocess
import sys
import time

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse

from crm.masking import PiiMaskingFilter
from portal.log_filters import OneLineRequestErrors
from portal.roles import Role
from portal.tasks import record_heartbeat
from tests.conftest import BASE_DIR, free_port, wait_for
from tests.portal.test_settings import run_manage

SUBJECT = "工单 TT20261207000009 已重新打开并转给您，请尽快处理客户反映的宽带网速问题"


@pytest.fixture
def console_output():
    """What the site's handler writes while the test runs."""
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def test_the_site_handler_carries_the_one_line_and_pii_filters():
    (handler,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]

    assert [type(f) for f in handler.filters] == [OneLineRequestErrors, PiiMaskingFilter]


def test_djangos_loggers_write_only_through_the_site_handler():
    # Django's defaults give both a handler of their own: every record printed twice, and
    # runserver's request lines unmasked.
    for name in ("django", "django.server"):
        logger = logging.getLogger(name)
        assert (logger.handlers, logger.propagate, logger.level) == ([], True, logging.NOTSET)


def test_a_permission_denied_is_one_line_without_a_traceback(client, make_user, console_output):
    client.force_login(make_user(Role.CUSTOMER))

    response = client.get(reverse("workspace-specialist"))

    assert response.status_code == 403
    output = console_output.getvalue()
    assert request_lines(output) == [
        "WARNING django.request Forbidden (Permission denied): /workspace/specialist/"
    ]
    assert "Traceback" not in output


def test_a_missing_page_is_one_line_without_a_traceback(client, db, console_output):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    output = console_output.getvalue()
    assert request_lines(output) == ["WARNING django.request Not Found: /no-such-page/"]
    assert "Traceback" not in output


def test_a_suspicious_request_is_one_line_without_a_traceback(client, db, console_output):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    output = console_output.getvalue()
    assert [line.split(" ", 2)[2] for line in output.splitlines()] == [
        "ERROR django.security.DisallowedHost Invalid HTTP_HOST header: 'evil.example'. You may "
        "need to add 'evil.example' to ALLOWED_HOSTS."
    ]


def test_a_server_error_keeps_its_traceback(console_output):
    try:
        raise ValueError("a bug")
    except ValueError as exc:
        logging.getLogger("django.request").error(
            "Internal Server Error: /x/", exc_info=exc, extra={"status_code": 500}
        )

    output = console_output.getvalue()
    assert "ERROR django.request Internal Server Error: /x/\nTraceback (most recent call" in output
    assert output.rstrip().endswith("ValueError: a bug")


def test_the_console_mail_backend_logs_the_decoded_subject_and_body(console_output):
    message = EmailMultiAlternatives(
        subject=SUBJECT,
        body="客户 18900000001 反映网速仍未恢复。\n请今天回电。",
        from_email="service@telecom-crm.example",
        to=["coordinator@demo.telecom-crm.example"],
    )
    message.attach_alternative("<p>客户反映网速仍未恢复。</p>", "text/html")
    message.attach("bill.csv", "period,amount\n2026-11,58.00\n", "text/csv")

    sent = get_connection("portal.mail.ConsoleEmailBackend").send_messages([message])

    assert sent == 1
    _date, _time, record = console_output.getvalue().split(" ", 2)
    lines = record.splitlines()
    assert lines[2].startswith("    Message-ID: <")
    assert lines[:2] + lines[3:] == [
        f"INFO portal.mail E-mail to coordinator@demo.telecom-crm.example: {SUBJECT}",
        "    From: service@telecom-crm.example",
        "",
        "    客户 189****0001 反映网速仍未恢复。",
        "    请今天回电。",
        "    [attachment bill.csv, text/csv, 28 bytes]",
    ]


def test_demo_mail_reaches_the_log_decoded_once_from_a_real_process(tmp_path):
    # The default EMAIL_URL (consolemail://) selects the readable backend.
    code = (
        "from django.core.mail import send_mail;"
        f"send_mail({SUBJECT!r}, '正文', None, ['supervisor@demo.telecom-crm.example'])"
    )

    result = run_manage("shell", "-v", "0", "-c", code, env={"VAR_DIR": str(tmp_path)})

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.count(f"E-mail to supervisor@demo.telecom-crm.example: {SUBJECT}") == 1
    assert "=?utf-8?" not in result.stderr
    assert "    正文" in result.stderr


def test_runserver_prints_each_log_line_once(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(VAR_DIR=str(tmp_path), DEBUG="true")
    log_path = tmp_path / "runserver.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            assert wait_for(lambda: "Quit the server with" in log_path.read_text(), 90)
            for path in ("/no-such-page/", "/no-such-page/"):
                http_get(port, path)
            # A POST without the CSRF cookie: a 403 of django.security.csrf.
            http_post(port, "/accounts/login/")
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=30)

    log = log_path.read_text()
    assert log.count("WARNING django.request Not Found: /no-such-page/") == 2
    assert log.count("Not Found: /no-such-page/") == 2
    assert log.count("Forbidden (CSRF cookie not set.): /accounts/login/") == 1
    assert log.count('"GET /no-such-page/ HTTP/1.1" 404') == 2
    assert "Traceback" not in log


@pytest.mark.celery_worker
def test_the_worker_logs_each_line_once_through_the_site_handler(celery_worker):
    record_heartbeat.delay()

    assert wait_for(lambda: "worker heartbeat from" in celery_worker.log(), 30), celery_worker.log()
    log = celery_worker.log()
    (line,) = [line for line in log.splitlines() if "worker heartbeat from" in line]
    assert f" INFO portal.services worker heartbeat from test-{celery_worker.queue}@" in line
    # Celery's own format ("[date: INFO/MainProcess] ...") would mean its handler, not ours.
    assert "/MainProcess]" not in log


def request_lines(output: str) -> list[str]:
    """The django.request lines of ``output``, without their time stamp."""
    return [line.split(" ", 2)[2] for line in output.splitlines() if " django.request " in line]


def http_get(port: int, path: str) -> int:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        client.request("GET", path)
        return client.getresponse().status
    finally:
        client.close()


def http_post(port: int, path: str) -> int:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        client.request(
            "POST", path, body="a=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        return client.getresponse().status
    finally:
        client.close()
