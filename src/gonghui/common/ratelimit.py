"""Counters shared by every process (the cache: Redis when configured, else the database):
login lock-out now, claim and filing limits later."""

import math
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from gonghui.common.net import client_ip


def count(key: str) -> int:
    return cache.get(f"rl:{key}", 0)


def hit(key: str, *, window: int) -> int:
    """Add one to ``key``'s counter (which expires ``window`` seconds after its first hit)."""
    full = f"rl:{key}"
    if cache.add(full, 1, timeout=window):
        if not _incr_keeps_expiry():
            cache.set(f"{full}:end", time.time() + window, timeout=window)
        return 1
    try:
        value = cache.incr(full)
    except ValueError:  # expired between add and incr
        cache.add(full, 1, timeout=window)
        return 1
    if not _incr_keeps_expiry():
        # Django's generic incr (the database cache's) stores the new value with the default
        # timeout (300 s): put the window's own end back, or an hourly limit would forget
        # its count five minutes after the last hit.
        end = cache.get(f"{full}:end")
        if end is not None:
            cache.touch(full, max(1, math.ceil(end - time.time())))
    return value


def _incr_keeps_expiry() -> bool:
    return isinstance(caches["default"], RedisCache)


def clear(key: str) -> None:
    cache.delete_many([f"rl:{key}", f"rl:{key}:end"])


def anonymous_over(request, kind: str, limit: int, *, window: int = 60) -> bool:
    """Count an anonymous request against its address (logged-in users are limited per
    account elsewhere: members behind one mobile carrier share an address). True when this
    one is over ``limit`` in ``window`` seconds."""
    if request.user.is_authenticated:
        return False
    return hit(f"{kind}:{client_ip(request) or ''}", window=window) > limit
