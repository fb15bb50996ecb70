import os
import shutil
import sqlite3
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "从 SQLite 备份恢复（先停止平台与后台任务）；恢复前检查备份完整性"

    def add_arguments(self, parser):
        parser.add_argument("backup")
        parser.add_argument("--yes", action="store_true", help="确认覆盖当前数据库")

    def handle(self, *args, backup, yes, **options):
        if connection.vendor != "sqlite":
            raise CommandError("PostgreSQL 用 pg_restore 恢复：见 docs/operations.md")
        source = Path(backup)
        if not source.is_file():
            raise CommandError(f"找不到备份文件 {source}")
        check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            result = check.execute("PRAGMA integrity_check").fetchone()[0]
            check.execute("SELECT count(*) FROM django_migrations").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CommandError(f"{source} 不是有效的平台备份：{exc}") from None
        finally:
            check.close()
        if result != "ok":
            raise CommandError(f"备份文件损坏：{result}")
        if not yes:
            raise CommandError("恢复将覆盖当前数据库：确认后加 --yes 再运行")
        connection.close()
        target = Path(settings.DATABASES["default"]["NAME"])
        tmp = target.with_suffix(".restoring")
        shutil.copyfile(source, tmp)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
        self.stdout.write(f"已从 {source} 恢复")
