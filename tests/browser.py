"""Shared browser-test support: Debian's chromium through Playwright, the site's CSP
enforced, console errors collected, screenshots under var/screenshots/."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import sync_playwright

from tests.conftest import need_service
from tests.factories import PASSWORD
from tests.second_factor import mark_browser_verified

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


@pytest.fixture
def enforced_csp(settings):
    """Debug settings only report CSP violations; enforce the same policy here."""
    policy = settings.CONTENT_SECURITY_POLICY or settings.CONTENT_SECURITY_POLICY_REPORT_ONLY
    assert policy, "no Content-Security-Policy configured"
    settings.CONTENT_SECURITY_POLICY = policy
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = None
    return policy


@pytest.fixture
def browser():
    need_service("Debian's chromium", CHROMIUM.exists(), "run `make browser`")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def shots() -> Path:
    path = Path(django_settings.VAR_DIR) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Console:
    """Console errors and uncaught exceptions of every page opened in a context."""

    def __init__(self, context):
        self.errors: list[str] = []
        self.expected: set[str] = set()  # URLs whose failed load is the point of the step
        context.on("page", self._watch)

    def _watch(self, page):
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, msg):
        if msg.type != "error":
            return
        url = msg.location.get("url", "")
        if msg.text.startswith("Failed to load resource") and url in self.expected:
            return
        self.errors.append(f"{msg.text} ({url})")


def no_horizontal_scroll(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {page.url}"


def desktop_context(browser):
    """A desktop browser context with the suite's timeout, and its console."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    return context, Console(context)


def phone_context(browser):
    """A phone's browser context (touch, mobile) with the suite's timeout, and its console."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    return context, Console(context)


def login(context, base, username, landing=None):
    """A new page of ``context`` signed in as ``username`` (the factories' password), once
    the site has moved it to ``landing`` (by default: anywhere but the sign-in page; members
    and counters land elsewhere than staff)."""
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    if "/factors/" in page.url:  # the second step: passed as tests/second_factor.py does
        key = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
        in_thread(lambda: mark_browser_verified(key, username))
        page.goto(f"{base}/")
    page.wait_for_url(landing or (lambda url: "/login/" not in url))
    return page


def in_thread(work):
    """Run ORM work outside Playwright's event loop."""
    result = []
    worker = threading.Thread(target=lambda: result.append(work()))
    worker.start()
    worker.join()
    return result[0] if result else None


# live_server needs committed rows; serialized_rollback lets tests/conftest.py put the seeded
# tree and roles back after the flush that ends a committing test.
