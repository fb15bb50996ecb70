"""Payout batches (发放批次): built from owed entitlements, released against their
prediction and deadline, exported to the bank, the bank's returns imported, failed lines
re-issued (another account, a passbook, cash against a signed receipt), reconciled.

Never a fen paid twice: one live line per entitlement (the database's ``line_one_live``), a
re-issue supersedes the failed line by one conditional UPDATE before its new line exists,
each line's payment and return are ledger rows the database takes once (``ledger_line_once``),
and the same return file again changes nothing (``ReturnImport`` by digest, and per line
"unchanged").

Building a batch is resumable: chunks of ``CHUNK`` entitlements, each its own transaction
with its own event; ``built`` is set by the last. A crash half way and a re-run
(``batch_build``) neither skips nor doubles a line: what is batched is no longer owed.

Who may do what (decided here, shown on the pages): every write needs ``funds.pay`` at the
batch's paying union. The bank file carries real account numbers (it goes to the bank), so
exporting it and downloading a kept copy also need ``people.view_pii`` there; each download
of a kept copy is recorded as a reveal (``pii.reveal``) naming the batch and the file.
Releasing is maker-checker: not by whoever created the batch.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import money, workdays
from gonghui.common.errors import Conflict, ValidationFailed
from gonghui.files.models import Attachment
from gonghui.files.services import attachment_store, owner_rule
from gonghui.funds import bankfile, ledger, prediction
from gonghui.funds.events import allowed, event
from gonghui.funds.models import (
    Entitlement,
    LedgerEntry,
    PayeeAccount,
    PayoutBatch,
    PayoutLine,
    ReturnImport,
)
from gonghui.funds.payouts import selectors
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit

CHUNK = 2000  # entitlements a build transaction takes


def _may_fetch_bank_file(actor, batch: PayoutBatch) -> bool:
    """A kept bank file holds real account numbers: through the files app too, only for
    those who may pay and see full numbers at the batch's union (as ``batch_file``)."""
    return access.can_at(actor, "funds.pay", batch.org_unit) and access.can_at(
        actor, "people.view_pii", batch.org_unit
    )


def _may_fetch_receipt(actor, line: PayoutLine) -> bool:
    """A cash line's signed receipt: for those who may pay at its batch's union."""
    return access.can_at(actor, "funds.pay", line.batch.org_unit)


owner_rule(PayoutBatch, _may_fetch_bank_file)
owner_rule(PayoutLine, _may_fetch_receipt)
LEDGER_CHUNK = 5000  # ledger rows an INSERT carries


def layout_of(batch: PayoutBatch) -> dict:
    """The batch's bank file layout: its own, else ``settings.FUNDS_BANK_LAYOUT``."""
    return batch.layout or settings.FUNDS_BANK_LAYOUT


def _post(grant) -> int:
    return grant.post_id


def _locked(batch: PayoutBatch) -> PayoutBatch:
    return (
        PayoutBatch.objects.select_for_update(of=("self",))
        .select_related("programme", "org_unit", "run")
        .get(pk=batch.pk)
    )


# --- Building ------------------------------------------------------------------------------


def batch_create(
    *,
    actor,
    programme,
    org_unit: OrgUnit,
    name: str,
    run=None,
    deadline: date | None = None,
    layout: dict | None = None,
    progress=None,
) -> PayoutBatch:
    """A batch of the programme's owed entitlements at ``org_unit`` and below (of ``run``
    only, when given) as they stand when the batch is made (an entitlement approved later
    goes into the next batch, also when this one is resumed after a crash), built at once
    (``batch_build``). The deadline is the run's unless given."""
    grant = allowed(actor, "funds.pay", org_unit)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": "请填写批次名称"})
    if len(name) > 120:
        raise ValidationFailed({"name": "批次名称最多 120 个字"})
    if run is not None and run.programme_id != programme.pk:
        raise ValidationFailed({"run": "该发放计划不属于本项目"})
    if deadline is None and run is not None:
        deadline = run.deadline
    if deadline is not None and deadline < workdays.today():
        raise ValidationFailed({"deadline": f"发放截止 {deadline:%Y-%m-%d} 已过，请另定截止日期"})
    if layout is not None and not (
        isinstance(layout, dict) and "export" in layout and "returns" in layout
    ):
        raise ValidationFailed({"layout": "银行文件格式应含 export 与 returns 两部分"})
    with transaction.atomic():
        batch = PayoutBatch.objects.create(
            programme=programme,
            org_unit=org_unit,
            run=run,
            name=name,
            deadline=deadline,
            layout=layout or {},
            created_by=actor,
        )
        event(
            actor,
            programme,
            Action.FUNDS_BATCH_CREATE,
            obj=batch,
            post_id=_post(grant),
            changes={
                "name": [None, name],
                "org_unit": [None, org_unit.pk],
                "run": [None, run.pk if run else None],
                "deadline": [None, deadline.isoformat() if deadline else None],
            },
        )
    return batch_build(actor=actor, batch=batch, progress=progress)


