"""The accounts part of the demo: every payee gets an account through the services, the
seed's elder and dormant model worker get theirs, the same seed gives the same accounts,
and her 12,000元 is foreseen over her Ⅱ类 card's day with her passbook proposed."""

import random
from types import SimpleNamespace

import pytest
from faker import Faker
from stdnum.luhn import is_valid

from gonghui.audit.models import AuditEvent
from gonghui.funds.accounts import demo
from gonghui.funds.accounts.services import batch_predict
from gonghui.funds.models import PayeeAccount, PayoutLine
from tests.factories import make_member
from tests.funds.test_prediction_batch import TODAY, make_batch, pay_line

pytestmark = pytest.mark.django_db


def demo_world(tree, users):
    elder = make_member(tree.cy_grass, "高秀兰")
    dormant = make_member(tree.cy_grass, "王德顺")
    members = [make_member(tree.hd_grass, f"会员{i}", username=f"m{i}") for i in range(30)]
    world = SimpleNamespace(
        say=lambda text: None, staff={"admin": users.admin}, elder=elder, dormant=dormant
    )
    return world, members


def test_every_payee_gets_accounts_and_the_seed_s_two_theirs(tree, users):
    world, members = demo_world(tree, users)

    demo.build(world, Faker("zh_CN"), random.Random(18))

    assert {a.person_id for a in PayeeAccount.objects.all()} == {
        world.elder.pk,
        world.dormant.pk,
        *(m.pk for m in members),
    }
    assert world.accounts["made"] == PayeeAccount.objects.count()
    assert AuditEvent.objects.filter(action="funds.account_add").count() == world.accounts["made"]
    card, book = world.accounts["elder_card"], world.accounts["elder_passbook"]
    assert (card.kind, card.account_class, card.is_default) == ("union_card", "II", True)
    assert book.kind == "passbook"
    assert world.accounts["dormant_card"].status == "dormant"
    assert world.accounts["dormant_passbook"].kind == "passbook"
    kinds = [a.account_class for a in PayeeAccount.objects.filter(kind="union_card")]
    assert kinds.count("I") > len(kinds) / 2
    for account in PayeeAccount.objects.all():
        assert is_valid(account.number) and len(account.number) == 19


def test_the_same_seed_gives_the_same_accounts(tree, users):
    world, _members = demo_world(tree, users)
    demo.build(world, Faker("zh_CN"), random.Random(18))
    first = sorted(
        (a.person_id, a.kind, a.account_class, a.number) for a in PayeeAccount.objects.all()
    )
    PayeeAccount.objects.all().delete()
    demo.build(world, Faker("zh_CN"), random.Random(18))
    again = sorted(
        (a.person_id, a.kind, a.account_class, a.number) for a in PayeeAccount.objects.all()
    )
    assert first == again


def test_the_seed_s_spring_festival_lines_are_foreseen(funds, tree, users):
    world, _members = demo_world(tree, users)
    demo.build(world, Faker("zh_CN"), random.Random(18))
    batch = make_batch(funds.condolence)
    elder_line = pay_line(batch, world.elder, world.accounts["elder_card"], 1_200_000)
    dormant_line = pay_line(batch, world.dormant, world.accounts["dormant_card"], 500_000)

    counts = batch_predict(actor=users.cy, batch=batch, today=TODAY)

    assert counts == {"over_day": 1, "dormant": 1}
    elder_line, dormant_line = PayoutLine.objects.filter(
        pk__in=[elder_line.pk, dormant_line.pk]
    ).order_by("id")
    assert elder_line.alternative_id == world.accounts["elder_passbook"].pk
    assert dormant_line.alternative_id == world.accounts["dormant_passbook"].pk
    assert elder_line.in_time and dormant_line.in_time
