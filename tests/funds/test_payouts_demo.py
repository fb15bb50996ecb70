"""The payouts part of the demo, on a small world shaped as the earlier parts leave it
(contracts), with the accounts feature's prediction stood in for (another branch): every
batch reaches the state the demo promises."""

import sys
import types
from datetime import timedelta
from types import SimpleNamespace

import pytest

from gonghui.common import workdays
from gonghui.funds.models import Entitlement, PayoutLine, Run
from gonghui.funds.payouts import demo
from tests.factories import make_user
from tests.funds.test_payouts_world import (  # noqa: F401  (world_fixture: the fixture)
    account_for,
    owe,
    predict,
    world_fixture,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def stand_in_accounts(monkeypatch):
    module = types.ModuleType("gonghui.funds.accounts.services")

    def batch_predict(*, actor, batch, today=None, progress=None):
        predict(batch)
        return {"ok": batch.lines.count()}

    module.batch_predict = batch_predict
    module.batch_reroute = lambda *, actor, batch: 0
    monkeypatch.setitem(sys.modules, "gonghui.funds.accounts.services", module)


def test_the_demo_part_builds_every_batch_it_promises(world, stand_in_accounts):
    tree, funds = world.tree, world.funds
    run = Run.objects.create(
        programme=funds.condolence,
        org_unit=tree.chaoyang,
        name="2026年春节慰问",
        year=2026,
        deadline=workdays.today() + timedelta(days=12),
        status="enrolled",
    )
    Entitlement.objects.filter(programme=funds.condolence).update(run=run)
    for i in range(2):
        person = world.people[i]
        owe(funds.certificate, person, 100_000 * (i + 1), org_unit=tree.cy_grass)
    w = SimpleNamespace(
        say=lambda text: None,
        programmes={
            "spring": funds.condolence,
            "cert": funds.certificate,
            "illness": funds.illness,
        },
        staff={
            "admin": world.users.admin,
            "laomo": make_user("laomo_t", tree.city, "dept_staff"),
            "chaoyang": world.users.cy,
        },
        spring_2026=run,
        illness_2018=[],
    )
    demo.build(w, None, __import__("random").Random(7))
    spring = w.batches["spring_2026"]
    assert spring.status == "settled" and spring.line_count == 3
    assert spring.settled_at.date() <= run.deadline
    cert = w.batches["cert"]
    lines = PayoutLine.objects.filter(batch=cert)
    assert lines.filter(status="superseded").count() == 2
    assert lines.filter(method="cash", status="paid").count() == 1
    assert lines.filter(status="pending", supersedes__isnull=False).count() == 1
