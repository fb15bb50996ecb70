from django.core.management.base import BaseCommand, CommandError

from gonghui.common.errors import DomainError
from gonghui.common.views import error_message
from gonghui.factors.services import factors_reset


class Command(BaseCommand):
    help = (
        "重置账号的二次验证：`resetfactors 账号 --reason 原因`。该账号全部验证方式与恢复码"
        "作废，下次登录须重新绑定（记入审计日志）。用于唯一的安全管理员自己丢失手机时。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="重置原因，记入审计日志")

    def handle(self, *args, username, reason, **options):
        try:
            user = factors_reset(actor=None, username=username, reason=reason)
        except DomainError as exc:
            raise CommandError(error_message(exc)) from None
        self.stdout.write(f"已重置 {user.get_username()} 的二次验证：下次登录须重新绑定")
