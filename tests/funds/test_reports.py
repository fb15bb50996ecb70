"""The funds reports: a programme's figures by node and month against hand-built data
(applications, entitlements and ledger rows made directly: the other features' services
are not on this branch), the seed's sentence, the dashboard, scoping (a district's staff see
no other district's numbers, on the page or in the Excel) and every page as every role."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse

from gonghui.funds import ledger
from gonghui.funds.models import (
    Application,
    Budget,
    Entitlement,
    LedgerEntry,
    PayeeAccount,
    PayoutBatch,
    PayoutLine,
)
from gonghui.funds.reports import selectors
from gonghui.funds.reports.selectors import sentence
from gonghui.people.models import Unit
from gonghui.registry.models import Studio
from tests.factories import make_member, make_user
from tests.funds.conftest import YEAR

SH = ZoneInfo("Asia/Shanghai")


def at(year, month, day=15):
    return datetime(year, month, day, 10, 0, tzinfo=SH)


def application(programme, person, unit, status="submitted", *, year=YEAR, amount=0, when=None):
    app = Application.objects.create(
        programme=programme,
        person=person,
        org_unit=unit,
        year=year,
        amount=amount,
        rule_version=programme.rule_versions.get(version=1),
        status=status,
    )
    if when is not None:
        decided = when if status in ("approved", "rejected") else None
        Application.objects.filter(pk=app.pk).update(created_at=when, decided_at=decided)
    return app


def entitlement(programme, person, unit, amount, *, year=YEAR, app=None, when=None, **extra):
    budget = ledger.budget_for(programme, unit, year)
    fields = {
        "payment_id": ledger.payment_id(application_id=app.pk)
        if app
        else f"T{programme.pk:03d}{person.pk:08d}{year}"
    } | extra
    e = Entitlement.objects.create(
        programme=programme,
        budget=budget,
        person=person,
        org_unit=unit,
        application=app,
        year=year,
        amount=amount,
        rule_version=programme.rule_versions.get(version=1),
        **fields,
    )
    if when is not None:
        Entitlement.objects.filter(pk=e.pk).update(created_at=when)
    return e


def row(e, kind, amount, month, **extra):
    return LedgerEntry.objects.create(
        programme=e.programme,
        budget=e.budget,
        kind=kind,
        amount=amount,
        entitlement=e,
        month=month,
        **extra,
    )


@pytest.fixture
def scene(funds, tree, users):
    """The certificate subsidy (city, 3 levels) in 2026: in Chaoyang two applications
    approved (2,000元 and 1,000元, one paid), one waiting for the district, one rejected; in
    Haidian one approved (800元) and one just submitted."""
    cert = funds.certificate
    cy1 = make_member(tree.cy_grass, "朝一")
    cy2 = make_member(tree.cy_grass, "朝二")
    cy3 = make_member(tree.cy_street, "朝三")
    cy4 = make_member(tree.cy_grass, "朝四")
    hd1 = make_member(tree.hd_grass, "海一")
    hd2 = make_member(tree.hd_grass, "海二")
    a1 = application(cert, cy1, tree.cy_grass, "approved", amount=200000, when=at(YEAR, 3))
    a2 = application(cert, cy2, tree.cy_grass, "approved", amount=100000, when=at(YEAR, 4))
    application(cert, cy3, tree.cy_street, "verified", when=at(YEAR, 4))
    application(cert, cy4, tree.cy_grass, "rejected", when=at(YEAR, 5))
    a5 = application(cert, hd1, tree.hd_grass, "approved", amount=80000, when=at(YEAR, 3))
    application(cert, hd2, tree.hd_grass, "submitted", when=at(YEAR, 6))
    e1 = entitlement(cert, cy1, tree.cy_grass, 200000, app=a1, when=at(YEAR, 3))
    e2 = entitlement(cert, cy2, tree.cy_grass, 100000, app=a2, when=at(YEAR, 4))
    e5 = entitlement(cert, hd1, tree.hd_grass, 80000, app=a5, when=at(YEAR, 3))
    for e, month in ((e1, f"{YEAR}-03"), (e2, f"{YEAR}-04"), (e5, f"{YEAR}-03")):
        row(e, "commit", e.amount, month)
    Budget.objects.filter(pk=e1.budget_id).update(committed=380000)
    pay = row(e1, "pay", 200000, f"{YEAR}-05")
    returned = row(e5, "pay", 80000, f"{YEAR}-05")
    row(e5, "reverse", -80000, f"{YEAR}-06", reverses=returned, note="重复记账冲正")
    return {"cert": cert, "e1": e1, "e2": e2, "e5": e5, "pay": pay}


def by_label(rows):
    return {r.label: r for r in rows}


# --- Figures ----------------------------------------------------------------------------------


def test_the_city_sees_each_district_then_drills_to_streets(scene, tree, users):
    cert = scene["cert"]
    node = selectors.node_get(actor=users.admin, programme=cert)
    assert node == tree.city
    nodes = selectors.by_node(actor=users.admin, programme=cert, year=YEAR, node=node)
    rows = by_label(nodes["rows"])
    cy, hd = rows[tree.chaoyang.name], rows[tree.haidian.name]
    assert (cy.applications, cy.approved, cy.waiting) == (4, 2, 1)
    assert cy.by_status == {"approved": 2, "verified": 1, "rejected": 1}
    assert (cy.entitlements, cy.people, cy.amount, cy.committed, cy.paid) == (
        2,
        2,
        300000,
        300000,
        200000,
    )
    assert (hd.applications, hd.approved, hd.amount, hd.committed, hd.paid) == (
        2,
        1,
        80000,
        80000,
        0,  # paid, then reversed
    )
    total = nodes["total"]
    assert (total.applications, total.people, total.amount, total.paid) == (6, 3, 380000, 200000)
    assert all(r.unit.parent_id == tree.city.pk for r in nodes["rows"])  # no empty 本级 row

    # Drilled to Chaoyang: its own node (none), the street's subtree.
    street = selectors.by_node(actor=users.admin, programme=cert, year=YEAR, node=tree.chaoyang)
    assert [r.label for r in street["rows"]] == [tree.cy_street.name]
    deeper = selectors.by_node(actor=users.admin, programme=cert, year=YEAR, node=tree.cy_street)
    rows = by_label(deeper["rows"])
    assert rows[f"{tree.cy_street.name}{selectors.HERE}"].by_status == {"verified": 1}
    assert rows[tree.cy_grass.name].applications == 3


def test_months_of_applications_approvals_amounts_and_the_ledger(scene, users, tree):
    months = {
        m.month: m
        for m in selectors.by_month(
            actor=users.admin, programme=scene["cert"], year=YEAR, node=tree.city
        )
    }
    assert len(months) == 12
    march, april, may, june = (months[f"{YEAR}-{m:02d}"] for m in (3, 4, 5, 6))
    assert (march.applications, march.approved, march.amount, march.committed) == (
        2,
        2,
        280000,
        280000,
    )
    assert (april.applications, april.approved, april.amount) == (2, 1, 100000)
    assert (may.applications, may.paid) == (1, 280000)
    assert (june.applications, june.paid) == (1, -80000)  # the correction, in its own month
    assert months[f"{YEAR}-01"].label == f"{YEAR}年1月"


def test_a_cancelled_entitlement_and_its_release_drop_out(scene, users, tree):
    e2 = scene["e2"]
    Entitlement.objects.filter(pk=e2.pk).update(status="cancelled")
    row(e2, "release", -100000, f"{YEAR}-07")
    nodes = selectors.by_node(actor=users.admin, programme=scene["cert"], year=YEAR, node=tree.city)
    cy = by_label(nodes["rows"])[tree.chaoyang.name]
    assert (cy.entitlements, cy.people, cy.amount, cy.committed) == (1, 1, 200000, 200000)


def test_a_runs_one_commitment_counts_at_its_budgets_node(funds, tree, users):
    spring = funds.condolence  # Chaoyang's, enrolled: the run's commit names no entitlement
    budget = Budget.objects.get(programme=spring)
    ledger.commit(actor=users.cy, budget=budget, amount=600000, note="2026年春节慰问 纳入")
    nodes = selectors.by_node(actor=users.cy, programme=spring, year=YEAR, node=tree.chaoyang)
    here = nodes["rows"][0]
    assert here.here and here.committed == 600000
    assert nodes["total"].committed == 600000
    hd = selectors.visible_programmes(users.hd)
    assert spring not in hd


def test_sort_by_amount(scene, users, tree):
    nodes = selectors.by_node(
        actor=users.admin, programme=scene["cert"], year=YEAR, node=tree.city, sort="-amount"
    )
    amounts = [r.amount for r in nodes["rows"]]
    assert amounts == sorted(amounts, reverse=True) and amounts[0] == 300000


# --- Scope -------------------------------------------------------------------------------------


def test_haidian_staff_see_haidian_only(scene, tree, users):
    cert = scene["cert"]
    assert selectors.roots(users.hd, cert) == [tree.haidian]
    node = selectors.node_get(actor=users.hd, programme=cert)
    assert node == tree.haidian
    nodes = selectors.by_node(actor=users.hd, programme=cert, year=YEAR, node=node)
    assert nodes["total"].applications == 2 and nodes["total"].amount == 80000
    assert tree.chaoyang.name not in {r.label for r in nodes["rows"]}
    months = selectors.by_month(actor=users.hd, programme=cert, year=YEAR, node=node)
    assert sum(m.amount for m in months) == 80000
    assert sum(m.paid for m in months) == 0
    with pytest.raises(selectors.NotFound):
        selectors.node_get(actor=users.hd, programme=cert, pk=tree.chaoyang.pk)
    with pytest.raises(selectors.NotFound):
        selectors.node_get(actor=users.hd, programme=cert, pk=tree.city.pk)


def test_a_grassroots_post_sees_its_own_union_only(scene, tree, users):
    cert = scene["cert"]
    assert selectors.roots(users.cy_grass, cert) == [tree.cy_grass]
    nodes = selectors.by_node(actor=users.cy_grass, programme=cert, year=YEAR, node=tree.cy_grass)
    assert nodes["total"].applications == 3
    with pytest.raises(selectors.NotFound):
        selectors.node_get(actor=users.cy_grass, programme=cert, pk=tree.cy_street.pk)


def test_haidian_page_and_excel_hold_no_chaoyang_number(scene, tree, users, client):
    cert = scene["cert"]
    client.force_login(users.hd)
    url = reverse("funds:report", args=[cert.pk])
    page = client.get(url, {"year": YEAR}).content.decode()
    assert tree.haidian.name in page and "800.00元" in page
    assert tree.chaoyang.name not in page and "2,000.00元" not in page
    assert client.get(url, {"node": tree.chaoyang.pk}).status_code == 404

    response = client.get(url, {"year": YEAR, "format": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [c for ws in book for r in ws.iter_rows(values_only=True) for c in r if c is not None]
    assert not any(tree.chaoyang.name in str(c) for c in cells)
    by_node = list(book["按单位"].iter_rows(values_only=True))
    assert by_node[-1][0] == "合计" and by_node[-1][-3] == Decimal("800.00")
    said = book["概况"]["B5"].value  # the sentence names the part seen
    assert said == f"{YEAR}年，海淀区总工会范围内，1名会员获得技能等级证书补贴0.08万元"


def test_a_district_programme_is_absent_for_another_district(funds, users, client):
    client.force_login(users.hd)
    assert client.get(reverse("funds:report", args=[funds.condolence.pk])).status_code == 404
    client.force_login(users.cy)
    assert client.get(reverse("funds:report", args=[funds.condolence.pk])).status_code == 200


def test_the_excel_holds_the_page_figures(scene, users, client, tree):
    client.force_login(users.admin)
    response = client.get(
        reverse("funds:report", args=[scene["cert"].pk]), {"year": YEAR, "format": "xlsx"}
    )
    assert response["Content-Disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["概况", "按单位", "按月份"]
    rows = {r[0]: r for r in book["按单位"].iter_rows(values_only=True)}
    cy = rows[tree.chaoyang.name]
    assert cy[1] == 4 and cy[-3:] == (Decimal("3000.00"), Decimal("3000.00"), Decimal("2000.00"))
    months = {r[0]: r for r in book["按月份"].iter_rows(values_only=True)}
    assert months[f"{YEAR}年6月"][-1] == Decimal("-800.00")
    assert book["概况"]["B5"].value == f"{YEAR}年，3名会员获得技能等级证书补贴0.38万元"


# --- The sentence ------------------------------------------------------------------------------


@pytest.fixture
def illness_2018(funds, tree):
    """The seed: 41 members with critical-illness aid in 2018, 528,000元 in all (40 of
    12,800元 and one of 16,000元), one more cancelled, in both districts."""
    illness = funds.illness
    Budget.objects.create(programme=illness, org_unit=tree.city, year=2018, amount=60_000_000)
    for n in range(41):
        unit = tree.cy_grass if n % 2 else tree.hd_grass
        person = make_member(unit, f"病{n:02d}")
        entitlement(illness, person, unit, 1_600_000 if n == 0 else 1_280_000, year=2018)
    person = make_member(tree.cy_grass, "取消")
    entitlement(illness, person, tree.cy_grass, 500_000, year=2018, status="cancelled")
    return illness


def test_the_seed_sentence(illness_2018, users):
    assert sentence(illness_2018, 2018, users.admin) == "2018年，41名会员获得大病救助52.8万元"


def test_a_second_entitlement_of_one_member_counts_the_member_once(illness_2018, users, tree):
    person = Entitlement.objects.filter(programme=illness_2018, status="owed").first().person
    entitlement(illness_2018, person, person.org_unit, 200_000, year=2018, payment_id="TWICE")
    assert sentence(illness_2018, 2018, users.admin) == "2018年，41名会员获得大病救助53万元"


def test_the_sentence_of_a_district_names_its_part(illness_2018, users):
    said = sentence(illness_2018, 2018, users.cy)
    assert said == "2018年，朝阳区总工会范围内，20名会员获得大病救助25.6万元"


def test_the_sentence_of_nobody(funds, users):
    assert sentence(funds.illness, 2017, users.admin) == "2017年，尚无会员获得大病救助"
    assert sentence(funds.condolence, 2017, users.cy) == "2017年，尚无困难劳模领到春节慰问金"


def test_the_sentence_of_studios_counts_studios(funds, users, tree):
    assert sentence(funds.studio, YEAR, users.admin) == f"{YEAR}年，尚无创新工作室获得资助"
    employer = Unit.objects.create(name="朝阳机床厂", org_unit=tree.cy_grass)
    leader = make_member(tree.cy_grass, "李工")
    studio = Studio.objects.create(name="李工创新工作室", employer=employer, org_unit=tree.cy_grass)
    for n in range(2):  # two grants (city and top-up) to one studio: one studio
        entitlement(
            funds.studio, leader, tree.cy_grass, 3_500_000, studio=studio, payment_id=f"S{n}"
        )
    assert sentence(funds.studio, YEAR, users.admin) == f"{YEAR}年，1个创新工作室获得资助7万元"


def test_an_empty_programme_report(funds, users, tree, client):
    client.force_login(users.admin)
    response = client.get(reverse("funds:report", args=[funds.studio.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{YEAR}年，尚无创新工作室获得资助" in page
    nodes = selectors.by_node(actor=users.admin, programme=funds.studio, year=YEAR, node=tree.city)
    assert nodes["total"].applications == 0 and nodes["total"].amount == 0


def test_a_wrong_year_is_said_beside_the_field(funds, users, client):
    client.force_login(users.admin)
    response = client.get(reverse("funds:report", args=[funds.illness.pk]), {"year": "1999"})
    assert response.status_code == 200
    assert "年度：该项目在所选年度没有数据" in response.content.decode()


# --- Dashboard ---------------------------------------------------------------------------------


def test_dashboard_figures(scene, funds, tree, users):
    cert = scene["cert"]
    account = PayeeAccount.objects.create(
        person=scene["e2"].person,
        kind="union_card",
        account_class="II",
        bank="工行",
        number="6222020200199887766",
    )
    batch = PayoutBatch.objects.create(programme=cert, org_unit=tree.city, name="证书补贴第一批")
    PayoutLine.objects.create(
        batch=batch, entitlement=scene["e2"], account=account, amount=100000, prediction="dormant"
    )
    board = selectors.dashboard(actor=users.admin, year=YEAR)
    rows = {r.programme.code: r for r in board["rows"]}
    r = rows["cert"]
    assert (r.budget, r.committed, r.paid, r.remaining) == (
        100_000_000,
        380000,
        200000,
        100_000_000 - 380000,
    )
    assert r.waiting == {1: 1, 2: 1}
    assert [n for _, _, n in r.waiting_levels] == [1, 1, 0]
    assert (r.failing, r.stuck) == (1, 1)
    assert r.sentence == f"{YEAR - 1}年，尚无会员获得技能等级证书补贴"
    assert [n for _, _, n in rows["illness"].waiting_levels][2] is None  # two levels only

    hd = {r.programme.code: r for r in selectors.dashboard(actor=users.hd, year=YEAR)["rows"]}
    assert "spring" not in hd  # Chaoyang's programme
    assert hd["cert"].budget is None  # the city's budget is not Haidian's
    assert hd["cert"].waiting == {1: 1} and hd["cert"].failing == 0


# --- Every page, every role ----------------------------------------------------------------------


@pytest.fixture
def member(tree):
    make_member(tree.cy_grass, "会员", username="member_t")
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="member_t")


ROLES = ["admin", "cy", "hd", "cy_street", "cy_grass", "auditor", "nopost"]


def test_every_page_as_every_role(scene, funds, users, member, client, tree):
    street_only = make_user("cy_street_node", tree.cy_street, "street_staff", scope="node")
    urls = [reverse("funds:dashboard")] + [
        reverse("funds:report", args=[p.pk])
        for p in (funds.certificate, funds.illness, funds.condolence, funds.studio)
    ]
    urls += [u + "?format=xlsx" for u in urls[1:]]
    urls.append(reverse("funds:report", args=[funds.certificate.pk]) + f"?node={tree.cy_grass.pk}")
    urls.append(reverse("funds:report", args=[999999]))
    for url in urls:
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url
    for who in [*(getattr(users, r) for r in ROLES), member, street_only]:
        client.force_login(who)
        for url in urls:
            status = client.get(url).status_code
            assert status in (200, 404), (who.username, url, status)
    expected = {
        "nopost": 404,
        "member_t": 404,
        "admin_t": 200,
        "hd_staff": 200,
        "cy_grass": 200,
    }
    for who in [users.nopost, member, users.admin, users.hd, users.cy_grass]:
        client.force_login(who)
        assert client.get(reverse("funds:dashboard")).status_code == expected[who.username]
    client.force_login(street_only)
    page = client.get(reverse("funds:report", args=[funds.certificate.pk])).content.decode()
    assert tree.cy_grass.name not in page  # a node-only post sees no child's figures


def test_only_the_nodes_with_figures(scene, users, tree, client):
    cert = scene["cert"]
    every = selectors.by_node(actor=users.admin, programme=cert, year=YEAR, node=tree.city)
    some = selectors.by_node(
        actor=users.admin, programme=cert, year=YEAR, node=tree.city, with_data=True
    )
    assert len(every["rows"]) > 2
    assert [r.label for r in some["rows"]] == [tree.chaoyang.name, tree.haidian.name]
    assert some["total"].amount == every["total"].amount
    client.force_login(users.admin)
    page = client.get(
        reverse("funds:report", args=[cert.pk]), {"year": YEAR, "with_data": "on"}
    ).content.decode()
    assert "东城区总工会" in every["rows"][0].label and "东城区总工会" not in page


def test_the_report_reads_in_a_fixed_number_of_queries(scene, users, client, tree):
    """The figures are GROUP BYs, not a walk per node or per row: more data, same count."""
    client.force_login(users.admin)
    url = reverse("funds:report", args=[scene["cert"].pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(url, {"year": YEAR})
    for n in range(5):
        person = make_member(tree.hd_grass, f"再{n}")
        app = application(scene["cert"], person, tree.hd_grass, "approved", amount=80000)
        entitlement(scene["cert"], person, tree.hd_grass, 80000, app=app)
    with CaptureQueriesContext(connection) as after:
        client.get(url, {"year": YEAR})
    # 27: the page's column choice (web.ListColumns) and the session's second factor (its
    # device, read by django-otp's middleware)
    assert len(after) == len(before) <= 27
