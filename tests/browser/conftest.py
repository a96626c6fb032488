"""Browser journeys: Playwright drives Debian's Chromium against pytest-django's live server.

Chromium comes from Debian (``apt-get install chromium``; ``.ci/run`` installs it), never from
Playwright's own download. Each journey saves screenshots under ``SCREENSHOT_DIR`` (default
``var/screenshots``; ``make screenshots`` writes them to ``docs/screenshots``).
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import BASE_DIR, require_service

# Playwright's sync API runs an event loop in this thread; the tests still call the ORM
# synchronously between steps, which is safe here (one thread, no concurrent coroutines).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

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


@pytest.fixture(scope="session")
def chromium():
    require_service("chromium", os.path.exists(CHROMIUM), f"{CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_context(chromium, live_server, settings):
    """A fresh browser profile in Chinese on a desktop-sized window, against the live server."""
    settings.ALLOWED_HOSTS = ["*"]
    context = chromium.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=DESKTOP, timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    yield context
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
