"""Service cards (gonghui/perks/cards/): issue, status changes, the bulk import, the staff
pages and the API, the member's own card on a phone — every rule with a case that passes
and a case that is refused."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from stdnum import luhn

from gonghui.audit.models import AuditEvent
from gonghui.common import pii
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.common.imports import ImportRejected, error_report
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
from gonghui.perks.models import Card
from gonghui.registry.services import person_merge
from tests.factories import VALID_IDS, make_user
from tests.perks.conftest import actions, an_id, login, member, post_json

# --- Issue and status ---------------------------------------------------------------------


def test_issue_gives_a_luhn_number_in_the_members_union(people, users, tree):
    card = card_issue(actor=users.cy_grass, person=people.zhao)
    assert len(card.number) == 16 and card.number.startswith("8610") and card.number.isdigit()
    assert luhn.is_valid(card.number)
    assert card.org_unit == tree.cy_grass and card.status == Card.Status.ACTIVE
    event = AuditEvent.objects.get(action="perks.card_issue")
    assert event.object_id == str(card.pk) and event.org_unit_id == tree.cy_grass.pk


def test_a_member_holds_one_live_card(people, users):
    card = card_issue(actor=users.cy_grass, person=people.zhao)
    with pytest.raises(Conflict) as refused:
        card_issue(actor=users.cy, person=people.zhao)
    assert card.number in refused.value.message
    assert Card.objects.count() == 1


def test_issue_needs_an_active_membership(people, users):
    with pytest.raises(Conflict, match="没有在会会籍"):
        card_issue(actor=users.cy_grass, person=people.sun)
    assert not Card.objects.exists() and not actions()


def test_issue_needs_the_right_in_the_members_union(people, users):
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


def test_suspending_and_cancelling_need_a_reason(cards, users):
    card = cards.zhao
    with pytest.raises(ValidationFailed) as missing:
        card_suspend(actor=users.cy_grass, card=card, reason="  ")
    assert "reason" in missing.value.fields
    card.refresh_from_db()
    assert card.status == Card.Status.ACTIVE
    with pytest.raises(ValidationFailed):
        card_cancel(actor=users.cy_grass, card=card, reason="")


def test_a_card_moves_only_from_the_right_state(cards, users):
    card = cards.zhao
    card_suspend(actor=users.cy_grass, card=card, reason="会员本人申请")
    assert card.status == Card.Status.SUSPENDED and card.status_reason == "会员本人申请"
    with pytest.raises(Conflict, match="已是“已暂停”"):
        card_suspend(actor=users.cy_grass, card=card, reason="再次")
    card_resume(actor=users.cy_grass, card=card)
    assert card.status == Card.Status.ACTIVE
    with pytest.raises(Conflict, match="已是“正常”状态"):
        card_resume(actor=users.cy_grass, card=card)
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


# --- Reads --------------------------------------------------------------------------------


def test_card_list_is_scoped(cards, users):
    assert list(card_list(actor=users.cy_grass)) == [cards.zhao]
    assert list(card_list(actor=users.hd)) == [cards.qian]
    assert set(card_list(actor=users.admin)) == {cards.zhao, cards.qian}
    assert not card_list(actor=users.auditor).exists()


def test_card_list_finds_by_number_or_holder(cards, users):
    assert list(card_list(actor=users.admin, q=cards.zhao.number[-6:])) == [cards.zhao]
    assert list(card_list(actor=users.admin, q="钱")) == [cards.qian]
    # The holder is found as every people search finds a person (pinyin, initials).
    assert list(card_list(actor=users.admin, q="qx")) == [cards.qian]
    assert list(card_list(actor=users.admin, q="zhaoyu")) == [cards.zhao]


def test_card_list_filters_by_status(cards, users):
    card_suspend(actor=users.hd, card=cards.qian, reason="x")
    assert list(card_list(actor=users.admin, status="suspended")) == [cards.qian]


def test_only_members_without_a_live_card_in_scope_are_offered_for_issuing(cards, users, people):
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


def test_a_post_that_may_not_see_full_numbers_finds_nobody_by_one(people, users):
    # Finding by full number is the platform's one look-up: a post that may not see full
    # numbers cannot confirm a guess through it (docs/privacy.md); it picks the member.
    with pytest.raises(Forbidden):
        card_person(actor=users.cy_grass, id_number=VALID_IDS[0])


def test_masks():
    assert pii.mask_name("赵郁") == "赵*"
    assert pii.mask_name("欧阳润泽") == "欧***"
    assert pii.mask_name("") == ""
    assert mask_number("8610123456789012") == "************9012"


# --- The bulk import ----------------------------------------------------------------------


def workbook(rows, header=("姓名", "身份证号")) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(name, data):
    return SimpleUploadedFile(name, data)


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


def bad_rows():
    return [
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


def test_a_bad_file_is_refused_whole_with_every_reason(people, users):
    with pytest.raises(ImportRejected) as refused:
        cards_import(actor=users.cy_grass, data=workbook(bad_rows()), filename="名单.xlsx")
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


def test_a_refused_files_report_lists_every_reason(people, users):
    with pytest.raises(ImportRejected) as refused:
        cards_import(actor=users.cy_grass, data=workbook(bad_rows()), filename="名单.xlsx")
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


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"not a workbook", "x.xlsx", "无法读取文件"),
        (b"a,b", "x.txt", "只接受"),
        (workbook([("赵郁",)], header=("姓名",)), "x.xlsx", "缺少“身份证号”列"),
        (workbook([]), "x.xlsx", "没有要发卡的人员"),
    ],
)
def test_unreadable_files_and_headers(users, people, data, name, reason):
    with pytest.raises(ImportRejected) as refused:
        cards_import(actor=users.cy_grass, data=data, filename=name)
    assert reason in refused.value.errors[0].reason


def test_an_import_needs_the_right_to_issue_cards(users, people):
    with pytest.raises(Forbidden):
        cards_import(actor=users.auditor, data=workbook([]), filename="x.xlsx")


def test_the_template_has_text_cells():
    book = openpyxl.load_workbook(io.BytesIO(cards_template()))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["姓名", "身份证号"]
    assert sheet["B2"].number_format == "@" and sheet["A2"].number_format == "@"


# --- Staff pages --------------------------------------------------------------------------


def test_the_card_list_page(client, cards):
    login(client, "cy_grass")
    page = client.get("/cards/?q=赵&sort=number").content.decode()
    assert cards.zhao.number in page and cards.qian.number not in page
    assert "办理服务卡" in page
    assert cards.zhao.number not in client.get("/cards/?status=cancelled").content.decode()


def test_the_card_page(client, cards):
    login(client, "cy_grass")
    detail = client.get(f"/cards/{cards.zhao.pk}/").content.decode()
    assert "赵郁" in detail and "挂失补卡" in detail
    assert client.get(f"/cards/{cards.qian.pk}/").status_code == 404  # Haidian's card


def test_another_districts_staff_find_no_card_on_the_pages(client, cards):
    login(client, "hd_staff")
    assert cards.zhao.number not in client.get("/cards/").content.decode()
    assert client.get(f"/cards/{cards.zhao.pk}/").status_code == 404
    assert client.post(f"/cards/{cards.zhao.pk}/cancel/", {"reason": "越权"}).status_code == 404
    cards.zhao.refresh_from_db()
    assert cards.zhao.status == Card.Status.ACTIVE


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


def test_district_staff_find_a_member_by_full_number_to_issue(client, people, users):
    login(client, "cy_staff")  # district staff may see full numbers: they may look one up
    found = client.post("/cards/issue/", {"id_number": VALID_IDS[0].replace("X", "x")})
    assert found.status_code == 200 and "为 赵郁 办卡" in found.content.decode()
    assert VALID_IDS[0] not in found.content.decode()  # the number is not echoed back
    outside = client.post("/cards/issue/", {"id_number": VALID_IDS[2]})
    assert outside.status_code == 422 and "没有找到此人员" in outside.content.decode()


def test_grassroots_staff_pick_the_member_from_their_list(client, people, users):
    login(client, "cy_grass")
    page = client.get("/cards/issue/").content.decode()
    assert "赵郁" in page and "欧阳润泽" in page and "钱学" not in page and "孙明" not in page
    assert "按身份证号查找" not in page
    refused = client.post("/cards/issue/", {"id_number": VALID_IDS[0]})
    assert refused.status_code == 422 and "权限" in refused.content.decode()
    assert "为 赵郁 办卡" not in refused.content.decode()


def test_issue_one_card_through_the_page(client, people, users):
    login(client, "cy_grass")
    done = client.post("/cards/issue/", {"person": people.zhao.pk})
    card = Card.objects.get(person=people.zhao)
    assert done.url == f"/cards/{card.pk}/"
    twice = client.post("/cards/issue/", {"person": people.zhao.pk}, follow=True)
    assert "已有服务卡" in twice.content.decode() and Card.objects.count() == 1
    stranger = client.post("/cards/issue/", {"person": people.qian.pk}, follow=True)
    assert "没有找到此人员" in stranger.content.decode()
    assert not Card.objects.filter(person=people.qian).exists()


def test_the_import_template_is_downloaded(client, people, users):
    login(client, "cy_grass")
    template = client.get("/cards/import/template.xlsx")
    assert template.status_code == 200 and "attachment" in template["Content-Disposition"]


def test_a_refused_import_leaves_its_report(client, people, users):
    login(client, "cy_grass")
    assert client.get("/cards/import/errors.xlsx").status_code == 404  # nothing refused yet
    bad = workbook([("赵郁", VALID_IDS[0]), ("钱学", VALID_IDS[2])])
    refused = client.post("/cards/import/", {"file": upload("名单.xlsx", bad)})
    assert refused.status_code == 422
    assert NOT_FOUND_ROW in refused.content.decode() and not Card.objects.exists()
    report = client.get("/cards/import/errors.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(report.content)).active
    assert sheet.cell(row=2, column=1).value == "3"


def test_a_refused_imports_kept_report_holds_no_full_id_number(client, people, users):
    login(client, "cy_grass")
    rows = [("钱学", VALID_IDS[2]), ("钱学", VALID_IDS[2]), ("孙明", VALID_IDS[3] + "1")]
    refused = client.post("/cards/import/", {"file": upload("名单.xlsx", workbook(rows))})
    assert refused.status_code == 422
    kept = client.session["perks.cards_import_errors"]
    assert [row["row"] for row in kept] == [2, 3, 4]
    assert all(row["column"] == "身份证号" and "*" in row["value"] for row in kept)
    assert VALID_IDS[2] not in str(kept) and VALID_IDS[3] not in str(kept)


GOOD = [("赵郁", VALID_IDS[0]), ("欧阳润泽", VALID_IDS[1])]


def test_an_import_through_the_page(client, people, users):
    login(client, "cy_grass")
    done = client.post("/cards/import/", {"file": upload("名单.xlsx", workbook(GOOD))})
    assert "新发卡 2 张" in done.content.decode() and Card.objects.count() == 2


def test_the_import_page_takes_workbooks_and_csv_only(client, people, users):
    login(client, "cy_grass")
    wrong_kind = client.post("/cards/import/", {"file": upload("名单.pdf", b"%PDF")})
    assert "只接受 .xlsx 或 .csv 文件" in wrong_kind.content.decode()


def test_a_file_too_big_is_refused_before_it_is_read(client, people, settings, users):
    login(client, "cy_grass")
    good = workbook(GOOD)
    client.post("/cards/import/", {"file": upload("名单.xlsx", good)})
    settings.UPLOAD_MAX_BYTES = len(good) - 1  # refused before it is read
    too_big = client.post("/cards/import/", {"file": upload("名单.xlsx", good)})
    assert "文件过大" in too_big.content.decode() and Card.objects.count() == 2


def test_an_auditor_finds_no_import_page(client, people, users):
    login(client, "auditor_t")
    good = workbook(GOOD)
    assert client.post("/cards/import/", {"file": upload("名单.xlsx", good)}).status_code == 404


# --- The member's own card ----------------------------------------------------------------


def test_the_member_card_page(client, cards):
    login(client, "zhaoyu")
    page = client.get("/m/card/")
    body = page.content.decode()
    assert page.status_code == 200 and "赵郁" in body
    assert cards.zhao.number not in body and cards.zhao.number[-4:] in body
    assert "<svg" in body and 'hx-trigger="every 30s"' in body
    assert "no-cache" in page["Cache-Control"] or "no-store" in page["Cache-Control"]
    token = body.split('data-token="')[1].split('"')[0]
    assert passes.card_of(token) == cards.zhao.pk


def test_the_qr_fragment_brings_a_new_code(client, cards, clock):
    login(client, "zhaoyu")
    body = client.get("/m/card/").content.decode()
    token = body.split('data-token="')[1].split('"')[0]
    clock.shift(timedelta(seconds=30))
    fragment = client.get("/m/card/qr/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="card-qr"') and "<svg" in fragment
    assert fragment.split('data-token="')[1].split('"')[0] != token


def test_a_suspended_card_shows_no_code(client, cards, users):
    login(client, "zhaoyu")
    card_suspend(actor=users.cy_grass, card=cards.zhao, reason="欠缴会费")
    suspended = client.get("/m/card/").content.decode()
    assert "已暂停" in suspended and "<svg" not in suspended and "欠缴会费" in suspended


def test_a_member_without_a_card(client, people, users):
    login(client, "zhaoyu")
    assert "您还没有工会会员互助服务卡" in client.get("/m/card/").content.decode()
    assert "data-token" not in client.get("/m/card/qr/").content.decode()


def test_a_merged_records_login_sees_the_card_of_the_record_kept(client, cards, tree, users):
    """Both records have a login; the survivor's stays, the loser's follows the redirect
    (registry.merging): it opens the survivor's card."""
    twin = member(tree.cy_grass, "赵郁", None, username="zhao_old", joined=False)
    person_merge(actor=users.admin, survivor=cards.zhao.person, loser=twin)
    login(client, "zhao_old")
    body = client.get("/m/card/").content.decode()
    assert "您还没有工会会员互助服务卡" not in body and cards.zhao.number[-4:] in body
    token = body.split('data-token="')[1].split('"')[0]
    assert passes.card_of(token) == cards.zhao.pk
    fragment = client.get("/m/card/qr/", HTTP_HX_REQUEST="true").content.decode()
    assert "<svg" in fragment


