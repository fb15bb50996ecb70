"""Counters shared by every process (the cache: Redis when configured, else the database):
login lock-out now, claim and filing limits later."""

from django.core.cache import cache


def count(key: str) -> int:
    return cache.get(f"rl:{key}", 0)


def hit(key: str, *, window: int) -> int:
    """Add one to ``key``'s counter (which expires ``window`` seconds after its first hit)."""
    full = f"rl:{key}"
    if cache.add(full, 1, timeout=window):
        return 1
    try:
        return cache.incr(full)
    except ValueError:  # expired between add and incr
        cache.add(full, 1, timeout=window)
        return 1


def clear(key: str) -> None:
    cache.delete(f"rl:{key}")


def anonymous_over(request, kind: str, limit: int, *, window: int = 60) -> bool:
    """Count an anonymous request against its address (logged-in users are limited per
    account elsewhere: members behind one mobile carrier share an address). True when this
    one is over ``limit`` in ``window`` seconds."""
    if request.user.is_authenticated:
        return False
    return hit(f"{kind}:{request.META.get('REMOTE_ADDR', '')}", window=window) > limit
