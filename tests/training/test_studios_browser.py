"""District staff submit a studio's yearly report with a patent row in a real browser (the
site's CSP enforced): a row without a number refused beside the field, then submitted;
the district reviews, the city approves, the alliance shows it with its chart.
Screenshots under var/screenshots/studios_*.png."""

import pytest

from gonghui.training.models import StudioReport
from tests.browser import desktop_context, in_thread, login, no_horizontal_scroll
from tests.training.test_studios import make_studio

pytestmark = pytest.mark.browser


@pytest.fixture
def studio(tree, users, members, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_studio(tree.cy_grass, "王建国焊接创新工作室", leader=members.cy1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_district_staff_submit_a_report_district_and_city_approve(
    live_server, enforced_csp, studio, users, browser, shots
):
    base = live_server.url
    context, console = desktop_context(browser)
    page = login(context, base, "cy_street")
    page.goto(f"{base}/training/studios/{studio.pk}/")
    page.get_by_role("link", name="填报年度成果").click()
    page.get_by_label("年度").fill("2025")
    page.get_by_label("专利").fill("ZL202310123456.7 一种焊缝自动跟踪装置\n一种没有专利号的装置")
    page.get_by_label("创新成果采纳数（项）").fill("6")
    page.get_by_label("名师带徒人数").fill("3")
    page.get_by_label("培训人次").fill("80")
    page.get_by_label("创造经济效益（元）").fill("20000000")
    page.get_by_label("节约资金（元）").fill("2600000.50")
    page.get_by_role("button", name="提交").click()
    page.locator(".field.error").first.wait_for()
    assert "第 2 行专利缺少专利号" in page.locator(".field.error").first.inner_text()
    page.screenshot(path=shots / "studios_report_error.png", full_page=True)
    assert not in_thread(lambda: StudioReport.objects.exists())
    page.get_by_label("专利").fill(
        "ZL202310123456.7 一种焊缝自动跟踪装置\nCN116123456A 一种焊接机器人"
    )
    page.get_by_role("button", name="提交").click()
    page.get_by_text("等待区级审核").first.wait_for()
    page.screenshot(path=shots / "studios_report_submitted.png", full_page=True)
    report = in_thread(lambda: StudioReport.objects.get())
    assert report.patent_count == 2 and report.saved_fen == 260000050

    for username, done in (("cy_staff", "已报市级审核"), ("admin_t", "年度成果已审定")):
        staff, _ = desktop_context(browser)
        desk = login(staff, base, username)
        desk.goto(f"{base}/training/studios/reports/{report.pk}/")
        desk.get_by_label("通过").check()
        desk.get_by_role("button", name="提交审核意见").click()
        desk.get_by_text(done).wait_for()
        desk.screenshot(path=shots / f"studios_review_{username}.png", full_page=True)
        staff.close()
    assert in_thread(lambda: StudioReport.objects.get().status) == "approved"
    page.goto(f"{base}/training/studios/alliance/")
    page.locator("div.chart canvas").first.wait_for()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "studios_alliance.png", full_page=True)
    assert not console.errors, console.errors
    context.close()
