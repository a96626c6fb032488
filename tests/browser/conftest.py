"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server.

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` installs it), never from
Playwright's own download. Each journey saves screenshots under ``SCREENSHOT_DIR`` (default
``var/screenshots``; ``make screenshots`` writes them to ``docs/screenshots``).
"""

import os
import shutil
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import BASE_DIR, require_service

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The flags the machine needs: no sandbox as root, and no calls to Google's services, which a
# closed network refuses (each refusal costs time).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", BASE_DIR / "var" / "screenshots"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def chromium(django_db_setup):
    """Debian's Chromium, for one test module at a time.

    Between its calls Playwright's sync API leaves its event loop marked as running in this
    thread. While it is, Django (1) refuses ORM calls unless ``DJANGO_ALLOW_ASYNC_UNSAFE`` is
    set, which is safe here (one thread, no concurrent coroutines), and (2) keeps its database
    connections in context-local storage, so the tests get fresh connection objects that lack
    the serialized copy of the migrations' data (groups, tariff catalog) that serialized
    rollback restores after each flush; it is handed over to them here. Module scope ends both
    before the next module, whose tests then run on the thread's own connections again.
    """
    require_service("chromium", os.path.exists(CHROMIUM), f"{CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    thread_connections = {alias: connections[alias] for alias in connections}
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            for alias, connection in thread_connections.items():
                if hasattr(connection, "_test_serialized_contents"):
                    contents = connection._test_serialized_contents
                    connections[alias]._test_serialized_contents = contents
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
            # These connection objects become unreachable with the loop gone; a connection
            # left open would keep PostgreSQL from dropping the test database.
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Every page of a context reports each Content-Security-Policy violation to the test, through a
# binding that outlives navigations (a list on window would not).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation({
    page: document.location.href,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  });
});
"""
# Chromium's console words for a refusal by the policy (it logs one beside each event).
CSP_CONSOLE_WORDS = ("Content Security Policy", "Content-Security-Policy")


@pytest.fixture
def csp_violations(chromium, monkeypatch):
    """What the Content-Security-Policy refused during the test, on any page of any browser
    context the test opens (``browser_context`` and those a journey makes with
    ``browser_context.browser.new_context``): violation events and Chromium's console lines.

    The test fails at its end if anything is left here; a test that provokes a violation on
    purpose clears the list. (Playwright's ``wait_for_function`` with a bare expression polls
    it with eval, which the policy refuses: pass a function, ``"() => ..."``.)
    """
    violations = []
    contexts = []
    new_context = chromium.new_context

    def new_watched_context(**options):
        context = new_context(**options)
        watch_csp(context, violations)
        contexts.append(context)
        return context

    monkeypatch.setattr(chromium, "new_context", new_watched_context)
    yield violations
    for context in contexts:
        deliver_csp_reports(context)
    assert violations == [], f"the Content-Security-Policy refused: {violations}"


def watch_csp(context, violations: list) -> None:
    context.expose_binding("reportCspViolation", lambda _source, report: violations.append(report))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    context.on("console", lambda message: record_csp_console_message(message, violations))


def record_csp_console_message(message, violations: list) -> None:
    if any(word in message.text for word in CSP_CONSOLE_WORDS):
        violations.append({"console": message.type, "text": message.text})


def deliver_csp_reports(context) -> None:
    """A round trip to every open page delivers the reports its events have queued."""
    for open_page in context.pages:
        if not open_page.is_closed():
            open_page.evaluate("1")


@pytest.fixture
def browser_context(chromium, live_server, settings, csp_violations):
    """A fresh browser profile in Chinese on a desktop-sized window, against the live server.
    Every page it opens is watched for Content-Security-Policy violations (``csp_violations``).
    """
    settings.ALLOWED_HOSTS = ["*"]
    # Reduced motion: the dashboard then draws its charts without animation, so a screenshot
    # never catches a bar half-grown.
    context = chromium.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport=DESKTOP,
        timezone_id="Asia/Shanghai",
        reduced_motion="reduce",
    )
    context.set_default_timeout(15_000)
    yield context
    deliver_csp_reports(context)
    context.close()


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


def screenshot(page, name: str) -> Path:
    """Save the whole page as ``<name>.jpg`` in the screenshot folder (JPEG: a tenth of the
    size of a PNG of a long page, and the README shows them all)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.jpg"
    page.screenshot(path=str(path), full_page=True, type="jpeg", quality=80)
    return path
