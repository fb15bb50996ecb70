"""``gonghui funds``: funds and aid for operators.

``gonghui funds batch create|predict|export|import-returns|reconcile`` — a payout batch
from the command line, acting as the account named by ``--user`` (within its data scope,
through the same services as the pages), with progress bars on a terminal:

- ``create --programme CODE --org-unit CODE --name NAME [--run ID] [--deadline YYYY-MM-DD]``
  builds a batch; run again after a crash (the same programme, union and name), or
  ``create --batch ID``, it goes on with the unfinished batch: no line skipped, none doubled;
- ``predict BATCH`` foresees each pending line's failure (the accounts feature's
  ``batch_predict``);
- ``export BATCH --out FILE`` writes the bank file;
- ``import-returns BATCH FILE`` reads the bank's return file;
- ``reconcile BATCH [--bank-count N --bank-total YUAN]`` checks the batch against the bank.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from gonghui.common import formats, money
from gonghui.common.errors import DomainError
from gonghui.common.views import error_message
from gonghui.funds.models import PayoutBatch, Programme, Run
from gonghui.funds.payouts import services
from gonghui.orgs.models import OrgUnit


def _user(parser) -> None:
    parser.add_argument("--user", required=True, help="以哪个账号的身份与数据范围执行（用户名）")


def _batch(parser) -> None:
    parser.add_argument("batch", type=int, help="批次编号")
    _user(parser)


def _create(parser) -> None:
    parser.add_argument("--programme", help="项目代码，如 spring")
    parser.add_argument("--org-unit", help="发放工会的代码，如 110105")
    parser.add_argument("--name", help="批次名称")
    parser.add_argument("--run", type=int, default=None, help="发放计划编号（只取该计划的应发）")
    parser.add_argument("--deadline", default=None, help="发放截止 YYYY-MM-DD（默认为计划的）")
    parser.add_argument("--batch", type=int, default=None, help="继续编制这个未完成的批次")
    _user(parser)


def _export(parser) -> None:
    _batch(parser)
    parser.add_argument("--out", required=True, help="银行文件写到这里（含完整账号，注意保管）")


def _import(parser) -> None:
    parser.add_argument("batch", type=int, help="批次编号")
    parser.add_argument("file", help="银行回盘文件（CSV，UTF-8 或 GBK）")
    _user(parser)


def _reconcile(parser) -> None:
    _batch(parser)
    parser.add_argument("--bank-count", type=int, default=None, help="银行成功笔数")
    parser.add_argument("--bank-total", default=None, help="银行成功金额（元），如 17000.00")


BATCH_ACTIONS = {
    "create": ("编制发放批次（中断后再次运行即从中断处继续）", _create, "do_create"),
    "predict": ("失败预判：逐笔预判银行是否会退回并给出备选账户", _batch, "do_predict"),
    "export": ("导出银行代发文件（已审定的批次；改道重发后导出补充文件）", _export, "do_export"),
    "import-returns": ("导入银行回盘文件（整份成功或整份不导入）", _import, "do_import"),
    "reconcile": ("对账：批次合计与银行数核对", _reconcile, "do_reconcile"),
}


class Progress:
    """A tqdm bar made at the first report (its total known then); silent off a terminal."""

    def __init__(self, unit: str, desc: str):
        self.unit, self.desc, self.bar = unit, desc, None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=self.unit, desc=self.desc, disable=None)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Command(BaseCommand):
    help = "资金与帮扶：batch create|predict|export|import-returns|reconcile 发放批次"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="area", required=True)
        batch = sub.add_parser("batch", help="发放批次")
        actions = batch.add_subparsers(dest="action", required=True)
        for name, (text, arguments, _) in BATCH_ACTIONS.items():
            arguments(actions.add_parser(name, help=text))

    def handle(self, *args, area, action, **options):
        try:
            getattr(self, BATCH_ACTIONS[action][2])(**options)
        except DomainError as exc:
            raise CommandError(error_message(exc)) from None

    def _actor(self, username: str):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"没有名为 {username} 的有效账号")
        return user

    def _batch(self, pk: int) -> PayoutBatch:
        batch = PayoutBatch.objects.select_related("programme", "org_unit").filter(pk=pk).first()
        if batch is None:
            raise CommandError(f"没有编号为 {pk} 的发放批次")
        return batch

    def _said(self, batch: PayoutBatch) -> None:
        batch.refresh_from_db()
        self.stdout.write(
            f"批次 {batch.pk}“{batch.name}”：{batch.get_status_display()}，"
            f"{batch.line_count} 笔，合计 {formats.yuan(batch.total)}"
            + ("" if batch.built else "（尚未编制完毕：再次运行即继续）")
        )

    def do_create(self, *, user, programme, org_unit, name, run, deadline, batch, **options):
        actor = self._actor(user)
        progress = Progress("笔", "编制批次")
        try:
            if batch is not None:
                found = services.batch_build(
                    actor=actor, batch=self._batch(batch), progress=progress
                )
                self._said(found)
                return
            if not (programme and org_unit and name):
                raise CommandError(
                    "请给出 --programme、--org-unit 和 --name（或用 --batch 继续编制）"
                )
            p = Programme.objects.filter(code=programme).first()
            if p is None:
                raise CommandError(f"没有代码为 {programme} 的项目")
            unit = OrgUnit.objects.filter(code=org_unit).first()
            if unit is None:
                raise CommandError(f"没有代码为 {org_unit} 的工会")
            r = None
            if run is not None:
                r = Run.objects.filter(pk=run, programme=p).first()
                if r is None:
                    raise CommandError(f"项目 {programme} 没有编号为 {run} 的发放计划")
            unfinished = PayoutBatch.objects.filter(
                programme=p, org_unit=unit, name=name.strip(), built=False
            ).first()
            if unfinished is not None:
                self.stderr.write(f"继续编制未完成的批次 {unfinished.pk}")
                found = services.batch_build(actor=actor, batch=unfinished, progress=progress)
            else:
                try:
                    day = date.fromisoformat(deadline) if deadline else None
                except ValueError:
                    raise CommandError("--deadline 应为 YYYY-MM-DD") from None
                found = services.batch_create(
                    actor=actor,
                    programme=p,
                    org_unit=unit,
                    name=name,
                    run=r,
                    deadline=day,
                    progress=progress,
                )
        finally:
            progress.close()
        self._said(found)

    def do_predict(self, *, user, batch, **options):
        from gonghui.funds.accounts.services import batch_predict  # the accounts feature's

        actor = self._actor(user)
        progress = Progress("笔", "失败预判")
        try:
            counts = batch_predict(actor=actor, batch=self._batch(batch), progress=progress)
        finally:
            progress.close()
        from gonghui.funds.prediction import REASONS

        for code, n in sorted(counts.items()):
            self.stdout.write(f"{'正常' if code == 'ok' else REASONS.get(code, code)}\t{n}")

    def do_export(self, *, user, batch, out, **options):
        actor = self._actor(user)
        exported = services.batch_export(actor=actor, batch=self._batch(batch))
        Path(out).write_bytes(exported.content)
        self.stdout.write(
            f"已写出 {out}：{exported.lines} 笔，合计 {formats.yuan(exported.total)}（{exported.filename}）"
        )

    def do_import(self, *, user, batch, file, **options):
        actor = self._actor(user)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件 {file}")
        imported = services.returns_import(
            actor=actor, batch=self._batch(batch), filename=path.name, data=path.read_bytes()
        )
        if imported.again:
            self.stdout.write(
                f"{path.name} 已于 {imported.imported_at:%Y-%m-%d %H:%M} 导入过，本次未作改动"
            )
            return
        self.stdout.write(
            f"{path.name}：成功 {imported.paid} 笔，失败 {imported.failed} 笔，已处理过未变 {imported.unchanged} 笔"
        )

    def do_reconcile(self, *, user, batch, bank_count, bank_total, **options):
        actor = self._actor(user)
        total = None
        if bank_total is not None:
            try:
                total = money.fen(bank_total)
            except money.MoneyError as exc:
                raise CommandError(f"--bank-total：{exc}") from None
        found = services.batch_reconcile(
            actor=actor, batch=self._batch(batch), bank_count=bank_count, bank_total=total
        )
        if found.settled:
            self.stdout.write("对账一致，批次已对账完毕")
            return
        for line in found.differences:
            self.stdout.write(line)
        raise CommandError(f"对账有 {len(found.differences)} 处差异")
