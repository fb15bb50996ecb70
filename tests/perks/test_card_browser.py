"""The member service card in a real browser, on a phone: a member opens their card and sees
its QR code (refreshed in place by htmx under the strict CSP), browses the offers; the
merchant's counter account pastes the code's content, as its scanner would, and sees the
answer with the masked name — and the same code refused the second time."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model

from gonghui.common.workdays import today
from gonghui.people.models import Membership
from gonghui.perks import passes
from gonghui.perks.cards.services import card_issue
from gonghui.perks.merchants.services import merchant_staff_add
from gonghui.perks.models import CardUse
from tests.browser import in_thread, login, no_horizontal_scroll, phone_context
from tests.factories import (
    PASSWORD,
    VALID_IDS,
    make_location,
    make_merchant,
    make_offer,
    make_person,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(tree, users):
    """A Chaoyang member with a card and an account; a car wash with a counter account (made
    before the browser starts: the ORM refuses Playwright's loop)."""
    person = make_person(tree.cy_grass, "赵郁", VALID_IDS[0])
    Membership.objects.create(person=person, org_unit=tree.cy_grass, joined_on=date(2020, 1, 1))
    person.user = get_user_model().objects.create_user(username="zhaoyu", password=PASSWORD)
    person.save(update_fields=["user"])
    card = card_issue(actor=users.cy_grass, person=person)
    now = today()
    merchant = make_merchant(
        users.cy,
        tree.chaoyang,
        "洁亮洗车",
        "凭卡洗车8折，每月限2次",
        valid_from=now - timedelta(days=30),
        valid_until=now + timedelta(days=365),
        phone="010-65001234",
    )
    make_location(users.cy, merchant, "建国路店", "朝阳区建国路1号")
    make_offer(
        users.cy,
        merchant,
        "精洗套餐",
        "7折",
        now - timedelta(days=1),
        now + timedelta(days=60),
        terms="出示会员服务卡二维码，每人每月1次",
    )
    merchant_staff_add(actor=users.cy, merchant=merchant, username="shop1", password=PASSWORD)
    return card


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_member_shows_card_and_counter_verifies(live_server, enforced_csp, scene, browser, shots):
    card = scene
    base = live_server.url

    # The member opens their card on the phone: name, masked number, the QR code.
    member, member_console = phone_context(browser)
    page = login(member, base, "zhaoyu")
    page.goto(f"{base}/m/card/")
    page.locator("#card-qr svg.qr-code").wait_for()
    body = page.locator("body").inner_text()
    assert "赵郁" in body and card.number[-4:] in body and card.number not in body
    token = page.locator("#card-qr").get_attribute("data-token")
    assert passes.card_of(token) == card.pk
    box = page.locator("#card-qr svg.qr-code").bounding_box()
    assert box["width"] >= 200  # large enough for a counter's scanner
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "perks_card_member.png", full_page=True)

    # The code is replaced in place (htmx, no inline script under the CSP).
    page.wait_for_timeout(1100)  # signatures carry whole seconds
    page.get_by_role("button", name="立即刷新").click()
    page.wait_for_function(
        "old => document.querySelector('#card-qr').dataset.token !== old", arg=token
    )
    token = page.locator("#card-qr").get_attribute("data-token")
    assert passes.card_of(token) == card.pk

    # ... and browses the offers.
    page.goto(f"{base}/m/offers/")
    page.get_by_label("搜索商户或优惠").fill("精洗")
    page.get_by_role("button", name="搜索").click()
    page.get_by_text("精洗套餐").wait_for()
    assert "朝阳区建国路1号" in page.locator("body").inner_text()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "perks_card_offers.png", full_page=True)
    member.close()

    # The counter account scans (pastes) the code: valid, masked name, last four digits.
    counter, counter_console = phone_context(browser)
    desk = login(counter, base, "shop1")
    desk.goto(f"{base}/counter/")
    assert desk.evaluate("document.activeElement.name") == "token"  # ready for the scanner
    desk.keyboard.type(token)
    desk.keyboard.press("Enter")
    desk.get_by_text("有效，可享受会员优惠").wait_for()
    answer = desk.locator(".verdict").inner_text()
    assert "赵*" in answer and card.number[-4:] in answer
    assert "赵郁" not in desk.locator("body").inner_text()
    assert desk.evaluate("document.activeElement.name") == "token"  # ready for the next one
    no_horizontal_scroll(desk)
    desk.screenshot(path=shots / "perks_card_counter.png", full_page=True)

    # The same code again (a screenshot passed on) is refused.
    desk.get_by_label("会员服务卡二维码").fill(token)
    desk.get_by_role("button", name="核验", exact=True).click()
    desk.get_by_text("该二维码已使用，请会员刷新").wait_for()
    desk.screenshot(path=shots / "perks_card_counter_replay.png", full_page=True)

    # A counter account has no way to the cards.
    counter_console.expected.add(f"{base}/cards/")
    assert desk.goto(f"{base}/cards/").status == 404
    counter.close()

    assert in_thread(lambda: CardUse.objects.filter(card_id=card.pk).count()) == 1
    assert not member_console.errors + counter_console.errors
