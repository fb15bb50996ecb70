"""The restore drill (恢复演练): a set restored into a scratch database (a temporary SQLite
file, or a new PostgreSQL database ``<name>_drill_<time>``), checked there, and dropped.

Checked: every part's SHA-256 and size; the key ids the set was written under are held
here; the audit chain of every stream, its checkpoints and the platform heads, with the
platform's own verification run against the scratch database; the witness compared up to
the set's last head (the witness goes on after the backup: its later heads are reported,
not held against the set); each table's rows as the manifest counted them at backup time;
every file the restored database names is in the set. The live database is not touched."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from gonghui.audit import witness
from gonghui.audit.models import AuditHead
from gonghui.audit.services import verify_platform
from gonghui.backup import sets

PG_NAME_MAX = 63  # PostgreSQL's identifier length
SHOWN_TABLES = 15  # the largest tables, by name, in the report (every one is checked)


@dataclass
class DrillReport:
    path: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # what was checked, for the operator
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def run(manifest: sets.Manifest) -> DrillReport:
    report = DrillReport(manifest.path)
    data = manifest.data
    report.lines.append(
        f"备份集 {manifest.path.name}：{data['created_at']} 写出，平台版本 "
        f"{data['platform_version']}，{data['database']['vendor']} 数据库，"
        f"{len(manifest.stored)} 个文件"
    )
    report.problems += sets.check(manifest)
    if report.problems:
        return report  # a damaged set is not restored anywhere
    report.lines.append(f"校验和：{len(manifest.parts)} 个部分全部相符，共 {manifest.size:,} 字节")
    report.problems += sets.check_keys(manifest)
    with _scratch(manifest) as changes, sets.database(changes):
        _audit(report)
        with connection.cursor() as cursor:
            report.rows = sets.row_counts(cursor)
            named = set(sets.named(cursor))
    _compare_rows(report, data["database"]["rows"])
    absent = sorted(named - manifest.stored)
    if absent:
        report.problems.append(
            f"恢复后的数据库所指的 {len(absent)} 个文件不在备份集中（如 {absent[0][1]}）"
        )
    else:
        report.lines.append(f"文件：数据库所指的 {len(named)} 个文件都在备份集中")
    return report


@contextmanager
def _scratch(manifest: sets.Manifest) -> Iterator[dict]:
    """The set's database restored into a scratch database; the connection settings that
    name it. Dropped (removed) on leaving, whatever happened."""
    sets.check_vendor(manifest)
    if manifest.vendor == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="gonghui-drill-"))
        try:
            target = folder / sets.SQLITE_PART
            shutil.copyfile(manifest.database_part, target)
            yield {"NAME": str(target)}
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    live = connection.settings_dict["NAME"]
    suffix = f"_drill_{timezone.localtime():%Y%m%d%H%M%S}"
    name = live[: PG_NAME_MAX - len(suffix)] + suffix
    quoted = connection.ops.quote_name(name)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {quoted}")
    try:
        sets.run_tool(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--no-password",
                "-d",
                name,
                str(manifest.database_part),
            ],
            sets.libpq_env(connection.settings_dict, name),
        )
        yield {"NAME": name}
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")


@contextmanager
def _witness(paths: list[Path]) -> Iterator[None]:
    saved = settings.AUDIT_WITNESS
    settings.AUDIT_WITNESS = paths
    try:
        yield
    finally:
        settings.AUDIT_WITNESS = saved


def _audit(report: DrillReport) -> None:
    """The platform's verification against the scratch database, with each witness cut at
    the set's last head: a witness line up to there that the set does not hold (rewritten,
    or a history the witness never saw) fails; the lines signed after the backup are noted."""
    heads = AuditHead.objects.count()
    with tempfile.TemporaryDirectory(prefix="gonghui-drill-witness-") as folder:
        copies = []
        for n, path in enumerate(witness.paths()):
            try:
                contents = witness.read(path)
            except witness.WitnessError as exc:
                report.notes.append(f"{exc}：只对照备份集自身的平台链头校验")
                continue
            if contents.empty:
                report.notes.append(f"见证文件 {path} 不存在或为空：只对照备份集自身的平台链头校验")
                continue
            kept = [head for head in contents.heads if head["n"] <= heads]
            later = len(contents.heads) - len(kept)
            if later:
                report.notes.append(
                    f"见证文件 {path} 另有 {later} 个平台链头签于备份之后（正常：备份之后的事件）"
                )
            copy = Path(folder) / f"witness-{n}.jsonl"
            copy.write_text("".join(witness.line(head) for head in kept), encoding="utf-8")
            copies.append(copy)
        with _witness(copies):
            result = verify_platform()
    for stream in result.streams:
        report.problems += [f"审计流 {stream.stream}：{p}" for p in stream.problems]
    report.problems += [f"平台链头：{p}" for p in result.proof.problems]
    report.notes += result.proof.notes
    if result.unwitnessed:
        count = sum(u.count for u in result.unwitnessed)
        report.notes.append(
            f"备份集中有 {count} 条事件在最后见证的平台链头之后（备份前最后一次签名之后写入）"
        )
    if not any(s.problems for s in result.streams) and not result.proof.problems:
        report.lines.append(
            f"审计链：{len(result.streams)} 个流、{result.events:,} 条事件、{heads} 个平台链头校验通过"
            f"（{len(copies)} 个见证文件对照到备份时）"
        )


def _compare_rows(report: DrillReport, counted: dict[str, int]) -> None:
    labels = {
        m._meta.db_table: str(m._meta.verbose_name) for m in apps.get_models() if m._meta.managed
    }
    wrong = [
        f"表 {table}：恢复后 {rows} 行，备份时 {counted.get(table, '未计')} 行"
        for table, rows in sorted(report.rows.items())
        if rows != counted.get(table)
    ]
    report.problems += wrong
    if not wrong:
        total = sum(report.rows.values())
        report.lines.append(f"行数：{len(report.rows)} 张表共 {total:,} 行，与备份时一致")
    largest = sorted(report.rows.items(), key=lambda item: -item[1])
    for table, rows in largest[:SHOWN_TABLES]:
        report.lines.append(f"  {labels.get(table, table)}（{table}）：{rows:,} 行")
    if len(largest) > SHOWN_TABLES:
        rest = sum(rows for _, rows in largest[SHOWN_TABLES:])
        report.lines.append(f"  其余 {len(largest) - SHOWN_TABLES} 张表：{rest:,} 行")
