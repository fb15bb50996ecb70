"""A backup set: one folder ``<time>/`` holding the database (``database.sqlite3`` or
``database.pgdump``), ``files/<stored name>`` for every file the database names, and
``manifest.json`` (every part's SHA-256 and size, the platform's version, the migrations
applied, the row count of every table, the keys' ids; never a key).

The set is written into ``<time>.partial/`` and renamed when complete, so a folder without
that suffix is a whole set. The files are the ones the database *snapshot* names: SQLite's
copy is read after the online backup; on PostgreSQL ``pg_dump`` runs on a snapshot exported
by a repeatable-read transaction that reads the names and counts too."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage, storages
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils._os import safe_join

from gonghui.audit.services import file_digest

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files"
# Each kind of stored part: the folder of the set it lies in, and the storage it comes from
# and goes back to. The audit archive's bundles (audit/retention.py) are the only copy of
# the events a prune removed: they are backed up beside the attachments.
STORES = {"file": (FILES, "default"), "archive": ("audit-archive", "audit_archive")}
SQLITE_PART = "database.sqlite3"
PG_PART = "database.pgdump"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A set cannot be written, read or restored; the message (Chinese) says why and what
    to do. Nothing was changed."""


@dataclass
class Manifest:
    data: dict
    path: Path

    @property
    def vendor(self) -> str:
        return self.data["database"]["vendor"]

    @property
    def database_part(self) -> Path:
        return self.path / self.data["database"]["part"]

    @property
    def parts(self) -> list[dict]:
        return self.data["parts"]

    @property
    def stored(self) -> set[tuple[str, str]]:
        """(kind, stored name) of every file part: what ``named`` reads from a database."""
        return {
            (p["kind"], p["path"].removeprefix(f"{STORES[p['kind']][0]}/"))
            for p in self.parts
            if p["kind"] in STORES
        }

    @property
    def size(self) -> int:
        return sum(p["size"] for p in self.parts)

    @property
    def missing(self) -> list[str]:
        """Named by the database when the set was written, not in the storage then."""
        return self.data["missing"]


# --- what the database names ---------------------------------------------------------------


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField of the platform's models."""
    return sorted(
        {
            (model._meta.db_table, f.column)
            for model in apps.get_models()
            for f in model._meta.concrete_fields
            if isinstance(f, models.FileField)
        }
    )


def tables() -> list[str]:
    """Every table of the installed models (the platform's, Django's, the task queue's)."""
    return sorted(
        {m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy}
    )


def named(cursor) -> list[tuple[str, str]]:
    """(kind, stored name) of every file the database names, read through a DB-API
    ``cursor`` (the snapshot's, the scratch database's): what every FileField holds, and
    the audit archive's bundles (audit.AuditArchive)."""
    names: set[tuple[str, str]] = set()
    for table, column in file_columns():
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" <> \'\'')  # noqa: S608
        names.update(("file", row[0]) for row in cursor.fetchall())
    cursor.execute("SELECT storage_name FROM audit_auditarchive")
    names.update(("archive", row[0]) for row in cursor.fetchall())
    return sorted(names)


def row_counts(cursor) -> dict[str, int]:
    counts = {}
    for table in tables():
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


def migration_heads(cursor) -> dict[str, str]:
    """The last migration applied of each app, as the database's own table says."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    heads: dict[str, str] = {}
    for app, name in cursor.fetchall():
        heads[app] = max(heads.get(app, ""), name)
    return heads


def key_ids() -> dict[str, list[str]]:
    """Each key ring's ids, current first: what a restore needs to have (never the keys)."""
    return {name: [kid for kid, _ in ring.keys] for name, ring in settings.KEYS.items()}


def platform_version() -> str:
    try:
        return metadata.version("gonghui")
    except metadata.PackageNotFoundError:
        return "unknown"


def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return file_digest(fh)[0]


def _part(root: Path, relative: str, kind: str) -> dict:
    path = root / relative
    return {"path": relative, "kind": kind, "size": path.stat().st_size, "sha256": sha256_of(path)}


def _within(root: Path, name: str) -> Path:
    """``name`` under ``root``; a name that would leave it is refused."""
    try:
        return Path(safe_join(str(root), name))
    except Exception:  # SuspiciousFileOperation, or a name that is no path
        raise BackupError(f"文件名 {name!r} 不是平台存储的文件名，拒绝处理") from None


def _stored_path(root: Path, name: str, kind: str) -> Path:
    """Where a stored name lies in a set."""
    return _within(root / STORES[kind][0], name)


# --- PostgreSQL tools ----------------------------------------------------------------------


