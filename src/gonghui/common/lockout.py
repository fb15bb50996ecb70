"""Sign-in lock-out, for every login form (the platform's and the admin site's).

Failures are counted per (address, account) and per account, never per address alone:
behind a load balancer one address may be everyone, and five wrong passwords for one
account must not lock out another. A guesser at one address is stopped after
``LOGIN_MAX_FAILURES``; guessing one account from many addresses after
``LOGIN_ACCOUNT_MAX_FAILURES`` (the real user, at their own address, is locked out only
then). Each further lock of the same scope within a day lasts twice as long as the last
(backoff), up to a day. Counters live in the shared cache, so every process sees them.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

from gonghui.common import ratelimit
from gonghui.common.net import limit_key

DAY = 24 * 3600


def _scopes(username: str, ip: str | None) -> list[tuple[str, int]]:
    account = (username or "").strip().lower()
    return [
        (f"pair:{limit_key(ip) or '-'}:{account}", settings.LOGIN_MAX_FAILURES),
        (f"account:{account}", settings.LOGIN_ACCOUNT_MAX_FAILURES),
    ]


def wait_seconds(username: str, ip: str | None) -> int:
    """How long this account may not be tried from this address (0: it may be now)."""
    now = time.time()
    until = max(cache.get(f"login:lock:{scope}", 0) for scope, _ in _scopes(username, ip))
    return max(0, math.ceil(until - now))


def failed(username: str, ip: str | None) -> None:
    """Count a wrong password; a scope that reaches its limit is locked (its counter starts
    again), for ``LOGIN_LOCK_SECONDS`` doubled for each earlier lock of it that day."""
    for scope, limit in _scopes(username, ip):
        if ratelimit.hit(f"login:fail:{scope}", window=settings.LOGIN_LOCK_SECONDS) < limit:
            continue
        strikes = ratelimit.hit(f"login:strikes:{scope}", window=DAY)
        seconds = min(settings.LOGIN_LOCK_SECONDS * 2 ** min(strikes - 1, 16), DAY)
        cache.set(f"login:lock:{scope}", time.time() + seconds, timeout=seconds)
        ratelimit.clear(f"login:fail:{scope}")


def succeeded(username: str, ip: str | None) -> None:
    """A right password: this address starts afresh for the account; the account's own
    failures are forgotten, but not its locks of the day (a guesser elsewhere may go on)."""
    pair, account = (scope for scope, _ in _scopes(username, ip))
    ratelimit.clear(f"login:fail:{pair}")
    ratelimit.clear(f"login:strikes:{pair}")
    ratelimit.clear(f"login:fail:{account}")
