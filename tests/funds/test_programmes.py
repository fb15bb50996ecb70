"""Programmes (issue #18, points 1 and 3): programmes and who sees them, rules as versioned
data, budgets per node and year, the ledger and its corrections, hardship recognition; their
events, and refusals that name the field and write nothing."""

import copy
import json
from datetime import date

import pytest
import time_machine

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.funds import ledger
from gonghui.funds.models import Budget, Hardship, LedgerEntry, Programme, RuleVersion
from gonghui.funds.programmes import selectors
from gonghui.funds.programmes.services import (
    budget_set,
    hardship_end,
    hardship_set,
    ledger_correct,
    programme_create,
    programme_update,
    rule_change,
)
from tests.factories import make_member
from tests.funds.conftest import CERTIFICATE_RULE, ILLNESS_RULE, YEAR

pytestmark = pytest.mark.django_db
FIXED = {"kind": "fixed", "amount": 300000}


def events(action: str):
    return AuditEvent.objects.filter(action=action)


def changes_of(event) -> dict:
    return json.loads(event.body)["changes"]


# --- Programmes ------------------------------------------------------------------------------


def test_city_staff_set_up_a_programme_with_its_first_rule_version(tree, users):
    p = programme_create(
        actor=users.admin,
        org_unit=tree.city,
        code="Cert-2027",
        name="技能等级证书补贴",
        kind="certificate",
        rule=CERTIFICATE_RULE,
        levels=3,
        opens_on=date(2027, 1, 1),
        closes_on=date(2027, 12, 31),
    )
    assert p.code == "cert-2027" and p.levels == 3
    v1 = RuleVersion.objects.get(programme=p)
    assert v1.version == 1 and v1.rule == CERTIFICATE_RULE and v1.created_by == users.admin
    event = events("funds.programme_create").get()
    assert event.stream == f"funds:{p.pk}"
    assert changes_of(event)["rule_version"] == [None, 1]


def test_a_district_sets_up_its_own_programme_but_not_the_citys(tree, users):
    p = programme_create(
        actor=users.cy, org_unit=tree.chaoyang, code="cy-spring", name="春节慰问金",
        kind="condolence", entry="enrol", rule=FIXED,
    )  # fmt: skip
    assert p.org_unit == tree.chaoyang
    with pytest.raises(Forbidden):  # they see the city's programmes, do not manage them
        programme_create(
            actor=users.cy, org_unit=tree.city, code="x", name="x", kind="studio", rule=FIXED
        )
    with pytest.raises(NotFound):  # Haidian is not theirs to see
        programme_create(
            actor=users.cy, org_unit=tree.haidian, code="y", name="y", kind="studio", rule=FIXED
        )
    with pytest.raises(Forbidden):  # a street sees funds but manages nothing
        programme_create(
            actor=users.cy_street, org_unit=tree.chaoyang, code="z", name="z", kind="studio",
            rule=FIXED,
        )  # fmt: skip


