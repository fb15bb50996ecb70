"""What a merge of two records of one person (registry.merging) does with the funds: the
loser's applications, entitlements, hardship records and payee accounts go to the record
kept. Before the merge, staff resolve what the two records cannot both hold: two open
hardship records, enrolment in the same run, the same account number on both."""

from __future__ import annotations

from gonghui.funds.models import Application, Entitlement, Hardship, PayeeAccount
from gonghui.registry.merging import carrier, simple_carrier


def _hardship_blockers(*, survivor, loser, actor) -> list[str]:
    """One open hardship record a person (the database's ``hardship_one_open``)."""
    both = Hardship.objects.filter(person__in=[survivor, loser], until__isnull=True).count()
    return ["两份档案都有有效的困难认定，请先终止其中一份"] if both == 2 else []


def _run_blockers(*, survivor, loser, actor) -> list[str]:
    """One entitlement a run and person (the database's ``entitlement_run_once``)."""
    theirs = Entitlement.objects.filter(person=survivor, run__isnull=False).values("run_id")
    both = Entitlement.objects.filter(person=loser, run_id__in=theirs).select_related("run")
    return [f"两份档案都纳入了发放计划“{e.run.name}”，请先取消其中一份的应发记录" for e in both]


def _account_blockers(*, survivor, loser, actor) -> list[str]:
    """One account number a person (the database's ``payee_account_once``); the number
    itself is never quoted."""
    theirs = PayeeAccount.objects.filter(person=survivor).values("number_index")
    if PayeeAccount.objects.filter(person=loser, number_index__in=theirs).exists():
        return ["两份档案登记了同一个收款账号，请先删除或合并其中一份的该账户"]
    return []


def _carry_accounts(*, survivor, loser, actor) -> dict:
    """Every account of the loser goes over; the survivor's default stays the default (the
    loser's default, if it had one and the survivor too, is no longer)."""
    rows = PayeeAccount.objects.filter(person=loser)
    ids = list(rows.values_list("pk", flat=True))
    undefaulted = []
    if PayeeAccount.objects.filter(person=survivor, is_default=True).exists():
        undefaulted = list(rows.filter(is_default=True).values_list("pk", flat=True))
        rows.filter(pk__in=undefaulted).update(is_default=False)
    PayeeAccount.objects.filter(pk__in=ids).update(person=survivor)
    return {"ids": ids, "undefaulted": undefaulted}


def _restore_accounts(*, survivor, loser, actor, moved) -> None:
    PayeeAccount.objects.filter(pk__in=moved["ids"]).update(person=loser)
    PayeeAccount.objects.filter(pk__in=moved.get("undefaulted", [])).update(is_default=True)


simple_carrier(key="fund_applications", label="资助申请", model=Application)
simple_carrier(key="fund_entitlements", label="应发记录", model=Entitlement, blockers=_run_blockers)
simple_carrier(key="hardships", label="困难认定", model=Hardship, blockers=_hardship_blockers)
carrier(
    key="payee_accounts",
    label="收款账户",
    fields=("funds.PayeeAccount.person",),
    carry=_carry_accounts,
    restore=_restore_accounts,
    blockers=_account_blockers,
)
