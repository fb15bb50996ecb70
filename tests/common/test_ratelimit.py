"""The shared counters behind lock-outs and rate limits keep the window they were given."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from gonghui.common import ratelimit


@pytest.mark.django_db
@pytest.mark.skipif(bool(settings.REDIS_URL), reason="moves the clock: the database cache")
def test_a_counter_keeps_its_window_after_the_second_hit():
    hour = 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert ratelimit.hit("filing:x", window=hour) == 1
        assert ratelimit.hit("filing:x", window=hour) == 2
        # Django's generic incr re-stores the value with a 300 s timeout: still counted
        # ten minutes later...
        clock.move_to(start + timedelta(minutes=10))
        assert ratelimit.hit("filing:x", window=hour) == 3
        # ...and forgotten once the hour from the first hit has passed.
        clock.move_to(start + timedelta(seconds=hour + 1))
        assert ratelimit.hit("filing:x", window=hour) == 1
