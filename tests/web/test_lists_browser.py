"""A list in a real browser (Debian's chromium, the site's CSP enforced): page numbers, the
page size, the jump box, the 列 menu (kept across a reload, on a phone too) and 导出 Excel of
the filtered list without the hidden column. Screenshots in var/screens/."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings

from tests.browser import desktop_context, login, phone_context
from tests.factories import make_unit

pytestmark = pytest.mark.browser


@pytest.fixture
def screens() -> Path:
    path = Path(settings.VAR_DIR) / "screens"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def units(tree):
    """70 grassroots unions more in Chaoyang (made before the browser starts: Playwright's
    event loop runs in the test's thread, where Django refuses ORM calls)."""
    for i in range(70):
        make_unit(tree.cy_street, "grassroots", f"CY-B{i:03}", f"朝阳浏览器工会{i:03}")


def _header_visible(page, text: str) -> bool:
    return page.locator("table.data thead th", has_text=text).first.is_visible()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_list_in_a_browser(live_server, enforced_csp, users, units, browser, screens):
    base, username = live_server.url, users.cy.username

    context, console = desktop_context(browser)
    page = login(context, base, username)
    page.goto(f"{base}/orgs/?level=grassroots")
    pager = page.locator(".pager")
    assert "共 71 条，第 1 / 2 页" in pager.inner_text()
    page.screenshot(path=screens / "list-pager.png", full_page=True)

    # Page numbers keep the filter.
    pager.get_by_role("link", name="2", exact=True).click()
    page.wait_for_url(f"{base}/orgs/?level=grassroots&page=2")
    assert page.locator("table.data tbody tr").count() == 21

    # A page size applies when chosen, from the first page.
    page.locator(".pager select[name=size]").select_option("20")
    page.wait_for_url(lambda url: "size=20" in url and "page=1" in url)
    assert "第 1 / 4 页" in page.locator(".pager").inner_text()
    assert page.locator("table.data tbody tr").count() == 20
    # The jump box.
    page.locator(".pager input[name=page]").fill("3")
    page.locator(".pager").get_by_role("button", name="跳转").click()
    page.wait_for_url(
        lambda url: "page=3" in url and "size=20" in url and "level=grassroots" in url
    )
    assert page.locator(".pager .current").inner_text() == "3"

    # The 列 menu hides a column; the choice is kept across a reload.
    assert _header_visible(page, "上级组织")
    page.get_by_role("button", name="列").click()
    with page.expect_response(lambda r: "/lists/columns/" in r.url) as saved:
        page.locator(".cols .menu label", has_text="上级组织").locator("input").uncheck()
    assert saved.value.status == 200
    assert not _header_visible(page, "上级组织")
    page.screenshot(path=screens / "list-columns-menu.png", full_page=True)
    page.reload()
    assert not _header_visible(page, "上级组织") and _header_visible(page, "名称")
    assert "cols-pending" not in (page.locator("html").get_attribute("class") or "")

    # 导出 Excel: the filtered list, every page of it, without the hidden column.
    with page.expect_download() as download:
        page.locator(".pager").get_by_role("link", name="导出 Excel").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(book.active.values)
    assert rows[0] == ("组织编码", "名称", "级别", "状态")
    assert len(rows) == 1 + 71
    assert download.value.suggested_filename == "组织机构.xlsx"
    assert console.errors == []
    context.close()

    # On a phone: the table scrolls in its frame, the menu still opens, the choice holds.
    phone, phone_console = phone_context(browser)
    page = login(phone, base, username)
    page.goto(f"{base}/orgs/?level=grassroots&size=20")
    assert not _header_visible(page, "上级组织")
    page.get_by_role("button", name="列").click()
    assert page.locator(".cols .menu").is_visible()
    page.screenshot(path=screens / "list-phone.png", full_page=True)
    assert phone_console.errors == []
    phone.close()