def test_programme_refusals_name_the_field_and_write_nothing(tree, users, funds):
    cases = [
        ({"code": "cert"}, "code"),  # taken (the fixture's)
        ({"code": "证书"}, "code"),
        ({"name": " "}, "name"),
        ({"levels": 4}, "levels"),
        ({"kind": "lottery"}, "kind"),
        ({"rule": {"kind": "fixed", "amount": 0}}, "rule"),
        ({"rule": {"kind": "illness", **{k: v for k, v in ILLNESS_RULE.items() if k != "kind"}}},
         "rule"),  # an illness rule for a fixed-amount programme
        ({"opens_on": date(2027, 2, 1), "closes_on": date(2027, 1, 1)}, "closes_on"),
        ({"org_unit": tree.cy_street}, "org_unit"),
    ]  # fmt: skip
    before = (Programme.objects.count(), RuleVersion.objects.count(), AuditEvent.objects.count())
    for change, field in cases:
        data = {
            "actor": users.admin,
            "org_unit": tree.city,
            "code": "new",
            "name": "新项目",
            "kind": "studio",
            "rule": FIXED,
        } | change
        with pytest.raises(ValidationFailed) as refused:
            programme_create(**data)
        assert field in refused.value.fields, (change, refused.value.fields)
    after = (Programme.objects.count(), RuleVersion.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_programme_update_changes_settings_with_their_event(users, funds):
    p = programme_update(
        actor=users.admin, programme=funds.illness, name="大病救助（2027）", levels=3,
        is_active=False,
    )  # fmt: skip
    p.refresh_from_db()
    assert (p.name, p.levels, p.is_active) == ("大病救助（2027）", 3, False)
    changes = changes_of(events("funds.programme_update").get())
    assert changes["levels"] == [2, 3] and changes["is_active"] == [True, False]
    # Nothing changed: no event.
    programme_update(actor=users.admin, programme=p, name="大病救助（2027）")
    assert events("funds.programme_update").count() == 1
    with pytest.raises(ValidationFailed) as refused:
        programme_update(actor=users.admin, programme=p, code="other")
    assert "code" in refused.value.fields
    with pytest.raises(Forbidden):
        programme_update(actor=users.cy, programme=p, name="改名")


def test_who_sees_which_programme(tree, users, funds):
    hd_own = programme_create(
        actor=users.hd, org_unit=tree.haidian, code="hd-studio", name="海淀区工作室配套",
        kind="studio", rule=FIXED,
    )  # fmt: skip

    def seen(user):
        return set(selectors.programme_list(user).values_list("code", flat=True))

    city = {"cert", "illness", "studio"}
    assert seen(users.admin) == city | {"spring", "hd-studio"}
    assert seen(users.cy) == city | {"spring"}  # the city's and their own, not Haidian's
    assert seen(users.hd) == city | {"hd-studio"}
    assert seen(users.cy_grass) == city | {"spring"}  # above their union
    assert seen(users.nopost) == set()
    with pytest.raises(NotFound):
        selectors.programme_get(users.cy, hd_own.pk)


# --- Rules -----------------------------------------------------------------------------------


def test_a_rule_change_is_the_next_version_and_the_old_one_stays(users, funds):
    rule = copy.deepcopy(CERTIFICATE_RULE)
    rule["levels"]["一级"] = 250000
    rule["trades"] = {"2027": ["钳工"]}  # another feature's key: left alone
    v2 = rule_change(actor=users.admin, programme=funds.certificate, rule=rule, note="一级提高")
    assert v2.version == 2 and v2.rule == rule
    v1 = RuleVersion.objects.get(programme=funds.certificate, version=1)
    assert v1.rule == CERTIFICATE_RULE
    assert selectors.current_rule(funds.certificate) == v2
    history = selectors.rule_versions(funds.certificate)
    assert [v.version for v in history] == [2, 1]
    changes = {c.path: (c.before, c.after, c.kind) for c in history[0].changes}
    assert changes == {
        "levels.一级": (200000, 250000, "修改"),
        "trades.2027.1": (None, "钳工", "新增"),
    }
    event = events("funds.rule_change").get()
    assert event.stream == funds.certificate.stream
    assert changes_of(event)["version"] == [1, 2]


def test_a_bad_rule_is_refused_with_what_is_wrong(users, funds):
    bad = copy.deepcopy(ILLNESS_RULE)
    bad["bands"][2]["amounts"]["特别困难"] = 2000001  # over the 20,000元 maximum
    with pytest.raises(ValidationFailed) as refused:
        rule_change(actor=users.admin, programme=funds.illness, rule=bad, note="调整")
    assert "bands.3" in refused.value.fields["rule"]
    with pytest.raises(ValidationFailed) as refused:
        rule_change(actor=users.admin, programme=funds.illness, rule=ILLNESS_RULE, note="同")
    assert "相同" in refused.value.fields["rule"]
    with pytest.raises(ValidationFailed) as refused:
        rule_change(actor=users.admin, programme=funds.illness, rule={"kind": "fixed"}, note="")
    assert set(refused.value.fields) == {"rule", "note"}
    with pytest.raises(Forbidden):
        rule_change(actor=users.cy, programme=funds.illness, rule=FIXED, note="x")
    assert RuleVersion.objects.filter(programme=funds.illness).count() == 1
    assert not events("funds.rule_change").exists()


def test_rule_tables_read_as_people_read_them():
    cert = selectors.rule_table(CERTIFICATE_RULE)
    assert cert.levels[0] == ("一级", 200000, ["高级技师", "高级社会工作者"])
    illness = selectors.rule_table(ILLNESS_RULE)
    assert illness.grades == ["一般困难", "特别困难"]
    assert illness.bands[0] == (0, 5000000, [200000, 500000])
    assert illness.bands[-1] == (15000000, None, [1000000, 2000000])
    fixed = selectors.rule_table({"kind": "fixed", "amount": 7000000, "enrol": {"age": 60}})
    assert fixed.amount == 7000000 and fixed.extra[0][0] == "enrol"


# --- Budgets ---------------------------------------------------------------------------------


def test_budgets_are_set_per_node_and_year_and_never_below_committed(tree, users, funds):
    p = funds.illness
    b = budget_set(actor=users.cy, programme=p, org_unit=tree.chaoyang, year=2027, amount="600,000")
    assert (b.amount, b.org_unit, b.year) == (60_000_000, tree.chaoyang, 2027)
    ledger.commit(actor=users.cy, budget=b, amount=50_000_000)
    with pytest.raises(ValidationFailed) as refused:
        budget_set(actor=users.cy, programme=p, org_unit=tree.chaoyang, year=2027, amount="400000")
    assert "500,000.00元" in refused.value.fields["amount"]
    b = budget_set(
        actor=users.cy, programme=p, org_unit=tree.chaoyang, year=2027, amount=50_000_000
    )
    assert b.amount == b.committed == 50_000_000
    assert [changes_of(e)["amount"] for e in events("funds.budget_set").order_by("id")] == [
        [None, 60_000_000],
        [60_000_000, 50_000_000],
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "100.001"}, "amount"),  # a fraction of a fen
        ({"amount": "-5"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"year": 1999}, "year"),
    ],
)
def test_budget_refusals_name_the_field(tree, users, funds, change, field):
    data = {"actor": users.admin, "programme": funds.illness, "org_unit": tree.haidian,
            "year": 2027, "amount": "1000"} | change  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:
        budget_set(**data)
    assert field in refused.value.fields
    assert not Budget.objects.filter(org_unit=tree.haidian).exists()


