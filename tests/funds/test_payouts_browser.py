"""The batch page and the exception queue in a real browser (the site's CSP enforced): the
failed line's re-issue in cash with its receipt uploaded; screenshots to look at."""

import pytest

from gonghui.funds.models import PayoutLine
from gonghui.funds.payouts import services
from tests.browser import desktop_context, in_thread, login, no_horizontal_scroll, phone_context
from tests.funds.test_payouts_world import (  # noqa: F401  (world_fixture: the fixture)
    PNG,
    return_file,
    world_fixture,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(world):
    """An exported batch whose return failed a line (made before the browser starts: the
    ORM refuses Playwright's loop)."""
    batch, _ = world.exported()
    ids = [e.payment_id for e in world.entitlements[:3]]
    services.returns_import(
        actor=world.users.cy,
        batch=batch,
        filename="回盘.csv",
        data=return_file(
            [
                (ids[0], "失败", "Ⅱ类账户超过非绑定账户转入限额", ""),
                (ids[1], "成功", "", ""),
                (ids[2], "成功", "", ""),
            ]
        ),
    )
    return batch


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_line_reissued_in_cash_through_the_pages(
    live_server, enforced_csp, scene, browser, shots, tmp_path
):
    batch = scene
    scan = tmp_path / "签收单.png"
    scan.write_bytes(PNG)
    base = live_server.url
    context, console = desktop_context(browser)
    page = login(context, base, "cy_staff")
    page.goto(f"{base}/funds/batches/{batch.pk}/")
    page.get_by_text("发放明细").wait_for()
    page.screenshot(path=shots / "funds_batch.png", full_page=True)
    page.goto(f"{base}/funds/exceptions/")
    page.get_by_text("Ⅱ类账户超过非绑定账户转入限额").wait_for()
    page.screenshot(path=shots / "funds_exceptions.png", full_page=True)
    page.get_by_role("link", name="改道重发").first.click()
    page.get_by_label("现金发放（本人签收）").check()
    page.get_by_label("改道说明").fill("上门送达，本人签收")
    page.get_by_role("button", name="确认重发").click()
    page.locator(".field.error").first.wait_for()  # no receipt: said beside the field
    assert "签收单" in page.locator(".field.error").inner_text()
    page.get_by_label("现金发放（本人签收）").check()
    page.get_by_label("签收单").set_input_files(str(scan))
    page.get_by_role("button", name="确认重发").click()
    page.get_by_text("已现金发放").wait_for()
    page.screenshot(path=shots / "funds_batch_after_cash.png", full_page=True)
    assert in_thread(lambda: PayoutLine.objects.filter(method="cash", status="paid").count()) == 1
    assert console.errors == []
    context.close()

    phone, phone_console = phone_context(browser)
    page = login(phone, base, "cy_staff")
    page.goto(f"{base}/funds/exceptions/")
    page.get_by_text("没有待处理的银行退回").wait_for()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "funds_exceptions_phone.png", full_page=True)
    assert phone_console.errors == []