def test_a_login_without_a_person(client, people, users):
    login(client, "nopost")
    assert "尚未关联会员信息" in client.get("/m/card/").content.decode()


def test_the_member_card_needs_a_login(client, people):
    assert client.get("/m/card/").status_code == 302


# --- The API ------------------------------------------------------------------------------


def test_the_cards_api_lists_the_cards_in_scope(client, cards):
    login(client, "cy_grass")
    listed = client.get("/api/v1/cards?q=赵").json()
    assert [c["number"] for c in listed["items"]] == [cards.zhao.number]
    assert listed["items"][0]["holder"] == "赵郁" and listed["items"][0]["status_label"] == "正常"
    assert client.get(f"/api/v1/cards/{cards.qian.pk}").status_code == 404
    unknown = client.get("/api/v1/cards?status=activ")  # it listed every status
    assert unknown.status_code == 422 and "没有这个状态" in unknown.json()["fields"]["status"]
    login(client, "hd_staff")
    assert client.get("/api/v1/cards").json()["count"] == 1  # Haidian's own card only
    assert client.get(f"/api/v1/cards/{cards.zhao.pk}").status_code == 404


def test_the_cards_api_issues_a_card(client, cards, people):
    login(client, "cy_grass")
    refused = post_json(client, "/api/v1/cards", {"id_number": VALID_IDS[1]})
    assert refused.status_code == 403  # no people.view_pii: no look-up by full number
    issued = post_json(client, "/api/v1/cards", {"person_id": people.wu.pk})
    assert issued.status_code == 201 and issued.json()["holder"] == "欧阳润泽"
    twice = post_json(client, "/api/v1/cards", {"person_id": people.wu.pk})
    assert twice.status_code == 409 and issued.json()["number"] in twice.json()["message"]
    assert post_json(client, "/api/v1/cards", {}).status_code == 422
    outside = post_json(client, "/api/v1/cards", {"person_id": people.qian.pk})
    assert outside.status_code == 404


def test_the_cards_api_changes_a_cards_status(client, cards):
    login(client, "cy_grass")
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


def test_each_district_changes_its_own_cards_by_api(client, cards):
    login(client, "hd_staff")
    assert (
        post_json(client, f"/api/v1/cards/{cards.qian.pk}/suspend", {"reason": "ok"}).status_code
        == 200
    )


@pytest.mark.parametrize("action", ["suspend", "resume", "cancel", "reissue"])
def test_haidian_staff_cannot_change_chaoyangs_cards_by_api(client, cards, action):
    login(client, "hd_staff")
    response = post_json(client, f"/api/v1/cards/{cards.zhao.pk}/{action}", {"reason": "越权"})
    assert response.status_code == 404 and "赵郁" not in response.content.decode()
    cards.zhao.refresh_from_db()
    assert cards.zhao.status == Card.Status.ACTIVE and Card.objects.count() == 2