def test_budget_scope(tree, users, funds):
    with pytest.raises(NotFound):  # Haidian's node is not Chaoyang's
        budget_set(actor=users.cy, programme=funds.illness, org_unit=tree.haidian, year=2027,
                   amount="1")  # fmt: skip
    with pytest.raises(ValidationFailed) as refused:  # Chaoyang's programme, Haidian's node
        budget_set(actor=users.admin, programme=funds.condolence, org_unit=tree.haidian,
                   year=2027, amount="1")  # fmt: skip
    assert "org_unit" in refused.value.fields


def test_budget_figures_by_node_and_month(tree, users, funds):
    p = funds.illness
    city = Budget.objects.get(programme=p, year=YEAR)
    cy = budget_set(actor=users.cy, programme=p, org_unit=tree.chaoyang, year=YEAR, amount="10000")
    with time_machine.travel(date(YEAR, 1, 15), tick=False):
        ledger.commit(actor=users.admin, budget=city, amount=500_000)
        c2 = ledger.commit(actor=users.cy, budget=cy, amount=200_000)
        ledger.commit(actor=users.cy, budget=cy, amount=100_000)
    with time_machine.travel(date(YEAR, 2, 10), tick=False):
        ledger.release(actor=users.cy, budget=cy, amount=100_000)  # an entitlement cancelled
        ledger.release(actor=users.cy, budget=cy, amount=c2.amount)  # and another
    nodes = {r["org_unit"].code: r for r in selectors.budget_figures(p, YEAR, by=("org_unit",))}
    cy_row = nodes[tree.chaoyang.code]
    cy.refresh_from_db()
    # The node's committed is the budget's own counter; the ledger's sum agrees with it.
    assert cy_row["committed"] == cy.committed == cy_row["ledger_committed"] == 0
    assert cy_row["remaining"] == 1_000_000
    assert nodes[tree.city.code]["committed"] == 500_000
    assert nodes[tree.city.code]["remaining"] == city.amount - 500_000
    months = {r["month"]: r for r in selectors.budget_figures(p, YEAR, by=("month",))}
    assert months[f"{YEAR}-01"]["committed"] == 800_000
    assert months[f"{YEAR}-02"]["committed"] == -300_000
    grid = selectors.budget_figures(p, YEAR)
    assert {(r["org_unit"].code, r["month"]) for r in grid} == {
        (tree.city.code, f"{YEAR}-01"),
        (tree.chaoyang.code, f"{YEAR}-01"),
        (tree.chaoyang.code, f"{YEAR}-02"),
    }
    # A Haidian viewer sees no Chaoyang budget, nor the city's (out of their scope).
    assert selectors.budget_figures(p, YEAR, by=("org_unit",), actor=users.hd) == []
    assert [r["org_unit"] for r in selectors.budget_figures(
        p, YEAR, by=("org_unit",), actor=users.cy)] == [tree.chaoyang]  # fmt: skip


