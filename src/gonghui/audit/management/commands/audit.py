import getpass
import sys
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from gonghui.audit import retention, roles
from gonghui.audit.services import (
    checkpoint_all,
    crypto_switch,
    export_bundle,
    key_fingerprints,
    public_keys,
    streams,
    verify_platform,
    witness_restart,
)
from gonghui.audit.verifier import SUITES, canonical, key_suite
from gonghui.common.errors import DomainError
from gonghui.common.formats import cn_datetime


def _moment(value: datetime | str) -> str:
    if isinstance(value, str):  # a head's time, as signed (UTC)
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return cn_datetime(value, seconds=True)


class Command(BaseCommand):
    help = (
        "审计日志：verify 校验链条、签名检查点、平台链头与见证文件；export 导出数据包；"
        "checkpoint 签名当前链头；keys 公钥指纹；pg-roles 创建 PostgreSQL 双角色；"
        "witness-restart 重新开始见证文件；archive 归档超过保存期限的事件；prune 删除已归档的事件；"
        "switch-crypto 切换密码算法（docs/crypto.md）"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="校验（默认全部流），并与见证文件比对")
        verify.add_argument("--stream", default=None)
        export = sub.add_parser("export", help="导出某个流的数据包（zip）")
        export.add_argument("--stream", default="platform")
        export.add_argument("--out", default=None, help="输出文件，默认 audit-<流>.zip")
        sub.add_parser("checkpoint", help="为每个流的当前链头签名，并签名平台链头（写入见证文件）")
        keys = sub.add_parser("keys", help="审计签名公钥及其指纹（供打印、公布）")
        keys.add_argument("--out", default=None, help="写出公布用的公钥文件（JSON）")
        pg = sub.add_parser("pg-roles", help="以超级用户创建所有者角色与应用角色（PostgreSQL）")
        pg.add_argument("--owner", default="gonghui_owner", help="迁移用的所有者角色")
        pg.add_argument("--app", default="gonghui_app", help="平台运行用的应用角色")
        pg.add_argument("--passwords", action="store_true", help="为两个角色设置口令（交互输入）")
        restart = sub.add_parser(
            "witness-restart",
            help="重新开始不存在、为空、无法读取或与数据库不符的见证文件（旧文件保留，并记录审计事件）",
        )
        restart.add_argument("--yes", action="store_true", help="确认：已查明见证文件为何中断")
        archive = sub.add_parser(
            "archive", help="把超过保存期限的事件导出为签名数据包，写入归档存储并读回校验"
        )
        archive.add_argument("--stream", default=None, help="只归档这个流（默认全部）")
        prune = sub.add_parser(
            "prune",
            help="删除已归档且超过保存期限的事件（以审计表所有者角色运行；检查点与归档记录保留）",
        )
        prune.add_argument("--stream", default=None, help="只处理这个流（默认全部）")
        prune.add_argument("--yes", action="store_true", help="确认删除")
        switch = sub.add_parser(
            "switch-crypto",
            help="记录算法切换（GONGHUI_CRYPTO 已改并重启后），用新算法的密钥在旧链之上签名新的链头",
        )
        switch.add_argument("--to", required=True, choices=["intl", "sm"])

    def handle(self, *args, action, **options):
        getattr(self, action.replace("-", "_"))(**options)

    def verify(self, *, stream, **options):
        report = verify_platform(only=stream)
        for r in report.streams:
            seen = f", 见证到第 {r.witnessed} 条" if r.witnessed else ""
            if r.ok:
                self.stdout.write(
                    f"OK {r.stream}: {r.events} 条事件, {r.checkpoints} 个签名检查点{seen}"
                )
            else:
                self.stdout.write(f"FAILED {r.stream}: {r.problems[0]}")
            if r.after[0]:
                self.stdout.write(f"  {r.stream}: 第 1–{r.after[0]} 条已归档并从数据库删除")
            for note in r.notes:
                self.stdout.write(f"注意: {r.stream}: {note}")
        proof = report.proof
        for problem in proof.problems:
            self.stdout.write(f"FAILED 平台链头: {problem}")
        for note in proof.notes:
            self.stdout.write(f"注意: {note}")
        if proof.witnessed_head:
            head = proof.witnessed_head
            self.stdout.write(
                f"平台链头 {proof.heads} 个；最后见证的平台链头 #{head['n']}（{_moment(head['time'])}）"
            )
        else:
            self.stdout.write(f"平台链头 {proof.heads} 个；见证文件中尚无平台链头")
        if report.unwitnessed:
            total = sum(u.count for u in report.unwitnessed)
            self.stdout.write(f"未见证: 最后见证的平台链头之后有 {total} 条事件")
            for u in report.unwitnessed:
                self.stdout.write(
                    f"  {u.stream}: {u.count} 条（{_moment(u.first)} 至 {_moment(u.last)}）"
                )
        else:
            self.stdout.write("所有事件均已见证")
        if report.stale:
            self.stdout.write(f"FAILED 未见证: {report.stale_problem}")
        if not report.ok:
            sys.exit(1)

    def export(self, *, stream, out, **options):
        if stream not in streams():
            raise CommandError(f"没有名为 {stream} 的审计流")
        out = Path(out or f"audit-{stream}.zip")
        try:
            with out.open("wb") as fh:
                count = export_bundle(stream=stream, out=fh)
        except DomainError as exc:
            out.unlink(missing_ok=True)
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"{out}: {count} 条事件；用 python verifier.py {out} --key 公钥指纹 独立校验"
        )

    def checkpoint(self, **options):
        signing = checkpoint_all()
        self.stdout.write(f"已签名 {signing.signed} 个检查点")
        if signing.head:
            self.stdout.write(f"已签名平台链头 #{signing.head.n}")
        for note in signing.notes:
            self.stdout.write(f"注意: {note}")
        for problem in signing.problems:
            self.stdout.write(f"未签名: {problem}")
        if signing.problems:
            sys.exit(1)

    def witness_restart(self, *, yes, **options):
        if not yes:
            raise CommandError(
                "重新开始见证文件会放弃它对数据库的约束（旧文件保留在旁边）。先运行 gonghui audit "
                "verify 并保存其报告、查明见证文件为何中断（数据库是否被回滚），再加 --yes 运行"
            )
        try:
            restarted = witness_restart()
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if not restarted:
            self.stdout.write("所有见证文件均可继续使用，没有重新开始的")
        for path, old in restarted:
            kept = f"旧文件保留为 {old}" if old else "原先没有文件"
            self.stdout.write(f"已重新开始见证文件 {path}（{kept}；已记录审计事件）")

    def switch_crypto(self, *, to, **options):
        try:
            signing = crypto_switch(to=to)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"已切换为 {to}（{SUITES[to]}）并记录审计事件；已签名平台链头 #{signing.head.n} 与 "
            f"{signing.signed} 个检查点。此前的事件保持原样，按原算法校验：旧密钥留在 "
            f"GONGHUI_AUDIT_SIGNING_KEYS 中；独立校验时用 --algorithm intl --algorithm sm"
        )

    def keys(self, *, out, **options):
        public = public_keys()
        for n, (kid, fp) in enumerate(key_fingerprints()):
            suite = SUITES[key_suite(public, kid)]
            self.stdout.write(f"{kid}  {suite}  {fp}{'  （当前签名密钥）' if n == 0 else ''}")
        if out:
            Path(out).write_text(canonical(public) + "\n", encoding="utf-8")
            self.stdout.write(f"公钥已写入 {out}：python verifier.py 数据包.zip --keys {out}")

    def pg_roles(self, *, owner, app, passwords, **options):
        if connection.vendor != "postgresql":
            raise CommandError("pg-roles 只用于 PostgreSQL（GONGHUI_DATABASE_URL=postgres://…）")
        if owner == app:
            raise CommandError("所有者角色与应用角色必须不同")
        secrets = {}
        if passwords:
            for name in (owner, app):
                secrets[name] = getpass.getpass(f"{name} 的口令: ")
        with transaction.atomic(), connection.cursor() as cursor:
            done = roles.setup_roles(cursor, owner=owner, app=app, passwords=secrets)
        for sql in done:
            self.stdout.write(sql)
        self.stdout.write(
            f"完成：以 {owner} 运行 gonghui migrate，之后再运行一次本命令；"
            f"以 {app} 运行 gonghui serve 与 gonghui worker"
        )

    def archive(self, *, stream, **options):
        if stream and stream not in streams():
            raise CommandError(f"没有名为 {stream} 的审计流")
        outcome = retention.archive(stream=stream)
        for a in outcome.done:
            self.stdout.write(
                f"已归档 {a.stream} 第 {a.first_seq}–{a.last_seq} 条：{a.storage_name}"
                f"（SHA-256 {a.sha256}，已读回校验）"
            )
        if not outcome.done:
            self.stdout.write(
                f"没有需要归档的事件（保存期限 {settings.AUDIT_RETENTION_DAYS} 天，"
                f"归档止于超过期限的最后一个签名检查点）"
            )
        for problem in outcome.problems:
            self.stdout.write(f"FAILED {problem}")
        if outcome.problems:
            sys.exit(1)

    def prune(self, *, stream, yes, **options):
        if not yes:
            raise CommandError(
                "删除已归档的事件不可撤销：先运行 gonghui audit verify 与 gonghui audit archive，"
                "确认归档存储有备份或对象锁定，再以审计表所有者角色加 --yes 运行"
            )
        if stream and stream not in streams():
            raise CommandError(f"没有名为 {stream} 的审计流")
        try:
            outcome = retention.prune(stream=stream)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for p in outcome.done:
            self.stdout.write(
                f"已删除 {p.stream} 第 {p.first}–{p.last} 条（由归档 "
                f"{', '.join(f'#{pk}' for pk in p.archives)} 覆盖；已记录审计事件）"
            )
        for problem in outcome.problems:
            self.stdout.write(f"FAILED {problem}")
        if not outcome.done:
            raise CommandError(
                f"没有可删除的事件：只删除已归档（gonghui audit archive）且超过保存期限"
                f"（{settings.AUDIT_RETENTION_DAYS} 天）的事件"
            )
        if outcome.problems:
            sys.exit(1)
