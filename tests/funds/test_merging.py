"""A merge of two records of one person carries the funds' rows (applications,
entitlements, hardship records, payee accounts) and gives them back when undone; what the
two records cannot both hold stops the merge until staff resolve it."""

from datetime import date

import pytest
from stdnum import luhn

from gonghui.common.errors import Conflict
from gonghui.funds.models import Application, Hardship, PayeeAccount
from gonghui.registry.services import merge_reverse, person_merge
from tests.factories import make_member
from tests.funds.conftest import YEAR

pytestmark = pytest.mark.django_db


def account(person, body: str, **extra) -> PayeeAccount:
    return PayeeAccount.objects.create(
        person=person,
        kind="bank_card",
        account_class="I",
        bank="工商银行",
        number=body + luhn.calc_check_digit(body),
        **extra,
    )


def test_a_merge_carries_the_funds_rows_and_an_undo_gives_them_back(funds, tree, users):
    survivor = make_member(tree.cy_grass, "钱敏")
    loser = make_member(tree.cy_street, "钱敏")
    Application.objects.filter(person=loser).delete()
    kept_default = account(survivor, "622202020011223344", is_default=True)
    moved = account(loser, "622202020099887766", is_default=True)
    Hardship.objects.create(
        person=loser, org_unit=tree.cy_grass, grade="一般困难", since=date(2024, 1, 1)
    )
    application = Application.objects.create(
        programme=funds.illness,
        person=loser,
        org_unit=tree.cy_grass,
        year=YEAR,
        rule_version=funds.illness.rule_versions.get(),
    )

    merge = person_merge(actor=users.admin, survivor=survivor, loser=loser)

    moved.refresh_from_db()
    application.refresh_from_db()
    assert moved.person_id == survivor.pk and not moved.is_default  # one default a person
    assert PayeeAccount.objects.get(pk=kept_default.pk).is_default
    assert application.person_id == survivor.pk
    assert Hardship.objects.get().person_id == survivor.pk

    merge_reverse(actor=users.admin, merge=merge)

    moved.refresh_from_db()
    application.refresh_from_db()
    assert moved.person_id == loser.pk and moved.is_default
    assert application.person_id == loser.pk
    assert Hardship.objects.get().person_id == loser.pk


def test_two_open_hardship_records_or_one_account_number_twice_stop_the_merge(tree, users):
    survivor = make_member(tree.cy_grass, "孙立")
    loser = make_member(tree.cy_street, "孙立")
    for person in (survivor, loser):
        account(person, "622202020011223344")
    with pytest.raises(Conflict) as refused:
        person_merge(actor=users.admin, survivor=survivor, loser=loser)
    assert "同一个收款账号" in str(refused.value.message)
    assert "6222" not in str(refused.value.message)  # the number is never quoted
    PayeeAccount.objects.filter(person=loser).delete()
    for person in (survivor, loser):
        Hardship.objects.create(
            person=person, org_unit=tree.cy_grass, grade="一般困难", since=date(2024, 1, 1)
        )
    with pytest.raises(Conflict) as refused:
        person_merge(actor=users.admin, survivor=survivor, loser=loser)
    assert "困难认定" in str(refused.value.message)
