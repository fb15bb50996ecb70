"""The programmes part of `gonghui demo`: the seeds' six programmes with their rules (the
certificate subsidy's in two versions), budgets for 2018 (critical illness), 2025–2027,
hardship records of model workers in several districts — the elder among them (a woman in
her eighties, 特别困难, Chaoyang) and the dormant card's owner (一般困难, Chaoyang) — and
the pages showing them to the demo logins."""

from datetime import date

import pytest

from gonghui.common.demo import DEMO_PASSWORD
from gonghui.funds.models import Budget, Hardship, Programme, RuleVersion
from gonghui.orgs.models import OrgUnit
from gonghui.registry.models import Award
from tests.demo import demo_built


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker):
    with demo_built(django_db_blocker, people=200, contest_trades=1) as printed:
        yield printed


@pytest.mark.django_db
def test_the_programmes_rules_and_budgets(built):
    assert any("资金帮扶：6 个项目" in line for line in built)
    codes = dict(Programme.objects.values_list("code", "org_unit__code"))
    assert set(codes) == {"cert", "illness", "hardship", "spring", "studio", "studio_topup"}
    assert codes["spring"] == codes["studio_topup"] == "110105"  # Chaoyang's own
    city = OrgUnit.objects.get(parent__isnull=True)
    assert {codes[c] for c in ("cert", "illness", "hardship", "studio")} == {city.code}
    assert Programme.objects.get(code="spring").entry == "enrol"
    cert = RuleVersion.objects.filter(programme__code="cert").order_by("version")
    assert [v.version for v in cert] == [1, 2]
    assert cert[1].rule["aliases"]["社会工作者"] == "二级"
    spring = RuleVersion.objects.get(programme__code="spring").rule
    assert spring["enrol"]["amounts_by_grade"] == {"一般困难": 500000, "特别困难": 1200000}
    illness_2018 = Budget.objects.get(programme__code="illness", year=2018)
    assert illness_2018.amount >= 60_000_000
    for code in codes:
        assert set(
            Budget.objects.filter(programme__code=code, org_unit__code=codes[code]).values_list(
                "year", flat=True
            )
        ) >= {2025, 2026, 2027}


@pytest.mark.django_db
def test_the_hardship_records_and_the_seeds_elder(built):
    chaoyang = OrgUnit.objects.get(code="110105")
    open_ = Hardship.objects.filter(until__isnull=True).select_related("person", "org_unit")
    assert open_.count() >= 15
    districts = {h.org_unit.path[:12] for h in open_}
    assert len(districts) >= 2  # several districts
    model_workers = set(
        Award.objects.filter(
            honour__code__in=("beijing-model-worker", "national-model-worker")
        ).values_list("person_id", flat=True)
    )
    assert all(h.person_id in model_workers for h in open_)
    elder = open_.get(person__name="张桂芬")
    assert elder.grade == "特别困难" and elder.org_unit.path.startswith(chaoyang.path)
    assert elder.person.gender == "F"
    assert (date(2026, 2, 17) - elder.person.birth_date).days // 365 >= 80
    assert Hardship.objects.filter(person=elder.person).count() == 2  # graded up once
    dormant = open_.get(person__name="刘长顺")
    assert dormant.grade == "一般困难" and dormant.org_unit.path.startswith(chaoyang.path)


@pytest.mark.django_db
def test_the_demo_logins_see_the_pages(built, client):
    illness = Programme.objects.get(code="illness")
    client.login(username="chaoyang", password=DEMO_PASSWORD)
    for url in (
        "/funds/",
        f"/funds/p/{illness.pk}/",
        f"/funds/p/{illness.pk}/rules/",
        f"/funds/p/{illness.pk}/budgets/?year=2026",
        f"/funds/p/{illness.pk}/ledger/",
        "/funds/hardship/",
    ):
        assert client.get(url).status_code == 200, url
    assert "张桂芬" in client.get("/funds/hardship/").content.decode()
    client.login(username="laomo", password=DEMO_PASSWORD)
    page = client.get(f"/funds/p/{illness.pk}/budgets/?year=2018").content.decode()
    assert "800,000.00" in page
