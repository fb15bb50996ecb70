"""Sign-in lock-out, for every login form (the platform's and the admin site's).

Failures are counted per (client, account) and per account, never per address alone:
behind a load balancer one address may be everyone, and five wrong passwords for one
account must not lock out another. A client is its address, an IPv6 client its /64
(``net.limit_key``).

- A guesser at one client is stopped after ``LOGIN_MAX_FAILURES`` for that account.
- Guessing one account from many clients locks the account after
  ``LOGIN_ACCOUNT_MAX_FAILURES`` for every client that has not signed in to it before.
  A client that signed in to it successfully within ``KNOWN_DEVICE_DAYS`` carries a signed
  "known device" mark (a cookie) and is held by the per-(client, account) lock only, so an
  attacker who rotates addresses cannot keep the account's owner out (the city
  administrator's account is known to everyone); it can still lock out the owner's *new*
  devices, for which ``gonghui unlock USERNAME`` is the remedy. Each account-wide lock is
  announced (``account_locked``; the audit log records it).
- Each further lock of the same scope within a day lasts twice as long as the last
  (backoff), up to a day.

An attempt is counted *before* its password is checked, in one atomic step per scope
(``ratelimit.hit``): parallel requests cannot each have a guess before the counter moves;
an attempt beyond a scope's limit is refused unchecked. A right password then takes its
client's count back. Counters and locks live in the shared cache, so every process sees
them; ``unlock`` starts an account afresh everywhere (a new epoch in every key of it).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.dispatch import Signal
from django.utils.crypto import salted_hmac

from gonghui.common import ratelimit
from gonghui.common.net import limit_key

DAY = 24 * 3600
KNOWN_DEVICE_COOKIE = "gonghui_known"
KNOWN_DEVICE_DAYS = 90
KNOWN_DEVICE_ACCOUNTS = 10  # the most recent sign-ins a browser keeps marks for
_SALT = "gonghui.lockout.known-device"

# Sent when an account is locked for every client that does not know it: kwargs
# ``username`` (as typed), ``seconds`` (how long), ``ip`` (the client whose try locked it).
account_locked = Signal()


def _account(username: str) -> str:
    return (username or "").strip().lower()


def _epoch(account: str) -> int:
    return cache.get(f"login:epoch:{account}", 0)


def _scopes(username: str, ip: str | None, known: bool) -> list[tuple[str, int]]:
    """The scopes an attempt counts in, with their limits: the (client, account) pair, and
    the account unless this client is a known device of it."""
    account = _account(username)
    epoch = _epoch(account)
    scopes = [(f"pair:{epoch}:{limit_key(ip) or '-'}:{account}", settings.LOGIN_MAX_FAILURES)]
    if not known:
        scopes.append((f"account:{epoch}:{account}", settings.LOGIN_ACCOUNT_MAX_FAILURES))
    return scopes


def _wait(scopes) -> int:
    until = max(cache.get(f"login:lock:{scope}", 0) for scope, *_ in scopes)
    return max(0, math.ceil(until - time.time()))


def wait_seconds(username: str, ip: str | None, *, known: bool = False) -> int:
    """How long this account may not be tried from this client (0: it may be now)."""
    return _wait(_scopes(username, ip, known))


@dataclass
class Attempt:
    """One sign-in attempt, counted: ``wait`` > 0 means refused unchecked."""

    username: str
    ip: str | None
    wait: int = 0
    counted: list[tuple[str, int, int]] = field(default_factory=list)  # scope, limit, count


def attempt(username: str, ip: str | None, *, known: bool = False) -> Attempt:
    """Before the password is checked: refused while a lock holds; otherwise counted at
    once in each scope, and refused if that count is beyond a scope's limit (parallel
    attempts that all passed the lock check before any failed)."""
    scopes = _scopes(username, ip, known)
    wait = _wait(scopes)
    if wait:
        return Attempt(username, ip, wait)
    counted = [
        (scope, limit, ratelimit.hit(f"login:fail:{scope}", window=settings.LOGIN_LOCK_SECONDS))
        for scope, limit in scopes
    ]
    if any(n > limit for _, limit, n in counted):
        # The attempt that reached the limit is being checked: it locks if it fails.
        return Attempt(username, ip, _wait(scopes) or settings.LOGIN_LOCK_SECONDS, counted)
    return Attempt(username, ip, 0, counted)


def failed(attempt: Attempt) -> None:
    """A wrong password: a scope whose count reached its limit with it is locked (its count
    starts again), for ``LOGIN_LOCK_SECONDS`` doubled for each earlier lock of it that day."""
    for scope, limit, n in attempt.counted:
        if n < limit:
            continue
        strikes = ratelimit.hit(f"login:strikes:{scope}", window=DAY)
        seconds = min(settings.LOGIN_LOCK_SECONDS * 2 ** min(strikes - 1, 16), DAY)
        cache.set(f"login:lock:{scope}", time.time() + seconds, timeout=seconds)
        ratelimit.clear(f"login:fail:{scope}")
        if scope.startswith("account:"):
            account_locked.send(__name__, username=attempt.username, seconds=seconds, ip=attempt.ip)


def succeeded(attempt: Attempt) -> None:
    """A right password: this client starts afresh for the account; the account's own
    failures are forgotten, but not its locks of the day (a guesser elsewhere may go on)."""
    (pair, _), (account, _) = _scopes(attempt.username, attempt.ip, known=False)
    ratelimit.clear(f"login:fail:{pair}")
    ratelimit.clear(f"login:strikes:{pair}")
    ratelimit.clear(f"login:fail:{account}")


def unlock(username: str) -> None:
    """Every lock and count of the account, from every client, ends now: its keys move to a
    new epoch (the old ones expire by themselves)."""
    account = _account(username)
    cache.set(f"login:epoch:{account}", _epoch(account) + 1, timeout=2 * DAY)


# --- Known devices ---------------------------------------------------------------------------


def _tag(username: str) -> str:
    """An account's mark in the cookie: keyed, so the cookie does not list usernames."""
    return salted_hmac(_SALT, _account(username)).hexdigest()[:24]


def _marks(request) -> dict[str, int]:
    raw = request.COOKIES.get(KNOWN_DEVICE_COOKIE) if request is not None else None
    if not raw:
        return {}
    try:
        marks = signing.loads(raw, salt=_SALT)
    except signing.BadSignature:
        return {}
    oldest = time.time() - KNOWN_DEVICE_DAYS * DAY
    if not isinstance(marks, dict):
        return {}
    return {t: at for t, at in marks.items() if isinstance(at, int) and at > oldest}


def known_device(request, username: str) -> bool:
    """Whether this browser signed in to the account successfully within the last
    ``KNOWN_DEVICE_DAYS`` days."""
    return _tag(username) in _marks(request)


def remember_device(request, username: str) -> None:
    """After a successful sign-in: the answer marks this browser as a known device of the
    account (``KnownDeviceMiddleware`` writes the cookie)."""
    request.gonghui_known_device = username


class KnownDeviceMiddleware:
    """Writes the known-device cookie on the answer to a successful sign-in (whichever
    login page it was: the platform's or the admin site's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        username = getattr(request, "gonghui_known_device", None)
        if username is not None:
            marks = _marks(request)
            marks[_tag(username)] = int(time.time())
            newest = dict(sorted(marks.items(), key=lambda m: -m[1])[:KNOWN_DEVICE_ACCOUNTS])
            response.set_cookie(
                KNOWN_DEVICE_COOKIE,
                signing.dumps(newest, salt=_SALT, compress=True),
                max_age=KNOWN_DEVICE_DAYS * DAY,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
