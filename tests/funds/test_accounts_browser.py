"""Payee accounts and the prediction in a real browser (the site's CSP enforced): district
staff reveal a number (htmx, audited), run the prediction of the elder's Spring Festival
line and take the proposed passbook; the elder sees her accounts masked on her phone."""

import pytest

from gonghui.audit.models import AuditEvent
from gonghui.funds.accounts.services import account_add
from gonghui.funds.models import PayoutLine
from tests.browser import desktop_context, in_thread, login, no_horizontal_scroll, phone_context
from tests.factories import make_member
from tests.funds.test_prediction_batch import YUAN, make_account, make_batch, pay_line

pytestmark = pytest.mark.browser

CARD = "6217000010000000003"


@pytest.fixture
def scene(funds, tree, users):
    """The elder (a login of her own) with her Ⅱ类 union card and passbook, and her
    12,000元 line in a draft batch of Chaoyang's Spring Festival money (made before the
    browser starts: the ORM refuses Playwright's loop)."""
    elder = make_member(tree.cy_grass, "高秀兰", username="gaoxl")
    card = account_add(
        actor=users.cy,
        person=elder,
        kind="union_card",
        account_class="II",
        bank="北京农商银行（京卡）",
        number=CARD,
    )
    passbook = make_account(elder, kind="passbook", bank="北京农商银行")
    batch = make_batch(funds.condolence, deadline=None)
    line = pay_line(batch, elder, card, 12_000 * YUAN)
    for n in range(3):
        other = make_member(tree.cy_grass, f"劳模{n}")
        pay_line(batch, other, make_account(other), 5_000 * YUAN)
    return elder, batch, line, passbook


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_foresee_and_reroute_and_the_member_sees_her_accounts(
    live_server, enforced_csp, scene, browser, shots
):
    elder, batch, line, passbook = scene
    base = live_server.url
    context, console = desktop_context(browser)
    page = login(context, base, "cy_staff")

    page.goto(f"{base}/funds/people/{elder.pk}/accounts/")
    cell = page.locator("#accounts tbody tr").first
    assert CARD not in page.content()
    cell.get_by_role("button", name="查看完整").click()
    page.get_by_text(CARD).wait_for()
    assert in_thread(lambda: AuditEvent.objects.filter(action="pii.reveal").count()) == 1
    page.screenshot(path=shots / "funds_accounts.png", full_page=True)

    page.goto(f"{base}/funds/batches/{batch.pk}/prediction/")
    page.get_by_role("button", name="运行失败预判").click()
    page.get_by_text("预计失败 1 笔").wait_for()
    assert "Ⅱ类账户单日非绑定账户转入超过限额" in page.locator("#lines").inner_text()
    page.screenshot(path=shots / "funds_prediction.png", full_page=True)
    page.get_by_role("button", name="采纳建议").click()
    page.get_by_text("已改用").wait_for()
    assert in_thread(lambda: PayoutLine.objects.get(pk=line.pk).account_id) == passbook.pk
    page.screenshot(path=shots / "funds_prediction_rerouted.png", full_page=True)
    context.close()

    phone, phone_console = phone_context(browser)
    page = login(phone, base, "gaoxl")
    page.goto(f"{base}/m/funds/accounts/")
    page.get_by_text("我的收款账户").first.wait_for()
    assert "*" * 15 + "0003" in page.content() and CARD not in page.content()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "funds_my_accounts.png", full_page=True)
    assert console.errors == [] and phone_console.errors == []