def test_paid_and_returned_figures(tree, users, funds):
    """Payments and returns as the payouts write them (a line paid, a line returned)."""
    from tests.funds.test_guards import paid_line

    p = funds.illness
    line, budget = paid_line(tree, users, p, amount=300_000)
    ledger.returned(actor=users.admin, line=line)
    (row,) = selectors.budget_figures(p, YEAR, by=("org_unit",))
    assert (row["committed"], row["paid"], row["returned"]) == (300_000, 300_000, 300_000)
    pay = LedgerEntry.objects.get(kind="pay", line=line)
    ledger_correct(actor=users.admin, entry=pay, note="重复记账")
    (row,) = selectors.budget_figures(p, YEAR, by=("org_unit",))
    assert row["paid"] == 0 and row["returned"] == 300_000


# --- Ledger corrections ----------------------------------------------------------------------


def test_a_correction_is_a_reversing_row_with_its_event(tree, users, funds):
    from tests.funds.test_guards import paid_line

    line, budget = paid_line(tree, users, funds.illness, amount=500_000)
    entry = LedgerEntry.objects.get(kind="pay", line=line)
    row = ledger_correct(actor=users.admin, entry=entry, note="录入错误，冲正")
    assert (row.kind, row.amount, row.reverses_id) == ("reverse", -500_000, entry.pk)
    budget.refresh_from_db()
    assert budget.committed == 500_000  # a payment's correction leaves the commitment
    entry.refresh_from_db()
    assert entry.amount == 500_000  # the row itself never changes
    event = events("funds.ledger_correct").get()
    assert event.stream == funds.illness.stream
    assert changes_of(event)["reverses"] == [None, entry.pk]
    with pytest.raises(ValidationFailed) as refused:
        ledger_correct(actor=users.admin, entry=entry, note="再冲一次")
    assert "entry" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        ledger_correct(actor=users.admin, entry=row, note="冲正冲正")
    assert "entry" in refused.value.fields
    assert events("funds.ledger_correct").count() == 1


def test_a_correction_needs_a_reason_and_the_budget_node(tree, users, funds):
    from tests.funds.test_guards import paid_line

    line, _budget = paid_line(tree, users, funds.illness, amount=500_000)
    entry = LedgerEntry.objects.get(kind="pay", line=line)
    with pytest.raises(ValidationFailed) as refused:
        ledger_correct(actor=users.admin, entry=entry, note="  ")
    assert "note" in refused.value.fields
    with pytest.raises(NotFound):  # the city's budget is not Chaoyang's to see nor correct
        ledger_correct(actor=users.cy, entry=entry, note="冲正")
    assert LedgerEntry.objects.count() == 2


def test_commitments_and_releases_are_not_corrected_by_hand(tree, users, funds):
    """Reversing a commitment would free room while its entitlement stays payable (and a
    run's single commitment a whole run's): they follow approvals and cancellations only."""
    budget = Budget.objects.get(programme=funds.condolence, year=YEAR)
    commit = ledger.commit(actor=users.cy, budget=budget, amount=budget.amount)
    release = ledger.release(actor=users.cy, budget=budget, amount=100_000)
    for entry in (commit, release):
        with pytest.raises(ValidationFailed) as refused:
            ledger_correct(actor=users.cy, entry=entry, note="冲正")
        assert "取消对应的应发记录" in refused.value.fields["entry"]
    budget.refresh_from_db()
    assert budget.committed == budget.amount - 100_000
    assert not LedgerEntry.objects.filter(kind="reverse").exists()


def test_the_ledger_list_is_scoped_and_filtered(tree, users, funds):
    p = funds.illness
    city = Budget.objects.get(programme=p, year=YEAR)
    cy = budget_set(actor=users.cy, programme=p, org_unit=tree.chaoyang, year=YEAR, amount="10000")
    ledger.commit(actor=users.admin, budget=city, amount=100_000)
    ledger.commit(actor=users.cy, budget=cy, amount=200_000)
    assert selectors.ledger_rows(users.admin, p).count() == 2
    assert [e.amount for e in selectors.ledger_rows(users.cy, p)] == [200_000]
    assert selectors.ledger_rows(users.hd, p).count() == 0
    assert selectors.ledger_rows(users.admin, p, org_unit=tree.chaoyang).count() == 1
    assert selectors.ledger_rows(users.admin, p, kind="pay").count() == 0


