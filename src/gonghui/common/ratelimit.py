"""Counters shared by every process (the cache: Redis when configured, else the database):
login lock-out now, claim and filing limits later."""

import math
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from gonghui.common.net import client_key


def count(key: str) -> int:
    value = cache.get(f"rl:{key}", 0)
    return value[0] if isinstance(value, list | tuple) else value


def hit(key: str, *, window: int, n: int = 1) -> int:
    """Add ``n`` to ``key``'s counter (which expires ``window`` seconds after its first hit)
    and return the new count."""
    full = f"rl:{key}"
    if isinstance(caches["default"], RedisCache):  # not the proxy `cache`, never one
        # INCRBY is atomic and keeps the key's expiry.
        if cache.add(full, n, timeout=window):
            return n
        try:
            return cache.incr(full, n)
        except ValueError:  # expired between add and incr
            cache.add(full, n, timeout=window)
            return n
    # Other caches (the database's): Django's generic incr() is a get and a set that
    # re-sets the expiry to the cache's default (5 minutes), so a day's window would end
    # five minutes after its last hit. The count is kept with its own end instead, read and
    # written in one transaction: on SQLite (IMMEDIATE) that serialises concurrent hits.
    with transaction.atomic():
        now = time.time()
        value = cache.get(full)
        if isinstance(value, list | tuple) and value[1] > now:
            total, until = value[0] + n, value[1]
        else:
            total, until = n, now + window
        cache.set(full, (total, until), timeout=math.ceil(until - now))
    return total


def clear(key: str) -> None:
    cache.delete_many([f"rl:{key}", f"rl:{key}:end"])


def anonymous_over(request, kind: str, limit: int, *, window: int = 60) -> bool:
    """Count an anonymous request against its address (logged-in users are limited per
    account elsewhere: members behind one mobile carrier share an address). True when this
    one is over ``limit`` in ``window`` seconds. An IPv6 client counts by its /64."""
    if request.user.is_authenticated:
        return False
    return hit(f"{kind}:{client_key(request)}", window=window) > limit


MINUTE, DAY = 60, 86_400


def over(key: str, limits: dict[int, int], *, n: int = 1) -> tuple[int, bool] | None:
    """Count ``n`` more against ``key`` in each window of ``limits`` (seconds -> most
    allowed). None while within every limit, else ``(window, first)``: the first window now
    over its limit, and whether this count is the one that crossed it. Every window is
    counted, even once one is over: a burst cannot wait out the short window to spend the
    long one unseen."""
    spent = [(w, hit(f"{key}:{w}", window=w, n=n), most) for w, most in limits.items()]
    return next(((w, total - n <= most) for w, total, most in spent if total > most), None)
