"""The workbench in a real browser: a district's staff signs in at 1920x1080 and finds what
waits for it (the first notice's nominees to review, the list to report), follows the count
to the campaign's list filtered to those nominees; a member's phone home at 390px wide shows
their card, claims, enrolments and applications without sideways scrolling. Screenshots in
var/screenshots/workbench-*.png."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from gonghui.nominations import services
from gonghui.nominations.models import Notice
from tests.browser import Console, login, no_horizontal_scroll, phone_context
from tests.factories import make_member, make_user, open_campaign
from tests.funds.conftest import funds  # noqa: F401  (the funds fixture)
from tests.nominations.conftest import SHANGHAI, nominate
from tests.web.test_workbench import member_things

pytestmark = pytest.mark.browser
WALL = {"width": 1920, "height": 1080}


@pytest.fixture
def scene(tree, users, honours, settings, funds, tmp_path):  # noqa: F811
    # The clock runs on from a Monday of 2026 (the holiday calendar's last year); the session
    # cookie outlives the real date, which the browser compares it against.
    settings.SESSION_COOKIE_AGE = 10 * 365 * 24 * 3600
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(datetime(2026, 9, 21, 10, tzinfo=SHANGHAI), tick=True):
        campaign = open_campaign(
            users.admin,
            honours["capital-labour-medal"],
            2026,
            {tree.chaoyang: 9, tree.haidian: 9},
            nominate_from=date(2026, 9, 1),
            nominate_until=date(2026, 10, 30),
        )
        users.hd_grass = make_user("hd_grass", tree.hd_grass, "grassroots_staff")
        cy = [nominate(users, tree, campaign, n) for n in ("赵郁", "武润泽", "钱学")]
        nominate(users, tree, campaign, "孙立", unit=tree.hd_grass)
        services.notice_publish(
            actor=users.cy_grass, campaign=campaign, stage=Notice.Stage.FIRST, nominations=cy
        )
        member_things(
            make_member(tree.cy_grass, "周全", username="zhouquan"),
            tree,
            users,
            funds.certificate,
            1,
        )
        yield campaign


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_district_walks_its_workbench_and_a_member_their_phone_home(
    live_server, enforced_csp, users, scene, browser, shots
):
    base, name, username = live_server.url, scene.name, users.cy.username
    context = browser.new_context(viewport=WALL, locale="zh-CN")
    console = Console(context)
    page = login(context, base, username)
    waiting = page.locator("#waiting")
    assert waiting.get_by_role("link", name=f"{name}：待初审").is_visible()
    assert waiting.get_by_role("link", name=f"{name}：推荐名单待报送").is_visible()
    assert "孙立" not in page.locator("body").inner_text()
    assert page.get_by_role("link", name="登记人员").is_visible()
    page.screenshot(path=shots / "workbench-district.png", full_page=True)

    waiting.locator("tr", has_text="待初审").locator("a.stat-link").click()
    page.wait_for_url(lambda url: "state=first_notice" in url)
    rows = page.locator("body").inner_text()
    assert "赵郁" in rows and "钱学" in rows and "孙立" not in rows
    page.screenshot(path=shots / "workbench-district-list.png", full_page=True)
    assert console.errors == []
    context.close()

    context, console = phone_context(browser)
    page = login(context, base, "zhouquan", landing=f"{base}/me/")
    body = page.locator("body").inner_text()
    assert "您好，周全" in body and "五一游园1" in body and "000001" in body  # the pickup code
    assert "工匠讲堂1" in body and "技能等级证书补贴" in body
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "workbench-member-phone.png", full_page=True)
    assert console.errors == []
    context.close()
