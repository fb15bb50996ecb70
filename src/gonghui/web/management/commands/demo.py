import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from faker import Faker
from tqdm import tqdm

from gonghui.orgs.models import OrgUnit
from gonghui.web import demo


class Command(BaseCommand):
    help = "生成演示数据（固定随机种子，可重复）；--people 1000000 生成基准测试用的大数据集"

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=3000, help="人员数量（默认 3000）")

    def handle(self, *args, people, **options):
        User = get_user_model()
        if people < 0:
            self.stderr.write("--people 不能为负数")
            raise SystemExit(2)
        bar = tqdm(total=people, unit="人", disable=people < 20000, desc="生成人员")
        if User.objects.filter(username="admin").exists():
            # The demo exists: only add people (for benchmarks on a built demo).
            fake = Faker("zh_CN")
            fake.seed_instance(demo.SEED + User.objects.count())
            rng = random.Random(demo.SEED + people)
            grassroots = list(OrgUnit.objects.filter(level=OrgUnit.Level.GRASSROOTS))
            gen = demo.PeopleGenerator(rng, fake)
            made = demo.build_people(gen, grassroots, people, progress=bar.update)
            bar.close()
            self.stdout.write(f"演示数据已存在，已追加 {made} 名人员。")
            return
        logins = demo.run(people=people, progress=bar.update)
        bar.close()
        self.stdout.write(
            f"演示数据已生成：{people} 名人员。演示账号（密码均为 {demo.DEMO_PASSWORD}）："
        )
        for login in logins:
            self.stdout.write(f"  {login.username:<20} {login.role:<14} {login.unit}")
