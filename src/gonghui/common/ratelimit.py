"""Counters shared by every process: Redis when configured, else a table of the database
(``common.models.Counter``). Login lock-out, the resident-ID probe budget, anonymous limits.

Each hit is one atomic step on either store (Redis' INCRBY; one upsert statement on
PostgreSQL and SQLite >= 3.35), never a read and a write: concurrent hits are never lost.
A counter's window starts at its first hit and is not extended by later ones."""

import hashlib
import time

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from gonghui.common.models import Counter
from gonghui.common.net import client_key


def _redis() -> bool:
    return isinstance(caches["default"], RedisCache)  # not the proxy `cache`, never one


def _key(key: str) -> str:
    """The stored key: ``rl:`` and the key, a long one shortened by a digest (the table's
    key holds 255 characters, Django's cache keys 250; a username alone may have 150)."""
    full = f"rl:{key}"
    if len(full) > 250:
        full = f"{full[:180]}#{hashlib.sha256(full.encode()).hexdigest()}"
    return full


# Insert, or add to the row, or (its window over) start it afresh, in one statement: the
# old row's values are read under the row's lock (PostgreSQL) or the database's write lock
# (SQLite), so two hits at once are both counted. Both sides of each CASE read the old row.
_HIT = (
    'INSERT INTO common_counter ("key", n, expires) VALUES (%s, %s, %s) '
    'ON CONFLICT ("key") DO UPDATE SET '
    "n = CASE WHEN common_counter.expires <= %s THEN excluded.n "
    "ELSE common_counter.n + excluded.n END, "
    "expires = CASE WHEN common_counter.expires <= %s THEN excluded.expires "
    "ELSE common_counter.expires END "
    "RETURNING n"
)


def count(key: str) -> int:
    if _redis():
        return cache.get(_key(key), 0)
    row = Counter.objects.filter(key=_key(key), expires__gt=time.time()).values_list("n")
    return row[0][0] if row else 0


def hit(key: str, *, window: int, n: int = 1) -> int:
    """Add ``n`` to ``key``'s counter (which expires ``window`` seconds after its first hit)
    and return the new count."""
    full = _key(key)
    if _redis():
        # INCRBY is atomic and keeps the key's expiry.
        if cache.add(full, n, timeout=window):
            return n
        try:
            return cache.incr(full, n)
        except ValueError:  # expired between add and incr
            cache.add(full, n, timeout=window)
            return n
    now = time.time()
    with connection.cursor() as cursor:
        cursor.execute(_HIT, [full, n, now + window, now, now])
        return cursor.fetchone()[0]


def clear(key: str) -> None:
    if _redis():
        cache.delete(_key(key))
    else:
        Counter.objects.filter(key=_key(key)).delete()


def purge() -> int:
    """Delete the counters whose window is over (the worker, hourly); how many. Redis
    expires its keys itself."""
    if _redis():
        return 0
    return Counter.objects.filter(expires__lte=time.time()).delete()[0]


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
