"""The budget race (issue #18, figure 3): 8 approvers at once against a budget with room
for N approvals, on the real database of each leg (SQLite in `make test`, PostgreSQL in
`make test-postgres`): exactly N are approved, the budget's committed is N times the
amount, the ledger holds N rows. The same harness runs a naive check-then-write approval,
to show that it oversells where ``ledger.commit`` (one conditional UPDATE) cannot."""

import multiprocessing
import time

import pytest
from django.db import connection, connections, transaction

from gonghui.common.errors import ValidationFailed
from gonghui.funds import ledger
from gonghui.funds.models import Budget, LedgerEntry
from tests.funds.conftest import YEAR

PROCESSES = 8
ATTEMPTS = 4  # each process's approvals: 32 in all
ROOM = 10  # the budget has room for 10
AMOUNT = 500_000  # 5,000元 each


def approve(budget_id: int, n: str) -> str:
    """The approval's money step as the applications feature takes it: inside the
    approval's transaction, commit or be refused (and write nothing)."""
    budget = Budget.objects.get(pk=budget_id)
    try:
        with transaction.atomic():
            ledger.commit(actor=None, budget=budget, amount=AMOUNT, note=f"审批 {n}")
    except ValidationFailed:
        return "refused"
    return "approved"


def naive_approve(budget_id: int, n: str) -> str:
    """The control: read the room, think, then write what was read plus the amount."""
    budget = Budget.objects.get(pk=budget_id)  # autocommit: no lock held while thinking
    if budget.committed + AMOUNT > budget.amount:
        return "refused"
    time.sleep(0.005)  # the work between the check and the write (a network hop, say)
    with transaction.atomic():
        Budget.objects.filter(pk=budget_id).update(committed=budget.committed + AMOUNT)
        LedgerEntry(
            programme_id=budget.programme_id,
            budget_id=budget_id,
            kind=LedgerEntry.Kind.COMMIT,
            amount=AMOUNT,
            month=ledger.month_of(),
            note=f"审批 {n}",
        ).save()
    return "approved"


def _approver(barrier, results, budget_id: int, worker: int, naive: bool):
    answers = []
    try:
        connection.ensure_connection()
        barrier.wait(timeout=30)
        step = naive_approve if naive else approve
        for k in range(ATTEMPTS):
            answers.append(step(budget_id, f"{worker}-{k}"))
    except Exception as exc:  # noqa: BLE001 — reported to the parent, which fails the test
        answers.append(f"error: {exc!r}")
    finally:
        connections.close_all()
        results.put(answers)


def race(budget: Budget, *, naive: bool) -> list[str]:
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    connections.close_all()  # children open their own connections
    workers = [
        ctx.Process(target=_approver, args=(barrier, results, budget.pk, i, naive))
        for i in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    answers = [a for _ in workers for a in results.get(timeout=120)]
    for w in workers:
        w.join(timeout=30)
    return answers


@pytest.fixture
def budget(funds):
    """The condolence programme's budget, nearly spent: room for exactly ROOM approvals."""
    budget = Budget.objects.get(programme=funds.condolence, year=YEAR)
    spent = budget.amount - ROOM * AMOUNT
    ledger.commit(actor=None, budget=budget, amount=spent, note="已批准的")
    budget.refresh_from_db()
    assert budget.remaining == ROOM * AMOUNT
    return budget


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_approvers_never_commit_beyond_the_budget(budget):
    answers = race(budget, naive=False)
    assert len(answers) == PROCESSES * ATTEMPTS, answers
    assert sorted(set(answers)) == ["approved", "refused"], answers
    assert answers.count("approved") == ROOM
    budget.refresh_from_db()
    assert budget.committed == budget.amount  # every fen of the room, not one more
    rows = LedgerEntry.objects.filter(budget=budget, note__startswith="审批")
    assert rows.count() == ROOM
    assert sum(rows.values_list("amount", flat=True)) == ROOM * AMOUNT


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_naive_check_then_write_control_oversells(budget):
    answers = race(budget, naive=True)
    assert not [a for a in answers if a.startswith("error")], answers
    approved = answers.count("approved")
    rows = LedgerEntry.objects.filter(budget=budget, note__startswith="审批").count()
    assert rows == approved
    assert approved > ROOM, f"the naive control did not oversell ({approved} of {ROOM})"
    budget.refresh_from_db()
    # Its counter lost updates: it says less was committed than the ledger holds.
    assert budget.committed < budget.amount - ROOM * AMOUNT + approved * AMOUNT
