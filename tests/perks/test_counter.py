"""A merchant's counter (gonghui/perks/counter/): a member's card checked by its QR code —
masked, each code once, only by an active merchant's counter account — and a giveaway's
pickup code accepted at the counter's page; the service, the page and the API. (The pickup
rules themselves: test_giveaways.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from gonghui.common.errors import Conflict, DomainError, Forbidden, Throttled
from gonghui.perks import passes
from gonghui.perks.cards.services import card_issue, card_suspend
from gonghui.perks.counter.services import card_verify
from gonghui.perks.merchants.services import merchant_change
from gonghui.perks.models import CardUse, Claim, Giveaway
from tests.perks.conftest import BEIJING, NOON, login, post_json

# --- Checking a card ----------------------------------------------------------------------


def test_verify_answers_masked(shop, cards, people, users):
    token = passes.card_token(cards.zhao.pk)
    answer = card_verify(actor=shop.staff, token=token)
    assert answer == {
        "valid": True,
        "name": "赵*",
        "card": "*" * 12 + cards.zhao.number[-4:],
        "reason": "",
    }
    wu = card_issue(actor=users.cy_grass, person=people.wu)
    assert card_verify(actor=shop.staff, token=passes.card_token(wu.pk))["name"] == "欧***"


def test_a_code_is_accepted_once(shop, cards):
    token = passes.card_token(cards.zhao.pk)
    card_verify(actor=shop.staff, token=token)
    use = CardUse.objects.get()
    assert (use.card, use.merchant, use.staff) == (cards.zhao, shop.merchant, shop.staff)
    with pytest.raises(Conflict, match="该二维码已使用，请会员刷新"):
        card_verify(actor=shop.staff, token=token)
    assert CardUse.objects.count() == 1


def test_expired_and_forged_codes_are_refused(shop, cards, clock):
    token = passes.card_token(cards.zhao.pk)
    clock.shift(timedelta(seconds=61))
    with pytest.raises(DomainError, match="二维码无效或已过期，请会员刷新后再出示"):
        card_verify(actor=shop.staff, token=token)
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (forged, "GHC:1", "hello", "", "GHC:" + "9" * 300):
        with pytest.raises(DomainError, match="二维码无效"):
            card_verify(actor=shop.staff, token=bad)
    assert not CardUse.objects.exists()


def test_a_card_not_in_use_answers_invalid_without_a_use(shop, cards, users):
    card_suspend(actor=users.cy_grass, card=cards.zhao, reason="欠缴会费")
    answer = card_verify(actor=shop.staff, token=passes.card_token(cards.zhao.pk))
    assert answer["valid"] is False and "已暂停" in answer["reason"] and answer["name"] == "赵*"
    assert set(answer) == {"valid", "name", "card", "reason"}
    assert not CardUse.objects.exists()


def test_only_a_counter_account_may_verify(shop, cards, users):
    token = passes.card_token(cards.zhao.pk)
    for someone in (users.cy, users.admin, cards.zhao.person.user, users.nopost):
        with pytest.raises(Forbidden):
            card_verify(actor=someone, token=token)
    assert not CardUse.objects.exists()


def test_an_inactive_merchants_counter_may_not_verify(shop, cards, users):
    merchant_change(actor=users.cy, merchant=shop.merchant, is_active=False)
    with pytest.raises(Forbidden, match="不在合作期内"):
        card_verify(actor=shop.staff, token=passes.card_token(cards.zhao.pk))
    assert not CardUse.objects.exists()


def test_a_counter_outside_its_contract_may_not_verify(shop, cards, clock):
    clock.move_to(datetime(2026, 1, 1, 0, 5, tzinfo=BEIJING))
    with pytest.raises(Forbidden):
        card_verify(actor=shop.staff, token=passes.card_token(cards.zhao.pk))
    assert not CardUse.objects.exists()


def test_verify_is_rate_limited_per_account(shop, cards, monkeypatch):
    monkeypatch.setattr("gonghui.perks.counter.services.VERIFY_LIMIT", 2)
    for _ in range(2):
        with pytest.raises(DomainError):
            card_verify(actor=shop.staff, token="bad")
    with pytest.raises(Throttled) as limited:
        card_verify(actor=shop.staff, token=passes.card_token(cards.zhao.pk))
    assert limited.value.status == 429


# --- The counter's page -------------------------------------------------------------------


def test_the_counter_page_checks_a_card(client, shop, cards):
    login(client, "shop1")
    page = client.get("/counter/").content.decode()
    assert "洁亮洗车" in page and 'name="token"' in page and "autofocus" in page
    token = passes.card_token(cards.zhao.pk)
    ok = client.post("/counter/", {"token": token + "\n"}).content.decode()
    assert "有效，可享受会员优惠" in ok and "赵*" in ok and cards.zhao.number[-4:] in ok
    assert "赵郁" not in ok and cards.zhao.number not in ok and token not in ok
    again = client.post("/counter/", {"token": token}).content.decode()
    assert "该二维码已使用，请会员刷新" in again
    bad = client.post("/counter/", {"token": "GHC:whatever"}).content.decode()
    assert "二维码无效或已过期" in bad


def test_the_counter_page_refuses_a_malformed_pickup_code(client, shop):
    login(client, "shop1")
    code = client.post("/counter/pickup/", {"code": "ABC"}).content.decode()
    assert "未核销" in code and "领取码" in code


def test_only_counter_accounts_find_the_counter_page(client, shop, cards):
    token = passes.card_token(cards.zhao.pk)
    login(client, "shop1")
    client.post("/counter/", {"token": token})
    for username in ("cy_staff", "zhaoyu"):
        login(client, username)
        assert client.get("/counter/").status_code == 404
        assert client.post("/counter/", {"token": token}).status_code == 404
        assert client.post("/counter/pickup/", {"code": "ABCDEFGHJK"}).status_code == 404
    assert CardUse.objects.count() == 1


def test_the_counter_page_accepts_a_pickup_code(client, shop, cards, users, tree):
    giveaway = Giveaway.objects.create(
        title="端午游园",
        item="公园门票",
        org_unit=tree.chaoyang,
        mode="fcfs",
        status="published",
        stock=10,
        taken=1,
        opens_at=NOON - timedelta(days=3),
        closes_at=NOON - timedelta(days=2),
        pickup_from=NOON - timedelta(days=1),
        pickup_until=NOON + timedelta(days=1),
        pickup_location=shop.location,
        created_by=users.cy,
    )
    Claim.objects.create(
        giveaway=giveaway,
        person=cards.zhao.person,
        card=cards.zhao,
        status="won",
        code="ABCDEFGH23",
        idem_key="k" * 16,
        request_hash="h" * 64,
        created_at=NOON - timedelta(days=2),
    )
    login(client, "shop1")
    done = client.post("/counter/pickup/", {"code": "abcdefgh23"}).content.decode()
    assert "核销成功" in done and "公园门票" in done and "赵*" in done
    again = client.post("/counter/pickup/", {"code": "ABCDEFGH23"}).content.decode()
    assert "不能重复领取" in again


# --- The API ------------------------------------------------------------------------------


def test_only_counter_accounts_verify_by_api(client, shop, cards):
    login(client, "cy_staff")
    refused = post_json(
        client, "/api/v1/counter/verify", {"token": passes.card_token(cards.zhao.pk)}
    )
    assert refused.status_code == 403


def test_the_counter_api_accepts_a_code_once(client, shop, cards, clock):
    token = passes.card_token(cards.zhao.pk)
    login(client, "shop1")
    answer = post_json(client, "/api/v1/counter/verify", {"token": token})
    assert answer.status_code == 200
    assert answer.json() == {
        "valid": True,
        "name": "赵*",
        "card": "*" * 12 + cards.zhao.number[-4:],
        "reason": "",
    }
    replay = post_json(client, "/api/v1/counter/verify", {"token": token})
    assert replay.status_code == 409 and replay.json()["message"] == "该二维码已使用，请会员刷新"
    clock.shift(timedelta(seconds=61))
    expired = post_json(
        client, "/api/v1/counter/verify", {"token": passes.card_token(cards.zhao.pk)}
    )
    assert expired.status_code == 200  # a fresh code, made now, is fine
    stale = post_json(client, "/api/v1/counter/verify", {"token": token})
    assert stale.status_code == 400 and "已过期" in stale.json()["message"]