# --- Hardship --------------------------------------------------------------------------------


def test_hardship_recognition_ends_the_open_one_first(tree, users):
    person = make_member(tree.cy_grass, "王秀英")
    with time_machine.travel(date(2026, 3, 1), tick=False):
        first = hardship_set(actor=users.cy, person=person, grade="一般困难",
                             since=date(2025, 6, 1), note="因病致困")  # fmt: skip
        second = hardship_set(actor=users.cy, person=person, grade="特别困难",
                              since=date(2026, 1, 10))  # fmt: skip
    first.refresh_from_db()
    assert first.until == date(2026, 1, 9) and second.until is None
    assert second.org_unit == tree.cy_grass
    events_ = events("funds.hardship_set").order_by("id")
    assert changes_of(events_.last())["ended"] == [None, first.pk]
    assert changes_of(events_.last())["grade"] == ["一般困难", "特别困难"]
    with time_machine.travel(date(2026, 3, 1), tick=False):
        hardship_end(actor=users.cy, hardship=second, until=date(2026, 2, 28))
    second.refresh_from_db()
    assert second.until == date(2026, 2, 28)
    assert events("funds.hardship_end").count() == 1
    with pytest.raises(ValidationFailed):
        hardship_end(actor=users.cy, hardship=second, until=date(2026, 3, 1))


def test_hardship_refusals(tree, users):
    person = make_member(tree.cy_grass, "王秀英")
    with time_machine.travel(date(2026, 3, 1), tick=False):
        for change, field in [
            ({"grade": "很困难"}, "grade"),
            ({"since": date(2026, 3, 2)}, "since"),  # in the future
            ({"note": "长" * 201}, "note"),
        ]:
            data = {"actor": users.cy, "person": person, "grade": "一般困难",
                    "since": date(2026, 1, 1)} | change  # fmt: skip
            with pytest.raises(ValidationFailed) as refused:
                hardship_set(**data)
            assert field in refused.value.fields
        with pytest.raises(NotFound):  # not Haidian's member
            hardship_set(actor=users.hd, person=person, grade="一般困难", since=date(2026, 1, 1))
        with pytest.raises(Forbidden):  # the grassroots union sees, does not recognise
            hardship_set(
                actor=users.cy_grass, person=person, grade="一般困难", since=date(2026, 1, 1)
            )
        h = hardship_set(actor=users.cy, person=person, grade="一般困难", since=date(2026, 1, 1))
        with pytest.raises(ValidationFailed) as refused:  # before the open recognition
            hardship_set(actor=users.cy, person=person, grade="特别困难", since=date(2025, 1, 1))
        assert "2026-01-01" in refused.value.fields["since"]
        with pytest.raises(ValidationFailed):
            hardship_end(actor=users.cy, hardship=h, until=date(2025, 12, 31))
    assert Hardship.objects.count() == 1


def test_hardship_list_filters_and_scope(tree, users):
    cy_person = make_member(tree.cy_grass, "王秀英")
    hd_person = make_member(tree.hd_grass, "李桂兰")
    with time_machine.travel(date(2026, 3, 1), tick=False):
        hardship_set(actor=users.cy, person=cy_person, grade="特别困难", since=date(2026, 1, 1))
        hardship_set(actor=users.hd, person=hd_person, grade="一般困难", since=date(2026, 1, 1))

    def names(user, **f):
        return [h.person.name for h in selectors.hardship_list(user, **f)]

    assert sorted(names(users.admin)) == ["李桂兰", "王秀英"]
    assert names(users.cy) == ["王秀英"]
    assert names(users.hd) == ["李桂兰"]
    assert names(users.admin, grade="特别困难") == ["王秀英"]
    assert names(users.admin, district=tree.haidian) == ["李桂兰"]
    assert names(users.admin, q="桂") == ["李桂兰"]
    assert names(users.admin, q="liguilan") == names(users.admin, q="lgl") == ["李桂兰"]
    assert names(users.cy, q="lgl") == []  # scope still holds
    assert [p.name for p in selectors.person_candidates(users.hd, "lgl")] == ["李桂兰"]
    assert [p.name for p in selectors.person_candidates(users.cy, "lgl")] == []
    assert names(users.nopost) == []
    assert [p.name for p in selectors.person_candidates(users.cy, "李")] == []
    assert [p.name for p in selectors.person_candidates(users.hd, "李")] == ["李桂兰"]
