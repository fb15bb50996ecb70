"""Payee accounts (收款账户) and the failure prediction of a batch's lines (失败预判).

Who may write: an account is kept by whoever pays (``funds.pay``) at the payee's own union
(the union that holds the person's record, ``Person.org_unit``) or above it: district and
city staff. Grassroots and street posts see a payee's accounts masked (``funds.view``) but
neither add nor change them; a bank account number is protected data. The full number is
shown only through ``account_reveal``: ``people.view_pii`` at the payee's union, each reveal
a ``pii.reveal`` event (as ``people.services.person_reveal`` records one for a person's
fields). Error messages never quote a number.

The prediction (``batch_predict``) runs set-based: the batch's pending lines, the payees'
accounts and what other lines already put into those accounts are read in three queries,
each line's verdict comes from ``funds.prediction`` in Python, and the lines are written
back in one UPDATE for the lines that go through plus chunked updates for the few that
do not. What counts as already received by an account:

* Ⅱ类 "today" — the planned export day is today: other lines into the account pending in
  draft or released batches, lines sent or paid today, and this batch's earlier lines (two
  lines to one Ⅱ类 card the same day add up);
* Ⅱ类 "this year" — the above plus lines sent or paid since 1 January;
* Ⅲ类 balance — the balance the bank last reported plus what is on its way and not yet
  known to have landed (pending and sent lines, this batch's earlier ones).
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import crypto, pii, workdays
from gonghui.common.errors import ValidationFailed
from gonghui.funds import events, prediction
from gonghui.funds.models import PayeeAccount, PayoutBatch, PayoutLine
from gonghui.orgs import access

PAY = "funds.pay"  # adds and changes payee accounts; predicts and re-routes batches
REVEAL = "people.view_pii"
KIND_CLASSED = ("union_card", "bank_card")  # these carry a class (Ⅰ/Ⅱ/Ⅲ); passbooks do not
UPDATE_CHUNK = 1000


def _limits() -> dict:
    return getattr(settings, "FUNDS_ACCOUNT_LIMITS", prediction.LIMITS)


def _bank_workdays() -> int:
    return int(getattr(settings, "FUNDS_BANK_WORKDAYS", 1))


def _shown_number(account: PayeeAccount) -> str:
    """The number as every page shows it: its last four digits."""
    return pii.mask("bank_account", account.number)


def _at_payee(actor, perm: str, person) -> access.Grant:
    return access.require_at(actor, perm, person.org_unit, view_perm="funds.view")


def _snapshot(account: PayeeAccount) -> dict:
    return {
        "kind": account.kind,
        "account_class": account.account_class,
        "bank": account.bank,
        "number": _shown_number(account),
        "bound_to_payer": account.bound_to_payer,
        "status": account.status,
        "status_reported_at": account.status_reported_at,
        "last_activity": account.last_activity,
        "balance": account.balance,
        "is_default": account.is_default,
    }


def _changes(before: dict, after: dict) -> dict:
    return {k: [_plain(before.get(k)), _plain(v)] for k, v in after.items() if before.get(k) != v}


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def _check_fields(*, kind, account_class, bank, last_activity, balance, today) -> dict:
    errors = {}
    if kind not in PayeeAccount.Kind.values:
        errors["kind"] = "账户类型应为工会会员卡、银行卡、存折或单位对公账户"
    elif kind in KIND_CLASSED and account_class not in PayeeAccount.AccountClass.values:
        errors["account_class"] = "银行卡（含工会会员卡）应注明账户分类：Ⅰ类、Ⅱ类或Ⅲ类"
    elif kind not in KIND_CLASSED and account_class:
        errors["account_class"] = "存折和对公账户不分Ⅰ/Ⅱ/Ⅲ类，账户分类应留空"
    if bank is not None and not (bank or "").strip():
        errors["bank"] = "请填写开户行"
    elif bank is not None and len(bank.strip()) > 60:
        errors["bank"] = "开户行名称不能超过60个字"
    if last_activity is not None and last_activity > today:
        errors["last_activity"] = "最近交易日期不能晚于今天"
    if balance is not None and (isinstance(balance, bool) or not isinstance(balance, int)):
        errors["balance"] = "已知余额应为整数分"
    elif balance is not None and balance < 0:
        errors["balance"] = "已知余额不能为负数"
    return errors


def _clear_default(person_id: int, keep_id: int | None = None) -> None:
    PayeeAccount.objects.filter(person_id=person_id, is_default=True).exclude(pk=keep_id).update(
        is_default=False
    )


@transaction.atomic
def account_add(
    *,
    actor,
    person,
    kind: str,
    bank: str,
    number: str,
    account_class: str = "",
    bound_to_payer: bool = False,
    is_default: bool = False,
    last_activity: date | None = None,
    balance: int = 0,
) -> PayeeAccount:
    """Register a payee's account. The number is checked (12–19 digits, the Luhn check
    digit of 16- and 19-digit card numbers), stored encrypted, and refused if the person
    already has it (found by its blind index, never quoted). The person's first account,
    or one marked default, becomes the default. Entering full numbers (and being told one
    is already there, which confirms a guess) needs ``people.view_pii`` at the payee's
    union too."""
    grant = _at_payee(actor, PAY, person)
    access.require_at(actor, "people.view_pii", person.org_unit, view_perm="funds.view")
    today = workdays.today()
    account_class = account_class or ""
    errors = _check_fields(
        kind=kind,
        account_class=account_class,
        bank=bank,
        last_activity=last_activity,
        balance=balance,
        today=today,
    )
    try:
        number = pii.normalize("bank_account", number or "", field="number")
    except ValidationFailed as exc:
        errors.update(exc.fields)
    else:
        index = crypto.blind_index(number, context="bank_account")
        if PayeeAccount.objects.filter(person=person, number_index=index).exists():
            errors["number"] = "该收款人已登记过这个账号，不能重复登记"
    if errors:
        raise ValidationFailed(errors)
    first = not PayeeAccount.objects.filter(person=person).exists()
    if is_default:
        _clear_default(person.pk)
    account = PayeeAccount.objects.create(
        person=person,
        kind=kind,
        account_class=account_class,
        bank=bank.strip(),
        number=number,
        bound_to_payer=bound_to_payer,
        is_default=is_default or first,
        last_activity=last_activity,
        balance=balance,
    )
    record(
        actor=actor,
        action=Action.FUNDS_ACCOUNT_ADD,
        obj=account,
        org_unit_id=person.org_unit_id,
        post_id=grant.post_id,
        changes=_changes({}, _snapshot(account)),
    )
    return account


UNSET = object()


@transaction.atomic
def account_update(
    *,
    actor,
    account: PayeeAccount,
    status: str | None = None,
    status_reported_at: date | None = None,
    last_activity=UNSET,
    is_default: bool | None = None,
    bound_to_payer: bool | None = None,
    balance: int | None = None,
    bank: str | None = None,
) -> PayeeAccount:
    """Change what the bank reported of an account (its status with the report's date —
    today if none given —, its last activity, its known balance), whether it is bound to
    the paying account, its bank, or make it the payee's default. Only the arguments given
    change; the number never does (a new number is a new account)."""
    grant = _at_payee(actor, PAY, account.person)
    account = PayeeAccount.objects.select_for_update().get(pk=account.pk)
    today = workdays.today()
    errors = _check_fields(
        kind=account.kind,
        account_class=account.account_class,
        bank=bank,
        last_activity=None if last_activity is UNSET else last_activity,
        balance=balance,
        today=today,
    )
    if status is not None and status not in PayeeAccount.Status.values:
        errors["status"] = "账户状态应为正常、已锁定、久悬或已销户"
    if status_reported_at is not None and status_reported_at > today:
        errors["status_reported_at"] = "状态报告日期不能晚于今天"
    if is_default and (status or account.status) == PayeeAccount.Status.CLOSED:
        errors["is_default"] = "已销户的账户不能设为默认收款账户"
    if errors:
        raise ValidationFailed(errors)
    before = _snapshot(account)
    if status is not None and (status != account.status or status_reported_at):
        account.status = status
        account.status_reported_at = status_reported_at or today
    if last_activity is not UNSET:
        account.last_activity = last_activity
    if balance is not None:
        account.balance = balance
    if bound_to_payer is not None:
        account.bound_to_payer = bound_to_payer
    if bank is not None:
        account.bank = bank.strip()
    if is_default is not None and is_default != account.is_default:
        if is_default:
            _clear_default(account.person_id, account.pk)
        account.is_default = is_default
    account.save()
    record(
        actor=actor,
        action=Action.FUNDS_ACCOUNT_UPDATE,
        obj=account,
        org_unit_id=account.person.org_unit_id,
        post_id=grant.post_id,
        changes=_changes(before, _snapshot(account)),
    )
    return account


@transaction.atomic
def account_reveal(*, actor, account: PayeeAccount) -> str:
    """The full number, for a post with ``people.view_pii`` at the payee's union; audited
    (``pii.reveal``, as a person's own protected fields are)."""
    grant = _at_payee(actor, REVEAL, account.person)
    record(
        actor=actor,
        action=Action.PII_REVEAL,
        obj=account,
        org_unit_id=account.person.org_unit_id,
        post_id=grant.post_id,
        changes={"field": [None, "number"]},
    )
    return account.number or ""


STATUS_WORDS = {
    **{value: value for value in PayeeAccount.Status.values},
    **{label: value for value, label in PayeeAccount.Status.choices},
    "正常": "active",
    "锁定": "locked",
    "冻结": "locked",
    "久悬": "dormant",
    "睡眠": "dormant",
    "销户": "closed",
}


@transaction.atomic
def accounts_status_import(*, actor, data: bytes, reported_on: date | None = None) -> dict:
    """A bank's status report (CSV: 账号,状态[,最近交易日期]) applied to the accounts in
    the actor's scope that carry those numbers (matched by blind index; the numbers are never
    echoed back). All rows are checked first; any bad row refuses the whole file, naming the
    row and the reason. Returns counts: rows, matched accounts, changed, unknown numbers."""
    grant = access.home_grant(actor, PAY)
    if grant is None:
        access.require(actor, PAY)
    today = workdays.today()
    reported_on = reported_on or today
    if reported_on > today:
        raise ValidationFailed({"reported_on": "报告日期不能晚于今天"})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ValidationFailed(
                {"file": "文件编码无法识别，请保存为 UTF-8 或 GBK 的 CSV"}
            ) from None
    rows, errors = [], []
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if n == 1 and not any(ch.isdigit() for ch in row[0]):
            continue  # a header
        try:
            number = pii.normalize("bank_account", row[0], field="file")
        except ValidationFailed as exc:
            errors.append(f"第{n}行：{exc.fields['file']}")
            continue
        status = STATUS_WORDS.get(row[1].strip() if len(row) > 1 else "")
        if status is None:
            errors.append(f"第{n}行：状态应为正常、锁定、久悬或销户")
            continue
        last = None
        if len(row) > 2 and row[2].strip():
            try:
                last = date.fromisoformat(row[2].strip())
            except ValueError:
                errors.append(f"第{n}行：最近交易日期应为 YYYY-MM-DD")
                continue
            if last > today:
                errors.append(f"第{n}行：最近交易日期晚于今天")
                continue
        rows.append((crypto.blind_index(number, context="bank_account"), status, last))
    if errors:
        raise ValidationFailed({"file": "；".join(errors[:20])})
    if not rows:
        raise ValidationFailed({"file": "文件中没有账户状态记录"})
    wanted = {index for index, _s, _l in rows}
    found = defaultdict(list)
    # Matched only where the actor may also see full numbers: the counts it answers would
    # otherwise confirm guessed numbers (the mask shows the last four, the bank its BIN).
    in_scope = access.restrict(
        access.restrict(PayeeAccount.objects.all(), actor, PAY, via="person__org_unit"),
        actor,
        "people.view_pii",
        via="person__org_unit",
    )
    for account in in_scope.filter(number_index__in=wanted).defer("number"):
        found[account.number_index].append(account)
    changed, touched = [], {}
    for index, status, last in rows:
        for account in found.get(index, []):
            dirty = account.status != status or (last and account.last_activity != last)
            account.status, account.status_reported_at = status, reported_on
            if last:
                account.last_activity = last
            if dirty:
                changed.append(account.pk)
            touched[account.pk] = account  # a number twice in the file: its last row wins
    PayeeAccount.objects.bulk_update(
        list(touched.values()), ["status", "status_reported_at", "last_activity"], batch_size=500
    )
    counts = {
        "rows": len(rows),
        "matched": sum(len(found.get(index, [])) for index, _s, _l in rows),
        "changed": len(changed),
        "unknown": sum(1 for index, _s, _l in rows if index not in found),
    }
    record(
        actor=actor,
        action=Action.FUNDS_ACCOUNT_STATUS_IMPORT,
        object_type="funds.payeeaccount",
        org_unit_id=grant.unit_id if grant else None,
        post_id=grant.post_id if grant else None,
        changes={"counts": [None, counts], "changed": [None, sorted(changed)]},
    )
    return counts


# --- Failure prediction ------------------------------------------------------------------

FIELDS = ("id", "person_id", "kind", "account_class", "status", "last_activity")
MORE = ("bound_to_payer", "balance")


def _account(row) -> dict:
    pk, person, kind, cls, status, last, bound, balance = row
    if isinstance(last, str):  # SQLite hands dates over as text
        last = date.fromisoformat(last)
    return {
        "id": pk,
        "person": person,
        "kind": kind,
        "class": cls or None,
        "status": status,
        "last_activity": last,
        "bound_to_payer": bool(bound),
        "balance": balance,
        "received_today": 0,
        "received_this_year": 0,
    }


def _counts_on_amount(account: dict) -> bool:
    """Whether the verdict on this account depends on the amount and on what it received
    (a Ⅱ类 account not bound to the payer, a Ⅲ类 one); else it is the account's alone."""
    return (account["class"] == "II" and not account["bound_to_payer"]) or account["class"] == "III"


def _take(account: dict, amount: int) -> None:
    account["received_today"] += amount
    account["received_this_year"] += amount
    if account["class"] == "III":
        account["balance"] += amount


def _received(accounts: dict[int, dict], account_q: Q, today: date, *, exclude: Q) -> None:
    """Add to each account what other lines already put, or will put, into it (see the
    module's docstring for which lines count for what)."""
    tz = workdays.SHANGHAI
    day_start = datetime.combine(today, time.min, tzinfo=tz)
    day_end = day_start + timedelta(days=1)
    year_start = datetime(today.year, 1, 1, tzinfo=tz)
    pending = Q(status="pending", batch__status__in=("draft", "released"))
    sent = Q(status__in=("sent", "paid"), batch__exported_at__gte=year_start)
    sent_today = Q(
        status__in=("sent", "paid"),
        batch__exported_at__gte=day_start,
        batch__exported_at__lt=day_end,
    )
    on_the_way = Q(status="pending", batch__status__in=("draft", "released")) | Q(status="sent")
    rows = (
        PayoutLine.objects.filter(account_q, method="account")
        .filter(pending | sent | Q(status="sent"))
        .exclude(exclude)
        .values("account_id")
        .annotate(
            day=Sum("amount", filter=pending | sent_today),
            year=Sum("amount", filter=pending | sent),
            unpaid=Sum("amount", filter=on_the_way),
        )
        .values_list("account_id", "day", "year", "unpaid")
    )
    for account_id, day, year, unpaid in rows:
        account = accounts.get(account_id)
        if account is not None:
            account["received_today"] += day or 0
            account["received_this_year"] += year or 0
            account["balance"] += unpaid or 0


def _landing(batch: PayoutBatch, today: date) -> bool | None:
    """Whether a line sent today lands by the batch's deadline (None: no deadline)."""
    if batch.deadline is None:
        return None
    return prediction.in_time(today, batch.deadline, _bank_workdays(), workdays.add_workdays)


def _draft(batch: PayoutBatch) -> PayoutBatch:
    batch = PayoutBatch.objects.select_for_update().select_related("programme").get(pk=batch.pk)
    if batch.status != PayoutBatch.Status.DRAFT:
        raise ValidationFailed(
            {"batch": f"批次{batch.get_status_display()}，只有编制中的批次可以预判或改道"}
        )
    if not batch.built:
        raise ValidationFailed({"batch": "批次尚未编制完毕（明细还在生成中），请先完成编制再预判"})
    return batch


def _suspect(today: date, rules: dict, via: str = "account__") -> Q:
    """Accounts whose verdict ``funds.prediction.refusal`` must give (the rest — active,
    used within the dormancy period, Ⅰ类 or bound or a passbook — take any amount: their
    lines are counted and written in SQL, never read). tests/funds/test_prediction_batch.py
    checks that this agrees with ``refusal`` on every shape of account."""
    idle_from = today - timedelta(days=rules["dormant_after_days"])
    return (
        Q(**{f"{via}status__in": [s for s in PayeeAccount.Status.values if s != "active"]})
        | Q(**{f"{via}last_activity__lt": idle_from})
        | Q(**{f"{via}account_class": "III"})
        | Q(**{f"{via}account_class": "II", f"{via}bound_to_payer": False})
    )


# A line predicted to go through: no reason, no proposal, and ``in_time`` left empty (it
# lands when the batch does: ``predicted_on`` + FUNDS_BANK_WORKDAYS against the deadline);
# ``in_time`` speaks only of a failing line's way out. Only lines that fail are written.
FINE = ("", None, None)


def _predict(batch: PayoutBatch, today: date, progress=None) -> dict[str, int]:
    """Each pending line's verdict, written back; counts by reason ("ok": fine).

    Lines into accounts that take any amount are counted and marked in SQL; the rest (and
    only they) are read with their payees' accounts and judged by ``funds.prediction``."""
    rules = _limits()
    in_time = _landing(batch, today)
    transfers = PayoutLine.objects.filter(batch=batch, status="pending", method="account")
    total = transfers.count()
    doubtful = PayeeAccount.objects.filter(_suspect(today, rules, via="")).values("id")
    suspect = transfers.filter(Q(account_id__in=doubtful) | Q(account__isnull=True))
    lines = _raw(
        suspect.order_by("id").values_list(
            "id",
            "account_id",
            "amount",
            "entitlement__person_id",
            "prediction",
            "alternative_id",
            "in_time",
        )
    )
    payees = suspect.values("entitlement__person_id")
    accounts = {
        row[0]: _account(row)
        for row in _raw(
            PayeeAccount.objects.filter(person_id__in=payees).order_by().values_list(*FIELDS, *MORE)
        )
    }
    by_person = defaultdict(list)
    for account in accounts.values():
        by_person[account["person"]].append(account)
    counting = [pk for pk, account in accounts.items() if _counts_on_amount(account)]
    for start in range(0, len(counting), 900):
        _received(
            accounts,
            Q(account_id__in=counting[start : start + 900]),
            today,
            exclude=Q(batch=batch, status="pending"),
        )
    counts: Counter = Counter({"ok": total - len(lines)} if total > len(lines) else {})
    written = []  # (line, (reason, alternative, in_time))
    for n, (line_id, account_id, amount, person_id, *before) in enumerate(lines, start=1):
        if progress and n % 10_000 == 0:
            progress(n, len(lines))
        account = accounts.get(account_id)
        verdict = prediction.predict(amount, account, by_person.get(person_id, ()), today, rules)
        if verdict.ok:
            _take(account, amount)  # two lines to one Ⅱ类 card the same day add up
            counts["ok"] += 1
            if tuple(before) != FINE:
                written.append((line_id, FINE))
            continue
        counts[verdict.reason] += 1
        alternative = verdict.alternative
        if alternative is not None:
            _take(accounts[alternative], amount)  # the proposal takes its room
        wanted = (verdict.reason, alternative, in_time if alternative else _never(in_time))
        if tuple(before) != wanted:
            written.append((line_id, wanted))
    # The lines not judged that said otherwise are marked fine in one statement (a fresh
    # batch has none: a line that goes through carries nothing, so nothing is written).
    transfers.exclude(prediction="", alternative__isnull=True, in_time__isnull=True).exclude(
        id__in=suspect.values("id")
    ).update(prediction="", alternative=None, in_time=None)
    _write(written)
    batch.predicted_on = today
    batch.save(update_fields=["predicted_on"])
    if progress:
        progress(len(lines), len(lines))
    return dict(counts)


def _write(failing: list[tuple]) -> None:
    """The failing lines' verdicts, a few statements per thousand lines: one UPDATE per
    reason and chunk of ids, then the proposed accounts (one CASE per chunk)."""
    changed = defaultdict(list)
    proposals = []
    for line_id, (reason, alternative, in_time) in failing:
        changed[(reason, in_time)].append(line_id)
        if alternative is not None:
            proposals.append((line_id, alternative))
    for (reason, in_time), ids in changed.items():
        for start in range(0, len(ids), UPDATE_CHUNK):
            PayoutLine.objects.filter(id__in=ids[start : start + UPDATE_CHUNK]).update(
                prediction=reason, alternative=None, in_time=in_time
            )
    table = connection.ops.quote_name(PayoutLine._meta.db_table)
    for start in range(0, len(proposals), UPDATE_CHUNK):
        chunk = proposals[start : start + UPDATE_CHUNK]
        cases = " ".join("WHEN %s THEN %s" for _ in chunk)
        marks = ", ".join("%s" for _ in chunk)
        params = [v for pair in chunk for v in pair] + [line for line, _alt in chunk]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET alternative_id = CASE id {cases} END "  # noqa: S608
                f"WHERE id IN ({marks})",
                params,
            )


