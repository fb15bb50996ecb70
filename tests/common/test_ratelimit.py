"""The shared counters behind lock-outs and rate limits keep the window they were given."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from gonghui.common import ratelimit


@pytest.mark.django_db
def test_a_counter_keeps_its_window_on_the_database_cache():
    """Django's generic incr() re-sets a key's expiry to the cache's default (5 minutes):
    a day's counter vanished five minutes after its last hit."""
    if settings.REDIS_URL:
        pytest.skip("Redis keeps the expiry itself (INCRBY); this is the database cache's")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert [ratelimit.hit("t", window=ratelimit.DAY) for _ in range(3)] == [1, 2, 3]
        clock.move_to(start + timedelta(minutes=30))
        assert ratelimit.count("t") == 3 and ratelimit.hit("t", window=ratelimit.DAY) == 4
        clock.move_to(start + timedelta(days=1, seconds=1))  # the window counts from the first
        assert ratelimit.count("t") == 0 and ratelimit.hit("t", window=ratelimit.DAY) == 1


@pytest.mark.django_db
def test_over_counts_every_window_and_says_which_is_over():
    limits = {ratelimit.MINUTE: 2, ratelimit.DAY: 3}
    assert ratelimit.over("u", limits) is None
    assert ratelimit.over("u", limits) is None
    assert ratelimit.over("u", limits) == (ratelimit.MINUTE, True)  # crossed now
    assert ratelimit.over("u", limits) == (ratelimit.MINUTE, False)  # still over
    assert ratelimit.over("v", limits, n=5) == (ratelimit.MINUTE, True)
