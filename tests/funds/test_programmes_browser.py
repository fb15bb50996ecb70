"""The programmes pages in a real browser (the site's CSP enforced): city staff change the
certificate subsidy's rule in the JSON editor (a broken edit is named beside the field; a
good one becomes version 2 with its differences listed), set a district's budget, and read
the budget page; the funds home opens on a phone without sideways scrolling."""

import json

import pytest

from gonghui.funds import ledger
from gonghui.funds.models import Budget, RuleVersion
from tests.browser import desktop_context, in_thread, login, no_horizontal_scroll, phone_context
from tests.funds.conftest import CERTIFICATE_RULE, YEAR

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(funds, users):
    """Some of this year's budget of the certificate subsidy already committed."""
    budget = Budget.objects.get(programme=funds.certificate, year=YEAR)
    ledger.commit(actor=users.admin, budget=budget, amount=1_234_500, note="已批准的")
    return funds


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rule_editor_and_budget_page(live_server, enforced_csp, scene, browser, shots, tree):
    funds = scene
    base = live_server.url
    context, console = desktop_context(browser)
    page = login(context, base, "admin_t")
    page.goto(f"{base}/funds/p/{funds.certificate.pk}/rules/")
    assert "高级技师" in page.locator("main").inner_text()
    page.get_by_label("规则（JSON）").fill('{"kind": "certificate", "levels": ')
    page.get_by_label("修改说明").fill("提高标准")
    page.get_by_role("button", name="保存为新版本").click()
    page.locator(".field.error").first.wait_for()
    assert "JSON 格式错误" in page.locator(".field.error").first.inner_text()
    rule = dict(CERTIFICATE_RULE, levels={"一级": 250000, "二级": 100000, "三级": 80000})
    page.get_by_label("规则（JSON）").fill(json.dumps(rule, ensure_ascii=False, indent=2))
    page.get_by_role("button", name="保存为新版本").click()
    page.get_by_text("已保存规则第 2 版").wait_for()
    assert "levels.一级" in page.locator("main").inner_text()
    page.screenshot(path=shots / "funds_rules.png", full_page=True)
    assert in_thread(lambda: RuleVersion.objects.filter(programme=funds.certificate).count()) == 2

    page.goto(f"{base}/funds/p/{funds.certificate.pk}/budgets/?year={YEAR}")
    page.locator("#id_org_unit").select_option(label=f"北京市总工会 / {tree.chaoyang.name}")
    page.get_by_label("预算金额（元）").fill("300,000.001")
    page.get_by_role("button", name="保存").click()
    page.locator(".field.error").first.wait_for()
    assert "精确到分" in page.locator(".field.error").first.inner_text()
    page.get_by_label("预算金额（元）").fill("300,000")
    page.get_by_role("button", name="保存").click()
    page.get_by_text(f"已设定{tree.chaoyang.name}{YEAR}年预算").wait_for()
    text = page.locator("main").inner_text()
    assert "12,345.00" in text and "300,000.00" in text
    page.screenshot(path=shots / "funds_budgets.png", full_page=True)
    assert console.errors == []
    context.close()

    phone, phone_console = phone_context(browser)
    page = login(phone, base, "cy_staff")
    page.goto(f"{base}/funds/")
    page.get_by_role("link", name="技能等级证书补贴").wait_for()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "funds_home_phone.png", full_page=True)
    assert phone_console.errors == []
    phone.close()
