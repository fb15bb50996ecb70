"""The demo's accounts: made with the demo's published password and recorded as such, so
that a production start refuses while one of them still has it (docs/admin-roles.md)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F

from gonghui.common.config import ConfigError
from gonghui.common.demo import DEMO_PASSWORD
from gonghui.orgs.models import DemoAccount


def demo_password_set(user) -> None:
    """Give ``user`` the demo's password, save it and record it as a demo account."""
    user.set_password(DEMO_PASSWORD)
    user.save()
    DemoAccount.objects.update_or_create(user=user, defaults={"password_hash": user.password})


def demo_user(username: str, full_name: str):
    user = get_user_model()(username=username, first_name=full_name)
    demo_password_set(user)
    return user


def demo_passwords_in_use() -> list[str]:
    """The active accounts that still have the demo's password (as the demo set it)."""
    return sorted(
        DemoAccount.objects.filter(
            user__is_active=True, user__password=F("password_hash")
        ).values_list("user__username", flat=True)
    )


def refuse_demo_passwords() -> None:
    """Start-up (``serve``, ``worker``): refuse while a demo account keeps the published
    password, unless this installation is the demo (GONGHUI_DEMO, which follows
    GONGHUI_DEBUG unless set: ``make run`` sets it)."""
    if settings.DEMO_SITE:
        return
    if DemoAccount._meta.db_table not in connection.introspection.table_names():
        return  # not migrated yet: there is no demo account (/healthz says 503 until then)
    names = demo_passwords_in_use()
    if names:
        shown = "、".join(names[:5]) + (f" 等 {len(names)} 个账号" if len(names) > 5 else "")
        raise ConfigError(
            f"账号 {shown} 仍使用演示数据的公开密码：生产环境拒绝启动。请停用这些账号或修改其密码"
            "（gonghui changepassword 用户名），演示环境请设置 GONGHUI_DEMO=true"
        )


def demo_password_follows_rehash(*, user, old_hash: str) -> None:
    """Django re-hashed a demo account's password at sign-in (a stronger hasher): the same
    password, a new hash, which the record follows (not an event: nobody changed anything)."""
    if user.password != old_hash:
        DemoAccount.objects.filter(user=user, password_hash=old_hash).update(
            password_hash=user.password
        )
