"""The claim: one per person, never more than stock, the server's clock, idempotency keys,
rate limits and every refusal with its status and message (nothing written)."""

import json
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock

import psycopg
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gonghui.perks import passes
from gonghui.perks.giveaways import claims, hints
from gonghui.perks.giveaways.hints import LIMIT_PER_MINUTE
from gonghui.perks.models import Claim, Giveaway, Hit
from tests.perks.conftest import OPENING, giveaway_for

pytestmark = pytest.mark.django_db
AT_OPENING = OPENING + timedelta(seconds=1)


def press(person_id, giveaway, key="k-00000001", quantity=1, at=AT_OPENING, **extra):
    return claims.claim(
        person_id=person_id, giveaway_id=giveaway.pk, key=key, quantity=quantity, now=at, **extra
    )


def test_first_come_first_served_until_sold_out(members, fcfs):
    answers = [press(p, fcfs, key=f"key-{p:08d}") for p in members.cy[:4]]
    assert [a.code for a in answers] == ["claimed", "claimed", "claimed", "sold_out"]
    assert answers[3].status == 409 and "已抢完" in answers[3].message
    fcfs.refresh_from_db()
    assert fcfs.taken == 3 == Claim.objects.filter(giveaway=fcfs, status="won").count()
    codes = {a.claim["code"] for a in answers[:3]}
    assert len(codes) == 3 and all(len(c) == 10 for c in codes)


def test_a_retry_with_the_same_key_is_answered_the_same(members, fcfs):
    first = press(members.cy[0], fcfs, key="tap-one-aaaa")
    retry = press(members.cy[0], fcfs, key="tap-one-aaaa")
    assert (first.status, retry.status, retry.code) == (201, 200, "replayed")
    assert retry.claim == first.claim


def test_one_claim_per_person(members, fcfs):
    first = press(members.cy[0], fcfs, key="tap-one-aaaa")
    double_tap = press(members.cy[0], fcfs, key="tap-two-bbbb")
    assert double_tap.status == 409 and double_tap.code == "already_claimed"
    assert double_tap.claim["code"] == first.claim["code"]
    assert Claim.objects.filter(giveaway=fcfs).count() == 1
    fcfs.refresh_from_db()
    assert fcfs.taken == 1


def test_a_reused_key_with_another_request_is_refused(members, users, venue, tree):
    two_each = giveaway_for(users, venue, tree.chaoyang, per_member=2, stock=10)
    press(members.cy[0], two_each, key="same-key-123", quantity=1)
    reused = press(members.cy[0], two_each, key="same-key-123", quantity=2)
    assert reused.status == 422 and reused.code == "key_reused"
    assert Claim.objects.get(giveaway=two_each).quantity == 1


def test_another_members_key_is_theirs_alone(members, fcfs):
    press(members.cy[0], fcfs, key="shared-key-1")
    other = press(members.cy[1], fcfs, key="shared-key-1")
    assert other.code == "claimed"  # a key is scoped to (member, giveaway): no replay


def test_the_opening_second_is_the_servers(members, fcfs):
    early = press(members.cy[0], fcfs, at=OPENING - timedelta(milliseconds=1))
    assert early.status == 409 and early.code == "not_open" and "10:00:00" in early.message
    assert press(members.cy[0], fcfs, at=OPENING).code == "claimed"


def test_refusals_say_why_and_write_nothing(members, fcfs, tree, users, venue):
    after_close = fcfs.closes_at + timedelta(seconds=1)
    cases = [
        (dict(person_id=members.cy[0], at=after_close), 409, "closed"),
        (dict(person_id=members.suspended), 403, "card_suspended"),
        (dict(person_id=members.hd[0]), 403, "out_of_scope"),
        (dict(person_id=members.cy[0], quantity=2), 422, "over_limit"),
        (dict(person_id=members.cy[0], quantity=0), 422, "bad_quantity"),
        (dict(person_id=members.cy[0], key="short"), 400, "bad_key"),
        (dict(person_id=members.cy[0], key="有中文的键值abc"), 400, "bad_key"),
    ]
    for kwargs, status, code in cases:
        person_id = kwargs.pop("person_id")
        answer = press(person_id, fcfs, **kwargs)
        assert (answer.status, answer.code) == (status, code), kwargs
        assert answer.message
    assert not Claim.objects.exists()
    fcfs.refresh_from_db()
    assert fcfs.taken == 0


def test_an_unknown_giveaway_is_not_found(members):
    missing = claims.claim(person_id=members.cy[0], giveaway_id=999999, key="k-00000001")
    assert (missing.status, missing.code) == (404, "not_found")


