"""Funds fixtures shared by every feature's tests: the programmes of the seeds with their
first rule versions and this year's budgets (made directly, as the programme pages would
save them), and members with active memberships in both districts."""

from dataclasses import dataclass

import pytest

from gonghui.funds.models import Budget, Programme, RuleVersion

YEAR = 2026

CERTIFICATE_RULE = {
    "kind": "certificate",
    "levels": {"一级": 200000, "二级": 100000, "三级": 80000},
    "aliases": {
        "高级技师": "一级",
        "技师": "二级",
        "高级工": "三级",
        "高级社会工作者": "一级",
        "社会工作者": "二级",
    },
    "finalists": {"final": 10, "semi_final": 5, "level": "二级"},
}
ILLNESS_RULE = {
    "kind": "illness",
    "min": 200000,
    "max": 2000000,
    "cap_per_year": 2000000,
    "bands": [
        {"from": 0, "amounts": {"一般困难": 200000, "特别困难": 500000}},
        {"from": 5000000, "amounts": {"一般困难": 500000, "特别困难": 1000000}},
        {"from": 15000000, "amounts": {"一般困难": 1000000, "特别困难": 2000000}},
    ],
}
CONDOLENCE_RULE = {"kind": "fixed", "amount": 300000}
STUDIO_RULE = {"kind": "fixed", "amount": 7000000}


@dataclass
class Funds:
    certificate: Programme
    illness: Programme
    condolence: Programme
    studio: Programme


def make_programme(code, name, kind, org_unit, rule, *, entry="apply", levels=2, budget=None):
    programme = Programme.objects.create(
        code=code, name=name, kind=kind, entry=entry, org_unit=org_unit, levels=levels
    )
    RuleVersion.objects.create(programme=programme, version=1, rule=rule)
    if budget is not None:
        Budget.objects.create(programme=programme, org_unit=org_unit, year=YEAR, amount=budget)
    return programme


@pytest.fixture
def funds(tree):
    """The seeds' programmes: the city's certificate subsidy (three levels: the city
    approves) and critical-illness aid (two), Chaoyang's Spring Festival condolence money
    (enrolled by rule) and the city's studio grants; each with this year's budget at its
    organiser."""
    return Funds(
        certificate=make_programme(
            "cert",
            "技能等级证书补贴",
            "certificate",
            tree.city,
            CERTIFICATE_RULE,
            levels=3,
            budget=100_000_000,
        ),
        illness=make_programme(
            "illness", "大病救助", "illness", tree.city, ILLNESS_RULE, budget=100_000_000
        ),
        condolence=make_programme(
            "spring",
            "春节慰问金",
            "condolence",
            tree.chaoyang,
            CONDOLENCE_RULE,
            entry="enrol",
            budget=50_000_000,
        ),
        studio=make_programme(
            "studio", "创新工作室资助", "studio", tree.city, STUDIO_RULE, budget=100_000_000
        ),
    )
