"""Reads of payout batches: a programme's batches, one batch with its figures and lines,
what it left out (payees without an account), the exception queue, the accounts a failed
line may be re-issued to. Scoped through ``orgs.access`` by the batch's paying union: a
district's staff see their own district's batches, lines and exceptions, nobody else's."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, Sum

from gonghui.common import formats
from gonghui.common.errors import NotFound
from gonghui.files.models import Attachment
from gonghui.funds.models import (
    Entitlement,
    LedgerEntry,
    PayeeAccount,
    PayoutBatch,
    PayoutLine,
    Programme,
)
from gonghui.funds.programmes.selectors import programme_get  # noqa: F401  (re-exported: the one rule)
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.search import matching_q

VIEW = "funds.view"
BATCH_SORTS = {
    "created": "created_at",
    "-created": "-created_at",
    "name": "name",
    "-name": "-name",
    "deadline": "deadline",
    "-deadline": "-deadline",
    "total": "total",
    "-total": "-total",
}
LINE_SORTS = {
    "payment": "entitlement__payment_id",
    "-payment": "-entitlement__payment_id",
    "name": "entitlement__person__name",
    "-name": "-entitlement__person__name",
    "amount": "amount",
    "-amount": "-amount",
    "status": "status",
    "-status": "-status",
}


def may_at(actor, perm: str, org_unit) -> bool:
    return access.can_at(actor, perm, org_unit)


def programme_runs(programme: Programme):
    """The programme's runs a batch may be built from (newest first)."""
    return list(programme.runs.exclude(status="open").order_by("-year", "-pk"))


