"""A real browser (Debian's chromium through Playwright) against the live server.

A district's staff logs in, sees the Chinese home page, walks the org tree down to their own
district and is shown the Chinese not-found page for a neighbouring district; then the home
page once more at a phone's width. The Content-Security-Policy is enforced for the run and
any console error (a CSP violation, a script error) fails the test. Screenshots land in
var/screenshots/ for a person to look at.

Setup: `make browser` (scripts/install-browser.sh: chromium + a CJK font). Playwright's own
browser download is never used.
"""

from __future__ import annotations

import re

import pytest

from tests.browser import (
    PHONE,
    TIMEOUT_MS,
    Console,
    desktop_context,
    in_thread,
    no_horizontal_scroll,
)
from tests.factories import PASSWORD
from tests.second_factor import mark_browser_verified

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_district_staff_in_a_browser(live_server, enforced_csp, users, tree, browser, shots):
    # Everything the database is needed for is read before the browser starts: Playwright's
    # sync API runs an event loop in this thread, where Django refuses ORM calls.
    base = live_server.url
    chaoyang_pk, haidian_pk = tree.chaoyang.pk, tree.haidian.pk
    username = users.cy.username

    context, console = desktop_context(browser)
    page = context.new_page()

    # Login page, then the home page it redirects to.
    response = page.goto(f"{base}/login/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers.get("content-security-policy", "")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.screenshot(path=shots / "login.png", full_page=True)
    page.get_by_role("button", name="登录").click()
    # A district post must pass a second factor: the sign-in moves on to its step, which
    # tests/factors drive; here it is passed as tests/browser.py's login does.
    page.wait_for_url(lambda url: "/factors/" in url)
    key = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
    in_thread(lambda: mark_browser_verified(key, username))
    page.goto(f"{base}/")
    body = page.locator("body")
    assert page.get_by_role("heading", name="我的岗位").is_visible()
    assert "朝阳区总工会" in body.inner_text()
    assert "海淀区总工会" not in body.inner_text()
    assert page.title().startswith("首页")
    page.screenshot(path=shots / "home.png", full_page=True)

    # The org list (from the navigation), then the district's own page.
    page.get_by_role("navigation").get_by_role("link", name="组织机构").click()
    page.wait_for_url(f"{base}/orgs/")
    table = page.locator("table.data")
    assert table.get_by_role("link", name="朝阳区总工会").is_visible()
    assert table.get_by_role("link", name="建外街道总工会").is_visible()
    assert "海淀" not in table.inner_text()
    page.screenshot(path=shots / "orgs.png", full_page=True)
    table.get_by_role("link", name="朝阳区总工会").click()
    page.wait_for_url(f"{base}/orgs/{chaoyang_pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "朝阳区总工会"
    assert page.locator("dl.props").get_by_text("110105").is_visible()
    page.screenshot(path=shots / "org_chaoyang.png", full_page=True)

    # Another district's page: the same Chinese 404 as a record that does not exist.
    haidian_url = f"{base}/orgs/{haidian_pk}/"
    console.expected.add(haidian_url)
    response = page.goto(haidian_url)
    assert response.status == 404
    assert page.get_by_role("heading", name="记录不存在或无权访问").is_visible()
    assert "海淀区总工会" not in page.locator("body").inner_text()
    assert page.title().startswith("未找到")
    page.screenshot(path=shots / "not_found.png", full_page=True)
    console.expected.clear()

    # The same user on a phone (the session carried over).
    phone = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        storage_state=context.storage_state(),
    )
    phone.set_default_timeout(TIMEOUT_MS)
    phone_console = Console(phone)
    mobile = phone.new_page()
    response = mobile.goto(f"{base}/")
    assert response.status == 200
    assert re.match(rf"{re.escape(base)}/?$", mobile.url), "the phone was sent to the login"
    assert mobile.get_by_role("heading", name="我的岗位").is_visible()
    assert "朝阳区总工会" in mobile.locator("body").inner_text()
    assert mobile.get_by_role("button", name="退出").is_visible()
    no_horizontal_scroll(mobile)
    mobile.screenshot(path=shots / "home_phone.png", full_page=True)
    mobile.goto(f"{base}/orgs/")
    no_horizontal_scroll(mobile)
    mobile.screenshot(path=shots / "orgs_phone.png", full_page=True)

    phone.close()
    context.close()
    errors = console.errors + phone_console.errors
    assert not errors, "browser console errors:\n" + "\n".join(errors)
