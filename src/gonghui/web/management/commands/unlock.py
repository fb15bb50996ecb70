from django.core.management.base import BaseCommand, CommandError

from gonghui.common.errors import DomainError
from gonghui.orgs.services import account_unlock


class Command(BaseCommand):
    help = (
        "解除账号的登录锁定：`unlock 账号`。账号从所有地址、所有设备的锁定与失败计数一并清除"
        "（记入审计日志）。用于账号被他人反复猜密码锁定、本人又在新设备上登录时。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = account_unlock(actor=None, username=username)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"已解除 {user.get_username()} 的登录锁定")