def test_a_draft_is_not_found(members, fcfs):
    fcfs.status = Giveaway.Status.DRAFT
    fcfs.save()
    claims.forget(fcfs.pk)
    assert press(members.cy[1], fcfs).status == 404


def test_suspended_cards_cannot_claim_and_scope_is_the_subtree(members, users, venue, tree):
    city_wide = giveaway_for(users, venue, tree.city, stock=10)
    assert press(members.hd[0], city_wide).code == "claimed"
    assert press(members.cy[0], city_wide, key="k-00000002").code == "claimed"


@pytest.fixture
def no_redis(settings):
    settings.REDIS_URL = None
    hints._client = None
    yield
    hints._client = None


def test_per_member_rate_limit_in_the_database(members, fcfs, no_redis):
    person = members.cy[0]
    for n in range(LIMIT_PER_MINUTE):
        press(person, fcfs, key=f"spam-{n:06d}")
    limited = press(person, fcfs, key="spam-over-1")
    assert (limited.status, limited.code) == (429, "throttled")
    assert Hit.objects.get(person_id=person).hits == LIMIT_PER_MINUTE + 1


def test_refusals_count_against_the_rate_limit(members, fcfs, no_redis):
    # refusals count too (they run in a savepoint, the hit is kept)
    other = members.cy[1]
    fcfs.taken = fcfs.stock
    fcfs.save()
    for n in range(3):
        assert press(other, fcfs, key=f"soldout-{n:04d}").code == "sold_out"
    assert Hit.objects.get(person_id=other).hits == 3


def test_waitlist_only_when_sold_out(members, fcfs):
    early = press(members.cy[0], fcfs, key="wait-000001", waitlist=True)
    assert (early.status, early.code) == (409, "not_sold_out")
    for p in members.cy[:3]:
        press(p, fcfs, key=f"claim-{p:06d}")
    joined = press(members.cy[3], fcfs, key="wait-000002", waitlist=True)
    assert (joined.status, joined.code) == (201, "waiting")
    assert Claim.objects.get(person_id=members.cy[3]).status == "waiting"


# --- Over HTTP: the pass, JSON errors ----------------------------------------------------


def post(client, path, body, person_id=None, raw=None):
    headers = {passes.HEADER: passes.issue(person_id)} if person_id else {}
    data = raw if raw is not None else json.dumps(body)
    return client.post(path, data, content_type="application/json", headers=headers)


def test_claim_over_http(client, members, fcfs):
    url = f"/api/v1/perks/giveaways/{fcfs.pk}/claim"
    with time_machine.travel(AT_OPENING):
        ok = post(client, url, {"key": "http-key-0001"}, members.cy[0])
        assert ok.status_code == 201 and ok.json()["claim"]["code"]
        again = post(client, url, {"key": "http-key-0001"}, members.cy[0])
        assert again.status_code == 200 and again.json()["claim"] == ok.json()["claim"]
    assert Claim.objects.count() == 1


def test_a_claim_over_http_needs_a_genuine_pass(client, members, fcfs):
    url = f"/api/v1/perks/giveaways/{fcfs.pk}/claim"
    with time_machine.travel(AT_OPENING):
        assert post(client, url, {"key": "http-key-0002"}).status_code == 401
        forged = {passes.HEADER: passes.issue(members.cy[1])[:-2] + "xx"}
        assert (
            client.post(url, "{}", content_type="application/json", headers=forged).status_code
            == 401
        )


def test_a_claim_over_http_says_what_is_wrong(client, members, fcfs):
    url = f"/api/v1/perks/giveaways/{fcfs.pk}/claim"
    with time_machine.travel(AT_OPENING):
        bad_json = post(client, url, None, members.cy[1], raw="{not json")
        assert bad_json.status_code in (400, 422) and bad_json.json()["message"]
        missing = post(
            client, "/api/v1/perks/giveaways/424242/claim", {"key": "k-12345678"}, members.cy[1]
        )
        assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_pass_expires(client, members, fcfs):
    token = passes.issue(members.cy[0])
    with time_machine.travel(timedelta(seconds=passes.MAX_AGE + 5)):
        assert passes.person_of(token) is None
        response = client.get("/api/v1/perks/me", headers={passes.HEADER: token})
        assert response.status_code == 401
    assert client.get("/api/v1/perks/me", headers={passes.HEADER: token}).json() == {
        "person": members.cy[0]
    }


# --- With Redis: the limit and the sold-out hint; a restart loses nothing -----------------


