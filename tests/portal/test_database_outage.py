"""While the database cannot be reached the site answers 503, quickly and in one log line each.

A real gunicorn serves the site with DATABASE_URL pointing at a port where nothing listens:
pages (the session and the user cannot be loaded), the API (token and session authentication
fail inside DRF) and both health probes answer 503, the pages with a short page in the
visitor's language, the API in its error shape, all with Retry-After.
"""

import http.client
import json
import os
import subprocess
import sys
import time

import pytest
from django.db import DatabaseError, OperationalError, connection

from portal.outages import is_database_unavailable
from tests.conftest import BASE_DIR, free_port, wait_for

# A session cookie makes the page load the session, hence touch the database.
SESSION_COOKIE = "sessionid=0123456789abcdefghijklmnopqrstuv"
API_TOKEN = "Token 0123456789abcdef0123456789abcdef01234567"


class Site:
    """The site under gunicorn, its database unreachable."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.log_path = tmp_path / "gunicorn.log"
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/crm",
            "DJANGO_ENV": "development",
            "DEBUG": "false",
            "VAR_DIR": str(tmp_path / "var"),
        }
        env.pop("CELERY_BROKER_URL", None)
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], str, float]:
        started = time.monotonic()
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            client.request("GET", path, headers=headers)
            response = client.getresponse()
            body = response.read().decode()
        finally:
            client.close()
        elapsed = time.monotonic() - started
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body, elapsed

    def answers(self) -> bool:
        try:
            self.get("/healthz/web")
        except OSError:
            return self.process.poll() is not None
        return True

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log_file.close()


@pytest.fixture
def site_without_database(tmp_path):
    site = Site(tmp_path)
    try:
        assert wait_for(site.answers, 90), site.log()
        assert site.process.poll() is None, site.log()
        yield site
    finally:
        site.stop()


def test_pages_api_and_probes_answer_503_quickly_while_the_database_is_unreachable(
    site_without_database,
):
    site = site_without_database
    # Loaded once, so that the timings below are the outage's, not the first import's.
    site.get("/my/", Cookie=SESSION_COOKIE)

    status, headers, body, elapsed = site.get("/my/", Cookie=SESSION_COOKIE)
    assert (status, headers["retry-after"]) == (503, "30")
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="zh-hans">' in body
    assert "<h1>服务暂时不可用</h1>" in body
    assert "Traceback" not in body
    assert elapsed < 1

    status, headers, body, elapsed = site.get(
        "/workspace/specialist/", Cookie=SESSION_COOKIE, **{"Accept-Language": "en"}
    )
    assert (status, headers["retry-after"]) == (503, "30")
    assert "<h1>Service briefly unavailable</h1>" in body
    assert elapsed < 1

    status, headers, body, elapsed = site.get("/api/v1/customers/", Authorization=API_TOKEN)
    assert (status, headers["retry-after"]) == (503, "30")
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "type": "server_error",
        "errors": [
            {
                "code": "database_unavailable",
                "detail": "服务暂时不可用，请稍后再试。",
                "attr": None,
            }
        ],
    }
    assert elapsed < 1

    status, _headers, body, elapsed = site.get("/api/v1/customers/", Cookie=SESSION_COOKIE)
    assert status == 503
    assert json.loads(body)["errors"][0]["code"] == "database_unavailable"

    status, _headers, body, elapsed = site.get("/healthz")
    assert status == 503
    assert json.loads(body)["status"] == "unavailable"
    assert json.loads(body)["reasons"] == ["database: OperationalError"]
    assert json.loads(body)["checks"]["worker"] == {"ok": None, "skipped": True}
    assert elapsed < 1

    status, _headers, body, elapsed = site.get("/healthz/web")
    assert status == 503
    assert json.loads(body)["reasons"] == ["database: OperationalError"]


def test_each_503_of_a_database_outage_is_one_log_line_without_a_traceback(
    site_without_database,
):
    site = site_without_database
    for _ in range(3):
        assert site.get("/my/", Cookie=SESSION_COOKIE)[0] == 503
    assert site.get("/api/v1/customers/", Authorization=API_TOKEN)[0] == 503

    log = site.log()
    page_lines = [line for line in log.splitlines() if "Service Unavailable: /my/" in line]
    api_lines = [line for line in log.splitlines() if "Service Unavailable: /api/" in line]
    assert len(page_lines) == 3
    assert len(api_lines) == 1
    assert " ERROR django.request Service Unavailable: /my/ (OperationalError: " in page_lines[0]
    assert "Connection refused)" in page_lines[0]
    assert "Traceback" not in log


def test_a_failed_statement_is_not_mistaken_for_an_outage(db):
    # A statement the database refuses is a bug with its traceback, not a 503 (SQLite reports
    # a missing table as an OperationalError, PostgreSQL as a ProgrammingError).
    with pytest.raises(DatabaseError) as caught, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")

    assert is_database_unavailable(caught.value) is False


def test_a_cancelled_query_is_not_an_outage(db):
    if connection.vendor != "postgresql":
        pytest.skip("statement_timeout and SQLSTATEs are PostgreSQL's")
    with pytest.raises(OperationalError) as caught, connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 1")
        cursor.execute("SELECT pg_sleep(1)")

    assert caught.value.__cause__.sqlstate == "57014"
    assert is_database_unavailable(caught.value) is False
