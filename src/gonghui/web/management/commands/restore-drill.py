import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gonghui.backup import drill, sets
from gonghui.backup.services import drill_record


class Command(BaseCommand):
    help = (
        "恢复演练：把备份集恢复到临时数据库，核对校验和、审计链、各表行数与文件，"
        "然后删除临时数据库；不动当前数据库。有问题时退出码为 1"
    )

    def add_arguments(self, parser):
        parser.add_argument("backup_set", metavar="SET", help="备份集目录")

    def handle(self, *args, backup_set, **options):
        try:
            report = drill.run(sets.load(Path(backup_set)))
        except sets.BackupError as exc:
            raise CommandError(str(exc)) from None
        for line in report.lines:
            self.stdout.write(line)
        for note in report.notes:
            self.stdout.write(f"注意: {note}")
        for problem in report.problems:
            self.stdout.write(f"问题: {problem}")
        drill_record(report=report)
        if not report.ok:
            self.stdout.write(f"演练未通过：{len(report.problems)} 个问题（已记入审计日志）")
            sys.exit(1)
        self.stdout.write("演练通过（已记入审计日志）")
