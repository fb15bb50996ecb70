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
