"""Reads of payee accounts and of a batch's prediction, scoped through ``orgs.access``.
Numbers leave here masked (last four digits); the full number only through
``services.account_reveal``."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q, Sum

from gonghui.common import pii
from gonghui.common.errors import NotFound
from gonghui.funds import prediction
from gonghui.funds.models import PayeeAccount, PayoutBatch, PayoutLine
from gonghui.orgs import access
from gonghui.people.models import Person

VIEW = "funds.view"

# The verdicts as the prediction page groups them, worst first.
VERDICTS = [(code, text) for code, text in prediction.REASONS.items()] + [("ok", "预计正常入账")]
VERDICT_TEXT = dict(VERDICTS)


def masked(number: str | None) -> str:
    return pii.mask("bank_account", number)


def payee_get(*, actor, pk) -> Person:
    """A payee whose accounts the actor may see (``funds.view`` at the person's union)."""
    return access.get_or_404(Person.objects.select_related("org_unit"), actor, VIEW, pk=pk)


def account_get(*, actor, pk) -> PayeeAccount:
    return access.get_or_404(
        PayeeAccount.objects.select_related("person__org_unit"),
        actor,
        VIEW,
        via="person__org_unit",
        pk=pk,
    )


@dataclass
class AccountRow:
    account: PayeeAccount
    number: str  # masked
    idle_days: int | None
    warning: str  # why a payment into it would fail today, in Chinese ("" if none)


def account_rows(person: Person, today) -> list[AccountRow]:
    """A person's accounts, default first, each masked and with what the bank would say of
    a small payment today (status, idleness)."""
    rows = []
    for account in PayeeAccount.objects.filter(person=person).order_by("-is_default", "id"):
        data = {
            "id": account.pk,
            "kind": account.kind,
            "class": account.account_class or None,
            "status": account.status,
            "last_activity": account.last_activity,
        }
        limits = getattr(settings, "FUNDS_ACCOUNT_LIMITS", prediction.LIMITS)
        reason = prediction.refusal(data, 1, today, limits)
        rows.append(
            AccountRow(
                account=account,
                number=masked(account.number),
                idle_days=(today - account.last_activity).days if account.last_activity else None,
                warning=prediction.REASONS[reason] if reason else "",
            )
        )
    return rows


def my_payee(user) -> Person | None:
    """The member's own person record (None for an account without one)."""
    return Person.objects.filter(user=user).first() if user.is_authenticated else None


def batch_get(*, actor, pk) -> PayoutBatch:
    return access.get_or_404(
        PayoutBatch.objects.select_related("programme", "org_unit"), actor, VIEW, pk=pk
    )


@dataclass
class PredictionSummary:
    batch: PayoutBatch
    groups: list[dict] = field(default_factory=list)  # code, text, count, total
    pending: int = 0
    failing: int = 0
    proposed: int = 0
    stranded: int = 0  # predicted to fail and no way to pay in time


def prediction_summary(batch: PayoutBatch) -> PredictionSummary:
    """Counts and sums of the batch's pending lines by verdict, in one query."""
    summary = PredictionSummary(batch=batch)
    found = {
        row["prediction"] or "ok": row
        for row in PayoutLine.objects.filter(batch=batch, status="pending", method="account")
        .values("prediction")
        .annotate(
            n=Count("id"),
            total=Sum("amount"),
            proposed=Count("id", filter=Q(alternative__isnull=False)),
            stranded=Count("id", filter=Q(in_time=False) & ~Q(prediction="")),
        )
    }
    for code, text in VERDICTS:
        row = found.get(code)
        if row:
            summary.groups.append(
                {"code": code, "text": text, "count": row["n"], "total": row["total"]}
            )
            summary.pending += row["n"]
            if code != "ok":
                summary.failing += row["n"]
                summary.proposed += row["proposed"]
                summary.stranded += row["stranded"]
    return summary


@dataclass
class LineRow:
    line: PayoutLine
    payee: str
    number: str  # masked
    reason: str
    alternative: str  # masked, with its kind
    choices: list[tuple[int, str]]  # the payee's other accounts (for a manual re-route)


def prediction_lines(batch: PayoutBatch, verdict: str | None = None):
    """The batch's pending transfer lines, failing first (or those of one verdict)."""
    lines = (
        PayoutLine.objects.filter(batch=batch, status="pending", method="account")
        .select_related("entitlement__person", "account", "alternative")
        .order_by("-prediction", "id")
    )
    if verdict == "ok":
        lines = lines.filter(prediction="")
    elif verdict == "failing":
        lines = lines.exclude(prediction="")
    elif verdict:
        lines = lines.filter(prediction=verdict)
    return lines


def line_rows(lines) -> list[LineRow]:
    """One page of lines, with the payees' accounts for re-routing (one query more)."""
    lines = list(lines)
    people = {line.entitlement.person_id for line in lines}
    others: dict[int, list[PayeeAccount]] = {}
    for account in PayeeAccount.objects.filter(person_id__in=people).order_by("id"):
        others.setdefault(account.person_id, []).append(account)
    rows = []
    for line in lines:
        alt = line.alternative
        rows.append(
            LineRow(
                line=line,
                payee=line.entitlement.person.name,
                number=_label(line.account) if line.account else "—",
                reason=prediction.REASONS.get(line.prediction, ""),
                alternative=_label(alt) if alt else "",
                choices=[
                    (a.pk, _label(a))
                    for a in others.get(line.entitlement.person_id, [])
                    if a.pk != line.account_id and a.status != "closed"
                ],
            )
        )
    return rows


def _label(account: PayeeAccount) -> str:
    cls = f"{account.get_account_class_display()}" if account.account_class else ""
    return f"{account.get_kind_display()}{cls} {account.bank} {masked(account.number)}"


def line_get(*, actor, pk) -> PayoutLine:
    """A line of a batch the actor may see."""
    try:
        line = PayoutLine.objects.select_related("batch__org_unit", "entitlement").get(pk=pk)
    except PayoutLine.DoesNotExist:
        raise NotFound() from None
    if not access.can_at(actor, VIEW, line.batch.org_unit):
        raise NotFound()
    return line


def payee_account_of(line: PayoutLine, pk: int) -> PayeeAccount | None:
    """One of the line's payee's accounts (None if ``pk`` is not one of them)."""
    return (
        PayeeAccount.objects.filter(pk=pk, person_id=line.entitlement.person_id)
        .select_related("person__org_unit")
        .first()
    )