def _pick_accounts(person_ids) -> dict[int, int]:
    """Each person's account for a new line: the default account (whatever its state: the
    prediction says if it will fail), else the best active one (``prediction.PREFERENCE``);
    a person with neither is absent. No number is decrypted."""
    chosen: dict[int, tuple] = {}
    rows = PayeeAccount.objects.filter(person_id__in=person_ids).values_list(
        "id", "person_id", "is_default", "status", "kind", "account_class"
    )
    for pk, person_id, is_default, status, kind, cls in rows:
        if is_default:
            rank = (-1, pk)
        elif status == PayeeAccount.Status.ACTIVE:
            rank = (prediction.PREFERENCE.get((kind, cls or None), 9), pk)
        else:
            continue
        if person_id not in chosen or rank < chosen[person_id]:
            chosen[person_id] = rank
    return {person_id: rank[1] for person_id, rank in chosen.items()}


def _owed(batch: PayoutBatch):
    return selectors.owed_for(batch)


def batch_build(*, actor, batch: PayoutBatch, progress=None) -> PayoutBatch:
    """Build (or go on building) an unfinished batch: a chunk of owed entitlements at a
    time, each chunk one transaction with its event; ``progress(done, total)`` after each.
    Entitlements whose payee has no account stay owed (listed on the batch page as
    缺少收款账户). Safe to run again after a crash, or on a finished batch (nothing to do)."""
    grant = allowed(actor, "funds.pay", batch.org_unit)
    batch.refresh_from_db()
    if batch.built:
        return batch
    total = _owed(batch).count()
    done, cursor = 0, 0
    while True:
        with transaction.atomic():
            current = _locked(batch)
            if current.built:  # another run finished it meanwhile
                return current
            chunk = list(
                _owed(current)
                .filter(pk__gt=cursor)
                .order_by("pk")
                .select_for_update(of=("self",))
                .values_list("pk", "person_id", "amount")[:CHUNK]
            )
            last = len(chunk) < CHUNK
            accounts = _pick_accounts({person for _, person, _ in chunk})
            lines = [
                PayoutLine(
                    batch=current,
                    entitlement_id=pk,
                    account_id=accounts[person],
                    amount=amount,
                )
                for pk, person, amount in chunk
                if person in accounts
            ]
            ids = [line.entitlement_id for line in lines]
            PayoutLine.objects.bulk_create(lines)
            moved = Entitlement.objects.filter(pk__in=ids, status=Entitlement.Status.OWED).update(
                status=Entitlement.Status.BATCHED
            )
            if moved != len(ids):  # another batch took some meanwhile: this chunk again
                raise Conflict("部分应发记录已被其他批次编入，请重新编制")
            amount = sum(line.amount for line in lines)
            PayoutBatch.objects.filter(pk=current.pk).update(
                line_count=F("line_count") + len(lines),
                total=F("total") + amount,
                built=last,
                predicted_on=None,  # the lines changed: predict again before release
            )
            event(
                actor,
                current.programme,
                Action.FUNDS_BATCH_BUILD,
                obj=current,
                post_id=_post(grant),
                changes={
                    "lines": [None, len(lines)],
                    "amount": [None, amount],
                    "entitlements": [None, f"{ids[0]}-{ids[-1]}" if ids else ""],
                    "no_account": [None, len(chunk) - len(lines)],
                    "built": [False, last],
                },
            )
        done += len(chunk)
        if chunk:
            cursor = chunk[-1][0]
        if progress is not None:
            progress(done, total)
        if last:
            batch.refresh_from_db()
            return batch


# --- Release -------------------------------------------------------------------------------


