"""The tree panel and the organisation picker in a real browser (Debian's chromium through
Playwright), the Content-Security-Policy enforced: a district's staff opens a node of the
tree (its children load), clicks one and the list filters to its subtree; searches the
tree; then finds a unit in a form's picker by typing, where two units share its name. At a
phone's width the panel folds above the list. Screenshots land in var/screenshots/."""

from __future__ import annotations

import pytest

from tests.browser import PHONE, Console, desktop_context, login, no_horizontal_scroll
from tests.factories import make_person, make_unit

pytestmark = pytest.mark.browser


@pytest.fixture
def namesake(tree):
    """People in both districts, and a unit of one name in each: ours, returned."""
    make_person(tree.cy_grass, "朝阳职工")
    make_person(tree.chaoyang, "朝阳区机关职工")
    make_person(tree.hd_grass, "海淀职工")
    make_unit(tree.hd_street, "grassroots", "SAME-2", "同名公司工会")
    return make_unit(tree.cy_street, "grassroots", "SAME-1", "同名公司工会").pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_tree_filters_a_list_and_the_picker_finds_by_typing(
    live_server, enforced_csp, users, tree, namesake, browser, shots
):
    base = live_server.url
    ours = namesake
    street_pk = tree.cy_street.pk
    username = users.cy.username

    context, console = desktop_context(browser)
    page = login(context, base, username)
    page.goto(f"{base}/people/?q=")
    panel = page.locator(".tree-panel")
    assert panel.get_by_role("link", name="朝阳区总工会").is_visible()
    assert "海淀" not in panel.inner_text()
    panel.get_by_role("button", name="展开").first.click()  # 朝阳区总工会: loads its children
    street = panel.get_by_role("link", name="建外街道总工会")
    street.wait_for()
    page.screenshot(path=shots / "tree-opened.png", full_page=True)
    street.click()
    page.wait_for_url(f"{base}/people/?q=&org={street_pk}")
    rows = page.locator("table.data tbody")
    assert "朝阳职工" in rows.inner_text()
    assert "朝阳区机关职工" not in rows.inner_text()
    assert panel.locator("li.selected > a").inner_text() == "建外街道总工会"
    assert "北京市总工会 / 朝阳区总工会 / 建外街道总工会" in panel.inner_text()
    page.screenshot(path=shots / "tree-filtered.png", full_page=True)

    # The panel's search: only the viewer's scope, each hit with its full path.
    panel.get_by_label("搜索组织名称或编码").fill("同名")
    hit = panel.locator(".tree-hits a")
    hit.first.wait_for()
    assert hit.count() == 1
    assert hit.inner_text() == "北京市总工会 / 朝阳区总工会 / 建外街道总工会 / 同名公司工会"
    page.screenshot(path=shots / "tree-search.png", full_page=True)

    # The picker of the registration form: typing leaves the matching units, one is chosen.
    page.goto(f"{base}/people/new/")
    picker = page.locator(".org-picker").filter(has=page.locator("select[name=org_unit]"))
    picker.locator("input.org-filter").fill("同名")
    select = picker.locator("select")
    assert select.input_value() == str(ours)
    assert select.locator("option:not([hidden])").all_inner_texts() == [
        "请选择",
        "北京市总工会 / 朝阳区总工会 / 建外街道总工会 / 同名公司工会",
    ]
    page.screenshot(path=shots / "org-picker.png", full_page=True)

    # A phone: the panel starts folded above the list.
    phone = context.new_page()
    phone.set_viewport_size(PHONE)
    phone.goto(f"{base}/people/")
    assert phone.locator("details.tree-box").get_attribute("open") is None
    assert phone.locator("table.data").is_visible()
    no_horizontal_scroll(phone)
    phone.screenshot(path=shots / "tree-phone.png", full_page=True)
    assert console.errors == []
    assert isinstance(console, Console)
    context.close()
