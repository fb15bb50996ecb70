from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from gonghui.common.errors import DomainError, NotFound
from gonghui.orgs.services import token_create


class Command(BaseCommand):
    help = "为某账号创建 API 令牌（机器对接用）；令牌只显示这一次"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="令牌用途，如“区工会数据对接”")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"没有名为 {username} 的有效账号")
        try:
            _, raw = token_create(actor=user, name=name)
        except NotFound:
            raise CommandError(f"{username} 没有岗位，不能创建令牌") from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{raw}\n（请妥善保存：平台只保存其哈希，不能再次显示。用法：Authorization: Bearer <令牌>）"
        )