@dataclass
class Readiness:
    """Whether a draft batch may be released today, and why not; ``warnings``: lines
    predicted to fail that no alternative account pays in time (released anyway: the bank's
    return sends them to the exception queue, where cash is the last resort)."""

    problems: dict[str, str] = field(default_factory=dict)
    warnings: int = 0
    reroutable: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def release_check(batch: PayoutBatch, actor=None, today: date | None = None) -> Readiness:
    """What stands between a draft batch and its release (a read; ``batch_release`` asks it
    inside its transaction, the batch page to explain the button)."""
    today = today or workdays.today()
    found = Readiness()
    if batch.status != PayoutBatch.Status.DRAFT:
        found.problems["batch"] = f"本批次{batch.get_status_display()}，不能再审定"
        return found
    if not batch.built:
        found.problems["batch"] = "本批次尚未编制完毕，请先继续编制"
    if actor is not None and batch.created_by_id == actor.pk:
        found.problems["actor"] = "批次的编制人不能审定本批次：须由另一名有发放权限的工作人员审定"
    if batch.deadline is not None and today > batch.deadline:
        found.problems["deadline"] = (
            f"已过发放截止（{batch.deadline:%Y年%-m月%-d日}），不能审定；请取消本批次后按新的截止日期重新编制"
        )
    if batch.predicted_on != today:
        found.problems["prediction"] = (
            "请先做失败预判：今日尚未预判，或预判后明细有变动"
            if batch.predicted_on
            else "请先做失败预判：本批次尚未预判"
        )
    flagged = selectors.lines_predicted_to_fail(batch)
    found.reroutable = flagged.filter(alternative__isnull=False, in_time=True).count()
    found.warnings = flagged.count() - found.reroutable
    if found.reroutable and "prediction" not in found.problems:
        found.problems["lines"] = (
            f"有 {found.reroutable} 笔预判失败的明细可改用收款人的其他账户并在截止前到账，"
            "请先改道后再审定"
        )
    return found


def batch_release(*, actor, batch: PayoutBatch, today: date | None = None) -> PayoutBatch:
    """Release a predicted draft batch for export (审定): refused past its deadline, when not
    predicted today or changed since, by its maker, or while a line predicted to fail has an
    alternative account that pays it in time (re-route first). Lines predicted to fail with
    no such alternative are released with a warning."""
    grant = allowed(actor, "funds.pay", batch.org_unit)
    with transaction.atomic():
        current = _locked(batch)
        readiness = release_check(current, actor, today)
        if not readiness.ok:
            raise ValidationFailed(readiness.problems)
        current.status = PayoutBatch.Status.RELEASED
        current.released_at = timezone.now()
        current.save(update_fields=["status", "released_at"])
        event(
            actor,
            current.programme,
            Action.FUNDS_BATCH_RELEASE,
            obj=current,
            post_id=_post(grant),
            changes={
                "status": [PayoutBatch.Status.DRAFT, PayoutBatch.Status.RELEASED],
                "lines": [None, current.line_count],
                "total": [None, current.total],
                "warnings": [None, readiness.warnings],
            },
        )
    return current


# --- Export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exported:
    content: bytes
    filename: str
    lines: int
    total: int
    attachment: Attachment


