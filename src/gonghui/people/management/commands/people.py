"""``gonghui people reindex``: rebuild every person's pinyin sort key and search keys by the
rules in force (the migration that changes the rules runs the same rebuild)."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from gonghui.people.models import Person
from gonghui.people.search import reindex_all


class Command(BaseCommand):
    help = "人员：reindex 按现行规则重建全部人员的拼音排序与检索键"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        reindex = sub.add_parser("reindex", help="重建全部人员的拼音排序与检索键")
        reindex.add_argument("--batch", type=int, default=5000, help="每个事务的人数")

    def handle(self, *args, action, batch, **options):
        total = Person.objects.count()
        # Shown on a terminal for registries worth waiting for; silent in scripts.
        with tqdm(total=total, unit="人", disable=None if total > 20000 else True) as bar:
            done = reindex_all(batch=max(batch, 1), progress=bar.update)
        self.stdout.write(f"已重建 {done} 人的拼音排序与检索键")
