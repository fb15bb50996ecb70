"""A member applies for the certificate subsidy on a phone (375px wide, a scan uploaded) in
a real browser with the site's CSP enforced, then staff approve it at each level — the
grassroots union verifies, the district reviews, the city approves — and the member sees
it approved. Screenshots under var/screenshots/funds_apply_*.png."""

import pytest

from gonghui.funds.models import Application, Entitlement
from tests.browser import DESKTOP, TIMEOUT_MS, Console, in_thread, login, no_horizontal_scroll
from tests.factories import make_member

pytestmark = pytest.mark.browser
PHONE_375 = {"width": 375, "height": 812}
SCAN = {"name": "证书.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 certificate scan"}


def phone(browser):
    context = browser.new_context(
        viewport=PHONE_375, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context, Console(context)


def desktop(browser):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    return context, Console(context)


@pytest.fixture
def scene(funds, users, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_member(tree.cy_grass, "赵郁", username="zhaoyu")
    return funds


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_member_applies_on_a_phone_and_staff_approve(
    live_server, enforced_csp, scene, users, browser, shots
):
    base = live_server.url
    context, console = phone(browser)
    page = login(context, base, "zhaoyu")
    page.goto(f"{base}/m/funds/")
    page.get_by_role("link", name="技能等级证书补贴").click()
    page.get_by_label("证书编号").wait_for()
    no_horizontal_scroll(page)
    # A wrong field first: the level is missing.
    page.get_by_label("证书编号").fill("S1101-2026-0088")
    page.get_by_label("职业（工种）").fill("钳工")
    page.get_by_label("发证日期").fill("2025-11-20")
    page.get_by_label("证书照片或扫描件").set_input_files(SCAN)
    page.get_by_role("button", name="提交申请").click()
    page.locator(".field.error").first.wait_for()
    assert "证书等级" in page.locator(".field.error").first.inner_text()
    page.screenshot(path=shots / "funds_apply_error.png", full_page=True)
    page.get_by_label("证书等级").select_option("高级技师")
    page.get_by_label("证书照片或扫描件").set_input_files(SCAN)  # files are never kept
    button = page.get_by_role("button", name="提交申请")
    assert button.bounding_box()["height"] >= 44
    button.click()
    page.get_by_text("申请已提交").wait_for()
    assert "待基层核实" in page.content() and "2,000.00元" in page.content()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "funds_apply_submitted.png", full_page=True)
    app = in_thread(lambda: Application.objects.get())
    assert app.amount == 200000 and app.facts["certificate_no"] == "S110120260088"

    # Staff, one level each: grassroots, district, city.
    for username, step, after in (
        ("cy_grass", "基层核实", "待区级审核"),
        ("cy_staff", "区级审核", "待市级审批"),
        ("admin_t", "市级审批", "已批准"),
    ):
        staff, staff_console = desktop(browser)
        desk = login(staff, base, username)
        desk.goto(f"{base}/funds/a/{app.pk}/")
        desk.get_by_role("heading", name=step).wait_for()
        assert "证书.pdf" in desk.content()
        desk.get_by_label("通过", exact=True).check()
        desk.get_by_label("意见").fill("材料齐全，属实")
        desk.get_by_role("button", name=f"提交{step}决定").click()
        desk.locator(".badge", has_text=after).first.wait_for()
        desk.screenshot(path=shots / f"funds_apply_{username}.png", full_page=True)
        assert staff_console.errors == []
        staff.close()
    assert in_thread(lambda: Entitlement.objects.get(application=app).amount) == 200000

    # The programme's list, searched by the applicant's name in pinyin.
    staff, staff_console = desktop(browser)
    desk = login(staff, base, "cy_staff")
    desk.goto(f"{base}/funds/p/{app.programme_id}/applications/?q=zhaoyu")
    desk.get_by_role("link", name="赵郁").wait_for()
    assert "已批准" in desk.locator("table.data").inner_text()
    desk.screenshot(path=shots / "funds_apply_staff_list.png", full_page=True)
    assert staff_console.errors == []
    staff.close()

    page.goto(f"{base}/m/funds/a/{app.pk}/")
    page.get_by_text("已批准，将按发放计划").wait_for()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "funds_apply_approved.png", full_page=True)
    page.goto(f"{base}/m/funds/")
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "funds_apply_list.png", full_page=True)
    assert console.errors == []
    context.close()
