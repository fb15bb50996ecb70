import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from faker import Faker
from tqdm import tqdm

from gonghui.common.demo import DEMO_PASSWORD
from gonghui.factors.selectors import need
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person
from gonghui.web import demo


class Command(BaseCommand):
    help = (
        "生成演示数据（固定随机种子，可重复）并列出演示账号；已生成过则不重复生成，只列出账号。"
        "--people 1000000 生成基准测试用的大数据集"
    )

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=3000, help="人员数量（默认 3000）")
        parser.add_argument(
            "--contest-trades",
            type=int,
            default=10,
            help="北京大工匠演示的工种数（默认 10，每个工种约 30 名参赛人）",
        )
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="在非调试、非演示环境（GONGHUI_DEMO 未开启）中仍生成演示数据：仅用于培训、测试服务器",
        )
        parser.add_argument(
            "--add",
            action="store_true",
            help="演示数据已存在时，再追加 --people 名人员（用于基准测试）",
        )

    def handle(self, *args, people, add, contest_trades=10, not_production=False, **options):
        if not (settings.DEMO_SITE or not_production):
            # Demo accounts with a published password have no place in production.
            self.stderr.write(
                "拒绝生成演示数据：本环境不是调试或演示环境（GONGHUI_DEBUG、GONGHUI_DEMO 均未开启）。"
                "演示数据的账号使用公开密码，不得进入生产环境。"
                "确属培训或测试服务器时，请加参数 --i-know-this-is-not-production。"
            )
            raise SystemExit(2)
        if people < 0:
            self.stderr.write("--people 不能为负数")
            raise SystemExit(2)
        if contest_trades < 0:
            self.stderr.write("--contest-trades 不能为负数")
            raise SystemExit(2)
        if demo.exists() and not demo.complete():
            # A first run stopped half-way: neither say "it exists" nor build on top of it.
            self.stderr.write(
                f"演示数据不完整：上次生成在中途停止（已有 {Person.objects.count()} 名人员）。"
                f"请清空数据后重新生成（SQLite：删除 {settings.VAR_DIR} 目录，再运行 make run）。"
            )
            raise SystemExit(1)
        if demo.exists() and not add:
            # `make run` again: the same demo, not a second 3,000 people.
            self.stdout.write(
                f"演示数据已存在（{Person.objects.count()} 名人员），未重复生成"
                "（追加人员：gonghui demo --add --people N）。"
            )
            self._print_logins(demo.logins())
            return
        bar = tqdm(total=people, unit="人", disable=people < 20000, desc="生成人员")
        if add and demo.exists():
            # Only people (for benchmarks on a built demo).
            User = get_user_model()
            fake = Faker("zh_CN")
            fake.seed_instance(demo.SEED + User.objects.count())
            rng = random.Random(demo.SEED + people)
            grassroots = list(OrgUnit.objects.filter(level=OrgUnit.Level.GRASSROOTS))
            gen = demo.PeopleGenerator(rng, fake)
            made = demo.build_people(gen, grassroots, people, progress=bar.update)
            bar.close()
            self.stdout.write(f"演示数据已存在，已追加 {made} 名人员。")
            return
        logins = demo.run(
            people=people,
            contest_trades=contest_trades,
            progress=bar.update,
            say=self.stdout.write,
        )
        bar.close()
        self.stdout.write(f"演示数据已生成：{people} 名人员。")
        self._print_logins(logins)

    def _print_logins(self, logins) -> None:
        users = get_user_model().objects.filter(username__in=[x.username for x in logins])
        second = {user.username for user in users if need(user).required}
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for login in logins:
            mark = "  须二次验证" if login.username in second else ""
            self.stdout.write(f"  {login.username:<20} {login.role:<14} {login.unit}{mark}")
        self.stdout.write(
            "标“须二次验证”的账号首次登录时须绑定手机验证器（TOTP，如腾讯身份验证器）或通行密钥，"
            "并保存恢复码（docs/second-factor.md）。"
        )
