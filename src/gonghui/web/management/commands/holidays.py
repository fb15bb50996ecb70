from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gonghui.calendar.notice import elsewhere_notes, parse_notice
from gonghui.calendar.services import calendar_year_set
from gonghui.common.errors import DomainError
from gonghui.common.views import error_message


class Command(BaseCommand):
    help = (
        "录入一年的法定节假日安排：`holidays 通知.txt`，文件为国务院办公厅《关于某年部分节假日"
        "安排的通知》的全文（UTF-8 或 GBK）。先显示读到的放假与上班日，加 --yes 才写入（记入审计"
        "日志；该年原有的安排被替换）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--year", type=int, help="通知正文没有标题时指明年份")
        parser.add_argument("--basis", help="依据（默认：通知标题及文号）")
        parser.add_argument("--yes", action="store_true", help="确认写入")

    def handle(self, *args, file, year, basis, yes, **options):
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"读不到文件 {file}：{exc.strerror}") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError:
                raise CommandError(f"{file} 既不是 UTF-8 也不是 GBK 编码的文本") from None
        try:
            schedule = parse_notice(text, year)
            basis = basis or schedule.basis
            if not basis:
                raise CommandError("通知中没有标题，请用 --basis 写明依据（通知名称、文号）")
            for first, last, name in schedule.holidays:
                span = first.isoformat() if first == last else f"{first} 至 {last}"
                self.stdout.write(f"放假  {name}  {span}（{(last - first).days + 1} 天）")
            for day, name in schedule.workdays:
                self.stdout.write(f"上班  {name}  {day}（周{'一二三四五六日'[day.weekday()]}）")
            for note in elsewhere_notes(schedule):
                self.stdout.write(f"注意  {note}")
            if not yes:
                self.stdout.write(f"以上为 {schedule.year} 年的安排；核对无误后加 --yes 写入")
                return
            calendar_year_set(
                actor=None,
                year=schedule.year,
                holidays=schedule.holidays,
                workdays=schedule.workdays,
                basis=basis,
            )
        except DomainError as exc:
            raise CommandError(error_message(exc)) from None
        self.stdout.write(f"已录入 {schedule.year} 年节假日安排（依据：{basis}）")
