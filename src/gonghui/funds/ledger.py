"""The programme ledger (台账) and its budgets: the one place that moves money.

Every commitment (an approval), release (a cancelled entitlement), payment (a line sent to
the bank or paid in cash), return (the bank's failure) and correction (a reversing row) is an
append-only ``LedgerEntry`` in signed integer fen. A commitment takes room from the budget by
one conditional UPDATE (``committed + amount <= amount``) that the database also holds as a
CHECK constraint: approvers racing on a nearly spent budget never commit beyond it, on SQLite
(one writer at a time) as on PostgreSQL (the row lock the UPDATE takes).

These helpers run inside the calling service's transaction; the calling service records its
event (naming the rows), or seals a batch's rows into the programme's stream
(``seal_rows``) where one event a row would be the hot path."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from gonghui.audit.services import seal
from gonghui.common import formats, money
from gonghui.common.errors import ValidationFailed
from gonghui.funds.models import Budget, LedgerEntry, Programme

SEAL_KIND = "funds.ledger"  # the seal events' action: funds.ledger.seal


def month_of(moment: datetime | None = None) -> str:
    """The month (Asia/Shanghai) a ledger row belongs to: "2027-01"."""
    return timezone.localtime(moment or timezone.now()).strftime("%Y-%m")


def payment_id(*, application_id: int | None = None, run_id=None, person_id=None) -> str:
    """An entitlement's one payment identity, carried by every bank file it ever appears in:
    from its application (FA…) or from its run and payee (FR…). Deterministic, so a resumed
    enrolment finds the same identities, and unique (an application has one entitlement; a
    run one per person)."""
    if application_id is not None:
        return f"FA{application_id:010d}"
    return f"FR{run_id:05d}P{person_id:010d}"


def budget_for(programme: Programme, org_unit, year: int) -> Budget | None:
    """The budget an entitlement at ``org_unit`` draws on: the programme's budget for the
    year at that node or its nearest ancestor that holds one."""
    ancestors = [org_unit.path[:n] for n in range(len(org_unit.path), 0, -1)]
    found = {
        b.org_unit.path: b
        for b in Budget.objects.select_related("org_unit").filter(
            programme=programme, year=year, org_unit__path__in=ancestors
        )
    }
    return next((found[p] for p in ancestors if p in found), None)


def commit(*, actor, budget: Budget, amount: int, entitlement=None, note: str = "") -> LedgerEntry:
    """Take ``amount`` fen from the budget's room, or refuse (ValidationFailed on
    ``amount``, nothing written): one conditional UPDATE, so concurrent approvers never
    commit beyond the budget."""
    money.yuan_check(amount)
    if amount <= 0:
        raise ValidationFailed({"amount": "金额应大于 0"})
    with transaction.atomic(savepoint=False):
        taken = Budget.objects.filter(
            Q(pk=budget.pk) & Q(committed__lte=F("amount") - amount)
        ).update(committed=F("committed") + amount)
        if taken:
            return _entry(actor, budget, LedgerEntry.Kind.COMMIT, amount, entitlement, None, note)
    # Refused outside the block: nothing was written, the caller's transaction stays usable.
    budget.refresh_from_db(fields=["amount", "committed"])
    raise ValidationFailed(
        {
            "amount": f"超出预算：{budget.year}年预算剩余 {formats.yuan(budget.remaining)}，"
            f"本次需 {formats.yuan(amount)}"
        }
    )


def release(*, actor, budget: Budget, amount: int, entitlement=None, note: str = "") -> LedgerEntry:
    """Give ``amount`` back to the budget's room (an entitlement cancelled before payment)."""
    with transaction.atomic(savepoint=False):
        Budget.objects.filter(pk=budget.pk).update(committed=F("committed") - amount)
        return _entry(actor, budget, LedgerEntry.Kind.RELEASE, -amount, entitlement, None, note)


def pay(*, actor, line, note: str = "") -> LedgerEntry:
    """A payment leaves (a line sent to the bank, or cash handed over): once a line (the
    database's ``ledger_line_once``)."""
    e = line.entitlement
    return _entry(actor, e.budget, LedgerEntry.Kind.PAY, line.amount, e, line, note)


def returned(*, actor, line, note: str = "") -> LedgerEntry:
    """A payment came back (the bank's failure): a negative row against the line."""
    e = line.entitlement
    return _entry(actor, e.budget, LedgerEntry.Kind.RETURN, -line.amount, e, line, note)


def reverse(*, actor, entry: LedgerEntry, note: str) -> LedgerEntry:
    """A correction of a payment or a return: the reversing row of ``entry`` (the row itself
    never changes). Commitments and releases are not corrected by hand: they follow the
    approvals, enrolments and cancellations that made them (reversing a commitment would
    free room while its entitlement stays payable); an entitlement is cancelled instead."""
    if not (note or "").strip():
        raise ValidationFailed({"note": "请填写冲正原因"})
    if entry.kind in (LedgerEntry.Kind.COMMIT, LedgerEntry.Kind.RELEASE):
        raise ValidationFailed(
            {
                "entry": "承诺与释放随批准、纳入与取消记账，不能手工冲正："
                "如需更正，请取消对应的应发记录"
            }
        )
    if (
        entry.kind == LedgerEntry.Kind.REVERSE
        or LedgerEntry.objects.filter(reverses=entry).exists()
    ):
        raise ValidationFailed({"entry": "该记录已冲正或本身是冲正记录"})
    with transaction.atomic(savepoint=False):
        row = LedgerEntry(
            programme_id=entry.programme_id,
            budget_id=entry.budget_id,
            kind=LedgerEntry.Kind.REVERSE,
            amount=-entry.amount,
            entitlement_id=entry.entitlement_id,
            line_id=None,
            reverses=entry,
            month=month_of(),
            note=note.strip()[:200],
            actor=actor if getattr(actor, "is_authenticated", False) else None,
        )
        row.save()
        return row


def _entry(actor, budget, kind, amount, entitlement, line, note) -> LedgerEntry:
    row = LedgerEntry(
        programme_id=budget.programme_id,
        budget=budget,
        kind=kind,
        amount=amount,
        entitlement=entitlement,
        line=line,
        month=month_of(),
        note=note[:200],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    row.save()
    return row


def seal_rows(*, actor, programme: Programme, entries) -> None:
    """Seal many ledger rows (a batch's payments or returns) into the programme's stream:
    one event with their count, id range and digest."""
    rows = [
        {
            "id": e.pk,
            "kind": e.kind,
            "amount": e.amount,
            "budget": e.budget_id,
            "entitlement": e.entitlement_id,
            "line": e.line_id,
            "month": e.month,
        }
        for e in sorted(entries, key=lambda e: e.pk)
    ]
    seal(stream=programme.stream, kind=SEAL_KIND, rows=rows, actor=actor)
