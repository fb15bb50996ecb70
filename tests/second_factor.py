"""Signing staff in for tests that are not about the second factor: the session counts as
having passed it, as after the real second step (tests/factors test that step itself)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from gonghui.factors.selectors import need
from gonghui.orgs import access

TEST_DEVICE = "测试用验证器"


def factor_device(user) -> TOTPDevice:
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name=TEST_DEVICE, defaults={"confirmed": True}
    )
    return device


def mark_verified(session, user) -> None:
    """Staff sessions as after the second step; members and counter accounts untouched."""
    staff = need(user).staff
    access.forget(user)  # the test may change the user's posts after signing in
    if staff:
        session[DEVICE_ID_SESSION_KEY] = factor_device(user).persistent_id
        session.save()


def mark_browser_verified(session_key: str, username: str) -> None:
    """The same for a browser's session (its cookie's key), read and written in the
    database the live server uses."""
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key=session_key)
    mark_verified(store, get_user_model().objects.get(username=username))
