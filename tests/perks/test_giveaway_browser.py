"""A giveaway in a real browser, on a phone: a member logs in, opens the giveaway, presses
the button (the claim goes to the JSON API with the member pass, from a static script under
the strict CSP), sees the pickup code and its QR code; the venue's counter accepts the code
once, and the second scan says when and where it was used."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gonghui.people.models import Membership
from gonghui.perks.cards.services import card_issue
from gonghui.perks.giveaways.services import giveaway_create, giveaway_publish
from gonghui.perks.merchants.services import merchant_staff_add
from gonghui.perks.models import Claim
from tests.browser import desktop_context, in_thread, login, no_horizontal_scroll, phone_context
from tests.factories import PASSWORD, VALID_IDS, make_location, make_merchant, make_person

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(tree, users):
    """An open first-come giveaway of 玫瑰情园 tickets, a Chaoyang member with a card and an
    account, the park's gate account (made before the browser starts)."""
    person = make_person(tree.cy_grass, "赵郁", VALID_IDS[0])
    Membership.objects.create(person=person, org_unit=tree.cy_grass, joined_on=date(2020, 1, 1))
    person.user = get_user_model().objects.create_user(username="zhaoyu", password=PASSWORD)
    person.save(update_fields=["user"])
    card_issue(actor=users.cy_grass, person=person)
    today = timezone.localdate()
    park = make_merchant(
        users.cy,
        tree.chaoyang,
        "玫瑰情园",
        "持卡会员门票八折",
        category="shopping",
        valid_from=today - timedelta(days=30),
        valid_until=today + timedelta(days=365),
    )
    gate = make_location(users.cy, park, "南门售票处", "密云区巨各庄镇")
    merchant_staff_add(
        actor=users.cy, merchant=park, username="rose_gate", password=PASSWORD, location=gate
    )
    now = timezone.now()
    giveaway = giveaway_create(
        actor=users.cy,
        org_unit=tree.chaoyang,
        title="五一游园",
        item="玫瑰情园套票（一票三人）",
        mode="fcfs",
        stock=1000,
        opens_at=now - timedelta(minutes=2),
        closes_at=now + timedelta(hours=2),
        pickup_from=now - timedelta(minutes=1),
        pickup_until=now + timedelta(days=2),
        pickup_location=gate,
    )
    giveaway_publish(actor=users.cy, giveaway=giveaway)
    return giveaway


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_member_claims_on_a_phone_and_the_gate_accepts_once(
    live_server, enforced_csp, scene, browser, shots
):
    base = live_server.url
    member, member_console = phone_context(browser)
    page = login(member, base, "zhaoyu")
    assert page.url == f"{base}/me/"  # a member lands on their phone home
    page.get_by_role("link", name="普惠活动").click()  # …and finds the giveaways from it
    page.get_by_text("五一游园").click()
    page.get_by_role("button", name="立即领取").wait_for()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "perks_giveaway_member.png", full_page=True)
    page.get_by_role("button", name="立即领取").click()
    page.wait_for_url(f"{base}/m/claims/*/")
    code = page.locator(".pickup-code").get_attribute("data-code")
    assert (
        len(code) == 10
        and page.locator(".qr-box.pickup svg.qr-code").bounding_box()["width"] >= 200
    )
    assert "南门售票处" in page.locator("body").inner_text()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "perks_giveaway_code.png", full_page=True)
    claims = in_thread(lambda: list(Claim.objects.values_list("code", "status")))
    assert claims == [(code, "won")]
    # Pressing again (the page is stale: another tab) gets the same item, not a second one.
    page.goto(f"{base}/m/giveaways/{scene.pk}/")
    assert page.get_by_role("link", name="查看领取码").is_visible()
    member.close()

    gate, gate_console = phone_context(browser)
    desk = login(gate, base, "rose_gate")
    assert desk.url == f"{base}/counter/"
    desk.get_by_label("领取码").fill(code.lower())
    desk.get_by_role("button", name="核销").click()
    desk.get_by_text("核销成功").wait_for()
    assert "赵*" in desk.locator(".verdict").inner_text()
    desk.screenshot(path=shots / "perks_giveaway_gate.png", full_page=True)
    desk.get_by_label("领取码").fill(code)
    desk.get_by_role("button", name="核销").click()
    desk.get_by_text("未核销").wait_for()
    refusal = desk.locator(".verdict").inner_text()
    assert "已于" in refusal and "南门售票处" in refusal and "不能重复领取" in refusal
    no_horizontal_scroll(desk)
    desk.screenshot(path=shots / "perks_giveaway_gate_again.png", full_page=True)
    gate.close()

    assert in_thread(lambda: list(Claim.objects.values_list("status", flat=True))) == ["picked_up"]

    # The district's staff watch the counts update in place and read the report.
    office, office_console = desktop_context(browser)
    desk = login(office, base, "cy_staff")
    desk.goto(f"{base}/giveaways/{scene.pk}/")
    counts = desk.locator("#counts")
    assert "已核销领取" in counts.inner_text()
    stamp = counts.locator("p.muted").inner_text()
    desk.wait_for_function(  # htmx swaps the fragment in place every 3 s
        "old => document.querySelector('#counts p.muted').innerText !== old", arg=stamp
    )
    desk.screenshot(path=shots / "perks_giveaway_staff.png", full_page=True)
    desk.goto(f"{base}/giveaways/{scene.pk}/report/")
    desk.locator("div.chart canvas").wait_for()
    desk.wait_for_timeout(1200)  # the chart's drawing animation
    assert "朝阳区总工会" in desk.locator("body").inner_text()
    desk.screenshot(path=shots / "perks_giveaway_report.png", full_page=True)
    office.close()
    assert not member_console.errors + gate_console.errors + office_console.errors
