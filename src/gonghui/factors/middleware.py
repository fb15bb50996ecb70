"""The one gate of the second factor, for every page, the Django admin and the session's
API calls (a bearer token is a machine's credential: the API signs it in itself).

A signed-in account that has not passed its second factor in this session may open only:
- the second step (factors:verify, the passkey check) when it holds a factor;
- the enrolment pages when a factor is required of it and it holds none;
and the sign-out. Everything else sends it there (a page: a redirect that comes back to
where it was going; the API: 403 in JSON). Members, counter accounts and staff for whom a
factor is optional and who have none pass as before."""

from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from gonghui.factors import selectors

SIGN_OUT = {"web:logout", "otp_webauthn:js-i18n-catalog"}
VERIFY = SIGN_OUT | {
    "factors:verify",
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
}
ENROL = SIGN_OUT | {
    "factors:setup",
    "factors:totp",
    "factors:recovery",
    "otp_webauthn:credential-registration-begin",
    "otp_webauthn:credential-registration-complete",
}
API_MESSAGE = {
    "factors:verify": "请先在网页上完成二次验证（验证码或通行密钥），或使用 API 令牌",
    "factors:setup": "您的岗位须先绑定二次验证方式：请在网页上完成绑定",
}


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        target = self._target(request)
        if target is None:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            if request.headers.get("Authorization"):
                # A bearer token: the API decides, by the token alone. The session that has
                # not passed its second factor is set aside, so that a token that fails
                # cannot fall back to it (the API's session authentication).
                request.user = AnonymousUser()
                return self.get_response(request)
            return JsonResponse(
                {"code": "second_factor", "message": API_MESSAGE[target]}, status=403
            )
        try:
            name = resolve(request.path_info).view_name
        except Resolver404:
            name = ""
        if name in (VERIFY if target == "factors:verify" else ENROL):
            return self.get_response(request)
        back = request.get_full_path() if request.method == "GET" else ""
        query = f"?{urlencode({'next': back})}" if back and back != "/" else ""
        return redirect(reverse(target) + query)

    @staticmethod
    def _target(request) -> str | None:
        if request.path_info.startswith("/static/"):
            return None
        user = request.user
        return selectors.first_step(user, verified=user.is_authenticated and user.is_verified())
