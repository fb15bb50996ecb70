"""Payee accounts (收款账户): registered through the service with the number checked,
encrypted and never quoted; duplicates refused by blind index; status as the bank reported
it; the full number only through an audited reveal; the bank's status report imported."""

import json
from datetime import date, timedelta

import pytest
from django.db import connection

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.common.workdays import today
from gonghui.funds.accounts.services import (
    account_add,
    account_reveal,
    account_update,
    accounts_status_import,
)
from gonghui.funds.models import PayeeAccount
from tests.factories import make_member
from tests.funds.test_prediction_batch import card_number

pytestmark = pytest.mark.django_db

CARD = "6217000010000000003"  # 19 digits, valid Luhn
CARD_TAIL = "0003"


@pytest.fixture
def payee(tree):
    return make_member(tree.cy_grass, "高秀兰")


def add(actor, person, **fields):
    fields.setdefault("kind", "union_card")
    fields.setdefault("account_class", "II")
    fields.setdefault("bank", "北京银行")
    fields.setdefault("number", CARD)
    return account_add(actor=actor, person=person, **fields)


def event_body(action):
    return json.loads(AuditEvent.objects.filter(action=action).latest("id").body)


def test_an_account_is_stored_encrypted_and_recorded_masked(payee, users):
    account = add(users.cy, payee, last_activity=today() - timedelta(days=3))

    account.refresh_from_db()
    assert account.number == CARD and account.is_default  # the first becomes the default
    with connection.cursor() as cursor:
        cursor.execute("SELECT number FROM funds_payeeaccount WHERE id = %s", [account.pk])
        (stored,) = cursor.fetchone()
    assert CARD not in stored
    body = event_body("funds.account_add")
    assert CARD not in json.dumps(body)
    assert body["changes"]["number"] == [None, "*" * 15 + CARD_TAIL]


def test_spaces_and_full_width_digits_are_normalised(payee, users):
    spaced = " ".join([CARD[:4], CARD[4:8], CARD[8:12], CARD[12:16], CARD[16:]])
    account = add(users.cy, payee, number=spaced.replace("6", "６"))
    assert account.number == CARD


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("6217000010000000004", "校验位"),  # Luhn fails
        ("12345", "12至19位"),
        ("6217-0000-abcd", "12至19位"),
    ],
)
def test_a_bad_number_is_refused_without_quoting_it(payee, users, number, reason):
    with pytest.raises(ValidationFailed) as refused:
        add(users.cy, payee, number=number)

    assert reason in refused.value.fields["number"]
    assert number[-4:] not in refused.value.fields["number"]
    assert not PayeeAccount.objects.exists()


def test_the_same_number_twice_for_one_person_is_refused(payee, users, tree):
    add(users.cy, payee)

    with pytest.raises(ValidationFailed) as refused:
        add(users.cy, payee, number=CARD[:4] + " " + CARD[4:], kind="bank_card", account_class="I")
    assert "重复" in refused.value.fields["number"]
    assert CARD_TAIL not in refused.value.fields["number"]
    assert PayeeAccount.objects.count() == 1
    # Another person may hold a number of the same shape (a joint passbook is not refused).
    add(users.cy, make_member(tree.cy_grass, "李四"))
    assert PayeeAccount.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "passbook", "account_class": "I"}, "account_class"),
        ({"kind": "bank_card", "account_class": ""}, "account_class"),
        ({"kind": "wallet"}, "kind"),
        ({"bank": "  "}, "bank"),
        ({"balance": -1}, "balance"),
        ({"last_activity": date(2099, 1, 1)}, "last_activity"),
    ],
)
def test_each_bad_field_is_named(payee, users, fields, field):
    with pytest.raises(ValidationFailed) as refused:
        add(users.cy, payee, **fields)
    assert field in refused.value.fields
    assert not PayeeAccount.objects.exists()


def test_a_new_default_replaces_the_old(payee, users):
    first = add(users.cy, payee)
    second = add(users.cy, payee, kind="passbook", account_class="", number=card_number("6228", 19))
    assert not second.is_default
    third = add(
        users.cy, payee, kind="bank_card", account_class="I", number=card_number(), is_default=True
    )

    first.refresh_from_db()
    assert not first.is_default and third.is_default

    account_update(actor=users.cy, account=second, is_default=True)
    assert list(PayeeAccount.objects.filter(is_default=True)) == [second]


