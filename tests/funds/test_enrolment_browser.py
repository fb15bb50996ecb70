"""A district's staff enrol a Spring Festival run and cancel one person, in a real browser
(the site's CSP enforced), with screenshots."""

from datetime import timedelta

import pytest

from gonghui.common import workdays
from gonghui.funds.enrolment.services import run_create
from gonghui.funds.models import Entitlement, RuleVersion
from tests.browser import desktop_context, in_thread, login, no_horizontal_scroll
from tests.funds.test_enrolment import SPRING_RULE, model_worker

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(funds, tree, users):
    """A run of Chaoyang's condolence money due in two weeks, two model workers in hardship
    (made before the browser starts: the ORM refuses Playwright's loop)."""
    RuleVersion.objects.create(programme=funds.condolence, version=2, rule=SPRING_RULE)
    model_worker(tree.cy_grass, "严秀兰", "特别困难")
    model_worker(tree.cy_street, "王建国", "一般困难")
    return run_create(
        actor=users.cy,
        programme=funds.condolence,
        org_unit=tree.chaoyang,
        name="春节慰问",
        year=workdays.today().year,
        deadline=workdays.today() + timedelta(days=14),
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_staff_enrol_a_run_and_cancel_one_person(live_server, enforced_csp, scene, browser, shots):
    base = live_server.url
    context, console = desktop_context(browser)
    page = login(context, base, "cy_staff")
    page.goto(f"{base}/funds/p/{scene.programme_id}/runs/")
    page.get_by_role("link", name="春节慰问").click()
    page.get_by_role("button", name="按规则纳入").click()
    page.get_by_text("已按规则纳入，共 2 人").wait_for()
    assert page.locator("#total-amount").inner_text() == "17,000.00元"
    page.screenshot(path=shots / "funds_run_enrolled.png", full_page=True)

    page.get_by_text("取消", exact=True).first.click()
    page.get_by_label("取消原因").first.fill("已迁出本区")
    page.get_by_role("button", name="确认取消").first.click()
    page.get_by_text("预算已释放").wait_for()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "funds_run_cancelled.png", full_page=True)
    statuses = in_thread(lambda: sorted(Entitlement.objects.values_list("status", flat=True)))
    assert statuses == ["cancelled", "owed"]
    assert console.errors == []
    context.close()
