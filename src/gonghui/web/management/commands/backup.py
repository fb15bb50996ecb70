import sqlite3
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "SQLite 在线备份（平台运行时一致）；PostgreSQL 请见 docs/operations.md。密钥不在备份内。"

    def add_arguments(self, parser):
        parser.add_argument(
            "out", nargs="?", help="备份文件，默认 var/backups/gonghui-<时间>.sqlite3"
        )

    def handle(self, *args, out=None, **options):
        if connection.vendor != "sqlite":
            raise CommandError("PostgreSQL 用 pg_dump 备份：见 docs/operations.md")
        source = Path(settings.DATABASES["default"]["NAME"])
        target = Path(
            out
            or Path(settings.VAR_DIR)
            / "backups"
            / f"gonghui-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise CommandError(f"{target} 已存在")
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        with dst:
            src.backup(dst, pages=4096)  # the online backup API: consistent under writers
        src.close()
        dst.close()
        self.stdout.write(f"已备份到 {target}")
