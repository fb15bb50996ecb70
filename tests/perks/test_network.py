"""The card network (gonghui/perks/network*.py): member service cards, merchants and offers,
the counter — services and selectors against the database, the pages and the API through
the test client; every rule with a case that passes and a case that is refused."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.contrib.auth import get_user_model
from stdnum import luhn

from gonghui.audit.models import AuditEvent
from gonghui.common import pii
from gonghui.common.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    Throttled,
    ValidationFailed,
)
from gonghui.common.imports import ImportRejected, error_report
from gonghui.common.pii import id_check_digit
from gonghui.orgs.models import Post, Role
from gonghui.people.models import Membership
from gonghui.perks import passes
from gonghui.perks.cards.imports import NOT_FOUND_ROW, cards_import, cards_template
from gonghui.perks.cards.selectors import card_candidates, card_history, card_list, mask_number
from gonghui.perks.cards.services import (
    card_cancel,
    card_issue,
    card_person,
    card_reissue,
    card_resume,
    card_suspend,
)
from gonghui.perks.counter.services import card_verify
from gonghui.perks.merchants.selectors import merchant_list, offers_for_members
from gonghui.perks.merchants.services import (
    location_add,
    merchant_change,
    merchant_create,
    merchant_staff_add,
    offer_save,
)
from gonghui.perks.models import Card, CardUse, Merchant, MerchantStaff
from tests.factories import PASSWORD, VALID_IDS, make_person, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2025, 6, 16, 12, 0, tzinfo=SHANGHAI)


def an_id(n: int, birth: str = "19850315") -> str:
    """A valid resident ID (Chaoyang region code), distinct for each ``n``."""
    body = f"110105{birth}{n:03d}"
    return body + id_check_digit(body)


# --- The API's mount points -------------------------------------------------------------------


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def member(unit, name, id_number, *, username=None, joined=True):
    person = make_person(unit, name, id_number)
    if joined:
        Membership.objects.create(person=person, org_unit=unit, joined_on=date(2020, 1, 1))
    if username:
        person.user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        person.save(update_fields=["user"])
    return person


@pytest.fixture
def people(tree):
    """Members of a Chaoyang and a Haidian grassroots union, and one who never joined."""
    return type(
        "People",
        (),
        {
            "zhao": member(tree.cy_grass, "赵郁", VALID_IDS[0], username="zhaoyu"),
            "wu": member(tree.cy_grass, "欧阳润泽", VALID_IDS[1]),
            "qian": member(tree.hd_grass, "钱学", VALID_IDS[2], username="qianxue"),
            "sun": member(tree.cy_grass, "孙明", VALID_IDS[3], joined=False),
        },
    )


@pytest.fixture
def shop(clock, tree, users):
    """A car wash signed by Chaoyang: a shop in Chaoyang, a current and an expired offer, and
    a counter account ``shop1``."""
    merchant = merchant_create(
        actor=users.cy,
        org_unit=tree.chaoyang,
        name="洁亮洗车",
        category="car",
        discount="凭卡洗车8折",
        valid_from=date(2025, 1, 1),
        valid_until=date(2025, 12, 31),
    )
    location = location_add(
        actor=users.cy,
        merchant=merchant,
        name="朝阳门店",
        address="朝阳区建国路1号",
        district=tree.chaoyang,
    )
    offer_save(
        actor=users.cy,
        merchant=merchant,
        title="精洗套餐",
        discount="7折",
        valid_from=date(2025, 6, 1),
        valid_until=date(2025, 6, 30),
    )
    offer_save(
        actor=users.cy,
        merchant=merchant,
        title="春季打蜡",
        discount="半价",
        valid_from=date(2025, 3, 1),
        valid_until=date(2025, 3, 31),
    )
    staff = merchant_staff_add(
        actor=users.cy, merchant=merchant, username="shop1", password=PASSWORD
    )
    return type("Shop", (), {"merchant": merchant, "location": location, "staff": staff.user})


@pytest.fixture
def cards(people, users):
    return type(
        "Cards",
        (),
        {
            "zhao": card_issue(actor=users.cy_grass, person=people.zhao),
            "qian": card_issue(actor=users.hd, person=people.qian),
        },
    )


def actions() -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith="perks.")
        .order_by("id")  # as appended: PostgreSQL returns an unordered scan in any order
        .values_list("action", flat=True)
    )


# --- Cards: services --------------------------------------------------------------------------


def test_issue_gives_a_luhn_number_in_the_members_union(people, users, tree):
    card = card_issue(actor=users.cy_grass, person=people.zhao)
    assert len(card.number) == 16 and card.number.startswith("8610") and card.number.isdigit()
    assert luhn.is_valid(card.number)
    assert card.org_unit == tree.cy_grass and card.status == Card.Status.ACTIVE
    event = AuditEvent.objects.get(action="perks.card_issue")
    assert event.object_id == str(card.pk) and event.org_unit_id == tree.cy_grass.pk
    with pytest.raises(Conflict) as refused:
        card_issue(actor=users.cy, person=people.zhao)
    assert card.number in refused.value.message
    assert Card.objects.count() == 1


def test_issue_needs_an_active_membership_and_the_right_in_its_union(people, users):
    with pytest.raises(Conflict, match="没有在会会籍"):
        card_issue(actor=users.cy_grass, person=people.sun)
    with pytest.raises(NotFound):  # Haidian may not even learn that Chaoyang's member exists
        card_issue(actor=users.hd, person=people.zhao)
    with pytest.raises(NotFound):
        card_issue(actor=users.cy_grass, person=people.qian)
    with pytest.raises(NotFound):
        card_issue(actor=users.auditor, person=people.zhao)
    assert not Card.objects.exists() and not actions()


def test_a_number_drawn_twice_is_drawn_again(people, users, monkeypatch):
    first = card_issue(actor=users.cy_grass, person=people.zhao)
    fresh = "8610000000000018"
    drawn = iter([first.number, fresh])
    monkeypatch.setattr("gonghui.perks.cards.services._new_number", lambda: next(drawn))
    second = card_issue(actor=users.cy_grass, person=people.wu)
    assert second.number == fresh


def test_status_moves_need_reasons_and_the_right_state(cards, users):
    card = cards.zhao
    with pytest.raises(ValidationFailed) as missing:
        card_suspend(actor=users.cy_grass, card=card, reason="  ")
    assert "reason" in missing.value.fields
    card.refresh_from_db()
    assert card.status == Card.Status.ACTIVE
    card_suspend(actor=users.cy_grass, card=card, reason="会员本人申请")
    assert card.status == Card.Status.SUSPENDED and card.status_reason == "会员本人申请"
    with pytest.raises(Conflict, match="已是“已暂停”"):
        card_suspend(actor=users.cy_grass, card=card, reason="再次")
    card_resume(actor=users.cy_grass, card=card)
    assert card.status == Card.Status.ACTIVE
    with pytest.raises(Conflict, match="已是“正常”状态"):
        card_resume(actor=users.cy_grass, card=card)
    with pytest.raises(ValidationFailed):
        card_cancel(actor=users.cy_grass, card=card, reason="")
    card_cancel(actor=users.cy_grass, card=card, reason="离会")
    with pytest.raises(Conflict, match="当前为“已注销”，不能暂停"):
        card_suspend(actor=users.cy_grass, card=card, reason="x")
    assert actions()[-3:] == ["perks.card_suspend", "perks.card_resume", "perks.card_cancel"]


def test_other_districts_cannot_touch_the_card(cards, users):
    for service in (card_suspend, card_cancel, card_reissue):
        with pytest.raises(NotFound):
            service(actor=users.hd, card=cards.zhao, reason="越权")
    with pytest.raises(NotFound):
        card_suspend(actor=users.nopost, card=cards.zhao, reason="越权")
    cards.zhao.refresh_from_db()
    assert cards.zhao.status == Card.Status.ACTIVE
    card_suspend(actor=users.cy, card=cards.zhao, reason="区总代办")  # above: allowed


def test_reissue_keeps_the_history(cards, users, people):
    old = cards.zhao
    new = card_reissue(actor=users.cy_grass, card=old, reason="手机丢失")
    old.refresh_from_db()
    assert old.status == Card.Status.LOST and old.replaced_by == new
    assert (
        new.number != old.number and new.status == Card.Status.ACTIVE and luhn.is_valid(new.number)
    )
    assert new.person == people.zhao
    with pytest.raises(Conflict, match=f"补发新卡 {new.number}"):
        card_reissue(actor=users.cy_grass, card=old, reason="again")
    with pytest.raises(Conflict):
        card_issue(actor=users.cy_grass, person=people.zhao)
    assert list(card_history(actor=users.cy_grass, card=new)) == [new, old]
    assert "perks.card_reissue" in actions()


def test_a_suspended_cards_replacement_stays_suspended(cards, users):
    card_suspend(actor=users.cy_grass, card=cards.zhao, reason="欠缴会费")
    new = card_reissue(actor=users.cy_grass, card=cards.zhao, reason="遗失")
    assert new.status == Card.Status.SUSPENDED and "欠缴会费" in new.status_reason


def test_reissue_without_membership_is_refused(cards, users):
    Membership.objects.filter(person=cards.zhao.person).update(status="left")
    with pytest.raises(Conflict, match="请办理注销"):
        card_reissue(actor=users.cy_grass, card=cards.zhao, reason="遗失")
    cards.zhao.refresh_from_db()
    assert cards.zhao.status == Card.Status.ACTIVE and Card.objects.count() == 2


def test_a_reissue_elsewhere_names_the_union_only_to_who_may_see_it(cards, users, tree):
    Membership.objects.filter(person=cards.zhao.person).update(org_unit=tree.hd_grass)
    with pytest.raises(Forbidden) as refused:  # Chaoyang's grassroots staff: not Haidian's
        card_reissue(actor=users.cy_grass, card=cards.zhao, reason="遗失")
    assert "会籍现在其他工会，不在您的办卡范围内" in refused.value.message
    assert "海淀" not in refused.value.message
    both = make_user("cy_and_hd", tree.cy_grass, "grassroots_staff")
    Post.objects.create(user=both, org_unit=tree.haidian, role=Role.objects.get(code="dept_staff"))
    with pytest.raises(Forbidden, match="会籍现在“海淀某公司工会”，不在您的办卡范围内"):
        card_reissue(actor=both, card=cards.zhao, reason="遗失")
    cards.zhao.refresh_from_db()
    assert cards.zhao.status == Card.Status.ACTIVE


def test_card_list_is_scoped_filtered_and_searched(cards, users, people):
    assert list(card_list(actor=users.cy_grass)) == [cards.zhao]
    assert list(card_list(actor=users.hd)) == [cards.qian]
    assert set(card_list(actor=users.admin)) == {cards.zhao, cards.qian}
    assert not card_list(actor=users.auditor).exists()
    assert list(card_list(actor=users.admin, q=cards.zhao.number[-6:])) == [cards.zhao]
    assert list(card_list(actor=users.admin, q="钱")) == [cards.qian]
    # The holder is found as every people search finds a person (pinyin, initials).
    assert list(card_list(actor=users.admin, q="qx")) == [cards.qian]
    assert list(card_list(actor=users.admin, q="zhaoyu")) == [cards.zhao]
    card_suspend(actor=users.hd, card=cards.qian, reason="x")
    assert list(card_list(actor=users.admin, status="suspended")) == [cards.qian]
    # Only members without a live card are offered for issuing, in the actor's scope.
    assert list(card_candidates(actor=users.cy_grass)) == [people.wu]
    assert list(card_candidates(actor=users.cy_grass, q="oyrz")) == [people.wu]
    assert not card_candidates(actor=users.cy_grass, q="zhaoyu").exists()  # has a card
    assert not card_candidates(actor=users.hd).exists()


def test_card_person_finds_by_id_in_scope_only(people, users):
    found = card_person(actor=users.cy, id_number=" １１０１０５１９４９１２３１００２ｘ ")
    assert found == people.zhao
    with pytest.raises(NotFound):
        card_person(actor=users.hd, id_number=VALID_IDS[0])
    with pytest.raises(NotFound):
        card_person(actor=users.cy, id_number=an_id(999))
    with pytest.raises(ValidationFailed):
        card_person(actor=users.cy, id_number="12345")
    # Finding by full number is the platform's one look-up: a post that may not see full
    # numbers cannot confirm a guess through it (docs/privacy.md); it picks the member.
    with pytest.raises(Forbidden):
        card_person(actor=users.cy_grass, id_number=VALID_IDS[0])


# --- Cards: the bulk import -------------------------------------------------------------------


def workbook(rows, header=("姓名", "身份证号")) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_issues_once_and_reimport_issues_nothing_twice(people, users, tree):
    data = workbook(
        [("赵郁", "１１０１０５ １９４９１２３１ ００２ｘ"), ("欧阳润泽", VALID_IDS[1])]
    )
    result = cards_import(actor=users.cy_grass, data=data, filename="名单.xlsx")
    assert (result.rows, result.issued, result.already) == (2, 2, 0)
    assert set(Card.objects.values_list("person__name", flat=True)) == {"赵郁", "欧阳润泽"}
    assert set(Card.objects.values_list("org_unit", flat=True)) == {tree.cy_grass.pk}
    again = cards_import(actor=users.cy_grass, data=data, filename="名单.xlsx")
    assert (again.issued, again.already) == (0, 2)
    assert "已有服务卡 2 人" in again.summary()
    assert Card.objects.count() == 2
    assert actions().count("perks.cards_import") == 2


def test_import_from_csv(people, users):
    text = io.StringIO()
    csv.writer(text).writerows([["身份证号", "姓名"], [VALID_IDS[1], "欧阳润泽"]])
    data = text.getvalue().encode("utf-8-sig")
    result = cards_import(actor=users.cy_grass, data=data, filename="名单.csv")
    assert result.issued == 1


def test_a_bad_file_is_refused_whole_with_every_reason(people, users):
    data = workbook(
        [
            ("赵郁", VALID_IDS[0]),  # fine, but the file is refused: not issued
            ("赵玉", VALID_IDS[1]),  # name does not match 欧阳润泽
            ("孙明", VALID_IDS[3]),  # no active membership
            ("钱学", VALID_IDS[2]),  # Haidian: not in Chaoyang grassroots' scope
            ("无名", an_id(998)),  # nobody has this ID
            ("赵郁", VALID_IDS[0]),  # the same person twice
            ("错号", "110105198503150010"),  # wrong check digit
            ("数字", 1.10105198503151e17),  # an ID Excel turned into a number
            ("", an_id(996)),  # no name
            (None, None),  # blank rows are skipped
        ]
    )
    with pytest.raises(ImportRejected) as refused:
        cards_import(actor=users.cy_grass, data=data, filename="名单.xlsx")
    reasons = {e.row: e.reason for e in refused.value.errors}
    assert "姓名与该身份证号在平台登记的姓名不一致" in reasons[3]
    assert "没有在会会籍" in reasons[4]
    assert reasons[5] == NOT_FOUND_ROW  # out of scope and unknown read the same
    assert reasons[6] == NOT_FOUND_ROW
    assert "与第 2 行是同一身份证号" in reasons[7]
    assert "校验位" in reasons[8]
    assert "Excel" in reasons[9]
    assert any(e.row == 10 and e.column == "姓名" for e in refused.value.errors)
    assert 2 not in reasons and 11 not in reasons
    assert not Card.objects.exists() and not actions()
    report = openpyxl.load_workbook(io.BytesIO(error_report(refused.value.errors)))
    sheet = report.active
    assert [c.value for c in sheet[1]] == ["行号", "列", "内容", "原因"]
    assert sheet.max_row == len(refused.value.errors) + 1


def test_who_may_see_the_member_is_told_where_the_membership_is(people, users, tree):
    data = workbook([("赵郁", VALID_IDS[0])])
    # Issuing in Haidian, viewing Chaoyang: told the member's union is not theirs to serve.
    both = make_user("two_posts", tree.chaoyang, "dept_staff")
    Post.objects.create(
        user=both, org_unit=tree.hd_grass, role=Role.objects.get(code="grassroots_staff")
    )
    with pytest.raises(ImportRejected) as refused:
        cards_import(actor=both, data=data, filename="x.xlsx")
    assert "会籍在“朝阳某公司工会”，不在您的办卡范围内" in refused.value.errors[0].reason
    # Issuing in Haidian only: Chaoyang's member reads as unknown.
    with pytest.raises(ImportRejected) as refused:
        cards_import(actor=users.hd, data=data, filename="x.xlsx")
    assert refused.value.errors[0].reason == NOT_FOUND_ROW
    assert not Card.objects.exists()


def test_an_import_row_names_no_union_outside_the_scope(people, users, tree):
    # 欧阳润泽's record is Chaoyang's (so the row may say they exist), their membership
    # has moved to a Haidian union: not named to Chaoyang's grassroots staff.
    Membership.objects.filter(person=people.wu).update(org_unit=tree.hd_grass)
    data = workbook([("欧阳润泽", VALID_IDS[1])])
    with pytest.raises(ImportRejected) as refused:
        cards_import(actor=users.cy_grass, data=data, filename="x.xlsx")
    assert refused.value.errors[0].reason == "该人员的会籍在其他工会，不在您的办卡范围内"
    assert not Card.objects.exists()


def test_unreadable_files_and_headers(users, people):
    for data, name, reason in [
        (b"not a workbook", "x.xlsx", "无法读取文件"),
        (b"a,b", "x.txt", "只接受"),
        (workbook([("赵郁",)], header=("姓名",)), "x.xlsx", "缺少“身份证号”列"),
        (workbook([]), "x.xlsx", "没有要发卡的人员"),
    ]:
        with pytest.raises(ImportRejected) as refused:
            cards_import(actor=users.cy_grass, data=data, filename=name)
        assert reason in refused.value.errors[0].reason
    with pytest.raises(Forbidden):
        cards_import(actor=users.auditor, data=workbook([]), filename="x.xlsx")


def test_the_template_has_text_cells():
    book = openpyxl.load_workbook(io.BytesIO(cards_template()))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["姓名", "身份证号"]
    assert sheet["B2"].number_format == "@" and sheet["A2"].number_format == "@"


# --- Merchants and offers: services -----------------------------------------------------------


def test_merchants_need_perks_manage_at_the_signing_union(clock, tree, users):
    fields = {
        "name": "康乐理发",
        "category": "beauty",
        "discount": "理发9折",
        "valid_from": date(2025, 1, 1),
        "valid_until": date(2025, 12, 31),
    }
    with pytest.raises(Forbidden):  # sees its own union, may not sign merchants there
        merchant_create(actor=users.cy_grass, org_unit=tree.cy_grass, **fields)
    with pytest.raises(NotFound):
        merchant_create(actor=users.cy_grass, org_unit=tree.chaoyang, **fields)
    with pytest.raises(NotFound):
        merchant_create(actor=users.hd, org_unit=tree.chaoyang, **fields)
    with pytest.raises(ValidationFailed) as bad:
        merchant_create(
            actor=users.cy, org_unit=tree.chaoyang, **{**fields, "valid_until": date(2024, 12, 31)}
        )
    assert "valid_until" in bad.value.fields
    assert not Merchant.objects.exists()
    merchant = merchant_create(actor=users.cy, org_unit=tree.chaoyang, **fields)
    assert merchant.plan == Merchant.Plan.CARD
    merchant_change(actor=users.cy, merchant=merchant, discount="理发8折", plan="partner")
    merchant.refresh_from_db()
    assert (merchant.discount, merchant.plan) == ("理发8折", "partner")
    with pytest.raises(NotFound):
        merchant_change(actor=users.hd, merchant=merchant, discount="免费")
    with pytest.raises(ValidationFailed):
        merchant_change(actor=users.cy, merchant=merchant, valid_from=date(2026, 1, 1))
    event = AuditEvent.objects.filter(action="perks.merchant_change").get()
    assert json.loads(event.body)["changes"]["discount"] == ["理发9折", "理发8折"]


def test_locations_offers_and_counter_accounts(shop, users, tree):
    merchant = shop.merchant
    with pytest.raises(ValidationFailed) as bad:
        location_add(
            actor=users.cy, merchant=merchant, name="门店", address="地址", district=tree.cy_street
        )
    assert "district" in bad.value.fields
    with pytest.raises(NotFound):
        location_add(
            actor=users.hd, merchant=merchant, name="门店", address="地址", district=tree.haidian
        )
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


def test_member_offers_today_in_beijing(shop, tree, users, clock):
    merchant_create(
        actor=users.admin,
        org_unit=tree.city,
        name="市民影城",
        category="cinema",
        plan="partner",
        discount="观影5折",
        valid_from=date(2025, 1, 1),
        valid_until=date(2025, 6, 16),
    )
    merchant_create(
        actor=users.admin,
        org_unit=tree.city,
        name="停业餐厅",
        category="food",
        discount="9折",
        valid_from=date(2025, 1, 1),
        valid_until=date(2025, 12, 31),
        is_active=False,
    )
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
    # The cinema's last day ends at midnight Beijing time, 16:00 UTC.
    clock.move_to(datetime(2025, 6, 16, 23, 59, tzinfo=SHANGHAI))
    assert "市民影城" in [m.name for m in offers_for_members()]
    clock.move_to(datetime(2025, 6, 17, 0, 1, tzinfo=SHANGHAI))
    assert "市民影城" not in [m.name for m in offers_for_members()]


def test_merchant_list_is_scoped_and_filtered(shop, users, tree):
    assert [m.name for m in merchant_list(actor=users.cy_grass)] == []
    assert [m.name for m in merchant_list(actor=users.cy)] == ["洁亮洗车"]
    assert not merchant_list(actor=users.hd).exists()
    assert merchant_list(actor=users.admin, category="car").get().location_count == 1
    assert not merchant_list(actor=users.admin, category="food").exists()
    assert not merchant_list(actor=users.admin, plan="partner").exists()
    assert merchant_list(actor=users.admin, district=tree.chaoyang).exists()
    assert not merchant_list(actor=users.admin, district=tree.haidian).exists()


# --- The counter: services --------------------------------------------------------------------


def test_verify_answers_masked_and_accepts_a_code_once(shop, cards, people, users):
    token = passes.card_token(cards.zhao.pk)
    answer = card_verify(actor=shop.staff, token=token)
    assert answer == {
        "valid": True,
        "name": "赵*",
        "card": "*" * 12 + cards.zhao.number[-4:],
        "reason": "",
    }
    use = CardUse.objects.get()
    assert (use.card, use.merchant, use.staff) == (cards.zhao, shop.merchant, shop.staff)
    with pytest.raises(Conflict, match="该二维码已使用，请会员刷新"):
        card_verify(actor=shop.staff, token=token)
    assert CardUse.objects.count() == 1
    wu = card_issue(actor=users.cy_grass, person=people.wu)
    assert card_verify(actor=shop.staff, token=passes.card_token(wu.pk))["name"] == "欧***"


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


def test_only_an_active_merchants_counter_may_verify(shop, cards, users, clock):
    token = passes.card_token(cards.zhao.pk)
    for someone in (users.cy, users.admin, cards.zhao.person.user, users.nopost):
        with pytest.raises(Forbidden):
            card_verify(actor=someone, token=token)
    merchant_change(actor=users.cy, merchant=shop.merchant, is_active=False)
    with pytest.raises(Forbidden, match="不在合作期内"):
        card_verify(actor=shop.staff, token=token)
    merchant_change(actor=users.cy, merchant=shop.merchant, is_active=True)
    clock.move_to(datetime(2026, 1, 1, 0, 5, tzinfo=SHANGHAI))
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


# --- Pages: staff -----------------------------------------------------------------------------


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


STAFF_PAGES = [
    "/cards/",
    "/cards/issue/",
    "/cards/import/",
    "/cards/import/template.xlsx",
    "/cards/import/errors.xlsx",
    "/merchants/",
    "/merchants/new/",
]


def test_merchants_members_and_strangers_find_no_staff_pages(client, shop, cards, people):
    pages = [
        *STAFF_PAGES,
        f"/cards/{cards.zhao.pk}/",
        f"/merchants/{shop.merchant.pk}/",
        f"/merchants/{shop.merchant.pk}/edit/",
    ]
    for username in ("shop1", "zhaoyu", "nopost"):
        login(client, username)
        for url in pages:
            assert client.get(url).status_code == 404, (username, url)
        assert client.post(f"/cards/{cards.zhao.pk}/suspend/", {"reason": "x"}).status_code == 404
    client.logout()
    assert client.get("/cards/").status_code == 302  # to the login page
    cards.zhao.refresh_from_db()
    assert cards.zhao.status == Card.Status.ACTIVE


def test_card_list_and_detail_pages(client, cards, users):
    login(client, "cy_grass")
    page = client.get("/cards/?q=赵&sort=number").content.decode()
    assert cards.zhao.number in page and cards.qian.number not in page
    assert "办理服务卡" in page
    assert cards.zhao.number not in client.get("/cards/?status=cancelled").content.decode()
    detail = client.get(f"/cards/{cards.zhao.pk}/").content.decode()
    assert "赵郁" in detail and "挂失补卡" in detail
    assert client.get(f"/cards/{cards.qian.pk}/").status_code == 404  # Haidian's card
    login(client, "hd_staff")
    assert cards.zhao.number not in client.get("/cards/").content.decode()
    assert client.get(f"/cards/{cards.zhao.pk}/").status_code == 404
    assert client.post(f"/cards/{cards.zhao.pk}/cancel/", {"reason": "越权"}).status_code == 404
    cards.zhao.refresh_from_db()
    assert cards.zhao.status == Card.Status.ACTIVE


@pytest.mark.parametrize(
    ("username", "url", "field", "unlisted"),
    [
        ("admin_t", "/cards/?q=钱&status=x", "status", "8610"),  # no card number
        ("cy_staff", "/merchants/?category=car&district=abc", "district", "洁亮洗车"),
        ("zhaoyu", "/m/offers/?category=car&district=0", "district", "洁亮洗车"),
    ],
)
def test_a_bad_filter_is_named_and_lists_nothing(
    client, shop, cards, username, url, field, unlisted
):
    """It used to drop every filter and list everything in scope. The valid filters alone
    would list the row (the car wash is in the car category), so only the bad one hides it."""
    login(client, username)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and unlisted not in html.split("</form>")[-1]  # the rows
    assert field in page.context["filters"].errors and "有效的选项" in html
    assert f'<div class="field error"><label for="id_{field}">' in html  # next to the field


def test_status_actions_through_the_page(client, cards):
    login(client, "cy_grass")
    url = f"/cards/{cards.zhao.pk}/"
    refused = client.post(f"{url}suspend/", {"reason": ""}, follow=True)
    assert "暂停须写明原因" in refused.content.decode()
    cards.zhao.refresh_from_db()
    assert cards.zhao.status == Card.Status.ACTIVE
    done = client.post(f"{url}suspend/", {"reason": "本人申请"}, follow=True)
    assert "已暂停服务卡" in done.content.decode()
    wrong = client.post(f"{url}suspend/", {"reason": "再次"}, follow=True)
    assert "已是“已暂停”状态" in wrong.content.decode()
    reissued = client.post(f"{url}reissue/", {"reason": "遗失"})
    new = Card.objects.get(replaces=cards.zhao)
    assert reissued.url == f"/cards/{new.pk}/"
    assert cards.zhao.number in client.get(reissued.url).content.decode()  # the history


def test_issue_one_card_through_the_page(client, people, users):
    login(client, "cy_staff")  # district staff may see full numbers: they may look one up
    found = client.post("/cards/issue/", {"id_number": VALID_IDS[0].replace("X", "x")})
    assert found.status_code == 200 and "为 赵郁 办卡" in found.content.decode()
    assert VALID_IDS[0] not in found.content.decode()  # the number is not echoed back
    outside = client.post("/cards/issue/", {"id_number": VALID_IDS[2]})
    assert outside.status_code == 422 and "没有找到此人员" in outside.content.decode()
    login(client, "cy_grass")  # grassroots staff pick the member from the list
    page = client.get("/cards/issue/").content.decode()
    assert "赵郁" in page and "欧阳润泽" in page and "钱学" not in page and "孙明" not in page
    assert "按身份证号查找" not in page
    refused = client.post("/cards/issue/", {"id_number": VALID_IDS[0]})
    assert refused.status_code == 422 and "权限" in refused.content.decode()
    assert "为 赵郁 办卡" not in refused.content.decode()
    done = client.post("/cards/issue/", {"person": people.zhao.pk})
    card = Card.objects.get(person=people.zhao)
    assert done.url == f"/cards/{card.pk}/"
    twice = client.post("/cards/issue/", {"person": people.zhao.pk}, follow=True)
    assert "已有服务卡" in twice.content.decode() and Card.objects.count() == 1
    stranger = client.post("/cards/issue/", {"person": people.qian.pk}, follow=True)
    assert "没有找到此人员" in stranger.content.decode()
    assert not Card.objects.filter(person=people.qian).exists()


def test_bulk_import_page(client, people, users, settings):
    login(client, "cy_grass")
    template = client.get("/cards/import/template.xlsx")
    assert template.status_code == 200 and "attachment" in template["Content-Disposition"]
    assert client.get("/cards/import/errors.xlsx").status_code == 404  # nothing refused yet
    bad = workbook([("赵郁", VALID_IDS[0]), ("钱学", VALID_IDS[2])])
    refused = client.post("/cards/import/", {"file": _upload("名单.xlsx", bad)})
    assert refused.status_code == 422
    assert NOT_FOUND_ROW in refused.content.decode() and not Card.objects.exists()
    report = client.get("/cards/import/errors.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(report.content)).active
    assert sheet.cell(row=2, column=1).value == "3"
    good = workbook([("赵郁", VALID_IDS[0]), ("欧阳润泽", VALID_IDS[1])])
    done = client.post("/cards/import/", {"file": _upload("名单.xlsx", good)})
    assert "新发卡 2 张" in done.content.decode() and Card.objects.count() == 2
    wrong_kind = client.post("/cards/import/", {"file": _upload("名单.pdf", b"%PDF")})
    assert "只接受 .xlsx 或 .csv 文件" in wrong_kind.content.decode()
    settings.UPLOAD_MAX_BYTES = len(good) - 1  # refused before it is read
    too_big = client.post("/cards/import/", {"file": _upload("名单.xlsx", good)})
    assert "文件过大" in too_big.content.decode() and Card.objects.count() == 2
    settings.UPLOAD_MAX_BYTES = len(good)
    login(client, "auditor_t")
    assert client.post("/cards/import/", {"file": _upload("名单.xlsx", good)}).status_code == 404


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_merchant_pages(client, shop, users, tree):
    login(client, "cy_grass")  # may view merchants (its scope has none), not sign them
    listed = client.get("/merchants/").content.decode()
    assert "签约商户" not in listed and "洁亮洗车" not in listed
    assert client.get("/merchants/new/").status_code == 404
    assert client.post("/merchants/new/", {"name": "x"}).status_code == 404
    login(client, "cy_staff")
    listed = client.get(f"/merchants/?category=car&district={tree.chaoyang.pk}&sort=-until")
    assert "洁亮洗车" in listed.content.decode()
    assert "洁亮洗车" not in client.get("/merchants/?plan=partner").content.decode()
    form = {
        "org_unit": tree.chaoyang.pk,
        "name": "康乐理发",
        "category": "beauty",
        "plan": "partner",
        "discount": "理发9折",
        "valid_from": "2025-07-01",
        "valid_until": "2025-06-01",
        "is_active": "on",
    }
    bad = client.post("/merchants/new/", form)
    assert bad.status_code == 200 and "合作截止日期不能早于开始日期" in bad.content.decode()
    assert not Merchant.objects.filter(name="康乐理发").exists()
    done = client.post("/merchants/new/", {**form, "valid_until": "2026-06-30"})
    merchant = Merchant.objects.get(name="康乐理发")
    assert done.url == f"/merchants/{merchant.pk}/" and merchant.plan == "partner"
    base = f"/merchants/{merchant.pk}/"
    client.post(
        f"{base}locations/new/",
        {"name": "总店", "address": "朝阳路2号", "district": tree.chaoyang.pk},
    )
    bad_offer = client.post(
        f"{base}offers/new/",
        {
            "title": "剪发",
            "discount": "8折",
            "valid_from": "2025-07-02",
            "valid_until": "2025-07-01",
        },
    )
    assert (
        bad_offer.status_code == 422
        and "优惠截止日期不能早于开始日期" in bad_offer.content.decode()
    )
    client.post(
        f"{base}offers/new/",
        {
            "title": "剪发",
            "discount": "8折",
            "valid_from": "2025-07-01",
            "valid_until": "2025-12-31",
        },
    )
    offer = merchant.offers.get()
    edited = client.post(
        f"{base}offers/{offer.pk}/edit/",
        {
            "title": "剪发",
            "discount": "7折",
            "valid_from": "2025-07-01",
            "valid_until": "2025-12-31",
        },
    )
    assert edited.status_code == 302
    weak = client.post(f"{base}staff/new/", {"username": "barber1", "password": "123"})
    assert weak.status_code == 422 and "barber1" not in MerchantStaff.objects.values_list(
        "user__username", flat=True
    )
    client.post(f"{base}staff/new/", {"username": "barber1", "password": PASSWORD})
    page = client.get(base).content.decode()
    assert "总店" in page and "7折" in page and "barber1" in page
    edit = client.post(
        f"{base}edit/", {**form, "discount": "理发85折", "valid_until": "2026-06-30"}
    )
    assert edit.status_code == 302
    merchant.refresh_from_db()
    assert merchant.discount == "理发85折"
    login(client, "hd_staff")
    assert client.get(base).status_code == 404
    assert client.post(f"{base}offers/new/", {"title": "x"}).status_code == 404
    assert client.get(f"{base}offers/{offer.pk}/edit/").status_code == 404
    login(client, "cy_street")  # sees the district's merchant? no: signed above its scope
    assert client.get(base).status_code == 404


# Every page that reads or writes one card or one merchant, as Haidian's staff would try it
# on Chaoyang's: (method, url, body).
CHAOYANG_PAGES = [
    ("get", "/cards/{card}/", None),
    ("post", "/cards/{card}/suspend/", {"reason": "越权"}),
    ("post", "/cards/{card}/resume/", {"reason": "越权"}),
    ("post", "/cards/{card}/cancel/", {"reason": "越权"}),
    ("post", "/cards/{card}/reissue/", {"reason": "越权"}),
    ("get", "/merchants/{merchant}/", None),
    ("get", "/merchants/{merchant}/edit/", None),
    (
        "post",
        "/merchants/{merchant}/edit/",
        {
            "name": "越权",
            "category": "car",
            "plan": "card",
            "discount": "免费",
            "valid_from": "2025-01-01",
            "valid_until": "2025-12-31",
        },
    ),
    (
        "post",
        "/merchants/{merchant}/locations/new/",
        {"name": "越权", "address": "x", "district": "{hd}"},
    ),
    (
        "post",
        "/merchants/{merchant}/offers/new/",
        {
            "title": "越权",
            "discount": "免费",
            "valid_from": "2025-06-01",
            "valid_until": "2025-06-30",
        },
    ),
    ("get", "/merchants/{merchant}/offers/{offer}/edit/", None),
    ("post", "/merchants/{merchant}/staff/new/", {"username": "intruder", "password": PASSWORD}),
]


@pytest.mark.parametrize(("method", "url", "body"), CHAOYANG_PAGES)
def test_haidian_staff_reach_nothing_of_chaoyang(client, shop, cards, tree, method, url, body):
    ids = {
        "card": cards.zhao.pk,
        "merchant": shop.merchant.pk,
        "offer": shop.merchant.offers.first().pk,
        "hd": tree.haidian.pk,
    }
    login(client, "hd_staff")
    data = {k: str(v).format(**ids) for k, v in body.items()} if body else None
    response = getattr(client, method)(url.format(**ids), data)
    assert response.status_code == 404
    text = response.content.decode()
    assert "赵郁" not in text and cards.zhao.number not in text and "洁亮洗车" not in text
    assert Card.objects.count() == 2 and Card.objects.filter(status="active").count() == 2
    shop.merchant.refresh_from_db()
    assert shop.merchant.name == "洁亮洗车" and shop.merchant.locations.count() == 1
    assert shop.merchant.offers.count() == 2 and shop.merchant.staff.count() == 1
    assert not get_user_model().objects.filter(username="intruder").exists()


# --- Pages: members and the counter -----------------------------------------------------------


def test_member_card_page_and_qr_fragment(client, cards, users, clock):
    login(client, "zhaoyu")
    page = client.get("/m/card/")
    body = page.content.decode()
    assert page.status_code == 200 and "赵郁" in body
    assert cards.zhao.number not in body and cards.zhao.number[-4:] in body
    assert "<svg" in body and 'hx-trigger="every 30s"' in body
    assert "no-cache" in page["Cache-Control"] or "no-store" in page["Cache-Control"]
    token = body.split('data-token="')[1].split('"')[0]
    assert passes.card_of(token) == cards.zhao.pk
    clock.shift(timedelta(seconds=30))
    fragment = client.get("/m/card/qr/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="card-qr"') and "<svg" in fragment
    assert fragment.split('data-token="')[1].split('"')[0] != token
    card_suspend(actor=users.cy_grass, card=cards.zhao, reason="欠缴会费")
    suspended = client.get("/m/card/").content.decode()
    assert "已暂停" in suspended and "<svg" not in suspended and "欠缴会费" in suspended


def test_member_without_a_card_or_a_person(client, people, users):
    login(client, "zhaoyu")
    assert "您还没有工会会员互助服务卡" in client.get("/m/card/").content.decode()
    assert "data-token" not in client.get("/m/card/qr/").content.decode()
    login(client, "nopost")
    assert "尚未关联会员信息" in client.get("/m/card/").content.decode()
    client.logout()
    assert client.get("/m/card/").status_code == 302


def test_member_offers_page(client, shop, people, tree):
    login(client, "zhaoyu")
    page = client.get("/m/offers/").content.decode()
    assert "洁亮洗车" in page and "精洗套餐" in page and "春季打蜡" not in page
    assert "朝阳区建国路1号" in page
    assert "洁亮洗车" not in client.get(f"/m/offers/?district={tree.haidian.pk}").content.decode()
    assert "洁亮洗车" in client.get("/m/offers/?q=精洗&category=car").content.decode()
    assert "没有符合条件" in client.get("/m/offers/?category=food").content.decode()


def test_counter_page(client, shop, cards, users):
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
    code = client.post("/counter/pickup/", {"code": "ABC"}).content.decode()
    assert "未核销" in code and "领取码" in code
    for username in ("cy_staff", "zhaoyu"):
        login(client, username)
        assert client.get("/counter/").status_code == 404
        assert client.post("/counter/", {"token": token}).status_code == 404
        assert client.post("/counter/pickup/", {"code": "ABCDEFGHJK"}).status_code == 404
    assert CardUse.objects.count() == 1


def test_counter_accepts_a_pickup_code(client, shop, cards, users, tree):
    from gonghui.perks.models import Claim, Giveaway

    now = datetime(2025, 6, 16, 12, 0, tzinfo=SHANGHAI)
    giveaway = Giveaway.objects.create(
        title="端午游园",
        item="公园门票",
        org_unit=tree.chaoyang,
        mode="fcfs",
        status="published",
        stock=10,
        taken=1,
        opens_at=now - timedelta(days=3),
        closes_at=now - timedelta(days=2),
        pickup_from=now - timedelta(days=1),
        pickup_until=now + timedelta(days=1),
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
        created_at=now - timedelta(days=2),
    )
    login(client, "shop1")
    done = client.post("/counter/pickup/", {"code": "abcdefgh23"}).content.decode()
    assert "核销成功" in done and "公园门票" in done and "赵*" in done
    again = client.post("/counter/pickup/", {"code": "ABCDEFGH23"}).content.decode()
    assert "不能重复领取" in again


# --- The API ----------------------------------------------------------------------------------


def test_cards_api(client, cards, people, users):
    login(client, "cy_grass")
    listed = client.get("/api/v1/cards?q=赵").json()
    assert [c["number"] for c in listed["items"]] == [cards.zhao.number]
    assert listed["items"][0]["holder"] == "赵郁" and listed["items"][0]["status_label"] == "正常"
    assert client.get(f"/api/v1/cards/{cards.qian.pk}").status_code == 404
    refused = post_json(client, "/api/v1/cards", {"id_number": VALID_IDS[1]})
    assert refused.status_code == 403  # no people.view_pii: no look-up by full number
    issued = post_json(client, "/api/v1/cards", {"person_id": people.wu.pk})
    assert issued.status_code == 201 and issued.json()["holder"] == "欧阳润泽"
    twice = post_json(client, "/api/v1/cards", {"person_id": people.wu.pk})
    assert twice.status_code == 409 and issued.json()["number"] in twice.json()["message"]
    assert post_json(client, "/api/v1/cards", {}).status_code == 422
    unknown = client.get("/api/v1/cards?status=activ")  # it listed every status
    assert unknown.status_code == 422 and "没有这个状态" in unknown.json()["fields"]["status"]
    outside = post_json(client, "/api/v1/cards", {"person_id": people.qian.pk})
    assert outside.status_code == 404
    no_reason = post_json(client, f"/api/v1/cards/{cards.zhao.pk}/suspend", {})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["fields"]
    done = post_json(client, f"/api/v1/cards/{cards.zhao.pk}/suspend", {"reason": "本人申请"})
    assert done.json()["status"] == "suspended"
    assert (
        post_json(client, f"/api/v1/cards/{cards.zhao.pk}/suspend", {"reason": "x"}).status_code
        == 409
    )
    assert (
        post_json(client, f"/api/v1/cards/{cards.zhao.pk}/resume", {}).json()["status"] == "active"
    )
    new = post_json(client, f"/api/v1/cards/{cards.zhao.pk}/reissue", {"reason": "遗失"}).json()
    detail = client.get(f"/api/v1/cards/{new['id']}").json()
    assert detail["replaces"] == cards.zhao.number and detail["replaced_by"] is None
    assert (
        post_json(client, f"/api/v1/cards/{new['id']}/cancel", {"reason": "离会"}).status_code
        == 200
    )
    login(client, "hd_staff")
    assert client.get("/api/v1/cards").json()["count"] == 1  # Haidian's own card only
    assert client.get(f"/api/v1/cards/{cards.zhao.pk}").status_code == 404
    assert (
        post_json(client, f"/api/v1/cards/{cards.qian.pk}/suspend", {"reason": "ok"}).status_code
        == 200
    )


def test_merchants_and_members_cannot_use_the_cards_api(client, shop, cards):
    for username in ("shop1", "zhaoyu", "nopost"):
        login(client, username)
        assert client.get("/api/v1/cards").status_code == 404
        assert client.get(f"/api/v1/cards/{cards.zhao.pk}").status_code == 404
        assert client.get("/api/v1/cards?q=8610").status_code == 404
        assert (
            post_json(client, "/api/v1/cards", {"person_id": cards.zhao.person_id}).status_code
            == 404
        )
        assert (
            post_json(client, f"/api/v1/cards/{cards.zhao.pk}/cancel", {"reason": "x"}).status_code
            == 404
        )
        assert client.get("/api/v1/merchants").status_code == 404
    client.logout()
    assert client.get("/api/v1/cards").status_code == 401


def test_counter_api(client, shop, cards, clock):
    token = passes.card_token(cards.zhao.pk)
    login(client, "cy_staff")
    refused = post_json(client, "/api/v1/counter/verify", {"token": token})
    assert refused.status_code == 403
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


def test_merchants_and_offers_api(client, shop, people, tree):
    login(client, "cy_staff")
    listed = client.get(f"/api/v1/merchants?category=car&district={tree.chaoyang.pk}").json()
    assert [m["name"] for m in listed["items"]] == ["洁亮洗车"]
    assert listed["items"][0]["location_count"] == 1
    assert client.get("/api/v1/merchants?category=nosuch").status_code == 422
    login(client, "hd_staff")
    assert client.get("/api/v1/merchants").json()["count"] == 0
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


@pytest.mark.parametrize("action", ["suspend", "resume", "cancel", "reissue"])
def test_haidian_staff_cannot_change_chaoyangs_cards_by_api(client, cards, action):
    login(client, "hd_staff")
    response = post_json(client, f"/api/v1/cards/{cards.zhao.pk}/{action}", {"reason": "越权"})
    assert response.status_code == 404 and "赵郁" not in response.content.decode()
    cards.zhao.refresh_from_db()
    assert cards.zhao.status == Card.Status.ACTIVE and Card.objects.count() == 2


# --- Small helpers ----------------------------------------------------------------------------


def test_masks():
    assert pii.mask_name("赵郁") == "赵*"
    assert pii.mask_name("欧阳润泽") == "欧***"
    assert pii.mask_name("") == ""
    assert mask_number("8610123456789012") == "************9012"