def test_the_bank_s_status_is_recorded_with_its_date(payee, users):
    account = add(users.cy, payee)

    account_update(
        actor=users.cy, account=account, status="dormant", last_activity=date(2024, 3, 1)
    )

    account.refresh_from_db()
    assert account.status == "dormant" and account.status_reported_at == today()
    assert account.last_activity == date(2024, 3, 1)
    changes = event_body("funds.account_update")["changes"]
    assert changes["status"] == ["active", "dormant"]


def test_a_closed_account_cannot_be_the_default(payee, users):
    account = add(users.cy, payee)
    with pytest.raises(ValidationFailed) as refused:
        account_update(actor=users.cy, account=account, status="closed", is_default=True)
    assert "is_default" in refused.value.fields


# --- Who may ---------------------------------------------------------------------------------


def test_another_district_neither_adds_nor_changes_nor_reveals(payee, users):
    account = add(users.cy, payee)

    with pytest.raises(NotFound):
        add(users.hd, payee, number=card_number())
    with pytest.raises(NotFound):
        account_update(actor=users.hd, account=account, status="locked")
    with pytest.raises(NotFound):
        account_reveal(actor=users.hd, account=account)
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()


def test_a_grassroots_post_sees_but_does_not_keep_accounts(payee, users):
    """Grassroots and street posts hold funds.view, not funds.pay nor people.view_pii."""
    account = add(users.cy, payee)
    for actor in (users.cy_grass, users.cy_street):
        with pytest.raises(Forbidden):
            add(actor, payee, number=card_number())
        with pytest.raises(Forbidden):
            account_update(actor=actor, account=account, status="locked")
        with pytest.raises(Forbidden):
            account_reveal(actor=actor, account=account)


def test_the_reveal_is_audited(payee, users):
    account = add(users.cy, payee)

    assert account_reveal(actor=users.cy, account=account) == CARD

    event = AuditEvent.objects.get(action="pii.reveal")
    assert event.actor_id == users.cy.pk
    assert event.object_type == "funds.payeeaccount" and event.object_id == str(account.pk)
    assert CARD not in event.body


# --- The bank's status report ----------------------------------------------------------------


def test_the_status_report_is_matched_by_number(payee, users, tree):
    account = add(users.cy, payee)
    haidian = add(users.hd, make_member(tree.hd_grass, "王五"), number=card_number())
    report = (
        "账号,状态,最近交易日期\n"
        f"{CARD},久悬,2024-05-01\n"
        f"{haidian.number},锁定,\n"
        f"{card_number()},销户,\n"
    ).encode("gbk")

    counts = accounts_status_import(actor=users.cy, data=report)

    assert counts == {"rows": 3, "matched": 1, "changed": 1, "unknown": 2}
    account.refresh_from_db()
    haidian.refresh_from_db()
    assert account.status == "dormant" and account.last_activity == date(2024, 5, 1)
    assert haidian.status == "active"  # outside Chaoyang: not touched, counted unknown
    assert CARD not in event_body("funds.account_status_import")["changes"].__repr__()


def test_without_full_numbers_no_guess_is_confirmed(payee, users, tree):
    """A post that may pay but not see full numbers (a custom role): the status report
    matches nothing (its counts would confirm guessed numbers: the mask shows the last four,
    the bank its BIN), and it cannot enter numbers (a duplicate's refusal confirms one)."""
    from gonghui.orgs.models import Role
    from tests.factories import make_user

    account = add(users.cy, payee)
    Role.objects.create(code="payer", name="发放员", permissions=["funds.view", "funds.pay"])
    payer = make_user("payer_t", tree.chaoyang, "payer")
    counts = accounts_status_import(actor=payer, data=f"{CARD},销户\n".encode())
    assert (counts["matched"], counts["unknown"]) == (0, 1)
    account.refresh_from_db()
    assert account.status == "active"
    with pytest.raises(Forbidden):
        add(payer, payee, number=CARD)


def test_a_bad_status_report_changes_nothing(payee, users):
    account = add(users.cy, payee)
    report = f"{CARD},久悬\n6217000010000000004,锁定\n{CARD},挂失\n".encode()

    with pytest.raises(ValidationFailed) as refused:
        accounts_status_import(actor=users.cy, data=report)

    message = refused.value.fields["file"]
    assert "第2行" in message and "校验位" in message and "第3行" in message
    assert "0004" not in message
    account.refresh_from_db()
    assert account.status == "active"
