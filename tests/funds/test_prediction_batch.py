"""Failure prediction of a batch's lines (失败预判) and re-routing before release: each
account class at its limits, dormancy by status and by idleness, locked and closed cards,
two lines to one Ⅱ类 card adding up, the proposal by preference, whether a re-routed line
lands before the deadline across weekends and the Spring Festival holiday, and re-routing
only to the payee's own accounts while the batch is a draft. Batches and lines are made
directly (the payouts feature builds them through its own services)."""

import json
from datetime import date, datetime, timedelta

import pytest
from stdnum.luhn import calc_check_digit

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.common.workdays import SHANGHAI
from gonghui.funds.accounts.services import batch_predict, batch_reroute, line_reroute
from gonghui.funds.models import Entitlement, PayeeAccount, PayoutBatch, PayoutLine
from tests.factories import make_member

pytestmark = pytest.mark.django_db

TODAY = date(2026, 2, 10)  # a Tuesday before the 2026 Spring Festival (17 Feb)
SPRING_DEADLINE = date(2026, 2, 14)  # the last working day before it: a make-up Saturday
YUAN = 100
_serial = iter(range(1, 10**6))


def card_number(prefix: str = "621700", length: int = 19) -> str:
    """A card number with a valid Luhn check digit, a new one each call."""
    body = f"{prefix}{next(_serial):0{length - len(prefix) - 1}d}"
    return body + calc_check_digit(body)


def make_account(person, kind="union_card", cls="I", **fields) -> PayeeAccount:
    fields.setdefault("bank", "北京银行")
    fields.setdefault("last_activity", TODAY - timedelta(days=30))
    return PayeeAccount.objects.create(
        person=person,
        kind=kind,
        account_class="" if kind in ("passbook", "corporate") else cls,
        number=card_number(),
        **fields,
    )


def entitle(programme, person, amount) -> Entitlement:
    return Entitlement.objects.create(
        programme=programme,
        budget=programme.budgets.get(),
        person=person,
        org_unit=person.org_unit,
        year=2026,
        amount=amount,
        rule_version=programme.rule_versions.get(),
        payment_id=f"T{next(_serial):010d}",
        status="batched",
    )


def make_batch(programme, *, deadline=SPRING_DEADLINE, status="draft", **fields) -> PayoutBatch:
    return PayoutBatch.objects.create(
        programme=programme,
        org_unit=programme.org_unit,
        name=f"{programme.name}批次",
        deadline=deadline,
        status=status,
        **{"built": True, **fields},
    )


def pay_line(batch, person, account, amount, *, status="pending") -> PayoutLine:
    return PayoutLine.objects.create(
        batch=batch,
        entitlement=entitle(batch.programme, person, amount),
        account=account,
        amount=amount,
        status=status,
    )


@pytest.fixture
def spring(funds, tree):
    """Chaoyang's Spring Festival money: a draft batch due the last working day before the
    holiday, and a payee in Chaoyang."""
    return make_batch(funds.condolence), make_member(tree.cy_grass, "高秀兰")


def predicted(batch, users, **kwargs):
    counts = batch_predict(actor=users.cy, batch=batch, today=kwargs.pop("today", TODAY), **kwargs)
    return counts, {line.pk: line for line in PayoutLine.objects.filter(batch=batch).order_by("id")}


# --- Each account class -------------------------------------------------------------------


def test_a_class_one_card_takes_any_amount(spring, users):
    batch, person = spring
    line = pay_line(batch, person, make_account(person, cls="I"), 5_000_000 * YUAN)

    counts, lines = predicted(batch, users)

    assert counts == {"ok": 1}
    # A line that goes through carries nothing (it lands when the batch does).
    assert lines[line.pk].prediction == "" and lines[line.pk].alternative is None
    assert lines[line.pk].in_time is None
    batch.refresh_from_db()
    assert batch.predicted_on == TODAY


