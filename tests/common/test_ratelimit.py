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


# --- How a client is counted: IPv6 by its /64 -----------------------------------------------


@pytest.mark.parametrize(
    "address, key",
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),  # an IPv4 client seen through IPv6
        ("", ""),
        (None, ""),
    ],
)
def test_a_limit_counts_an_ipv6_client_by_its_64(address, key):
    from gonghui.common.net import limit_key

    assert limit_key(address) == key


@pytest.mark.django_db
def test_fifty_addresses_of_one_64_are_one_anonymous_client(client):
    """50 addresses in one /64 were never limited: each counted as a client of its own."""
    from gonghui.perks import services

    statuses = [
        client.get(
            "/api/v1/perks/giveaways/999/draw", REMOTE_ADDR=f"2001:db8:5:7::{i:x}"
        ).status_code
        for i in range(1, 51)
    ]
    assert statuses[: services.DOCUMENT_DOWNLOADS] == [404] * services.DOCUMENT_DOWNLOADS
    assert set(statuses[services.DOCUMENT_DOWNLOADS :]) == {429}
    # The next /64 is another client.
    assert (
        client.get("/api/v1/perks/giveaways/999/draw", REMOTE_ADDR="2001:db8:5:8::1").status_code
        == 404
    )


@pytest.mark.django_db
def test_objection_look_ups_count_an_ipv6_client_by_its_64(client, monkeypatch):
    from gonghui.nominations import services

    monkeypatch.setattr(services, "LOOKUP_LIMIT", 3)
    statuses = [
        client.get("/api/v1/notices/objections/ABCD", REMOTE_ADDR=f"2001:db8:6::{i}").status_code
        for i in range(1, 6)
    ]
    assert statuses == [404, 404, 404, 429, 429]
