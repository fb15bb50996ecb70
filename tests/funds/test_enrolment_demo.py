"""The enrolment part of the demo, on a world the programmes part would leave."""

from datetime import date
from types import SimpleNamespace

import pytest

from gonghui.funds.enrolment import demo
from gonghui.funds.models import Budget, Entitlement, LedgerEntry, RuleVersion
from gonghui.funds.programmes.demo import HARDSHIP, SPRING
from gonghui.people.models import Membership, Person
from tests.funds.conftest import make_programme
from tests.funds.test_enrolment import model_worker

pytestmark = pytest.mark.django_db


def test_the_demo_leaves_the_spring_runs_and_the_hardship_run(funds, tree, users):
    spring = funds.condolence  # with the rule the programmes part gives it
    RuleVersion.objects.create(programme=spring, version=2, rule=SPRING)
    Budget.objects.create(programme=spring, org_unit=tree.chaoyang, year=2027, amount=50_000_000)
    hardship = make_programme(
        "hardship",
        "困难劳模帮扶",
        "hardship",
        tree.city,
        HARDSHIP,
        entry="enrol",
        budget=100_000_000,
    )
    elder = model_worker(tree.cy_grass, "严秀兰", "特别困难", birth_date=date(1942, 3, 1))
    Membership.objects.filter(person=elder).update(status="left", left_on=date(2022, 3, 1))
    Person.objects.filter(pk=elder.pk).update(status="retired")
    dormant = model_worker(tree.cy_street, "王建国", "一般困难")
    model_worker(tree.hd_grass, "海淀劳模", "一般困难")
    world = SimpleNamespace(
        programmes={"spring": spring, "hardship": hardship},
        staff={"admin": users.admin, "chaoyang": users.cy},
        elder=elder,
        dormant=dormant,
        say=lambda text: None,
    )

    demo.build(world, None, None)

    run = world.spring_2026
    assert run.deadline == date(2026, 2, 14) and run.status == "enrolled"
    amounts = dict(Entitlement.objects.filter(run=run).values_list("person__name", "amount"))
    assert amounts == {"严秀兰": 1200000, "王建国": 500000}
    assert LedgerEntry.objects.get(programme=spring, budget__year=2026).month == "2026-01"
    assert world.spring_2027.enrolled == 2 and world.spring_2027.deadline == date(2027, 2, 5)
    assert world.hardship_run.enrolled == 3  # the city's run: Haidian's model worker too
