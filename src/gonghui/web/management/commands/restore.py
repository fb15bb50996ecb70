from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from gonghui.backup import sets
from gonghui.backup.services import restore_record


class Command(BaseCommand):
    help = (
        "从备份集恢复数据库与文件（先停止 serve 与 worker）。先逐一核对清单中的 SHA-256，"
        "有一处不符即拒绝，什么也不改（docs/backup.md）"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "backup_set", metavar="SET", help="备份集目录（gonghui backup 写出的 <时间> 目录）"
        )
        parser.add_argument("--yes", action="store_true", help="确认覆盖当前数据库")

    def handle(self, *args, backup_set, yes, **options):
        try:
            manifest = sets.load(Path(backup_set))
            files = sets.restore(manifest, confirmed=yes)
        except sets.BackupError as exc:
            raise CommandError(str(exc)) from None
        connection.close()
        restore_record(manifest=manifest, files=files)
        self.stdout.write(
            f"已从 {manifest.path} 恢复数据库，写回 {files} 个文件（其余已在存储中且相符）"
        )
        self.stdout.write(
            "接下来：gonghui migrate；PostgreSQL 再运行 gonghui audit pg-roles；gonghui audit "
            "verify 会报告见证文件比数据库新，按 docs/backup.md 处理后再启动 worker"
        )