def libpq_env(settings_dict: dict, name: str | None = None) -> dict:
    """The environment pg_dump / pg_restore connect with: the configured URL's host, port,
    user, password and options (never on the command line, where ``ps`` shows them)."""
    _, extra = connection.client.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(extra or {})}
    for var, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    env["PGDATABASE"] = name or settings_dict["NAME"]
    return env


def run_tool(args: list[str], env: dict) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(
            f"找不到 {args[0]}：安装与数据库同版本的 PostgreSQL 客户端（postgresql-client）"
        ) from None
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{args[0]} 失败：{message[-1] if message else done.returncode}")


# --- writing a set -------------------------------------------------------------------------


@contextmanager
def _snapshot(work: Path) -> Iterator[tuple[str, object]]:
    """The database part written into ``work``, and a cursor on exactly what it holds."""
    if connection.vendor == "sqlite":
        target = work / SQLITE_PART
        source = sqlite3.connect(f"file:{connection.settings_dict['NAME']}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy, pages=4096)  # the online backup API: consistent under writers
            source.close()
            yield SQLITE_PART, copy.cursor()
        finally:
            copy.close()
        return
    if connection.vendor != "postgresql":
        raise BackupError(f"不支持备份 {connection.vendor} 数据库")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        run_tool(
            [
                "pg_dump",
                "-Fc",
                "--no-password",
                f"--snapshot={snapshot}",
                "-f",
                str(work / PG_PART),
            ],
            libpq_env(connection.settings_dict),
        )
        yield PG_PART, cursor


def create(root: Path, *, now: datetime | None = None) -> Manifest:
    """Write a new set under ``root``; returns it. Files the database names but the storage
    lacks are listed in the manifest (``missing``) and returned: the set is written anyway,
    the caller reports them."""
    stamp = timezone.localtime(now or timezone.now())
    name = f"{stamp:%Y%m%d-%H%M%S}"
    final, work = root / name, root / f"{name}.partial"
    if final.exists() or work.exists():
        raise BackupError(f"{final} 已存在：稍后再运行，或用 --to 指定另一个目录")
    root.mkdir(parents=True, exist_ok=True)
    work.mkdir(mode=0o700)  # the whole database and every attachment: its owner's alone
    try:
        with _snapshot(work) as (part, cursor):
            names = named(cursor)
            counts = row_counts(cursor)
            heads = migration_heads(cursor)
        parts = [_part(work, part, "database")]
        missing = []
        for kind, stored in names:
            folder, storage = STORES[kind]
            target = _stored_path(work, stored, kind)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with storages[storage].open(stored, "rb") as src, target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK)
            except FileNotFoundError:
                target.unlink(missing_ok=True)
                missing.append(stored)
                continue
            parts.append(_part(work, f"{folder}/{stored}", kind))
        manifest = {
            "format": FORMAT,
            "created_at": stamp.isoformat(),
            "platform_version": platform_version(),
            "database": {
                "vendor": connection.vendor,
                "part": part,
                "migrations": heads,
                "rows": counts,
            },
            "storage": default_storage.__class__.__name__,
            "parts": parts,
            "missing": missing,
            "key_ids": key_ids(),
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Manifest(manifest, final)


# --- reading and checking a set ------------------------------------------------------------


def load(path: Path) -> Manifest:
    """The set's manifest; a folder that is no set is refused."""
    if not path.is_dir():
        raise BackupError(f"找不到备份集 {path}（应为 gonghui backup 写出的目录）")
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        assert data["format"] == FORMAT
        assert data["database"]["vendor"] in ("sqlite", "postgresql")
        for part in data["parts"]:
            assert {"path", "kind", "size", "sha256"} <= set(part)
            assert part["kind"] == "database" or part["kind"] in STORES
            _within(path, part["path"])  # a name that would leave the set: no set of ours
        databases = [p["path"] for p in data["parts"] if p["kind"] == "database"]
        assert databases == [data["database"]["part"]]  # the one checked is the one restored
    except FileNotFoundError:
        raise BackupError(f"{path} 中没有 {MANIFEST}：不是完整的备份集") from None
    except (ValueError, KeyError, TypeError, AssertionError, BackupError):
        raise BackupError(f"{path}/{MANIFEST} 无法读取或格式不对：不是本平台的备份集") from None
    return Manifest(data, path)


def check_vendor(manifest: Manifest) -> None:
    """A set of the other kind of database is refused (before anything is changed)."""
    if manifest.vendor != connection.vendor:
        raise BackupError(
            f"备份集是 {manifest.vendor} 数据库，当前配置的是 {connection.vendor}：未做任何改动；"
            "在同类数据库上恢复或演练"
        )


def check(manifest: Manifest) -> list[str]:
    """Every part's size and SHA-256 against the manifest: the problems, in Chinese."""
    problems = []
    for part in manifest.parts:
        path = manifest.path / part["path"]
        if not path.is_file():
            problems.append(f"缺少 {part['path']}")
        elif path.stat().st_size != part["size"]:
            problems.append(
                f"{part['path']} 大小不符（清单 {part['size']} 字节，实际 {path.stat().st_size}）"
            )
        elif sha256_of(path) != part["sha256"]:
            problems.append(f"{part['path']} 的 SHA-256 与清单不符（文件已损坏或被改动）")
    return problems


def check_or_refuse(manifest: Manifest) -> None:
    problems = check(manifest)
    if problems:
        more = f"等 {len(problems)} 处" if len(problems) > 1 else ""
        raise BackupError(
            f"备份集 {manifest.path} 校验未通过：{problems[0]}{more}。未做任何改动；"
            "换用另一份备份集（异地副本），或查明存储介质的问题"
        )


def check_migrations(manifest: Manifest) -> None:
    """A set from a newer version (migrations this code does not have) is refused."""
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    migrated = {app for app, _ in known}  # an app removed since: its tables are left alone
    for app, name in sorted(manifest.data["database"]["migrations"].items()):
        if (app, name) not in known and app in migrated:
            raise BackupError(
                f"备份集来自更新的平台版本（迁移 {app}.{name} 本版本没有）：先升级到备份时的"
                f"版本（{manifest.data['platform_version']}）再恢复。未做任何改动"
            )


def check_keys(manifest: Manifest) -> list[str]:
    """Key ids the set was written under that this installation does not hold: protected
    fields and signatures made with them cannot be read or checked."""
    have = key_ids()
    return [
        f"{name} 缺少密钥 {kid}（备份时在用）：从密钥保管处取回后再启动平台"
        for name, kids in manifest.data["key_ids"].items()
        for kid in kids
        if kid not in have.get(name, [])
    ]


# --- restoring -----------------------------------------------------------------------------


def restore(manifest: Manifest, *, confirmed: bool) -> int:
    """Every check first (checksums, the database kind, the version, the keys; nothing is
    changed when one fails, nor without ``confirmed``), then the files and the database;
    returns how many files were written back."""
    check_or_refuse(manifest)
    check_vendor(manifest)
    check_migrations(manifest)
    missing = check_keys(manifest)
    if missing:
        raise BackupError(f"{missing[0]}。未做任何改动")
    if not confirmed:
        raise BackupError(
            "校验通过。恢复将覆盖当前数据库：先停止 gonghui serve 与 worker，再加 --yes 运行"
        )
    files = restore_files(manifest)
    restore_database(manifest, connection.settings_dict)
    return files


def restore_database(manifest: Manifest, settings_dict: dict) -> None:
    """Replace the database ``settings_dict`` names with the set's (checked before)."""
    part = manifest.database_part
    if manifest.vendor == "sqlite":
        target = Path(settings_dict["NAME"])
        tmp = target.with_suffix(".restoring")
        shutil.copyfile(part, tmp)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
        return
    # One transaction: a failure leaves the database as it was.
    run_tool(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            "-d",
            settings_dict["NAME"],
            str(part),
        ],
        libpq_env(settings_dict),
    )


