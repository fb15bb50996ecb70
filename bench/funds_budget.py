"""The budget race (issue #18, figure 3: "8 workers approving against a budget with room for
N: exactly N approved, on SQLite and on PostgreSQL").

- **the data**: a programme of the city with one budget holding room for exactly ``room``
  approvals of 5,000元 (the rest of it already committed);
- **the load**: 8 worker processes (forked, each with its own connection), released at
  one barrier, each approving ``attempts`` times through ``ledger.commit`` inside the
  approval's transaction (what the applications feature does at its final level) — twice as
  many approvals in all as there is room for;
- **the checks**: approvals == N, the budget's committed == its amount, the ledger's
  commitment rows == N and sum to N × 5,000元;
- **the control, side by side** (same data shape, same workers, a fresh budget): a naive
  check-then-write approval (read the room, think 2 ms, write what was read plus the
  amount), printed as a comparison: it approves more than N.

The run's own database first (``--db``); from a SQLite run the PostgreSQL leg follows in a
child run (``--db postgres`` against ``--pg-server``, or ``GONGHUI_BENCH_PG``; set
``GONGHUI_BENCH_PG=0`` to skip it), so one command prints both databases side by side.

Figures: ``funds_budget.<db>.approved`` (approvals, ratio to N, target exactly 1),
``funds_budget.<db>.naive_approved`` (comparison), ``funds_budget.<db>.approvals_per_s``
(comparison).
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection, connections, transaction
from measure import comparison, note, num

PROCESSES = 8
AMOUNT = 500_000  # 5,000元 in fen
SCALES = {"small": 100, "full": 1000}  # N: the room, in approvals


def _budget(room: int, code: str):
    from gonghui.funds.models import Budget, Programme, RuleVersion
    from gonghui.orgs.models import OrgUnit

    city = OrgUnit.objects.get(parent__isnull=True)
    programme = Programme.objects.create(
        code=code, name=f"预算竞争测试 {code}", kind="studio", org_unit=city
    )
    RuleVersion.objects.create(
        programme=programme, version=1, rule={"kind": "fixed", "amount": AMOUNT}
    )
    spent = 7 * AMOUNT  # already committed before the race
    budget = Budget.objects.create(
        programme=programme, org_unit=city, year=2026, amount=spent + room * AMOUNT
    )
    from gonghui.funds import ledger

    with transaction.atomic():
        ledger.commit(actor=None, budget=budget, amount=spent, note="已批准的")
    return budget


def _approve(budget_id: int, n: str) -> bool:
    from gonghui.common.errors import ValidationFailed
    from gonghui.funds import ledger
    from gonghui.funds.models import Budget

    budget = Budget.objects.get(pk=budget_id)
    try:
        with transaction.atomic():
            ledger.commit(actor=None, budget=budget, amount=AMOUNT, note=f"审批 {n}")
    except ValidationFailed:
        return False
    return True


def _naive(budget_id: int, n: str) -> bool:
    from gonghui.funds import ledger
    from gonghui.funds.models import Budget, LedgerEntry

    budget = Budget.objects.get(pk=budget_id)
    if budget.committed + AMOUNT > budget.amount:
        return False
    time.sleep(0.002)
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
    return True


def _worker(barrier, results, budget_id: int, worker: int, attempts: int, naive: bool):
    approved = errors = 0
    try:
        connection.ensure_connection()
        barrier.wait(timeout=60)
        step = _naive if naive else _approve
        for k in range(attempts):
            try:
                approved += step(budget_id, f"{worker}-{k}")
            except Exception as exc:  # noqa: BLE001 — counted and reported
                errors += 1
                note(f"worker {worker}: {exc!r}")
    finally:
        connections.close_all()
        results.put((approved, errors))


def _race(budget, attempts: int, *, naive: bool) -> tuple[int, int, float]:
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(PROCESSES + 1), ctx.Queue()
    connections.close_all()
    workers = [
        ctx.Process(target=_worker, args=(barrier, results, budget.pk, i, attempts, naive))
        for i in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    barrier.wait(timeout=60)
    start = time.perf_counter()
    answers = [results.get(timeout=600) for _ in workers]
    elapsed = time.perf_counter() - start
    for w in workers:
        w.join(timeout=60)
    return sum(a for a, _ in answers), sum(e for _, e in answers), elapsed


def run(scale: str):
    from gonghui.funds.models import Budget, LedgerEntry

    room = SCALES[scale]
    attempts = -(-2 * room // PROCESSES)  # twice the room in all
    db = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    note(f"{db}: {PROCESSES} workers × {attempts} approvals against room for {room}")

    budget = _budget(room, "race")
    approved, errors, elapsed = _race(budget, attempts, naive=False)
    budget = Budget.objects.get(pk=budget.pk)
    rows = LedgerEntry.objects.filter(budget=budget, note__startswith="审批")
    total = sum(rows.values_list("amount", flat=True))
    exact = (
        approved == room
        and errors == 0
        and budget.committed == budget.amount
        and rows.count() == room
        and total == room * AMOUNT
    )
    note(
        f"{db}: approved {approved}, errors {errors}, ledger rows {rows.count()}, "
        f"committed {budget.committed} of {budget.amount} fen, {elapsed:.2f} s"
    )
    yield (
        f"funds_budget.{db}.approved {approved} approvals ratio_to_N {num(approved / room)} "
        f"target==1 {'ok' if exact else 'SHORT'}"
    )
    yield comparison(
        f"funds_budget.{db}.approvals_per_s",
        PROCESSES * attempts / elapsed,
        "attempts/s",
        "ratio_to_N",
        approved / room,
    )

    control = _budget(room, "naive")
    naive, naive_errors, _ = _race(control, attempts, naive=True)
    control = Budget.objects.get(pk=control.pk)
    note(
        f"{db}: naive control approved {naive} of room {room} ({naive_errors} errors); its "
        f"counter says {control.committed - 7 * AMOUNT} fen taken, the ledger "
        f"{naive * AMOUNT} fen"
    )
    yield comparison(
        f"funds_budget.{db}.naive_approved", naive, "approvals", "ratio_to_N", naive / room
    )

    if db == "sqlite" and os.environ.get("GONGHUI_BENCH_PG", "") != "0":
        yield from _postgres_leg(scale)


def _postgres_leg(scale: str):
    """The same race on PostgreSQL, in a child run of bench/run.py (its own database)."""
    server = os.environ.get("GONGHUI_BENCH_PG") or _pg_server_arg()
    command = [sys.executable, str(Path(__file__).with_name("run.py")), "funds_budget"]
    command += ["--scale", scale, "--db", "postgres", "--pg-server", server]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stderr.write(child.stderr)
    if child.returncode != 0:
        note(f"postgresql leg failed (exit {child.returncode}); is {server} reachable?")
        yield "funds_budget.postgresql.approved 0 approvals ratio_to_N 0 target==1 SHORT"
        return
    yield from (line for line in child.stdout.splitlines() if line.strip())


def _pg_server_arg() -> str:
    args = sys.argv
    if "--pg-server" in args and args.index("--pg-server") + 1 < len(args):
        return args[args.index("--pg-server") + 1]
    return "postgresql://postgres@127.0.0.1:5432"
