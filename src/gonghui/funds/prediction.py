"""Which payout lines a bank will refuse, and why, before the batch is released (失败预判).
Standard library only.

A payee account is plain data::

    {"id": 7, "kind": "union_card" | "bank_card" | "passbook", "class": "I" | "II" | "III"
     | None, "status": "active" | "locked" | "dormant" | "closed", "last_activity": date,
     "bound_to_payer": False, "balance": 0, "received_today": 0, "received_this_year": 0}

(amounts in fen; ``received_*`` what the bank has taken into the account from non-bound
payers, as far as the platform knows: its own payments). The limits are configuration
(``LIMITS``, the People's Bank rules for Ⅱ/Ⅲ class accounts): a Ⅱ类 account takes at most
10,000元 a day and 200,000元 a year from accounts it is not bound to; a Ⅲ类 account holds at
most 2,000元. An account without activity for ``dormant_after_days`` is treated as dormant
(the bank locks it: the seed's card, "locked for disuse").

``predict`` gives each line's verdict: ``None`` when it should go through, else the reason
(code and Chinese text) and the payee's other account that would take it, if any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

LIMITS = {
    "II": {"day": 1_000_000, "year": 20_000_000},  # 10,000元 a day, 200,000元 a year
    "III": {"balance": 200_000},  # 2,000元 held at most
    "dormant_after_days": 365,
}
# Which account to propose first: a bank's Ⅰ类 card, then the passbook, then the rest.
PREFERENCE = {("bank_card", "I"): 0, ("union_card", "I"): 1, ("passbook", None): 2}

REASONS = {
    "missing": "没有收款账户",
    "closed": "账户已销户",
    "locked": "账户已被银行锁定",
    "dormant": "账户长期未使用（久悬），银行将拒绝入账",
    "over_day": "Ⅱ类账户单日非绑定账户转入超过限额",
    "over_year": "Ⅱ类账户年度非绑定账户转入超过限额",
    "over_balance": "Ⅲ类账户余额将超过上限",
}


@dataclass(frozen=True)
class Verdict:
    reason: str | None  # a REASONS code; None: should go through
    text: str
    alternative: object | None = None  # the id of an account that would take it

    @property
    def ok(self) -> bool:
        return self.reason is None


def refusal(account: Mapping | None, amount: int, today: date, limits: Mapping = LIMITS):
    """Why the bank would refuse ``amount`` (fen) into ``account`` today; None if it would
    not."""
    if account is None:
        return "missing"
    status = account.get("status", "active")
    if status == "closed":
        return "closed"
    if status == "locked":
        return "locked"
    last = account.get("last_activity")
    idle = (today - last).days if isinstance(last, date) else None
    if status == "dormant" or (idle is not None and idle > limits["dormant_after_days"]):
        return "dormant"
    cls = account.get("class")
    if cls == "II" and not account.get("bound_to_payer"):
        if account.get("received_today", 0) + amount > limits["II"]["day"]:
            return "over_day"
        if account.get("received_this_year", 0) + amount > limits["II"]["year"]:
            return "over_year"
    if cls == "III" and account.get("balance", 0) + amount > limits["III"]["balance"]:
        return "over_balance"
    return None


def _rank(account: Mapping) -> tuple:
    return (PREFERENCE.get((account.get("kind"), account.get("class")), 9), str(account["id"]))


def predict(
    amount: int,
    account: Mapping | None,
    others: Iterable[Mapping],
    today: date,
    limits: Mapping = LIMITS,
) -> Verdict:
    """The verdict on paying ``amount`` into ``account``; when it would fail, the first of
    the payee's ``others`` (by ``PREFERENCE``) that would take it."""
    reason = refusal(account, amount, today, limits)
    if reason is None:
        return Verdict(None, "")
    for other in sorted(others, key=_rank):
        if account is not None and other["id"] == account["id"]:
            continue
        if refusal(other, amount, today, limits) is None:
            return Verdict(reason, REASONS[reason], other["id"])
    return Verdict(reason, REASONS[reason])


def in_time(today: date, deadline: date, workdays_needed: int, add_workdays) -> bool:
    """Whether a line re-routed today is paid by ``deadline``: the bank needs
    ``workdays_needed`` working days (``add_workdays(start, n)``: the working-day calendar,
    common.workdays)."""
    return add_workdays(today, workdays_needed) <= deadline
