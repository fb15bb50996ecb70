"""Idle sessions and passwords past their age (docs/sign-in.md).

A session ends after ``SESSION_IDLE_SECONDS`` without activity. Activity is any request but
a page's automatic ones: polls (htmx ``every``, the screens' fetch loops) carry the header
``X-Gonghui-Poll: 1``, set in one place (``web/static/web/poll.js``), and neither count nor
write the session. The idle session is signed out (audited as 长时间未操作，自动退出); a
page then goes on as anonymous (a page that needs a sign-in sends it there, with a message),
and a poll whose view wants a sign-in is answered so that its page goes to the sign-in page:
htmx by ``HX-Redirect``, a fetch by 401 with a Chinese message and the address.

A staff account (one holding a post, or the admin site's) whose password is older than
``PASSWORD_MAX_AGE_DAYS`` sees only the change-password page until it changes it; members and
counter accounts keep their simpler sign-in. When the password was set is read once per
session (at sign-in, again when the password changes) and kept in the session."""

from __future__ import annotations

import time
from importlib import import_module
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import HASH_SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect, resolve_url
from django_htmx.http import HttpResponseClientRedirect

from gonghui.common.passwords import password_set_at
from gonghui.factors.middleware import ENROL, VERIFY
from gonghui.factors.selectors import need

POLL_HEADER = "X-Gonghui-Poll"
LAST_ACTIVITY = "gonghui_last_activity"  # Unix time of the last request that was no poll
# [the session's auth hash, when its password was set (Unix time), whether it is staff]
DATED = "gonghui_password_dated"
IDLE_MESSAGE = "您已超过 {} 分钟未操作，为保护账号安全已自动退出，请重新登录。"
EXPIRED_MESSAGE = "您的密码已使用超过 {} 天，请先修改密码再继续使用。"
# The pages an account with an expired password may still open.
# The second factor's pages come first (their middleware sends an account there before this
# one runs): an expired password is changed once the factor has passed.
OPEN_WITH_EXPIRED_PASSWORD = {"web:password_change", "web:logout", "web:login"} | VERIFY | ENROL


def is_poll(request) -> bool:
    return request.headers.get(POLL_HEADER) == "1"


@receiver(user_logged_in, dispatch_uid="web.sessions.signed_in")
def signed_in(sender, request, user, **kwargs):
    """Signing in is activity, and dates the password for this session."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[LAST_ACTIVITY] = int(time.time())
    _remember_password(request, user)


def _remember_password(request, user) -> list:
    remembered = [request.session.get(HASH_SESSION_KEY), int(password_set_at(user).timestamp())]
    request.session[DATED] = remembered
    return remembered


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        poll = is_poll(request)
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY)
            if last is not None and now - last > settings.SESSION_IDLE_SECONDS:
                request.idle_logout = True  # audit.signals records the reason
                logout(request)
                if not poll:
                    minutes = settings.SESSION_IDLE_SECONDS // 60
                    messages.info(request, IDLE_MESSAGE.format(minutes))
            elif not poll or last is None:
                request.session[LAST_ACTIVITY] = now
        response = self.get_response(request)
        if poll and _sent_to_sign_in(response):
            return _to_sign_in(request)
        return response


def _sent_to_sign_in(response) -> bool:
    login = resolve_url(settings.LOGIN_URL)
    return response.status_code in (301, 302) and response.get("Location", "").startswith(login)


def _to_sign_in(request):
    """The answer to a poll whose session has ended: its page goes to the sign-in page and
    comes back to itself after."""
    page = urlsplit(request.headers.get("HX-Current-URL") or request.headers.get("Referer", ""))
    login = resolve_url(settings.LOGIN_URL)
    if page.path.startswith("/") and not page.path.startswith("//"):
        here = page.path + (f"?{page.query}" if page.query else "")
        login += "?next=" + quote(here, safe="/")
    if request.headers.get("HX-Request"):
        response = HttpResponseClientRedirect(login)
        response.status_code = 401
        return response
    message = "登录已失效（长时间未操作或已退出），请重新登录。"
    return JsonResponse({"detail": message, "redirect": login}, status=401)


class PasswordExpiryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Staff (as the second factor counts them) with a password past its age get
        nothing but the pages to change it: a page is sent there, a poll's page too, and a
        session's API call is refused in JSON (a bearer token is bound to the password)."""
        days = settings.PASSWORD_MAX_AGE_DAYS
        user = request.user
        if not days or not user.is_authenticated:
            return None
        if request.resolver_match.view_name in OPEN_WITH_EXPIRED_PASSWORD:
            return None
        remembered = request.session.get(DATED)
        if remembered is None or remembered[0] != request.session.get(HASH_SESSION_KEY):
            remembered = _remember_password(request, user)
        if time.time() - remembered[1] <= days * 86400 or not need(user).staff:
            return None
        message = EXPIRED_MESSAGE.format(days)
        target = resolve_url("web:password_change")
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {"code": "password_expired", "message": message, "redirect": target}, status=403
            )
        if request.headers.get("HX-Request"):
            return HttpResponseClientRedirect(target)
        if is_poll(request):
            return JsonResponse({"detail": message, "redirect": target}, status=403)
        messages.warning(request, message)
        return redirect(target)


def sessions_purge() -> None:
    """Delete the sessions past their end from the store (the worker, hourly)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
