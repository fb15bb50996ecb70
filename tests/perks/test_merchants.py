"""Partner merchants (gonghui/perks/merchants/): signing one, its shops, offers and counter
accounts, the lists in scope, the offers members browse — services, pages and API, every
rule with a case that passes and a case that is refused."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from django.contrib.auth import get_user_model

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.orgs.models import Post
from gonghui.perks.merchants.selectors import merchant_list, offers_for_members
from gonghui.perks.merchants.services import (
    location_add,
    merchant_change,
    merchant_create,
    merchant_staff_add,
    offer_save,
)
from gonghui.perks.models import Merchant, MerchantStaff
from tests.factories import PASSWORD, make_merchant
from tests.perks.conftest import BEIJING, actions, login

# --- Services -----------------------------------------------------------------------------

FIELDS = {
    "name": "康乐理发",
    "category": "beauty",
    "discount": "理发9折",
    "valid_from": date(2025, 1, 1),
    "valid_until": date(2025, 12, 31),
}


def test_merchants_need_perks_manage_at_the_signing_union(clock, tree, users):
    with pytest.raises(Forbidden):  # sees its own union, may not sign merchants there
        merchant_create(actor=users.cy_grass, org_unit=tree.cy_grass, **FIELDS)
    with pytest.raises(NotFound):
        merchant_create(actor=users.cy_grass, org_unit=tree.chaoyang, **FIELDS)
    with pytest.raises(NotFound):
        merchant_create(actor=users.hd, org_unit=tree.chaoyang, **FIELDS)
    assert not Merchant.objects.exists()


def test_a_contract_cannot_end_before_it_starts(clock, tree, users):
    with pytest.raises(ValidationFailed) as bad:
        merchant_create(
            actor=users.cy, org_unit=tree.chaoyang, **{**FIELDS, "valid_until": date(2024, 12, 31)}
        )
    assert "valid_until" in bad.value.fields
    assert not Merchant.objects.exists()
    merchant = merchant_create(actor=users.cy, org_unit=tree.chaoyang, **FIELDS)
    with pytest.raises(ValidationFailed):
        merchant_change(actor=users.cy, merchant=merchant, valid_from=date(2026, 1, 1))


def test_a_merchant_is_signed_and_changed_with_its_event(clock, tree, users):
    merchant = merchant_create(actor=users.cy, org_unit=tree.chaoyang, **FIELDS)
    assert merchant.plan == Merchant.Plan.CARD
    merchant_change(actor=users.cy, merchant=merchant, discount="理发8折", plan="partner")
    merchant.refresh_from_db()
    assert (merchant.discount, merchant.plan) == ("理发8折", "partner")
    with pytest.raises(NotFound):
        merchant_change(actor=users.hd, merchant=merchant, discount="免费")
    event = AuditEvent.objects.filter(action="perks.merchant_change").get()
    assert json.loads(event.body)["changes"]["discount"] == ["理发9折", "理发8折"]


def test_a_shop_is_in_a_district_of_the_merchants_scope(shop, users, tree):
    with pytest.raises(ValidationFailed) as bad:
        location_add(
            actor=users.cy,
            merchant=shop.merchant,
            name="门店",
            address="地址",
            district=tree.cy_street,
        )
    assert "district" in bad.value.fields
    with pytest.raises(NotFound):
        location_add(
            actor=users.hd,
            merchant=shop.merchant,
            name="门店",
            address="地址",
            district=tree.haidian,
        )


def test_offers_are_changed_and_checked(shop, users):
    merchant = shop.merchant
    offer = merchant.offers.get(title="精洗套餐")
    offer_save(
        actor=users.cy,
        merchant=merchant,
        offer=offer,
        title="精洗套餐",
        discount="6折",
        valid_from=offer.valid_from,
        valid_until=offer.valid_until,
    )
    offer.refresh_from_db()
    assert offer.discount == "6折" and merchant.offers.count() == 2
    with pytest.raises(ValidationFailed) as bad:
        offer_save(
            actor=users.cy,
            merchant=merchant,
            title="",
            discount="",
            valid_from=date(2025, 7, 2),
            valid_until=date(2025, 7, 1),
        )
    assert set(bad.value.fields) == {"title", "discount", "valid_until"}


def test_counter_accounts(shop, users):
    merchant = shop.merchant
    with pytest.raises(ValidationFailed) as weak:
        merchant_staff_add(actor=users.cy, merchant=merchant, username="shop2", password="12345678")
    assert "password" in weak.value.fields
    with pytest.raises(ValidationFailed) as taken:
        merchant_staff_add(actor=users.cy, merchant=merchant, username="SHOP1", password=PASSWORD)
    assert "已被使用" in taken.value.fields["username"]
    with pytest.raises(NotFound):
        merchant_staff_add(
            actor=users.cy_grass, merchant=merchant, username="shop3", password=PASSWORD
        )
    assert not get_user_model().objects.filter(username__in=["shop2", "shop3"]).exists()
    counter = merchant_staff_add(
        actor=users.cy,
        merchant=merchant,
        username="shop2",
        password=PASSWORD,
        location=shop.location,
    )
    assert counter.location == shop.location
    assert not Post.objects.filter(user=counter.user).exists()  # no union post, no scope
    assert {"perks.location_add", "perks.offer_save", "perks.merchant_staff_add"} <= set(actions())
    assert "password" not in " ".join(AuditEvent.objects.values_list("body", flat=True)).lower()


@pytest.fixture
def more_merchants(tree, users):
    """A city cinema of the partner plan whose contract ends today, and a closed restaurant."""
    make_merchant(
        users.admin,
        tree.city,
        "市民影城",
        "观影5折",
        category="cinema",
        plan="partner",
        valid_until=date(2025, 6, 16),
    )
    make_merchant(users.admin, tree.city, "停业餐厅", "9折", category="food", is_active=False)


def test_members_see_the_current_offers_of_active_merchants(shop, tree, more_merchants):
    listed = list(offers_for_members())
    assert [m.name for m in listed] == ["洁亮洗车", "市民影城"]
    car = listed[0]
    assert [o.title for o in car.current_offers] == ["精洗套餐"]  # 春季打蜡 has ended
    assert [m.name for m in offers_for_members(category="cinema")] == ["市民影城"]
    assert [m.name for m in offers_for_members(district=tree.chaoyang)] == ["洁亮洗车"]
    assert not offers_for_members(district=tree.haidian).exists()
    assert [m.name for m in offers_for_members(q="精洗")] == ["洁亮洗车"]
    assert [m.name for m in offers_for_members(q="影城")] == ["市民影城"]
    assert not offers_for_members(q="打蜡").exists()  # an ended offer finds nothing


def test_a_contracts_last_day_ends_at_midnight_in_beijing(shop, more_merchants, clock):
    # The cinema's last day ends at midnight Beijing time, 16:00 UTC.
    clock.move_to(datetime(2025, 6, 16, 23, 59, tzinfo=BEIJING))
    assert "市民影城" in [m.name for m in offers_for_members()]
    clock.move_to(datetime(2025, 6, 17, 0, 1, tzinfo=BEIJING))
    assert "市民影城" not in [m.name for m in offers_for_members()]


def test_merchant_list_is_scoped(shop, users):
    assert [m.name for m in merchant_list(actor=users.cy_grass)] == []
    assert [m.name for m in merchant_list(actor=users.cy)] == ["洁亮洗车"]
    assert not merchant_list(actor=users.hd).exists()


def test_merchant_list_is_filtered(shop, users, tree):
    assert merchant_list(actor=users.admin, category="car").get().location_count == 1
    assert not merchant_list(actor=users.admin, category="food").exists()
    assert not merchant_list(actor=users.admin, plan="partner").exists()
    assert merchant_list(actor=users.admin, district=tree.chaoyang).exists()
    assert not merchant_list(actor=users.admin, district=tree.haidian).exists()


# --- Staff pages --------------------------------------------------------------------------


def test_grassroots_staff_see_the_merchants_list_but_sign_none(client, shop):
    login(client, "cy_grass")  # may view merchants (its scope has none), not sign them
    listed = client.get("/merchants/").content.decode()
    assert "签约商户" not in listed and "洁亮洗车" not in listed
    assert client.get("/merchants/new/").status_code == 404
    assert client.post("/merchants/new/", {"name": "x"}).status_code == 404


def test_the_merchants_list_page_filters(client, shop, tree):
    login(client, "cy_staff")
    listed = client.get(f"/merchants/?category=car&district={tree.chaoyang.pk}&sort=-until")
    assert "洁亮洗车" in listed.content.decode()
    assert "洁亮洗车" not in client.get("/merchants/?plan=partner").content.decode()


def signing_form(tree) -> dict:
    return {
        "org_unit": tree.chaoyang.pk,
        "name": "康乐理发",
        "category": "beauty",
        "plan": "partner",
        "discount": "理发9折",
        "valid_from": "2025-07-01",
        "valid_until": "2026-06-30",
        "is_active": "on",
    }


def signed_on_the_page(client, tree) -> Merchant:
    """康乐理发, signed by Chaoyang's district staff (logged in) through the page."""
    client.post("/merchants/new/", signing_form(tree))
    return Merchant.objects.get(name="康乐理发")