def _zipped(filename: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(filename, content)
    return out.getvalue()


# A ledger row as ``ledger.seal_rows`` reads it, without a model instance.
_Row = namedtuple("_Row", "pk kind amount budget_id entitlement_id line_id month")


def _pay_rows(actor, batch: PayoutBatch, note: str) -> list[_Row]:
    """A ``pay`` ledger row for each pending line of ``batch`` sent to the bank, written by
    one INSERT ... SELECT (append-only rows; the database takes each line's payment once:
    ``ledger_line_once``), and read back for sealing."""
    now = timezone.now()
    month = ledger.month_of(now)
    who = actor.pk if getattr(actor, "is_authenticated", False) else None
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO funds_ledgerentry (programme_id, budget_id, kind, amount, "
            "entitlement_id, line_id, reverses_id, month, note, actor_id, created_at) "
            "SELECT %s, e.budget_id, %s, l.amount, l.entitlement_id, l.id, NULL, %s, %s, %s, %s "
            "FROM funds_payoutline l JOIN funds_entitlement e ON e.id = l.entitlement_id "
            "WHERE l.batch_id = %s AND l.status = %s AND l.method = %s ORDER BY l.id",
            [
                batch.programme_id,
                LedgerEntry.Kind.PAY,
                month,
                note[:200],
                who,
                ops.adapt_datetimefield_value(now),
                batch.pk,
                PayoutLine.Status.PENDING,
                PayoutLine.Method.ACCOUNT,
            ],
        )
    return [
        _Row._make(values)
        for values in LedgerEntry.objects.filter(
            line__batch=batch,
            line__status=PayoutLine.Status.PENDING,
            line__method=PayoutLine.Method.ACCOUNT,
            kind=LedgerEntry.Kind.PAY,
        )
        .order_by("pk")
        .values_list("pk", "kind", "amount", "budget_id", "entitlement_id", "line_id", "month")
    ]


def batch_export(*, actor, batch: PayoutBatch) -> Exported:
    """The bank file of the batch's pending lines (the whole released batch; after a
    re-issue, the supplementary file of the new lines, carrying the same payment ids):
    pending → sent, one ``pay`` ledger row a line (sealed once), the file kept with the
    batch (a zip holding the CSV) for downloading again."""
    grant = allowed(actor, "funds.pay", batch.org_unit)
    access.require_at(actor, "people.view_pii", batch.org_unit, view_perm="funds.view")
    with transaction.atomic():
        current = _locked(batch)
        if current.status not in (PayoutBatch.Status.RELEASED, PayoutBatch.Status.EXPORTED):
            raise ValidationFailed({"batch": "本批次尚未审定，不能导出银行文件"})
        pending = PayoutLine.objects.filter(
            batch=current, status=PayoutLine.Status.PENDING, method=PayoutLine.Method.ACCOUNT
        )
        # One read, no model instances (a batch may hold 100,000 lines); the account numbers
        # come decrypted (the field's converter): the bank needs them.
        lines = list(
            pending.order_by("pk").values_list(
                "entitlement__payment_id", "entitlement__person__name", "account__number", "amount"
            )
        )
        if not lines:
            raise ValidationFailed({"batch": "没有待报送的明细"})
        supplementary = current.status == PayoutBatch.Status.EXPORTED
        memo = current.programme.name
        content = bankfile.export(
            layout_of(current)["export"],
            (
                {
                    "payment": payment,
                    "name": name,
                    "account": number,
                    "amount": amount,
                    "memo": memo,
                }
                for payment, name, number, amount in lines
            ),
        )
        made = _pay_rows(actor, current, f"{current.name} 报送银行")
        sent = pending.update(status=PayoutLine.Status.SENT)
        if sent != len(lines) or len(made) != len(lines):
            raise Conflict("明细状态已变化，请刷新后重新导出")
        ledger.seal_rows(actor=actor, programme=current.programme, entries=made)
        total = sum(line[3] for line in lines)
        stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
        kind = "补充" if supplementary else "代发"
        filename = f"批次{current.pk}-{kind}-{stamp}.csv"
        attachment = attachment_store(
            owner=current,
            org_unit=current.org_unit,
            upload=SimpleUploadedFile(
                filename[:-4] + ".zip", _zipped(filename, content), "application/zip"
            ),
            actor=actor,
            post_id=_post(grant),
        )
        if not supplementary:
            current.status = PayoutBatch.Status.EXPORTED
            current.exported_at = timezone.now()
            current.save(update_fields=["status", "exported_at"])
        event(
            actor,
            current.programme,
            Action.FUNDS_BATCH_EXPORT,
            obj=current,
            post_id=_post(grant),
            changes={
                "lines": [None, len(lines)],
                "total": [None, total],
                "supplementary": [None, supplementary],
                "file": [None, attachment.pk],
                "sha256": [None, hashlib.sha256(content).hexdigest()],
            },
        )
    return Exported(content, filename, len(lines), total, attachment)


def batch_file(*, actor, batch: PayoutBatch, attachment_id: int) -> tuple[str, bytes]:
    """A kept bank file of the batch, unzipped (name, CSV bytes): it holds real account
    numbers, so ``funds.pay`` and ``people.view_pii`` at the batch's union, and each
    download is recorded as a reveal."""
    grant = allowed(actor, "funds.pay", batch.org_unit)
    access.require_at(actor, "people.view_pii", batch.org_unit, view_perm="funds.view")
    attachment = selectors.batch_attachment(batch, attachment_id)
    with transaction.atomic():
        with attachment.file.open("rb") as stored, zipfile.ZipFile(stored) as archive:
            name = archive.namelist()[0]
            content = archive.read(name)
        record(
            actor=actor,
            action=Action.PII_REVEAL,
            obj=batch,
            post_id=_post(grant),
            changes={"field": [None, "bank_file"], "file": [None, attachment.pk]},
            stream=batch.programme.stream,
        )
    return name, content


# --- Returns -------------------------------------------------------------------------------


def returns_import(*, actor, batch: PayoutBatch, filename: str, data: bytes) -> ReturnImport:
    """The bank's return file for the batch, taken whole or refused whole (every problem
    named with its row): success → line and entitlement paid; failure → line failed (to the
    exception queue) with the bank's reason and a ``return`` ledger row. The same file again
    changes nothing (answered with the first import, ``again=True``); a line whose result
    is already recorded, reported again the same, is "unchanged"; a different result for a
    settled line, an unknown payment, a line not yet sent, or another amount is refused."""
    grant = allowed(actor, "funds.pay", batch.org_unit)
    digest = hashlib.sha256(data).hexdigest()
    filename = (filename or "回盘文件").strip()[-200:]
    with transaction.atomic():
        current = _locked(batch)
        earlier = ReturnImport.objects.filter(batch=current, digest=digest).first()
        if earlier is not None:
            earlier.again = True
            return earlier
        if current.status not in (PayoutBatch.Status.EXPORTED, PayoutBatch.Status.SETTLED):
            raise ValidationFailed({"file": "本批次尚未报送银行，不能导入回盘"})
        try:
            results = bankfile.returns(layout_of(current)["returns"], data)
        except bankfile.BankFileError as exc:
            raise ValidationFailed({"file": str(exc)}) from None
        if not results:
            raise ValidationFailed({"file": "回盘文件没有明细行"})
        by_payment: dict[str, list] = {}
        # The batch's lines, all in one read (a return file may name 100,000 payments).
        for row in (
            PayoutLine.objects.filter(batch=current)
            .order_by("pk")
            .values_list(
                "pk",
                "entitlement__payment_id",
                "status",
                "amount",
                "entitlement_id",
                "entitlement__budget_id",
            )
        ):
            by_payment.setdefault(row[1], []).append(row)
        superseded = set(
            PayoutLine.objects.filter(
                batch=current, supersedes__isnull=False, supersedes__batch=current
            ).values_list("supersedes_id", flat=True)
        )
        problems, paid, failed, unchanged = [], [], [], 0
        for r in results:
            lines = by_payment.get(r.payment)
            where = f"第 {r.line} 行（业务编号 {r.payment}）"
            if not lines:
                problems.append(f"{where}：本批次没有这笔发放")
                continue
            expected = lines[-1][3]
            if r.amount is not None and r.amount != expected:
                problems.append(
                    f"{where}：金额不符，应为 {money.yuan(expected)}，回盘为 {money.yuan(r.amount)}"
                )
                continue
            sent = [row for row in lines if row[2] == PayoutLine.Status.SENT]
            if sent:
                (paid if r.paid else failed).append((sent[0], r))
                continue
            same = [
                row
                for row in lines
                if (r.paid and row[2] == PayoutLine.Status.PAID)
                or (
                    not r.paid
                    and row[2] in (PayoutLine.Status.FAILED, PayoutLine.Status.SUPERSEDED)
                )
            ]
            if same:
                unchanged += 1
            elif any(row[2] == PayoutLine.Status.PENDING for row in lines):
                problems.append(f"{where}：这笔尚未报送银行")
            elif any(row[0] in superseded for row in lines):
                problems.append(f"{where}：这笔已退回并改道重发，不能再改为其他结果")
            else:
                problems.append(f"{where}：这笔已处理完毕（已到账或已退回），不能再改为其他结果")
        if problems:
            shown = "；".join(problems[:20])
            more = f" 等 {len(problems)} 处" if len(problems) > 20 else ""
            raise ValidationFailed({"file": f"回盘文件未导入：{shown}{more}"})
        now = timezone.now()
        by_reason: dict[str, list[int]] = {}
        for row, r in failed:
            by_reason.setdefault((r.reason or "银行未说明原因")[:200], []).append(row[0])
        for reason, ids in by_reason.items():
            for start in range(0, len(ids), LEDGER_CHUNK):
                PayoutLine.objects.filter(pk__in=ids[start : start + LEDGER_CHUNK]).update(
                    status=PayoutLine.Status.FAILED, returned_at=now, result_reason=reason
                )
        still_sent = sum(
            row[2] == PayoutLine.Status.SENT for rows in by_payment.values() for row in rows
        )
        paying = PayoutLine.objects.filter(batch=current, status=PayoutLine.Status.SENT)
        if paid and len(paid) + len(failed) == still_sent:
            # The file settles every line the bank holds (the usual case): one UPDATE.
            paying.update(status=PayoutLine.Status.PAID, returned_at=now, result_reason="")
        else:
            paid_ids = [row[0] for row, _ in paid]
            for start in range(0, len(paid_ids), LEDGER_CHUNK):
                paying.filter(pk__in=paid_ids[start : start + LEDGER_CHUNK]).update(
                    status=PayoutLine.Status.PAID, returned_at=now, result_reason=""
                )
        if paid:
            Entitlement.objects.filter(
                status=Entitlement.Status.BATCHED,
                lines__batch=current,
                lines__status=PayoutLine.Status.PAID,
            ).update(status=Entitlement.Status.PAID)
        entries = []
        if failed:
            who = actor if getattr(actor, "is_authenticated", False) else None
            month = ledger.month_of(now)
            rows = [
                LedgerEntry(
                    programme_id=current.programme_id,
                    budget_id=row[5],
                    kind=LedgerEntry.Kind.RETURN,
                    amount=-row[3],
                    entitlement_id=row[4],
                    line_id=row[0],
                    month=month,
                    note=f"银行退回：{r.reason or '未说明原因'}"[:200],
                    actor=who,
                )
                for row, r in failed
            ]
            for start in range(0, len(rows), LEDGER_CHUNK):
                entries += LedgerEntry.objects.bulk_create(rows[start : start + LEDGER_CHUNK])
            ledger.seal_rows(actor=actor, programme=current.programme, entries=entries)
        paid_total = sum(row[3] for row, _ in paid)
        PayoutBatch.objects.filter(pk=current.pk).update(
            bank_count=Coalesce(F("bank_count"), Value(0)) + len(paid),
            bank_total=Coalesce(F("bank_total"), Value(0)) + paid_total,
        )
        imported = ReturnImport.objects.create(
            batch=current,
            filename=filename,
            digest=digest,
            lines=len(results),
            paid=len(paid),
            failed=len(failed),
            unchanged=unchanged,
            imported_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        event(
            actor,
            current.programme,
            Action.FUNDS_RETURNS_IMPORT,
            obj=current,
            post_id=_post(grant),
            changes={
                "file": [None, filename],
                "sha256": [None, digest],
                "lines": [None, len(results)],
                "paid": [None, len(paid)],
                "paid_total": [None, paid_total],
                "failed": [None, len(failed)],
                "unchanged": [None, unchanged],
            },
        )
    imported.again = False
    return imported


# --- The exception queue: re-issue ---------------------------------------------------------


def line_reissue(
    *,
    actor,
    line: PayoutLine,
    account: PayeeAccount | None = None,
    cash: bool = False,
    receipt=None,
    note: str = "",
) -> PayoutLine:
    """Re-issue a failed line: to another account of the payee (or a passbook) as a new
    pending line that supersedes it, exported in the next supplementary file under the same
    payment id; or in cash, paid at once against the payee's signed receipt (an uploaded
    scan), with its ``pay`` ledger row. The failed line is superseded by one conditional
    UPDATE first: two re-issues of one line at once give one new line, never two."""
    batch = line.batch
    grant = allowed(actor, "funds.pay", batch.org_unit)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed({"note": "请填写改道说明（如：与收款人电话核实，改用存折）"})
    if len(note) > 200:
        raise ValidationFailed({"note": "改道说明最多 200 个字"})
    if cash:
        if account is not None:
            raise ValidationFailed({"account": "现金发放不需要选择账户"})
        if receipt is None:
            raise ValidationFailed({"receipt": "现金发放须上传收款人签字的签收单扫描件"})
    else:
        if account is None:
            raise ValidationFailed({"account": "请选择改用的账户，或选择现金发放"})
        if account.person_id != line.entitlement.person_id:
            raise ValidationFailed({"account": "只能改用收款人本人的其他账户"})
        reason = prediction.refusal(
            {
                "status": account.status,
                "last_activity": account.last_activity,
                "class": account.account_class or None,
            },
            0,
            workdays.today(),
        )
        if reason in ("closed", "locked", "dormant"):
            raise ValidationFailed({"account": f"该账户不能入账：{prediction.REASONS[reason]}"})
    with transaction.atomic():
        taken = PayoutLine.objects.filter(
            pk=line.pk, status=PayoutLine.Status.FAILED, superseded_by__isnull=True
        ).update(status=PayoutLine.Status.SUPERSEDED)
        if not taken:
            raise ValidationFailed({"line": "只有银行退回（失败）且尚未重发的明细可以重发"})
        entitlement = line.entitlement
        new = PayoutLine(
            batch=batch,
            entitlement=entitlement,
            account=account,
            method=PayoutLine.Method.CASH if cash else PayoutLine.Method.ACCOUNT,
            amount=line.amount,
            status=PayoutLine.Status.PAID if cash else PayoutLine.Status.PENDING,
            supersedes=line,
            note=note,
        )
        try:
            with transaction.atomic():
                new.save()
        except IntegrityError:
            raise ValidationFailed({"line": "这笔发放已有在途或已到账的记录，不能重发"}) from None
        changes = {
            "supersedes": [None, line.pk],
            "payment": [None, entitlement.payment_id],
            "amount": [None, new.amount],
            "note": [None, note],
        }
        if cash:
            new.returned_at = timezone.now()
            new.save(update_fields=["returned_at"])
            entry = ledger.pay(actor=actor, line=new, note=f"现金发放（签收）：{note}")
            attachment = attachment_store(
                owner=new,
                org_unit=batch.org_unit,
                upload=receipt,
                actor=actor,
                post_id=grant.post_id,
            )
            Entitlement.objects.filter(pk=entitlement.pk).update(status=Entitlement.Status.PAID)
            changes |= {"ledger": [None, entry.pk], "receipt": [None, attachment.pk]}
            action = Action.FUNDS_LINE_CASH
        else:
            changes["account"] = [line.account_id, account.pk]
            action = Action.FUNDS_LINE_REISSUE
        event(
            actor,
            batch.programme,
            action,
            obj=new,
            org_unit_id=batch.org_unit_id,
            post_id=_post(grant),
            changes=changes,
        )
    return new


# --- Reconciliation ------------------------------------------------------------------------


@dataclass
class Reconciliation:
    figures: selectors.Figures
    bank_count: int | None
    bank_total: int | None
    differences: list[str]

    @property
    def settled(self) -> bool:
        return not self.differences


def batch_reconcile(
    *, actor, batch: PayoutBatch, bank_count: int | None = None, bank_total: int | None = None
) -> Reconciliation:
    """Batch totals against the bank's (``bank_count`` successful payments for
    ``bank_total`` fen, from the bank's statement; else what the imported returns said):
    the differences listed; the batch settled (已对账) when there are none — every line paid
    or re-issued and paid, and the totals agree. Recorded either way."""
    grant = allowed(actor, "funds.pay", batch.org_unit)
    for name, value in (("bank_count", bank_count), ("bank_total", bank_total)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise ValidationFailed({name: "银行对账数应为不小于 0 的整数"})
    with transaction.atomic():
        current = _locked(batch)
        if current.status == PayoutBatch.Status.SETTLED:
            raise ValidationFailed({"batch": "本批次已对账"})
        if current.status != PayoutBatch.Status.EXPORTED:
            raise ValidationFailed({"batch": "本批次尚未报送银行，不能对账"})
        figures = selectors.batch_figures(current)
        if bank_count is None and bank_total is None:  # what the imported returns said
            bank_count = current.bank_count or 0
            bank_total = current.bank_total or 0
            from_returns = True
        else:
            from_returns = False
        differences = selectors.differences(figures, bank_count, bank_total)
        settled = not differences
        if settled:
            current.status = PayoutBatch.Status.SETTLED
            current.settled_at = timezone.now()
            current.save(update_fields=["status", "settled_at"])
        event(
            actor,
            current.programme,
            Action.FUNDS_BATCH_RECONCILE,
            obj=current,
            post_id=_post(grant),
            changes={
                "bank_count": [None, bank_count],
                "bank_total": [None, bank_total],
                "from_returns": [None, from_returns],
                "paid": [None, figures.paid],
                "paid_total": [None, figures.paid_total],
                "differences": [None, differences],
                "settled": [False, settled],
            },
        )
    return Reconciliation(figures, bank_count, bank_total, differences)
