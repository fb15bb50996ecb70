"""What Redis answers before the database, when ``GONGHUI_REDIS_URL`` is configured: the
per-member rate limit and "sold out". Redis only repeats what the database said (the
sold-out hint is set after the database refused for want of stock, and lives two
seconds), so a Redis restart loses no claim and doubles none; while Redis is unreachable
the claim path counts its limit in the database instead."""

from __future__ import annotations

import logging
import time

import redis
from django.conf import settings

log = logging.getLogger(__name__)

OK, SOLD_OUT, THROTTLED = "ok", "sold_out", "throttled"
SOLD_OUT_SECONDS = 2
LIMIT_PER_MINUTE = 20  # claim requests of one member, across all giveaways

# One round trip: count the member's request in this minute, then look for the hint.
_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], 120) end
if n > tonumber(ARGV[1]) then return 2 end
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
return 0
"""
RETRY_SECONDS = 5  # after a failure, the database answers alone for this long
_client: redis.Redis | None = None
_script = None
_down_until = 0.0


def client() -> redis.Redis | None:
    global _client, _script
    if not settings.REDIS_URL:
        return None
    if _client is None:
        _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5)
        _script = _client.register_script(_SCRIPT)
    return _client


def _soldout_key(giveaway_id: int) -> str:
    return f"gonghui:perks:soldout:{giveaway_id}"


def before_claim(person_id: int, giveaway_id: int, *, sold_out_matters: bool) -> str | None:
    """OK, SOLD_OUT or THROTTLED; None when there is no Redis to ask (the database counts)."""
    global _down_until
    if client() is None or time.monotonic() < _down_until:
        return None
    minute = int(time.time()) // 60
    try:
        said = _script(
            keys=[f"gonghui:perks:hits:{person_id}:{minute}", _soldout_key(giveaway_id)],
            args=[LIMIT_PER_MINUTE, "1" if sold_out_matters else "0"],
        )
    except redis.RedisError as exc:
        log.warning("redis unavailable for claims, the database answers: %s", exc)
        _down_until = time.monotonic() + RETRY_SECONDS
        return None
    return (OK, SOLD_OUT, THROTTLED)[int(said)]


def mark_sold_out(giveaway_id: int) -> None:
    if client() is not None:
        try:
            _client.set(_soldout_key(giveaway_id), 1, ex=SOLD_OUT_SECONDS)
        except redis.RedisError as exc:
            log.warning("redis unavailable: %s", exc)


def items_returned(giveaway_id: int) -> None:
    """An item came back (cancelled, released): the database answers again at once."""
    if client() is not None:
        try:
            _client.delete(_soldout_key(giveaway_id))
        except redis.RedisError as exc:
            log.warning("redis unavailable: %s", exc)
