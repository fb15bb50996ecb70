"""The programmes pages: every page for every role (never a 500), what each role may reach,
forms that put the service's reasons next to the field, and a district that cannot see
another district's budgets, ledger rows or hardship records through any of them."""

import json
from datetime import date

import pytest
import time_machine

from gonghui.funds import ledger
from gonghui.funds.models import Budget, Hardship, LedgerEntry, RuleVersion
from gonghui.funds.programmes.services import budget_set, hardship_set, programme_create
from tests.factories import PASSWORD, make_member
from tests.funds.conftest import CERTIFICATE_RULE, YEAR

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, users, funds):
    """The fixture's programmes, a Haidian programme, budgets and ledger rows at both
    districts, a hardship record in each, and a member with a login."""
    hd_programme = programme_create(
        actor=users.hd, org_unit=tree.haidian, code="hd-studio", name="海淀工作室配套",
        kind="studio", rule={"kind": "fixed", "amount": 3000000},
    )  # fmt: skip
    cy_budget = budget_set(actor=users.cy, programme=funds.illness, org_unit=tree.chaoyang,
                           year=YEAR, amount="100000")  # fmt: skip
    hd_budget = budget_set(actor=users.hd, programme=funds.illness, org_unit=tree.haidian,
                           year=YEAR, amount="200000")  # fmt: skip
    ledger.commit(actor=users.cy, budget=cy_budget, amount=123_400, note="朝阳某笔")
    # A payment of it (as the payouts write one): the row staff may correct.
    cy_row = LedgerEntry.objects.create(
        programme=funds.illness, budget=cy_budget, kind="pay", amount=123_400,
        month=ledger.month_of(), note="朝阳某笔支付",
    )  # fmt: skip
    hd_row = ledger.commit(actor=users.hd, budget=hd_budget, amount=567_800, note="海淀某笔")
    cy_person = make_member(tree.cy_grass, "王秀英")
    hd_person = make_member(tree.hd_grass, "李桂兰")
    with time_machine.travel(date(YEAR, 3, 1), tick=False):
        cy_h = hardship_set(actor=users.cy, person=cy_person, grade="特别困难",
                            since=date(YEAR, 1, 1))  # fmt: skip
        hd_h = hardship_set(actor=users.hd, person=hd_person, grade="一般困难",
                            since=date(YEAR, 1, 1))  # fmt: skip
    member = make_member(tree.cy_grass, "赵会员", username="member_t")
    return {
        "funds": funds,
        "hd_programme": hd_programme,
        "cy_row": cy_row,
        "hd_row": hd_row,
        "cy_h": cy_h,
        "hd_h": hd_h,
        "cy_person": cy_person,
        "hd_person": hd_person,
        "member": member,
    }


def pages(world) -> list[str]:
    p = world["funds"].illness.pk
    return [
        "/funds/",
        "/funds/new/",
        f"/funds/p/{p}/",
        f"/funds/p/{p}/edit/",
        f"/funds/p/{p}/rules/",
        f"/funds/p/{p}/rules/?from=1&to=1",
        f"/funds/p/{p}/budgets/",
        f"/funds/p/{p}/budgets/?year=2018",
        f"/funds/p/{p}/ledger/",
        f"/funds/p/{p}/ledger/?kind=commit&month=bad",
        f"/funds/ledger/{world['cy_row'].pk}/correct/",
        "/funds/hardship/",
        "/funds/hardship/?grade=特别困难&state=all&sort=-name",
        "/funds/hardship/new/?q=王",
        f"/funds/hardship/new/?person={world['cy_person'].pk}",
        f"/funds/hardship/{world['cy_h'].pk}/end/",
    ]


LOGINS = ["admin_t", "cy_staff", "hd_staff", "cy_street", "cy_grass", "auditor_t", "nopost",
          "member_t"]  # fmt: skip


def test_no_page_fails_for_any_role(client, world):
    for url in pages(world):
        assert client.get(url).status_code == 302, url  # anonymous: to the login page
    for username in LOGINS:
        client.login(username=username, password=PASSWORD)
        for url in pages(world):
            status = client.get(url).status_code
            assert status in (200, 403, 404), (username, url, status)
        client.logout()


