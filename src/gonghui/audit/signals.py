"""Logins, logouts and failed logins go into the audit stream."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from gonghui.audit.services import record
from gonghui.common.net import client_ip


def _ip(request):
    return client_ip(request) if request is not None else None


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    record(actor=user, action="auth.login", obj=user, ip=_ip(request))


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(actor=user, action="auth.logout", obj=user, ip=_ip(request))


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record(
        actor=None,
        action="auth.login_failed",
        object_type="auth.user",
        object_id=username,
        ip=_ip(request),
    )