@pytest.mark.parametrize(
    ("amount", "verdict"), [(10_000 * YUAN, ""), (10_000 * YUAN + 1, "over_day")]
)
def test_a_class_two_card_takes_10000_yuan_a_day(spring, users, amount, verdict):
    batch, person = spring
    line = pay_line(batch, person, make_account(person, cls="II"), amount)

    _counts, lines = predicted(batch, users)

    assert lines[line.pk].prediction == verdict


def test_a_class_two_card_over_its_year(spring, users, funds):
    """195,000元 already paid this year from a batch exported in January: 5,000元 more
    fits, 5,000.01 does not."""
    batch, person = spring
    card = make_account(person, cls="II")
    january = make_batch(
        funds.condolence,
        status="exported",
        exported_at=datetime(2026, 1, 5, 10, tzinfo=SHANGHAI),
    )
    for _ in range(20):
        pay_line(january, person, card, 9_750 * YUAN, status="paid")
    fits = pay_line(batch, person, card, 5_000 * YUAN)

    _counts, lines = predicted(batch, users)
    assert lines[fits.pk].prediction == ""

    fits.amount = 5_000 * YUAN + 1
    fits.save()
    _counts, lines = predicted(batch, users)
    assert lines[fits.pk].prediction == "over_year"


def test_a_class_two_card_bound_to_the_payer_has_no_limit(spring, users):
    batch, person = spring
    line = pay_line(
        batch, person, make_account(person, cls="II", bound_to_payer=True), 12_000 * YUAN
    )

    _counts, lines = predicted(batch, users)

    assert lines[line.pk].prediction == ""


def test_two_lines_to_one_class_two_card_add_up(spring, users, funds):
    """6,000元 and 5,000元 the same day to one Ⅱ类 card: the first goes, the second would
    take the day over 10,000元."""
    batch, person = spring
    card = make_account(person, cls="II")
    first = pay_line(batch, person, card, 6_000 * YUAN)
    second = pay_line(batch, person, card, 5_000 * YUAN)

    counts, lines = predicted(batch, users)

    assert counts == {"ok": 1, "over_day": 1}
    assert lines[first.pk].prediction == ""
    assert lines[second.pk].prediction == "over_day"


def test_another_batch_pending_the_same_day_counts(spring, users, funds):
    batch, person = spring
    card = make_account(person, cls="II")
    other = make_batch(funds.studio, status="released")
    pay_line(other, person, card, 8_000 * YUAN)
    line = pay_line(batch, person, card, 3_000 * YUAN)

    _counts, lines = predicted(batch, users)

    assert lines[line.pk].prediction == "over_day"


@pytest.mark.parametrize(
    ("balance", "amount", "verdict"),
    [
        (0, 2_000 * YUAN, ""),
        (500 * YUAN, 1_500 * YUAN, ""),
        (500 * YUAN, 1_500 * YUAN + 1, "over_balance"),
    ],
)
def test_a_class_three_card_holds_2000_yuan(spring, users, balance, amount, verdict):
    batch, person = spring
    line = pay_line(batch, person, make_account(person, cls="III", balance=balance), amount)

    _counts, lines = predicted(batch, users)

    assert lines[line.pk].prediction == verdict


# --- Dormant, locked, closed, missing -----------------------------------------------------


@pytest.mark.parametrize(("idle", "verdict"), [(365, ""), (366, "dormant")])
def test_an_account_idle_over_365_days_is_dormant(spring, users, idle, verdict):
    batch, person = spring
    card = make_account(person, last_activity=TODAY - timedelta(days=idle))
    line = pay_line(batch, person, card, 3_000 * YUAN)

    _counts, lines = predicted(batch, users)

    assert lines[line.pk].prediction == verdict


@pytest.mark.parametrize("status", ["dormant", "locked", "closed"])
def test_an_account_the_bank_reported_is_refused(spring, users, status):
    batch, person = spring
    line = pay_line(batch, person, make_account(person, status=status), 3_000 * YUAN)

    counts, lines = predicted(batch, users)

    assert counts == {status: 1}
    assert lines[line.pk].prediction == status
    assert lines[line.pk].alternative is None
    assert lines[line.pk].in_time is False  # nowhere else to go