EXPECTED = {
    # who: (home, programme, edit, correct Chaoyang's row, new hardship, end Chaoyang's)
    "admin_t": (200, 200, 200, 200, 200, 200),
    "cy_staff": (200, 200, 404, 200, 200, 200),
    "hd_staff": (200, 200, 404, 404, 404, 404),
    "cy_street": (200, 200, 404, 404, 404, 404),
    "cy_grass": (200, 200, 404, 404, 404, 404),
    "auditor_t": (200, 200, 404, 404, 404, 404),
    "nopost": (404, 404, 404, 404, 404, 404),
    "member_t": (404, 404, 404, 404, 404, 404),
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_who_reaches_what(client, world, username):
    p = world["funds"].illness.pk
    client.login(username=username, password=PASSWORD)
    urls = [
        "/funds/",
        f"/funds/p/{p}/",
        f"/funds/p/{p}/edit/",
        f"/funds/ledger/{world['cy_row'].pk}/correct/",
        f"/funds/hardship/new/?person={world['cy_person'].pk}",
        f"/funds/hardship/{world['cy_h'].pk}/end/",
    ]
    assert tuple(client.get(u).status_code for u in urls) == EXPECTED[username]


def test_a_district_cannot_see_anothers_budgets_rows_or_hardship(client, world, tree):
    p = world["funds"].illness.pk
    client.login(username="cy_staff", password=PASSWORD)
    budgets = client.get(f"/funds/p/{p}/budgets/").content.decode()
    assert "朝阳区总工会" in budgets and "100,000.00" in budgets and "1,234.00" in budgets
    assert "海淀区总工会" not in budgets and "200,000.00" not in budgets
    assert "5,678.00" not in budgets
    ledger_page = client.get(f"/funds/p/{p}/ledger/").content.decode()
    assert "朝阳某笔" in ledger_page and "海淀某笔" not in ledger_page
    assert f"/funds/ledger/{world['cy_row'].pk}/correct/" in ledger_page
    client.login(username="auditor_t", password=PASSWORD)  # sees every row, corrects none
    audit_page = client.get(f"/funds/p/{p}/ledger/").content.decode()
    assert "朝阳某笔" in audit_page and "海淀某笔" in audit_page and "/correct/" not in audit_page
    client.login(username="cy_staff", password=PASSWORD)
    assert client.get(f"/funds/p/{p}/ledger/?org_unit={tree.haidian.pk}").status_code == 200
    assert (
        "海淀某笔"
        not in client.get(f"/funds/p/{p}/ledger/?org_unit={tree.haidian.pk}").content.decode()
    )
    assert client.get(f"/funds/ledger/{world['hd_row'].pk}/correct/").status_code == 404
    hardship = client.get("/funds/hardship/?state=all").content.decode()
    assert "王秀英" in hardship and "李桂兰" not in hardship
    assert client.get(f"/funds/hardship/{world['hd_h'].pk}/end/").status_code == 404
    assert client.get(f"/funds/hardship/new/?person={world['hd_person'].pk}").status_code == 404
    assert "李桂兰" not in client.get("/funds/hardship/new/?q=李").content.decode()
    assert client.get(f"/funds/p/{world['hd_programme'].pk}/").status_code == 404
    assert client.get(f"/funds/p/{world['hd_programme'].pk}/budgets/").status_code == 404
    assert "海淀工作室配套" not in client.get("/funds/").content.decode()
    # Writes through the pages alike.
    refused = client.post(f"/funds/ledger/{world['hd_row'].pk}/correct/", {"note": "冲正"})
    assert refused.status_code == 404
    assert not LedgerEntry.objects.filter(kind="reverse").exists()
    refused = client.post(f"/funds/hardship/{world['hd_h'].pk}/end/", {"until": "2026-03-01"})
    assert refused.status_code == 404
    assert Hardship.objects.get(pk=world["hd_h"].pk).until is None


def test_a_grassroots_post_cannot_act_beyond_its_grant(client, world):
    p = world["funds"].illness
    client.login(username="cy_grass", password=PASSWORD)
    assert client.post(f"/funds/p/{p.pk}/rules/", {"rule": "{}", "note": "x"}).status_code == 404
    assert (
        client.post(
            f"/funds/p/{p.pk}/budgets/", {"org_unit": 1, "year": YEAR, "amount": "1"}
        ).status_code
        == 404
    )
    assert client.post("/funds/new/", {"code": "x"}).status_code == 404
    page = client.get(f"/funds/p/{p.pk}/rules/").content.decode()
    assert "保存为新版本" not in page
    assert RuleVersion.objects.filter(programme=p).count() == 1


def test_the_rule_editor_puts_errors_beside_it_and_saves_a_version(client, world):
    p = world["funds"].certificate
    client.login(username="admin_t", password=PASSWORD)
    page = client.get(f"/funds/p/{p.pk}/rules/").content.decode()
    assert "高级技师" in page and "2,000.00" in page  # the readable table
    bad = client.post(f"/funds/p/{p.pk}/rules/", {"rule": '{"kind": "certificate",', "note": "x"})
    assert bad.status_code == 200
    assert "JSON 格式错误：第 1 行" in bad.content.decode()
    rule = dict(CERTIFICATE_RULE, levels={"一级": 200000, "二级": 100000, "三级": 0})
    bad = client.post(f"/funds/p/{p.pk}/rules/", {"rule": json.dumps(rule), "note": "x"})
    assert "levels：补贴金额应为正整数（分）" in bad.content.decode()
    rule["levels"]["三级"] = 90000
    done = client.post(f"/funds/p/{p.pk}/rules/", {"rule": json.dumps(rule), "note": "三级提高"})
    assert done.status_code == 302
    page = client.get(f"/funds/p/{p.pk}/rules/?from=1&to=2").content.decode()
    assert "第 2 版" in page and "levels.三级" in page and "三级提高" in page
    assert "80000" in page and "90000" in page


def test_the_budget_form_refuses_fractions_of_a_fen_beside_the_field(client, world, tree):
    p = world["funds"].illness
    client.login(username="cy_staff", password=PASSWORD)
    bad = client.post(
        f"/funds/p/{p.pk}/budgets/",
        {"org_unit": tree.chaoyang.pk, "year": YEAR, "amount": "100.005"},
    )
    assert bad.status_code == 200
    assert "金额最多精确到分" in bad.content.decode()
    low = client.post(
        f"/funds/p/{p.pk}/budgets/",
        {"org_unit": tree.chaoyang.pk, "year": YEAR, "amount": "1000"},
    )
    assert "预算不能低于已承诺的 1,234.00元" in low.content.decode()
    done = client.post(
        f"/funds/p/{p.pk}/budgets/",
        {"org_unit": tree.chaoyang.pk, "year": YEAR, "amount": "150,000.50"},
    )
    assert done.status_code == 302
    assert Budget.objects.get(programme=p, org_unit=tree.chaoyang, year=YEAR).amount == 15_000_050
    page = client.get(f"/funds/p/{p.pk}/budgets/?year={YEAR}").content.decode()
    assert "150,000.50" in page and "1,234.00" in page


def test_create_a_programme_and_correct_a_row_through_the_pages(client, world, tree):
    client.login(username="cy_staff", password=PASSWORD)
    done = client.post(
        "/funds/new/",
        {
            "org_unit": tree.chaoyang.pk,
            "code": "cy-topup",
            "name": "创新工作室区级配套",
            "kind": "studio",
            "entry": "apply",
            "levels": "2",
            "rule": '{"kind": "fixed", "amount": 3000000}',
            "is_active": "on",
        },
    )
    assert done.status_code == 302, done.content.decode()
    page = client.get(done["Location"]).content.decode()
    assert "创新工作室区级配套" in page and "30,000.00" in page
    row = world["cy_row"]
    missing = client.post(f"/funds/ledger/{row.pk}/correct/", {"note": ""})
    assert missing.status_code == 200 and "这个字段是必填项" in missing.content.decode()
    done = client.post(f"/funds/ledger/{row.pk}/correct/", {"note": "重复录入"})
    assert done.status_code == 302
    assert LedgerEntry.objects.get(reverses=row).amount == -123_400
    page = client.get(done["Location"]).content.decode()
    assert "已冲正" in page and "重复录入" in page


def test_hardship_through_the_pages(client, world):
    client.login(username="cy_staff", password=PASSWORD)
    person = world["cy_person"]
    page = client.get("/funds/hardship/new/?q=王秀").content.decode()
    assert f"?person={person.pk}" in page
    with time_machine.travel(date(YEAR, 4, 1), tick=False):
        bad = client.post(
            f"/funds/hardship/new/?person={person.pk}", {"grade": "一般困难", "since": "2025-01-01"}
        )
        assert "认定日期不能早于现有认定的日期" in bad.content.decode()
        done = client.post(
            f"/funds/hardship/new/?person={person.pk}",
            {"grade": "一般困难", "since": f"{YEAR}-04-01", "note": "病情好转"},
        )
    assert done.status_code == 302
    assert Hardship.objects.get(person=person, until__isnull=True).grade == "一般困难"


def test_the_nav_offers_funds_to_staff_only(client, world):
    client.login(username="cy_grass", password=PASSWORD)
    assert 'href="/funds/"' in client.get("/").content.decode()
    client.login(username="member_t", password=PASSWORD)
    assert 'href="/funds/"' not in client.get("/").content.decode()
