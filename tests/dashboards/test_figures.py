"""Every chart's numbers equal direct queries over the same data (built through the
services, then refreshed), and a write is in the figures after the worker's minute."""

from collections import Counter

import pytest
from django.db.models import Q

from gonghui.dashboards import charts, selectors
from gonghui.dashboards.metrics import METRICS
from gonghui.dashboards.models import Fact, MetricState
from gonghui.dashboards.refresh import due, refresh, refresh_due
from gonghui.funds.models import Budget, LedgerEntry
from gonghui.orgs.models import OrgUnit, path_next
from gonghui.registry.models import Award
from gonghui.registry.services import award_create, award_revoke
from tests.funds.conftest import funds  # noqa: F401  (a fixture)


def within(unit: OrgUnit, via: str = "org_unit") -> Q:
    """A direct subtree filter, written here rather than borrowed from the code under test."""
    return Q(**{f"{via}__path__gte": unit.path, f"{via}__path__lt": path_next(unit.path)})


def direct_awards(unit, first=None, last=None):
    qs = Award.objects.filter(within(unit), status=Award.Status.ACTIVE)
    if first:
        qs = qs.filter(year__gte=first)
    if last:
        qs = qs.filter(year__lte=last)
    return qs


def table(page, chart_id, node, years=selectors.ALL_YEARS) -> dict:
    spec = charts.spec_get(page, chart_id)
    t = charts.chart(spec, node, years)
    return {row[0]: dict(zip(t["columns"][1:], row[1:], strict=True)) for row in t["rows"]}


@pytest.mark.parametrize("years", [(None, None), (2015, 2020), (2016, None), (None, 2015)])
@pytest.mark.parametrize("where", ["city", "chaoyang", "haidian", "cy_street"])
def test_registry_charts_equal_direct_counts(honoured, tree, years, where):
    refresh()
    node = getattr(tree, where)
    span = selectors.Years(*years)
    awards = direct_awards(node, *years)

    by_year = table("registry", "awards_year", node, span)
    expected = Counter()
    for year, honour in awards.values_list("year", "honour__name"):
        expected[f"{year}年", honour] += 1
    got = {(y, h): n for y, row in by_year.items() for h, n in row.items() if n}
    assert got == dict(expected)

    by_child = table("registry", "awards_child", node, span)
    for child in OrgUnit.objects.filter(parent=node):
        n = direct_awards(child, *years).count()
        assert sum(by_child.get(child.name, {}).values()) == n, child.name
    here = awards.filter(org_unit=node).count()
    assert sum(by_child.get(charts.HERE, {}).values()) == here

    shares = table("registry", "awards_category", node, span)
    expected = Counter(awards.values_list("categories__name", flat=True).exclude(categories=None))
    assert {k: v["人次"] for k, v in shares.items()} == dict(expected)


def test_headline_equals_direct_counts(honoured, tree):
    refresh()
    for node in (tree.city, tree.chaoyang, tree.hd_grass):
        shown, _ = charts.page_charts(charts.LEADER, node, selectors.ALL_YEARS)
        tiles = {t["label"]: t["value"] for t in shown}
        assert tiles["荣誉授予"] == f"{direct_awards(node).count():,} 人次"


def test_funds_money_equals_the_ledger(funds, tree, users):  # noqa: F811
    """Budget, committed and paid (fen), with a reversal, at the city and in Chaoyang."""
    cy_budget = Budget.objects.create(
        programme=funds.certificate, org_unit=tree.chaoyang, year=2026, amount=3_000_000
    )
    city_budget = Budget.objects.get(programme=funds.certificate, org_unit=tree.city)
    rows = [
        (cy_budget, "commit", 500_000, None),
        (cy_budget, "pay", -400_000, None),
        (city_budget, "commit", 1_000_000, None),
        (city_budget, "pay", -250_000, None),
    ]
    made = [
        LedgerEntry.objects.create(
            programme=funds.certificate, budget=b, kind=k, amount=a, month="2026-03", reverses=r
        )
        for b, k, a, r in rows
    ]
    LedgerEntry.objects.create(
        programme=funds.certificate,
        budget=cy_budget,
        kind="reverse",
        amount=400_000,
        month="2026-04",
        reverses=made[1],
    )
    refresh(["funds.money"])

    def direct(node, kinds):
        ledger = LedgerEntry.objects.filter(within(node, "budget__org_unit"))
        return sum(
            e.amount
            for e in ledger
            if e.kind in kinds or (e.kind == "reverse" and e.reverses.kind in kinds)
        )

    for node in (tree.city, tree.chaoyang):
        budget = sum(b.amount for b in Budget.objects.filter(within(node)))
        got = table("funds", "funds_year", node)["2026年"]
        assert got == {
            "预算（元）": budget / 100,
            "已承诺（元）": direct(node, ("commit", "release")) / 100,
            "已支付（元）": direct(node, ("pay", "return")) / 100,
        }
    children = table("funds", "funds_child", tree.city)
    assert children["朝阳区总工会"]["已支付（元）"] == 0  # paid, then reversed
    cy_total = sum(b.amount for b in Budget.objects.filter(within(tree.chaoyang)))
    assert children["朝阳区总工会"]["预算（元）"] == cy_total / 100
    assert "海淀区总工会" not in children  # no figures: no bar


def test_the_overviews_totals_equal_direct_counts(honoured, tree):
    refresh()
    by_year = table("leader", "leader_awards_year", tree.city)
    expected = Counter(f"{y}年" for y in direct_awards(tree.city).values_list("year", flat=True))
    assert {y: row["授予人次"] for y, row in by_year.items()} == dict(expected)
    by_child = table("leader", "leader_awards_child", tree.city)
    assert by_child["朝阳区总工会"] == {"授予人次": direct_awards(tree.chaoyang).count()}
    assert by_child[charts.HERE] == {
        "授予人次": direct_awards(tree.city).filter(org_unit=tree.city).count()
    }


def test_facts_are_rolled_up_to_every_ancestor(honoured, tree):
    refresh(["awards.honour"])
    facts = Fact.objects.filter(metric="awards.honour")
    for node in (tree.city, tree.chaoyang, tree.cy_street, tree.cy_grass):
        assert sum(f.value for f in facts.filter(node=node)) == direct_awards(node).count()
        assert all(f.parent_id == node.parent_id for f in facts.filter(node=node))


def test_a_write_is_in_the_figures_after_the_workers_minute(honoured, tree, users, honours):
    refresh()
    assert due() == ([], due()[1])  # nothing due right after a full rebuild
    assert refresh_due() == "nothing due"
    before = MetricState.objects.get(metric="awards.honour").refreshed_at
    person = honoured.awards[1].person
    award_create(
        actor=users.admin, honour=honours["beijing-model-worker"], person=person, year=2025
    )
    codes, _ = due()
    assert set(codes) == {"awards.honour", "awards.category", "training.studio"}
    refresh_due()
    assert MetricState.objects.get(metric="awards.honour").refreshed_at >= before
    assert table("registry", "awards_year", tree.city)["2025年"]["北京市劳动模范"] == 1
    award_revoke(actor=users.admin, award=honoured.awards[0], reason="撤销测试", on=None)
    refresh_due()
    assert "2015年" not in table("registry", "awards_year", tree.cy_grass)  # its one award
    assert refresh_due() == "nothing due"


def test_every_metric_builds(db):
    """Each metric's queries run on this database (no rows: nothing written)."""
    assert refresh() == dict.fromkeys(METRICS, 0)