def test_a_cash_line_is_not_predicted(spring, users):
    """Cash (signed receipt) never goes to the bank: no verdict, not counted."""
    batch, person = spring
    line = PayoutLine.objects.create(
        batch=batch,
        entitlement=entitle(batch.programme, person, 100 * YUAN),
        method="cash",
        amount=100 * YUAN,
    )

    counts, lines = predicted(batch, users)

    assert counts == {}
    assert lines[line.pk].prediction == ""


# --- The proposal --------------------------------------------------------------------------


def test_the_elder_s_card_proposes_her_passbook(spring, users):
    """The seed: 12,000元 onto a Ⅱ类 union card (over its 10,000元 day) → her passbook."""
    batch, person = spring
    card = make_account(person, cls="II", is_default=True)
    passbook = make_account(person, kind="passbook", bank="北京农商银行")
    line = pay_line(batch, person, card, 12_000 * YUAN)

    counts, lines = predicted(batch, users)

    assert counts == {"over_day": 1}
    assert lines[line.pk].alternative_id == passbook.pk
    assert lines[line.pk].in_time is True


def test_the_proposal_follows_the_preference(spring, users):
    """A bank's Ⅰ类 card before a Ⅰ类 union card before a passbook; accounts that would
    fail themselves are passed over."""
    batch, person = spring
    locked = make_account(person, cls="II", status="locked")
    passbook = make_account(person, kind="passbook")
    union = make_account(person, kind="union_card", cls="I")
    dead_bank = make_account(person, kind="bank_card", cls="I", status="closed")
    line = pay_line(batch, person, locked, 3_000 * YUAN)

    _counts, lines = predicted(batch, users)
    assert lines[line.pk].alternative_id == union.pk

    PayeeAccount.objects.filter(pk=dead_bank.pk).update(status="active")
    _counts, lines = predicted(batch, users)
    assert lines[line.pk].alternative_id == dead_bank.pk

    PayeeAccount.objects.filter(pk__in=[dead_bank.pk, union.pk]).update(status="dormant")
    _counts, lines = predicted(batch, users)
    assert lines[line.pk].alternative_id == passbook.pk


def test_the_proposal_never_crosses_to_another_payee(spring, users, tree):
    batch, person = spring
    other = make_member(tree.cy_grass, "李四")
    make_account(other, kind="passbook")
    line = pay_line(batch, person, make_account(person, status="locked"), 3_000 * YUAN)

    _counts, lines = predicted(batch, users)

    assert lines[line.pk].alternative is None


# --- In time for the deadline ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "bank_days", "deadline", "in_time"),
    [
        # Friday before the holiday; Saturday 14 Feb is a make-up working day.
        (date(2026, 2, 13), 2, SPRING_DEADLINE, True),
        (date(2026, 2, 13), 3, SPRING_DEADLINE, False),  # next: Tuesday 24 Feb
        # A weekend: Saturday 7 Feb, one working day → Monday 9 Feb.
        (date(2026, 2, 7), 1, date(2026, 2, 9), True),
        (date(2026, 2, 7), 2, date(2026, 2, 9), False),
    ],
)
def test_in_time_counts_working_days_to_the_deadline(
    spring, users, settings, today, bank_days, deadline, in_time
):
    settings.FUNDS_BANK_WORKDAYS = bank_days
    batch, person = spring
    PayoutBatch.objects.filter(pk=batch.pk).update(deadline=deadline)
    make_account(person, kind="passbook", last_activity=date(2026, 1, 1))
    failing = pay_line(
        batch, person, make_account(person, cls="II", last_activity=date(2026, 1, 1)), 12_000 * YUAN
    )

    _counts, lines = predicted(batch, users, today=today)

    assert lines[failing.pk].alternative is not None
    assert lines[failing.pk].in_time is in_time