def batch_list(*, actor, programme: Programme, status: str = "", sort: str = ""):
    qs = access.restrict(
        PayoutBatch.objects.filter(programme=programme).select_related("org_unit", "run"),
        actor,
        VIEW,
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by(BATCH_SORTS.get(sort, "-created_at"), "-pk")


def batch_get(*, actor, pk) -> PayoutBatch:
    return access.get_or_404(
        PayoutBatch.objects.select_related("programme", "org_unit", "run", "created_by"),
        actor,
        VIEW,
        pk=pk,
    )


def pay_units(*, actor, programme: Programme) -> list[OrgUnit]:
    """The unions the actor may build a batch of ``programme`` at: their funds.pay posts'
    nodes within the programme's reach (at or below its organiser, or above it)."""
    ids = [g.unit_id for g in access.grants(actor) if "funds.pay" in g.permissions]
    units = OrgUnit.objects.filter(pk__in=ids).order_by("path")
    top = programme.org_unit.path
    return [u for u in units if u.path.startswith(top) or top.startswith(u.path)]


def batch_lines(*, batch: PayoutBatch, status: str = "", flagged: str = "", q: str = "", sort=""):
    """The batch's lines (the batch read in scope already), with payee and account."""
    qs = PayoutLine.objects.filter(batch=batch).select_related(
        "entitlement__person", "account", "alternative", "supersedes"
    )
    if status:
        qs = qs.filter(status=status)
    if flagged == "fail":
        qs = qs.filter(prediction__gt="")
    elif flagged == "ok":
        qs = qs.filter(prediction="")
    if q:
        qs = qs.filter(
            matching_q(q, via="entitlement__person_id") | Q(entitlement__payment_id__iexact=q)
        )
    return qs.order_by(LINE_SORTS.get(sort, "pk"), "pk")


def lines_predicted_to_fail(batch: PayoutBatch):
    """Pending lines the prediction says the bank will refuse (a non-empty prediction:
    ``> ""`` is a range of the lines' index, where ``!= ""`` would read every line)."""
    return PayoutLine.objects.filter(
        batch=batch, status=PayoutLine.Status.PENDING, prediction__gt=""
    )


def owed_for(batch: PayoutBatch):
    """The owed entitlements a batch takes: its programme's, at its union and below, of its
    run if it names one, that existed when the batch was made."""
    qs = Entitlement.objects.filter(
        access.subtree_q(batch.org_unit, via="org_unit"),
        programme_id=batch.programme_id,
        status=Entitlement.Status.OWED,
        created_at__lte=batch.created_at,
    )
    return qs.filter(run_id=batch.run_id) if batch.run_id else qs


def missing_accounts(batch: PayoutBatch, limit: int = 200):
    """Owed entitlements the batch would take but whose payee has no account to pay into
    (no default, no active one): 缺少收款账户."""
    usable = PayeeAccount.objects.filter(person_id=OuterRef("person_id")).filter(
        Q(is_default=True) | Q(status=PayeeAccount.Status.ACTIVE)
    )
    return (
        owed_for(batch)
        .filter(~Exists(usable))
        .select_related("person", "org_unit")
        .order_by("pk")[:limit]
    )


@dataclass
class Figures:
    """A batch's totals by where its lines stand (counts, and amounts in fen)."""

    entitlements: int = 0
    amount: int = 0
    entitlements_paid: int = 0
    sent: int = 0
    sent_total: int = 0
    awaiting: int = 0
    awaiting_total: int = 0
    bank_paid: int = 0
    bank_paid_total: int = 0
    cash_paid: int = 0
    cash_total: int = 0
    failed: int = 0
    failed_total: int = 0
    superseded: int = 0
    pending: int = 0
    pending_total: int = 0
    ledger_net: int = 0

    @property
    def paid(self) -> int:
        return self.bank_paid + self.cash_paid

    @property
    def paid_total(self) -> int:
        return self.bank_paid_total + self.cash_total


def batch_figures(batch: PayoutBatch) -> Figures:
    f = Figures()
    rows = (
        PayoutLine.objects.filter(batch=batch)
        .values("status", "method")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    )
    for row in rows:
        n, amount, status = row["n"], row["amount"] or 0, row["status"]
        cash = row["method"] == PayoutLine.Method.CASH
        if not cash and status != PayoutLine.Status.PENDING:
            f.sent += n
            f.sent_total += amount
        if status == PayoutLine.Status.SENT:
            f.awaiting, f.awaiting_total = f.awaiting + n, f.awaiting_total + amount
        elif status == PayoutLine.Status.PAID and cash:
            f.cash_paid, f.cash_total = f.cash_paid + n, f.cash_total + amount
        elif status == PayoutLine.Status.PAID:
            f.bank_paid, f.bank_paid_total = f.bank_paid + n, f.bank_paid_total + amount
        elif status == PayoutLine.Status.FAILED:
            f.failed, f.failed_total = f.failed + n, f.failed_total + amount
        elif status == PayoutLine.Status.SUPERSEDED:
            f.superseded += n
        elif status == PayoutLine.Status.PENDING:
            f.pending, f.pending_total = f.pending + n, f.pending_total + amount
    ents = Entitlement.objects.filter(lines__batch=batch).distinct()
    f.entitlements = ents.count()
    f.amount = batch.total
    f.entitlements_paid = ents.filter(status=Entitlement.Status.PAID).count()
    f.ledger_net = (
        LedgerEntry.objects.filter(
            line__batch=batch, kind__in=(LedgerEntry.Kind.PAY, LedgerEntry.Kind.RETURN)
        ).aggregate(net=Sum("amount"))["net"]
        or 0
    )
    return f


def differences(f: Figures, bank_count: int, bank_total: int) -> list[str]:
    """What keeps a batch from being settled, in words (empty: it reconciles)."""
    found = []
    if bank_count != f.bank_paid:
        found.append(f"银行成功笔数 {bank_count} 与本批次转账已到账笔数 {f.bank_paid} 不符")
    if bank_total != f.bank_paid_total:
        found.append(
            f"银行成功金额 {formats.yuan(bank_total)} 与本批次转账已到账金额 "
            f"{formats.yuan(f.bank_paid_total)} 不符（相差 {formats.yuan(bank_total - f.bank_paid_total)}）"
        )
    if f.awaiting:
        found.append(
            f"有 {f.awaiting} 笔已报送银行、尚无回盘结果（{formats.yuan(f.awaiting_total)}）"
        )
    if f.failed:
        found.append(
            f"有 {f.failed} 笔银行退回尚未改道重发（{formats.yuan(f.failed_total)}），见异常处理"
        )
    if f.pending:
        found.append(f"有 {f.pending} 笔改道重发尚未报送银行（{formats.yuan(f.pending_total)}）")
    if f.entitlements_paid != f.entitlements:
        found.append(f"应发 {f.entitlements} 笔，已发放到位 {f.entitlements_paid} 笔")
    if f.paid_total != f.amount:
        found.append(
            f"已发放金额 {formats.yuan(f.paid_total)} 与批次合计 {formats.yuan(f.amount)} 不符"
        )
    if f.ledger_net != f.paid_total + f.awaiting_total:
        found.append(
            f"台账支付净额 {formats.yuan(f.ledger_net)} 与明细（已到账及在途）"
            f"{formats.yuan(f.paid_total + f.awaiting_total)} 不符"
        )
    return found


def batch_imports(batch: PayoutBatch):
    return batch.imports.select_related("imported_by").order_by("-imported_at", "-pk")


def batch_files(batch: PayoutBatch):
    """The bank files kept with the batch (newest first)."""
    return Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(PayoutBatch), object_id=str(batch.pk)
    ).order_by("-created_at", "-pk")


