"""The report and the dashboard in a real browser (the site's CSP enforced): the charts draw
from the page's own scripts, the node table drills down to a district, the Excel link
downloads, and a phone shows the dashboard without sideways scrolling."""

import pytest

from tests.browser import desktop_context, login, no_horizontal_scroll, phone_context
from tests.funds.test_reports import scene  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_report_and_dashboard(live_server, enforced_csp, scene, browser, shots, tree):  # noqa: F811
    cert = scene["cert"]
    base = live_server.url
    context, console = desktop_context(browser)
    page = login(context, base, "admin_t")
    page.goto(f"{base}/funds/p/{cert.pk}/report/")
    page.locator("div.chart[data-option-id='chart-nodes'] canvas").first.wait_for()
    page.locator("div.chart[data-option-id='chart-months'] canvas").first.wait_for()
    assert "3名会员获得技能等级证书补贴0.38万元" in page.locator("p.sentence").inner_text()
    page.wait_for_timeout(1500)  # the charts' opening animation
    page.screenshot(path=shots / "funds_report_city.png", full_page=True)

    # A bar of the chart drills down as the table's link does.
    chart = page.locator("div.chart[data-option-id='chart-nodes']")
    position = page.evaluate(
        """(name) => {
          const chart = echarts.getInstanceByDom(
            document.querySelector("div.chart[data-option-id='chart-nodes']"));
          const names = chart.getOption().xAxis[0].data;
          const index = names.indexOf(name);
          return chart.convertToPixel({seriesIndex: 0}, [index, 1500]);
        }""",
        tree.chaoyang.name,
    )
    chart.click(position={"x": position[0] - 8, "y": position[1]})
    page.locator(".crumbs span", has_text=tree.chaoyang.name).wait_for()
    page.go_back()
    page.locator("#by-node").get_by_role("link", name=tree.chaoyang.name).click()
    page.locator(".crumbs span", has_text=tree.chaoyang.name).wait_for()
    assert tree.cy_street.name in page.locator("#by-node").inner_text()
    assert tree.haidian.name not in page.locator("#by-node").inner_text()
    page.get_by_label("只看有数据的单位").check()
    page.get_by_role("button", name="查看").click()
    page.locator(".crumbs span", has_text=tree.chaoyang.name).wait_for()
    assert page.get_by_label("只看有数据的单位").is_checked()
    page.wait_for_timeout(1500)
    page.screenshot(path=shots / "funds_report_chaoyang.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert console.errors == []
    context.close()

    phone, phone_console = phone_context(browser)
    page = login(phone, base, "hd_staff")
    page.goto(f"{base}/funds/dashboard/")
    page.get_by_text("技能等级证书补贴").first.wait_for()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "funds_dashboard_phone.png", full_page=True)
    assert tree.chaoyang.name not in page.content()
    assert phone_console.errors == []
    phone.close()
