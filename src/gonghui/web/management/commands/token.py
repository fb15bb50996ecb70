from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from gonghui.common.errors import DomainError, NotFound
from gonghui.common.formats import cn_datetime
from gonghui.orgs.models import ApiToken
from gonghui.orgs.selectors import tokens_matching
from gonghui.orgs.services import token_create, token_revoke


class Command(BaseCommand):
    help = (
        "API 令牌（机器对接用）：`token 账号 --name 用途` 创建（令牌只显示这一次）；"
        "`token --list [账号]` 列出；`token --revoke 编号或前缀` 吊销"
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?")
        parser.add_argument("--name", help="令牌用途，如“区工会数据对接”")
        parser.add_argument(
            "--list", dest="listing", action="store_true", help="列出令牌（可只列某账号的）"
        )
        parser.add_argument(
            "--revoke", metavar="ID_OR_PREFIX", help="吊销令牌：列表中的编号或前缀（gh_…）"
        )

    def handle(self, *args, username, name, listing, revoke, **options):
        if revoke is not None:
            if username or name or listing:
                raise CommandError("--revoke 不与账号、--name 或 --list 同用")
            return self._revoke(revoke)
        if listing:
            return self._list(username)
        if not username or not name:
            raise CommandError("创建令牌须给出账号和 --name 用途")
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

    def _list(self, username):
        tokens = ApiToken.objects.select_related("user").order_by("pk")
        if username:
            tokens = tokens.filter(user__username=username)
        for t in tokens:
            used = cn_datetime(t.last_used_at) if t.last_used_at else "从未使用"
            self.stdout.write(
                f"{t.pk}\t{t.prefix}…\t{t.user.username}\t{t.name}\t"
                f"创建 {cn_datetime(t.created_at)}\t最近使用 {used}\t{t.get_state_display()}"
            )

    def _revoke(self, ref):
        matches = tokens_matching(ref)
        if not matches:
            raise CommandError(f"没有编号或前缀为 {ref} 的令牌")
        if len(matches) > 1:
            ids = "、".join(str(t.pk) for t in matches)
            raise CommandError(f"前缀 {ref} 对应多个令牌（编号 {ids}），请用编号")
        token = matches[0]
        try:
            token_revoke(actor=None, token_id=token.pk)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"已吊销令牌 {token.pk}（{token.prefix}…，{token.user.username}，{token.name}）"
        )