@pytest.mark.redis
def test_redis_answers_the_cheap_cases_and_a_restart_loses_nothing(
    members, fcfs, redis_client, django_assert_max_num_queries
):
    hints._client = None
    for p in members.cy[:3]:
        assert press(p, fcfs, key=f"claim-{p:06d}").code == "claimed"
    assert press(members.cy[3], fcfs, key="late-000001").code == "sold_out"
    assert redis_client.exists(f"gonghui:perks:soldout:{fcfs.pk}")
    with django_assert_max_num_queries(1):  # the hint answers; one read of the member's claim
        assert press(members.cy[4], fcfs, key="late-000002").code == "sold_out"
    assert not Hit.objects.exists()  # the limit was counted in Redis
    redis_client.flushdb()  # Redis restarts mid-giveaway
    again = press(members.cy[0], fcfs, key=f"claim-{members.cy[0]:06d}")
    assert again.code == "replayed"  # the database answers, the same answer
    assert press(members.cy[5], fcfs, key="late-000003").code == "sold_out"
    fcfs.refresh_from_db()
    assert fcfs.taken == 3 == Claim.objects.filter(giveaway=fcfs).count()


@pytest.mark.redis
def test_redis_rate_limit(members, fcfs, redis_client):
    hints._client = None
    person = members.cy[0]
    for n in range(LIMIT_PER_MINUTE):
        press(person, fcfs, key=f"spam-{n:06d}")
    assert press(person, fcfs, key="spam-over-1").code == "throttled"
    assert not Hit.objects.exists()


def test_unreachable_redis_falls_back_to_the_database(members, fcfs, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    hints._client = None
    try:
        assert press(members.cy[0], fcfs).code == "claimed"
    finally:
        hints._client = None
    assert Hit.objects.get(person_id=members.cy[0]).hits == 1


def test_a_key_is_bound_to_its_operation(members, fcfs):
    for p in members.cy[:3]:
        press(p, fcfs, key=f"claim-{p:06d}")
    joined = press(members.cy[3], fcfs, key="one-key-0001", waitlist=True)
    assert joined.code == "waiting"
    again = press(members.cy[3], fcfs, key="one-key-0001", waitlist=True)
    assert again.code == "replayed" and "候补" in again.message
    assert press(members.cy[3], fcfs, key="one-key-0001").code == "key_reused"


def test_ids_beyond_64_bits_name_nothing(members):
    answer = claims.claim(person_id=members.cy[0], giveaway_id=2**70, key="k-00000001")
    assert (answer.status, answer.code) == (404, "not_found")


def test_asking_for_more_than_is_left_says_how_many(members, users, venue, tree):
    two_each = giveaway_for(users, venue, tree.chaoyang, per_member=2, stock=3)
    assert press(members.cy[0], two_each, quantity=2).code == "claimed"
    short = press(members.cy[1], two_each, quantity=2)
    assert (short.status, short.code) == (409, "not_enough") and "仅剩 1 份" in short.message
    assert press(members.cy[1], two_each, key="k-00000002", quantity=1).code == "claimed"


@contextmanager
def statements_sent():
    """Every statement this connection sends to the database: Django's cursors and the
    claim's own psycopg cursor alike (PostgreSQL), or Django's cursors (SQLite)."""
    sent = []
    if connection.vendor == "postgresql":
        original = psycopg.Cursor.execute

        def counting(cursor, query, *args, **kwargs):
            sent.append(str(query))
            return original(cursor, query, *args, **kwargs)

        with mock.patch.object(psycopg.Cursor, "execute", counting):
            yield sent
    else:
        with CaptureQueriesContext(connection) as captured:
            yield sent
        sent.extend(q["sql"] for q in captured.captured_queries)


def test_a_sold_out_refusal_costs_no_more_statements_than_a_claim(
    members, users, venue, tree, no_redis
):
    """Without Redis a refusal used to re-read the claim, the giveaway and the card through
    the ORM after the write said no (on PostgreSQL four statements against the claim's one)."""
    one_left = giveaway_for(users, venue, tree.chaoyang, stock=1)
    with statements_sent() as claim_sent:
        assert press(members.cy[0], one_left).code == "claimed"
    with statements_sent() as refusal_sent:
        refused = press(members.cy[1], one_left, key="k-00000002")
    assert (refused.status, refused.code) == (409, "sold_out")
    assert len(refusal_sent) <= len(claim_sent), (claim_sent, refusal_sent)
    # and it still says why when the member already holds one (the facts are the write's)
    again = press(members.cy[0], one_left, key="k-00000003")
    assert (again.status, again.code) == (409, "already_claimed") and again.claim["code"]
