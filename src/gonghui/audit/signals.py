"""Logins, logouts, failed logins and accounts locked go into the audit stream."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common.lockout import account_locked
from gonghui.common.net import client_ip


def _ip(request):
    return client_ip(request) if request is not None else None


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    record(actor=user, action=Action.AUTH_LOGIN, obj=user, ip=_ip(request))


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    """A sign-out, or the end of an idle session (web.sessions marks the request)."""
    if user is not None:
        idle = getattr(request, "idle_logout", False)
        action = Action.AUTH_IDLE_LOGOUT if idle else Action.AUTH_LOGOUT
        record(actor=user, action=action, obj=user, ip=_ip(request))


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record(
        actor=None,
        action=Action.AUTH_LOGIN_FAILED,
        object_type="auth.user",
        object_id=username,
        ip=_ip(request),
    )


@receiver(account_locked)
def on_account_locked(sender, username, seconds, ip, **kwargs):
    record(
        actor=None,
        action=Action.AUTH_ACCOUNT_LOCKED,
        object_type="auth.user",
        object_id=str(username)[:150],
        changes={"locked_minutes": [None, seconds // 60]},
        ip=ip,
    )
