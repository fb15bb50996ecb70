from getpass import getpass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from gonghui.common.errors import DomainError
from gonghui.common.views import error_message
from gonghui.orgs.models import OrgUnit, Role
from gonghui.orgs.services import post_assign, user_create

# --kind: the role each administrator holds at the root unit (docs/admin-roles.md).
KINDS = {
    "city": "city_admin",
    "sys": "sys_admin",
    "sec": "sec_admin",
    "audit": "audit_admin",
}


class Command(BaseCommand):
    help = (
        "新建第一位管理员：账号及其在市总工会的岗位（记入审计日志）。--kind city 市总工会管理员"
        "（业务，默认），sys 系统管理员，sec 安全管理员，audit 审计管理员（三者须为不同账号）。"
        "交互运行时两次输入密码；--no-input 时从 GONGHUI_ADMIN_USERNAME 与 "
        "GONGHUI_ADMIN_PASSWORD_FILE（只含密码的文件）读取。不输出密码；账号已存在则拒绝。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=sorted(KINDS), default="city")
        parser.add_argument("--username", help="用户名（默认：GONGHUI_ADMIN_USERNAME，或询问）")
        parser.add_argument("--full-name", default="", help="姓名")
        parser.add_argument(
            "--no-input",
            action="store_true",
            dest="no_input",
            help="不询问：用户名与密码文件取自 GONGHUI_ADMIN_USERNAME、GONGHUI_ADMIN_PASSWORD_FILE",
        )

    def handle(self, *args, kind, username, full_name, no_input, **options):
        username = (username or settings.ADMIN_USERNAME or "").strip()
        if not username and not no_input:
            username = input("用户名：").strip()
        if not username:
            raise CommandError("请给出用户名：--username 或 GONGHUI_ADMIN_USERNAME")
        password = self._password_file() if no_input else self._password_asked()
        role = Role.objects.get(code=KINDS[kind])
        root = OrgUnit.objects.filter(parent__isnull=True).first()
        if root is None:
            raise CommandError("数据库中没有市总工会（根组织）：请先运行 gonghui migrate")
        try:
            with transaction.atomic():
                user = user_create(
                    actor=None, username=username, password=password, full_name=full_name
                )
                post_assign(actor=None, user=user, org_unit=root, role=role)
        except DomainError as exc:
            raise CommandError(error_message(exc)) from None
        self.stdout.write(f"已新建{role.name} {username}（{root.name}），请用该账号登录。")

    def _password_asked(self) -> str:
        password = getpass("密码：")
        if getpass("再次输入密码：") != password:
            raise CommandError("两次输入的密码不一致，未新建账号")
        return password

    def _password_file(self) -> str:
        path = settings.ADMIN_PASSWORD_FILE
        if not path:
            raise CommandError("--no-input 需要 GONGHUI_ADMIN_PASSWORD_FILE（只含密码一行的文件）")
        try:
            password = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                f"GONGHUI_ADMIN_PASSWORD_FILE：无法读取 {path}（{exc.__class__.__name__}）"
            ) from None
        if not password:
            raise CommandError(f"GONGHUI_ADMIN_PASSWORD_FILE：{path} 为空")
        return password
