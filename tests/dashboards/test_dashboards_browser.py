"""A programme dashboard and the wall screen in a real browser (the site's CSP enforced):
the charts draw from the pages' own scripts, a bar drills down to its district, a chart's
Excel downloads; the wall screen at 1920x1080, opened by its display token alone, fits
the screen and redraws from its data address."""

import pytest

from gonghui.dashboards.refresh import refresh
from gonghui.dashboards.services import display_token_create
from tests.browser import Console, desktop_context, in_thread, login, no_horizontal_scroll

pytestmark = pytest.mark.browser
WALL = {"width": 1920, "height": 1080}


def bar_position(page, chart_id: str, name: str):
    return page.evaluate(
        """([id, name]) => {
          const chart = echarts.getInstanceByDom(
            document.querySelector(`div.chart[data-option-id='${id}']`));
          const names = chart.getOption().xAxis[0].data;
          return chart.convertToPixel({seriesIndex: 0}, [names.indexOf(name), 0]);
        }""",
        [chart_id, name],
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_programme_dashboard_and_wall_screen(
    live_server, enforced_csp, honoured, browser, shots, tree, users, settings
):
    in_thread(refresh)
    base = live_server.url
    context, console = desktop_context(browser)
    page = login(context, base, "admin_t")
    page.goto(f"{base}/dashboards/")
    page.locator("div.chart[data-option-id='leader_awards_child'] canvas").first.wait_for()
    assert "7 人次" in page.locator(".dash-tiles").inner_text()
    page.wait_for_timeout(1200)  # the charts' opening animation
    page.screenshot(path=shots / "dashboards_leader.png", full_page=True)

    page.get_by_role("link", name="劳模工匠档案").last.click()
    chart = page.locator("div.chart[data-option-id='awards_child']")
    chart.locator("canvas").first.wait_for()
    page.wait_for_timeout(1200)
    page.screenshot(path=shots / "dashboards_registry_city.png", full_page=True)
    x, y = bar_position(page, "awards_child", tree.chaoyang.name)
    chart.click(position={"x": x - 25, "y": y - 8})  # inside the first series' bar
    page.locator(".dash-trail span", has_text=tree.chaoyang.name).wait_for()
    assert "node=" in page.url
    names = page.evaluate(
        "echarts.getInstanceByDom(document.querySelector(\"div.chart[data-option-id='awards_child']\")).getOption().xAxis[0].data"
    )
    assert names == [tree.cy_street.name, "本级"]
    page.wait_for_timeout(1200)
    page.screenshot(path=shots / "dashboards_registry_chaoyang.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 Excel").first.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert console.errors == []
    context.close()

    _, raw = in_thread(
        lambda: display_token_create(actor=users.admin, name="大厅大屏", org_unit=tree.city)
    )
    settings.DASHBOARDS_WALL_REFRESH_SECONDS = 2
    wall = browser.new_context(viewport=WALL, locale="zh-CN")
    wall.set_default_timeout(15_000)
    wall_console = Console(wall)
    screen = wall.new_page()
    screen.goto(f"{base}/screen/{raw}/")
    for chart_id in ("leader_awards_year", "leader_awards_child", "leader_funds_child"):
        screen.locator(f"div.chart[data-option-id='{chart_id}'] canvas").first.wait_for()
    assert "北京市总工会 · 劳模工匠数据大屏" in screen.locator("h1").inner_text()
    assert "赵郁" in screen.locator(".people").inner_text()
    no_horizontal_scroll(screen)
    height = screen.evaluate("document.documentElement.scrollHeight")
    assert height <= WALL["height"], f"the wall screen scrolls: {height}px"
    # The screen fetches its figures again from its own data address.
    with screen.expect_response(lambda r: r.url.endswith(f"/screen/{raw}/data")) as answer:
        pass
    assert answer.value.status == 200
    screen.wait_for_timeout(1200)
    screen.screenshot(path=shots / "dashboards_wall_1920.png")
    assert wall_console.errors == []
    wall.close()