def test_sign_a_merchant_through_the_page(client, shop, tree):
    login(client, "cy_staff")
    form = signing_form(tree)
    bad = client.post("/merchants/new/", {**form, "valid_until": "2025-06-01"})
    assert bad.status_code == 200 and "合作截止日期不能早于开始日期" in bad.content.decode()
    assert bad.context["form"].errors["valid_until"] == ["合作截止日期不能早于开始日期"]
    assert not Merchant.objects.filter(name="康乐理发").exists()
    done = client.post("/merchants/new/", form)
    merchant = Merchant.objects.get(name="康乐理发")
    assert done.url == f"/merchants/{merchant.pk}/" and merchant.plan == "partner"


OFFER = {
    "title": "剪发",
    "discount": "8折",
    "valid_from": "2025-07-01",
    "valid_until": "2025-12-31",
}


def test_a_merchants_shops_offers_and_counter_accounts_through_the_page(client, shop, tree):
    login(client, "cy_staff")
    base = f"/merchants/{signed_on_the_page(client, tree).pk}/"
    client.post(
        f"{base}locations/new/",
        {"name": "总店", "address": "朝阳路2号", "district": tree.chaoyang.pk},
    )
    bad_offer = client.post(
        f"{base}offers/new/", {**OFFER, "valid_from": "2025-07-02", "valid_until": "2025-07-01"}
    )
    assert (
        bad_offer.status_code == 422
        and "优惠截止日期不能早于开始日期" in bad_offer.content.decode()
    )
    client.post(f"{base}offers/new/", OFFER)
    offer = Merchant.objects.get(name="康乐理发").offers.get()
    edited = client.post(f"{base}offers/{offer.pk}/edit/", {**OFFER, "discount": "7折"})
    assert edited.status_code == 302
    weak = client.post(f"{base}staff/new/", {"username": "barber1", "password": "123"})
    assert weak.status_code == 422 and "barber1" not in MerchantStaff.objects.values_list(
        "user__username", flat=True
    )
    client.post(f"{base}staff/new/", {"username": "barber1", "password": PASSWORD})
    page = client.get(base).content.decode()
    assert "总店" in page and "7折" in page and "barber1" in page