def batch_attachment(batch: PayoutBatch, pk) -> Attachment:
    found = batch_files(batch).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound()
    return found


def exception_queue(*, actor, programme_id=None, q: str = "", sort: str = ""):
    """Failed lines not yet re-issued, with the bank's reason, in the actor's scope (by the
    batch's paying union)."""
    qs = access.restrict(
        PayoutLine.objects.filter(
            status=PayoutLine.Status.FAILED, superseded_by__isnull=True
        ).select_related("batch__programme", "batch__org_unit", "entitlement__person", "account"),
        actor,
        VIEW,
        via="batch__org_unit",
    )
    if programme_id:
        qs = qs.filter(batch__programme_id=programme_id)
    if q:
        qs = qs.filter(
            matching_q(q, via="entitlement__person_id") | Q(entitlement__payment_id__iexact=q)
        )
    sorts = {**LINE_SORTS, "returned": "returned_at", "-returned": "-returned_at"}
    return qs.order_by(sorts.get(sort, "-returned_at"), "pk")


def line_get(*, actor, pk) -> PayoutLine:
    return access.get_or_404(
        PayoutLine.objects.select_related(
            "batch__programme", "batch__org_unit", "entitlement__person", "account"
        ),
        actor,
        VIEW,
        via="batch__org_unit",
        pk=pk,
    )


def reissue_accounts(line: PayoutLine) -> list[PayeeAccount]:
    """The payee's accounts a failed line may go to instead (the failed one last)."""
    accounts = list(
        PayeeAccount.objects.filter(person_id=line.entitlement.person_id).exclude(
            status=PayeeAccount.Status.CLOSED
        )
    )
    return sorted(accounts, key=lambda a: (a.pk == line.account_id, not a.is_default, a.pk))


def account_of_person(*, line: PayoutLine, pk) -> PayeeAccount | None:
    if pk in (None, ""):
        return None
    return PayeeAccount.objects.filter(pk=pk, person_id=line.entitlement.person_id).first()


def scope_programmes(*, actor):
    """The programmes with lines in the actor's exception queue (for its filter)."""
    return (
        Programme.objects.filter(
            batches__in=access.restrict(PayoutBatch.objects.all(), actor, VIEW)
        )
        .distinct()
        .order_by("code")
    )