def _raw(qs) -> list[tuple]:
    """A queryset's rows as the database driver gives them (no per-value converters: the
    prediction reads 100,000 lines at a time)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _never(in_time: bool | None) -> bool | None:
    """A line that fails and has nowhere else to go is not paid in time (None: no deadline)."""
    return None if in_time is None else False


@transaction.atomic
def batch_predict(*, actor, batch: PayoutBatch, today: date | None = None, progress=None):
    """Predict which pending lines of a draft batch the bank will refuse, and why; propose
    the payee's other account that would take each; note whether it lands by the batch's
    deadline (``FUNDS_BANK_WORKDAYS`` working days from today). Counts by reason code."""
    grant = events.allowed(actor, PAY, batch.org_unit)
    batch = _draft(batch)
    today = today or workdays.today()
    before = batch.predicted_on
    counts = _predict(batch, today, progress)
    events.event(
        actor,
        batch.programme,
        Action.FUNDS_BATCH_PREDICT,
        obj=batch,
        post_id=grant.post_id,
        changes={"predicted_on": [_plain(before), today.isoformat()], "counts": [None, counts]},
    )
    return counts


@transaction.atomic
def line_reroute(*, actor, line: PayoutLine, account: PayeeAccount, today: date | None = None):
    """Pay a pending line of a draft batch into another account of the same payee, and
    predict it again there."""
    line = (
        PayoutLine.objects.select_for_update()
        .select_related("batch__programme", "batch__org_unit", "entitlement")
        .get(pk=line.pk)
    )
    grant = events.allowed(actor, PAY, line.batch.org_unit)
    batch = _draft(line.batch)
    if line.status != PayoutLine.Status.PENDING:
        raise ValidationFailed({"line": "只能改道待报送的明细"})
    if account.person_id != line.entitlement.person_id:
        raise ValidationFailed({"account": "只能改用该收款人本人的账户"})
    if account.pk == line.account_id:
        raise ValidationFailed({"account": "这就是该笔明细当前的收款账户"})
    if account.status == PayeeAccount.Status.CLOSED:
        raise ValidationFailed({"account": "该账户已销户，不能改用"})
    today = today or workdays.today()
    before = line.account_id
    line.account, line.method = account, PayoutLine.Method.ACCOUNT
    verdict = _verdict_one(line, batch, today)
    line.prediction = verdict.reason or ""
    line.alternative_id = verdict.alternative
    in_time = _landing(batch, today)
    if verdict.ok:
        line.in_time = None
    else:
        line.in_time = in_time if verdict.alternative else _never(in_time)
    line.save(update_fields=["account", "method", "prediction", "alternative", "in_time"])
    events.event(
        actor,
        batch.programme,
        Action.FUNDS_LINE_REROUTE,
        obj=line,
        org_unit_id=batch.org_unit_id,
        post_id=grant.post_id,
        changes={"account": [before, account.pk], "prediction": [None, line.prediction]},
    )
    return line


def _verdict_one(line: PayoutLine, batch: PayoutBatch, today: date) -> prediction.Verdict:
    person_id = line.entitlement.person_id
    accounts = {
        row[0]: _account(row)
        for row in PayeeAccount.objects.filter(person_id=person_id).values_list(*FIELDS, *MORE)
    }
    _received(accounts, Q(account__person_id=person_id), today, exclude=Q(pk=line.pk))
    return prediction.predict(
        line.amount, accounts.get(line.account_id), list(accounts.values()), today, _limits()
    )


@transaction.atomic
def batch_reroute(*, actor, batch: PayoutBatch, today: date | None = None) -> int:
    """Take every proposed account of a draft batch's pending lines, then predict the batch
    again (the accounts' sums have moved). The number of lines re-routed."""
    grant = events.allowed(actor, PAY, batch.org_unit)
    batch = _draft(batch)
    today = today or workdays.today()
    proposed = list(
        PayoutLine.objects.filter(
            batch=batch, status="pending", alternative__isnull=False
        ).values_list("id", "account_id", "alternative_id")
    )
    if not proposed:
        raise ValidationFailed({"batch": "没有可采纳的改用账户建议（请先运行失败预判）"})
    moved = [
        PayoutLine(id=pk, account_id=alternative, method="account", alternative_id=None)
        for pk, _account_id, alternative in proposed
    ]
    for start in range(0, len(moved), UPDATE_CHUNK):
        PayoutLine.objects.bulk_update(
            moved[start : start + UPDATE_CHUNK], ["account", "method", "alternative"]
        )
    events.event(
        actor,
        batch.programme,
        Action.FUNDS_LINE_REROUTE,
        obj=batch,
        post_id=grant.post_id,
        changes={"lines": [None, [[pk, old, new] for pk, old, new in proposed]]},
    )
    before = batch.predicted_on
    counts = _predict(batch, today)
    events.event(
        actor,
        batch.programme,
        Action.FUNDS_BATCH_PREDICT,
        obj=batch,
        post_id=grant.post_id,
        changes={"predicted_on": [_plain(before), today.isoformat()], "counts": [None, counts]},
    )
    return len(proposed)