def test_edit_a_merchant_through_the_page(client, shop, tree):
    login(client, "cy_staff")
    merchant = signed_on_the_page(client, tree)
    edit = client.post(
        f"/merchants/{merchant.pk}/edit/", {**signing_form(tree), "discount": "理发85折"}
    )
    assert edit.status_code == 302
    merchant.refresh_from_db()
    assert merchant.discount == "理发85折"


def test_other_unions_staff_find_no_merchant_page(client, shop, tree):
    login(client, "cy_staff")
    merchant = signed_on_the_page(client, tree)
    base = f"/merchants/{merchant.pk}/"
    client.post(f"{base}offers/new/", OFFER)
    offer = merchant.offers.get()
    login(client, "hd_staff")
    assert client.get(base).status_code == 404
    assert client.post(f"{base}offers/new/", {"title": "x"}).status_code == 404
    assert client.get(f"{base}offers/{offer.pk}/edit/").status_code == 404
    login(client, "cy_street")  # sees the district's merchant? no: signed above its scope
    assert client.get(base).status_code == 404


def test_the_member_offers_page(client, shop, people, tree):
    login(client, "zhaoyu")
    page = client.get("/m/offers/").content.decode()
    assert "洁亮洗车" in page and "精洗套餐" in page and "春季打蜡" not in page
    assert "朝阳区建国路1号" in page
    assert "洁亮洗车" not in client.get(f"/m/offers/?district={tree.haidian.pk}").content.decode()
    assert "洁亮洗车" in client.get("/m/offers/?q=精洗&category=car").content.decode()
    assert "没有符合条件" in client.get("/m/offers/?category=food").content.decode()


# --- The API ------------------------------------------------------------------------------


def test_the_merchants_api_lists_the_merchants_in_scope(client, shop, tree):
    login(client, "cy_staff")
    listed = client.get(f"/api/v1/merchants?category=car&district={tree.chaoyang.pk}").json()
    assert [m["name"] for m in listed["items"]] == ["洁亮洗车"]
    assert listed["items"][0]["location_count"] == 1
    assert client.get("/api/v1/merchants?category=nosuch").status_code == 422
    login(client, "hd_staff")
    assert client.get("/api/v1/merchants").json()["count"] == 0


def test_members_browse_the_offers_by_api(client, shop, people, tree):
    login(client, "zhaoyu")
    offers = client.get("/api/v1/merchants/offers?q=精洗").json()
    item = offers["items"][0]
    assert item["name"] == "洁亮洗车" and [o["title"] for o in item["offers"]] == ["精洗套餐"]
    assert item["locations"] == [
        {"name": "朝阳门店", "address": "朝阳区建国路1号", "district": tree.chaoyang.name}
    ]
    assert client.get(f"/api/v1/merchants/offers?district={tree.haidian.pk}").json()["count"] == 0
    client.logout()
    assert client.get("/api/v1/merchants/offers").status_code == 401
