from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gonghui.backup import sets
from gonghui.backup.services import backup_record


class Command(BaseCommand):
    help = (
        "备份数据库与它所指的全部文件（附件、导出文件），连同校验清单，写入一个备份集目录；"
        "密钥与见证文件不在备份内（docs/backup.md）"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--to", default=None, help="备份集的上级目录，默认 GONGHUI_BACKUP_DIR（var/backups）"
        )

    def handle(self, *args, to=None, **options):
        try:
            written = sets.create(Path(to or settings.BACKUP_DIR))
        except sets.BackupError as exc:
            raise CommandError(str(exc)) from None
        backup_record(manifest=written)
        self.stdout.write(
            f"已备份到 {written.path}：数据库与 {len(written.stored)} 个文件，"
            f"共 {written.size:,} 字节"
        )
        if written.missing:
            raise CommandError(
                f"数据库所指的 {len(written.missing)} 个文件在存储中找不到（如 "
                f"{written.missing[0]}），备份集中也就没有：检查存储（var/media 或存储桶）"
            )