def test_no_deadline_no_in_time(funds, tree, users):
    batch = make_batch(funds.condolence, deadline=None)
    person = make_member(tree.cy_grass)
    line = pay_line(batch, person, make_account(person), 100 * YUAN)

    _counts, lines = predicted(batch, users)

    assert lines[line.pk].in_time is None


# --- Re-routing ------------------------------------------------------------------------------


def test_reroute_one_line_to_the_payee_s_passbook(spring, users):
    batch, person = spring
    card = make_account(person, cls="II")
    passbook = make_account(person, kind="passbook")
    line = pay_line(batch, person, card, 12_000 * YUAN)
    predicted(batch, users)

    line_reroute(actor=users.cy, line=line, account=passbook, today=TODAY)

    line.refresh_from_db()
    assert line.account_id == passbook.pk
    assert line.prediction == "" and line.alternative is None and line.in_time is None
    event = AuditEvent.objects.get(action="funds.line_reroute")
    assert event.stream == batch.programme.stream
    assert json.loads(event.body)["changes"]["account"] == [card.pk, passbook.pk]


def test_reroute_refuses_another_payee_s_account(spring, users, tree):
    batch, person = spring
    line = pay_line(batch, person, make_account(person, status="locked"), 3_000 * YUAN)
    stranger = make_account(make_member(tree.cy_grass, "李四"), kind="passbook")

    with pytest.raises(ValidationFailed) as refused:
        line_reroute(actor=users.cy, line=line, account=stranger, today=TODAY)

    assert "本人" in refused.value.fields["account"]
    line.refresh_from_db()
    assert line.account.person_id == person.pk


@pytest.mark.parametrize("status", ["released", "exported"])
def test_reroute_only_while_the_batch_is_a_draft(funds, tree, users, status):
    batch = make_batch(funds.condolence, status=status)
    person = make_member(tree.cy_grass)
    line = pay_line(batch, person, make_account(person, status="locked"), 3_000 * YUAN)
    passbook = make_account(person, kind="passbook")

    with pytest.raises(ValidationFailed) as refused:
        line_reroute(actor=users.cy, line=line, account=passbook, today=TODAY)
    assert "编制中" in refused.value.fields["batch"]
    with pytest.raises(ValidationFailed):
        batch_predict(actor=users.cy, batch=batch, today=TODAY)
    line.refresh_from_db()
    assert line.account_id != passbook.pk


def test_reroute_only_a_pending_line(spring, users):
    batch, person = spring
    line = pay_line(batch, person, make_account(person, status="locked"), 3_000 * YUAN)
    PayoutLine.objects.filter(pk=line.pk).update(status="cancelled")

    with pytest.raises(ValidationFailed) as refused:
        line_reroute(
            actor=users.cy, line=line, account=make_account(person, kind="passbook"), today=TODAY
        )
    assert "line" in refused.value.fields


