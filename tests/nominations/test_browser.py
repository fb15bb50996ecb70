"""Nomination in a real browser: a grassroots union nominates and publishes its notice, a
visitor objects on the public notice page (on a phone), the district verifies the objection
and, once the notice has closed, passes the first review."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gonghui.common.workdays import today
from gonghui.nominations import services
from gonghui.nominations.models import Nomination, Notice
from tests.browser import desktop_context, in_thread, login, no_horizontal_scroll, phone_context
from tests.factories import make_person

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(tree, users, honours, tmp_path):
    """An open campaign (made before the browser starts: the ORM refuses Playwright's loop)."""
    now = today()
    campaign = services.campaign_create(
        actor=users.admin,
        honour=honours["capital-labour-medal"],
        year=now.year,
        nominate_from=now - timedelta(days=10),
        nominate_until=now + timedelta(days=30),
        notice_calendar_days=True,  # this test must not depend on the year's holiday schedule
        objection_contact="电话 010-12345678",
    )
    services.quota_set(actor=users.admin, campaign=campaign, org_unit=tree.chaoyang, allowed=3)
    services.campaign_open(actor=users.admin, campaign=campaign)
    make_person(tree.cy_grass, "孙明", is_front_line=True, post_title="班组长")
    form = tmp_path / "推荐表.pdf"
    form.write_bytes(b"%PDF-1.4\n% nomination form\n")
    return campaign, form


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_nominate_object_verify_review(live_server, enforced_csp, users, scene, browser, shots):
    campaign, form = scene
    base = live_server.url

    # The grassroots union nominates 孙明 with the report meeting's result and the form.
    unit, unit_console = desktop_context(browser)
    page = login(unit, base, users.cy_grass.username, landing=f"{base}/")
    page.goto(f"{base}/nominations/{campaign.pk}/")
    page.get_by_role("link", name="推荐人选").click()
    page.get_by_label("被推荐人").select_option(label="孙明")
    page.get_by_label("一线职工", exact=True).check()
    page.get_by_label("简要事迹").fill("扎根一线二十年，带领班组攻克多项技术难题。")
    page.get_by_label("详细事迹").fill("详细事迹。" * 50)
    page.get_by_label("事迹报告会日期").fill(str(timezone.localdate() - timedelta(days=2)))
    page.get_by_label("参会人数").fill("56")
    page.get_by_label("民主评议结果").fill("赞成52票、反对0票、弃权4票")
    page.get_by_label("推荐表（PDF、Word 或图片）").set_input_files(str(form))
    page.screenshot(path=shots / "nominations_nominate.png", full_page=True)
    page.get_by_role("button", name="推荐上报").click()
    page.get_by_text("孙明：已推荐上报").wait_for()
    assert "已推荐（待基层公示）" in page.locator("body").inner_text()

    # It publishes the first notice (基层公示) for its nominee.
    page.goto(f"{base}/nominations/{campaign.pk}/")
    page.get_by_label("选择孙明").check()
    page.get_by_label("公示阶段").select_option(label="基层公示")
    page.get_by_role("button", name="发布公示").click()
    page.get_by_text("已发布公示").wait_for()
    unit.close()

    # A visitor objects on the public notice page, on a phone, anonymously.
    phone, phone_console = phone_context(browser)
    visitor = phone.new_page()
    visitor.goto(f"{base}/notices/")
    visitor.get_by_role("link", name=f"{campaign.name}基层公示").click()
    body = visitor.locator("body").inner_text()
    assert "孙明" in body and "班组长" in body and "电话 010-12345678" in body
    visitor.get_by_label("反映对象").select_option(label="孙明")
    visitor.get_by_label("匿名反映（不留姓名和联系方式）").check()
    visitor.get_by_label("反映的问题和事实").fill("反映其申报的技术成果主要完成人另有其人。")
    visitor.get_by_role("button", name="提交").click()
    visitor.get_by_text("已收到您的反映").wait_for()
    no_horizontal_scroll(visitor)
    visitor.screenshot(path=shots / "nominations_objection_phone.png", full_page=True)
    phone.close()

    # The district verifies the objection (not upheld) ...
    district, district_console = desktop_context(browser)
    page = login(district, base, users.cy.username, landing=f"{base}/")
    nomination_pk = in_thread(lambda: Nomination.objects.get(person__name="孙明").pk)
    page.goto(f"{base}/nominations/n/{nomination_pk}/")
    assert "匿名" in page.locator("body").inner_text()
    page.get_by_label("受理").select_option(label="受理，开始核查")
    page.get_by_role("button", name="确定").click()
    page.get_by_text("已处理").wait_for()
    page.get_by_label("核查情况").fill("调阅项目验收材料，成果为本人主持完成。")
    page.locator("select[name=finding]").select_option(label="反映问题不属实")
    page.get_by_role("button", name="办结").click()
    page.get_by_text("异议已办结").wait_for()
    page.screenshot(path=shots / "nominations_nominee.png", full_page=True)

    # ... and once the notice period is over, passes the first review.
    def notice_period_ends():
        Notice.objects.update(closes_at=timezone.now() - timedelta(minutes=1))

    in_thread(notice_period_ends)
    page.goto(f"{base}/nominations/{campaign.pk}/")
    page.get_by_label("选择孙明").check()
    page.get_by_label("办理").select_option(label="初审通过")
    page.get_by_label("意见").fill("同意推荐")
    page.get_by_role("button", name="办理").click()
    page.get_by_text("已办理“初审通过”：1 人").wait_for()
    page.screenshot(path=shots / "nominations_campaign.png", full_page=True)
    page.goto(f"{base}/nominations/n/{nomination_pk}/")
    timeline = page.locator("table.data").inner_text()
    assert "初审通过" in timeline and "异议（已办结）" in timeline
    district.close()
    assert in_thread(lambda: Nomination.objects.get(pk=nomination_pk).state) == "first_passed"
    assert not unit_console.errors + phone_console.errors + district_console.errors