def restore_files(manifest: Manifest) -> int:
    """Put back every file of the set whose stored copy is absent or differs; returns how
    many were written."""
    written = 0
    for part in manifest.parts:
        if part["kind"] not in STORES:
            continue
        folder, storage = STORES[part["kind"]]
        store = storages[storage]
        name = part["path"].removeprefix(f"{folder}/")
        if store.exists(name):
            with store.open(name, "rb") as fh:
                digest = file_digest(fh)[0]
            if digest == part["sha256"]:
                continue
            store.delete(name)
        with (manifest.path / part["path"]).open("rb") as fh:
            saved = store.save(name, File(fh))
        if saved != name:
            raise BackupError(f"文件 {name} 未能按原名写回存储（存为 {saved}）")
        written += 1
    return written


@contextmanager
def database(settings_changes: dict) -> Iterator[None]:
    """The default connection pointed at another database (a scratch copy) while inside,
    as Django's test runner points it at the test database; back to the live one after."""
    conn = connections[DEFAULT_DB_ALIAS]
    saved = dict(conn.settings_dict)
    conn.close()
    conn.settings_dict.update(settings_changes)
    # psycopg's pool (GONGHUI_DB_POOL) is kept per alias and would go on handing out
    # connections to the live database: plain connections while inside.
    options = dict(conn.settings_dict.get("OPTIONS") or {})
    options.pop("pool", None)
    conn.settings_dict["OPTIONS"] = options
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)