def test_batch_reroute_takes_every_proposal_and_predicts_again(spring, users, tree):
    batch, elder = spring
    dormant = make_member(tree.cy_grass, "王德顺")
    fine = make_member(tree.cy_grass, "张三")
    elder_card = make_account(elder, cls="II")
    elder_book = make_account(elder, kind="passbook")
    dormant_card = make_account(dormant, last_activity=TODAY - timedelta(days=800))
    dormant_book = make_account(dormant, kind="passbook")
    a = pay_line(batch, elder, elder_card, 12_000 * YUAN)
    b = pay_line(batch, dormant, dormant_card, 5_000 * YUAN)
    c = pay_line(batch, fine, make_account(fine), 5_000 * YUAN)
    counts, _lines = predicted(batch, users)
    assert counts == {"over_day": 1, "dormant": 1, "ok": 1}

    assert batch_reroute(actor=users.cy, batch=batch, today=TODAY) == 2

    lines = {line.pk: line for line in PayoutLine.objects.filter(batch=batch)}
    assert lines[a.pk].account_id == elder_book.pk
    assert lines[b.pk].account_id == dormant_book.pk
    assert {line.prediction for line in lines.values()} == {""}
    assert lines[c.pk].account.person_id == fine.pk
    actions = list(
        AuditEvent.objects.filter(stream=batch.programme.stream)
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["funds.batch_predict", "funds.line_reroute", "funds.batch_predict"]


def test_batch_reroute_with_nothing_proposed_is_refused(spring, users):
    batch, person = spring
    pay_line(batch, person, make_account(person), 100 * YUAN)
    predicted(batch, users)

    with pytest.raises(ValidationFailed) as refused:
        batch_reroute(actor=users.cy, batch=batch, today=TODAY)
    assert "batch" in refused.value.fields


# --- Who may -------------------------------------------------------------------------------


def test_another_district_cannot_predict_or_reroute(spring, users):
    batch, person = spring
    line = pay_line(batch, person, make_account(person, status="locked"), 100 * YUAN)
    passbook = make_account(person, kind="passbook")

    with pytest.raises(NotFound):
        batch_predict(actor=users.hd, batch=batch, today=TODAY)
    with pytest.raises(NotFound):
        line_reroute(actor=users.hd, line=line, account=passbook, today=TODAY)
    with pytest.raises(NotFound):
        batch_reroute(actor=users.hd, batch=batch, today=TODAY)
    assert not AuditEvent.objects.filter(action__startswith="funds.").exists()


def test_a_grassroots_post_cannot_predict_a_district_batch(spring, users):
    """The batch pays from Chaoyang: a grassroots post below it neither sees nor predicts."""
    batch, person = spring
    pay_line(batch, person, make_account(person), 100 * YUAN)

    for actor in (users.cy_grass, users.cy_street, users.auditor):
        with pytest.raises((NotFound, Forbidden)):
            batch_predict(actor=actor, batch=batch, today=TODAY)
    batch.refresh_from_db()
    assert batch.predicted_on is None


# --- The fast path agrees with funds.prediction ----------------------------------------------


def test_lines_decided_in_sql_are_those_prediction_passes_at_any_amount(tree):
    """The prediction counts lines into accounts that take any amount in SQL without
    reading them (``_suspect``): every account shape it lets through must be one that
    ``funds.prediction.refusal`` passes for any amount, and every one it holds back one
    that can fail."""
    from itertools import product

    from gonghui.funds import prediction
    from gonghui.funds.accounts.services import _suspect

    person = make_member(tree.cy_grass)
    shapes = {}
    for status, (kind, cls), bound, idle in product(
        PayeeAccount.Status.values,
        [("union_card", "I"), ("bank_card", "II"), ("union_card", "III"), ("passbook", "")],
        (False, True),
        (None, 0, 365, 366, -5),
    ):
        account = make_account(
            person,
            kind=kind,
            cls=cls,
            status=status,
            bound_to_payer=bound,
            last_activity=None if idle is None else TODAY - timedelta(days=idle),
        )
        shapes[account.pk] = {
            "id": account.pk,
            "kind": kind,
            "class": cls or None,
            "status": status,
            "last_activity": account.last_activity,
            "bound_to_payer": bound,
            "balance": 0,
        }
    held = set(
        PayeeAccount.objects.filter(_suspect(TODAY, prediction.LIMITS, via="")).values_list(
            "id", flat=True
        )
    )
    for pk, shape in shapes.items():
        if pk not in held:
            assert prediction.refusal(shape, 10**12, TODAY) is None, shape
        else:
            assert prediction.refusal(shape, 10**12, TODAY) is not None, shape


def test_a_batch_still_being_built_is_not_predicted(funds, tree, users):
    batch = make_batch(funds.condolence, built=False)
    person = make_member(tree.cy_grass)
    pay_line(batch, person, make_account(person), 100 * YUAN)

    with pytest.raises(ValidationFailed) as refused:
        batch_predict(actor=users.cy, batch=batch, today=TODAY)
    assert "编制完毕" in refused.value.fields["batch"]
