"""The shared counters behind lock-outs and rate limits keep the window they were given."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from gonghui.common import ratelimit
from gonghui.common.models import Counter
from gonghui.common.net import limit_key
from gonghui.nominations.services import objections
from gonghui.perks.giveaways import selectors
from gonghui.web.management.commands.worker import schedules


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


def hit_at_once(key: str, threads: int, *, window: int = 60) -> list[int]:
    """``threads`` hits of ``key`` at the same moment, each on its own connection."""
    start, counts, failed = threading.Barrier(threads), [], []

    def one():
        try:
            start.wait()
            counts.append(ratelimit.hit(key, window=window))
        except BaseException as exc:
            failed.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=60)
    assert failed == []
    return sorted(counts)


def concurrent_hits_are_each_counted():
    """The database cache's counter was a get and a set: on PostgreSQL 16 threads hitting
    at once all got 1, so the ID-probe budget and the login lock-out counted one guess."""
    assert hit_at_once("race", 16) == list(range(1, 17))
    assert ratelimit.count("race") == 16


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_hits_are_each_counted_on_postgres(postgres):
    concurrent_hits_are_each_counted()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_hits_are_each_counted_on_sqlite():
    if connection.vendor != "sqlite" or settings.REDIS_URL:
        pytest.skip("the SQLite leg's own counter")
    concurrent_hits_are_each_counted()


@pytest.mark.django_db
def test_a_counter_on_the_table_restarts_after_its_window_and_expired_rows_are_purged():
    if settings.REDIS_URL:
        pytest.skip("Redis expires its keys itself")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert ratelimit.hit("a", window=60, n=3) == 3
        assert ratelimit.hit("b", window=3600) == 1
        clock.move_to(start + timedelta(seconds=59))
        assert ratelimit.hit("a", window=60) == 4  # the window is not extended by a hit
        clock.move_to(start + timedelta(seconds=60))
        assert ratelimit.count("a") == 0
        assert ratelimit.purge() == 1  # "a" is over, "b" is not
        assert set(Counter.objects.values_list("key", flat=True)) == {"rl:b"}
        assert ratelimit.hit("a", window=60) == 1
        clock.move_to(start + timedelta(seconds=120))
        assert ratelimit.hit("a", window=60, n=2) == 2  # an expired row starts afresh
        ratelimit.clear("a")
        assert ratelimit.count("a") == 0


@pytest.mark.django_db
def test_long_keys_are_kept_apart():
    """A key holds a username (up to 150 characters) and an address."""
    first, second = "x" * 300 + "1", "x" * 300 + "2"
    assert ratelimit.hit(first, window=60) == 1
    assert ratelimit.hit(second, window=60) == 1
    assert ratelimit.hit(first, window=60) == 2
    assert (ratelimit.count(first), ratelimit.count(second)) == (2, 1)


def test_the_worker_deletes_expired_counters():
    assert any(job is ratelimit.purge for _, job, _ in schedules())


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
    assert limit_key(address) == key


@pytest.mark.django_db
def test_fifty_addresses_of_one_64_are_one_anonymous_client(client):
    """50 addresses in one /64 were never limited: each counted as a client of its own."""
    statuses = [
        client.get(
            "/api/v1/perks/giveaways/999/draw", REMOTE_ADDR=f"2001:db8:5:7::{i:x}"
        ).status_code
        for i in range(1, 51)
    ]
    assert statuses[: selectors.DOCUMENT_DOWNLOADS] == [404] * selectors.DOCUMENT_DOWNLOADS
    assert set(statuses[selectors.DOCUMENT_DOWNLOADS :]) == {429}
    # The next /64 is another client.
    assert (
        client.get("/api/v1/perks/giveaways/999/draw", REMOTE_ADDR="2001:db8:5:8::1").status_code
        == 404
    )


@pytest.mark.django_db
def test_objection_look_ups_count_an_ipv6_client_by_its_64(client, monkeypatch):
    monkeypatch.setattr(objections, "LOOKUP_LIMIT", 3)
    statuses = [
        client.get("/api/v1/notices/objections/ABCD", REMOTE_ADDR=f"2001:db8:6::{i}").status_code
        for i in range(1, 6)
    ]
    assert statuses == [404, 404, 404, 429, 429]
