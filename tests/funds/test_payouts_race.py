"""Never paid twice, under concurrency (issue #18, 5): several processes re-issue the same
failed line at once — to the passbook, to a bank card, in cash — against the real database
of each leg (SQLite, PostgreSQL). Exactly one re-issue is made; the others are refused."""

import multiprocessing

import pytest
from django.db import connections

from gonghui.funds.models import LedgerEntry, PayoutLine
from gonghui.funds.payouts import services
from tests.funds.test_payouts_world import (  # noqa: F401  (world_fixture: the fixture)
    account_for,
    receipt,
    return_file,
    world_fixture,
)

PROCESSES = 4


def _reissuer(barrier, results, user_id, line_id, account_id, cash):
    from django.contrib.auth import get_user_model

    answer = "?"
    try:
        connections.close_all()
        user = get_user_model().objects.get(pk=user_id)
        line = PayoutLine.objects.select_related("batch__org_unit", "entitlement").get(pk=line_id)
        account = None
        if account_id:
            from gonghui.funds.models import PayeeAccount

            account = PayeeAccount.objects.get(pk=account_id)
        barrier.wait(timeout=30)
        try:
            new = services.line_reissue(
                actor=user,
                line=line,
                account=account,
                cash=cash,
                receipt=receipt() if cash else None,
                note="并发重发",
            )
            answer = f"made:{new.pk}"
        except Exception as exc:  # noqa: BLE001  (the refusal, whatever the database said)
            answer = f"refused:{type(exc).__name__}"
    finally:
        connections.close_all()
        results.put(answer)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_racing_reissues_of_one_failed_line_make_exactly_one(world):
    batch, _ = world.exported()
    ids = [e.payment_id for e in world.entitlements[:3]]
    services.returns_import(
        actor=world.users.cy,
        batch=batch,
        filename="r.csv",
        data=return_file(
            [(ids[0], "失败", "账户已锁定", ""), (ids[1], "成功", "", ""), (ids[2], "成功", "", "")]
        ),
    )
    failed = PayoutLine.objects.get(batch=batch, status="failed")
    person = world.people[0]
    passbook = world.accounts[person.pk][1]
    card = account_for(person, kind="bank_card", default=False)
    plans = [(passbook.pk, False), (card.pk, False), (None, True), (None, True)]
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    connections.close_all()
    workers = [
        ctx.Process(
            target=_reissuer,
            args=(barrier, results, world.users.cy.pk, failed.pk, account_id, cash),
        )
        for account_id, cash in plans
    ]
    for w in workers:
        w.start()
    answers = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    made = [a for a in answers if a.startswith("made:")]
    assert len(made) == 1, answers
    lines = PayoutLine.objects.filter(entitlement=failed.entitlement)
    assert lines.count() == 2
    assert lines.filter(status__in=("pending", "sent", "paid")).count() == 1
    assert PayoutLine.objects.get(pk=failed.pk).status == "superseded"
    pays = LedgerEntry.objects.filter(entitlement=failed.entitlement, kind="pay").count()
    assert pays in (1, 2)  # the first sending, and the cash payment if cash won
