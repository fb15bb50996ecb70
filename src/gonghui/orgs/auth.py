"""How a JSON API request is signed in: a bearer token (machine clients) or the browser's
session (with its CSRF check). Every router that sets its own ``auth`` uses these."""

from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from gonghui.orgs.services import token_authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer gh_...`` for machine clients; only the token's hash is stored,
    and a token stops with its owner's password or account (orgs.services)."""

    def authenticate(self, request, token):
        user = token_authenticate(raw=token)
        if user is not None:
            request.user = user
        return user


class CsrfFailed(HttpError):
    """A session's unsafe request without a valid CSRF token."""

    def __init__(self):
        super().__init__(403, "CSRF")


class SessionCookieAuth(SessionAuth):
    """The browser's session, as ninja's ``django_auth``, except that a request carrying no
    session cookie is simply not signed in this way (401 if nothing else signs it in,
    rather than a CSRF refusal it could do nothing about), and a CSRF failure says so."""

    def _get_key(self, request):
        if self.param_name not in request.COOKIES:
            return None
        try:
            return super()._get_key(request)
        except HttpError as exc:
            if exc.status_code == 403:
                raise CsrfFailed() from None
            raise


session_auth = SessionCookieAuth()
