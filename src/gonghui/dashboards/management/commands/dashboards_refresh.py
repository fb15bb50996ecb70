from django.core.management.base import BaseCommand, CommandError

from gonghui.dashboards.metrics import METRICS
from gonghui.dashboards.refresh import refresh


class Command(BaseCommand):
    help = "重新生成数据看板的汇总数据（全部指标，或 --metric 指定的指标）"

    def add_arguments(self, parser):
        parser.add_argument("--metric", action="append", help=f"指标：{', '.join(METRICS)}")

    def handle(self, *args, metric=None, **options):
        unknown = [m for m in metric or () if m not in METRICS]
        if unknown:
            raise CommandError(f"未知指标：{', '.join(unknown)}（可用：{', '.join(METRICS)}）")
        for code, rows in refresh(metric).items():
            self.stdout.write(f"{code}: {rows} 条汇总数据")
