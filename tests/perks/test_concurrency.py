"""Claims from many processes at once, against the real database of each leg (SQLite in
`make test`, PostgreSQL in `make test-postgres`, SQLite + Redis in `make test-redis`).

Every member presses twice from two different processes (a retry with the same idempotency
key); the stock is far smaller than the crowd. The same harness runs a deliberately naive
check-then-insert claim, to show that it oversells where ours cannot."""

import multiprocessing
import time
from collections import defaultdict

import pytest
from django.db import connection, connections

from gonghui.perks.giveaways import claims, hints
from gonghui.perks.models import Card, Claim, Giveaway
from tests.perks.conftest import OPENING, giveaway_for, make_member

PROCESSES = 6
MEMBERS = 60
STOCK = 10


def naive_claim(person_id: int, giveaway_id: int, card_id: int) -> str:
    """The control: count, think, insert — the race every real claim path must close."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM perks_claim WHERE giveaway_id = %s", [giveaway_id])
        (taken,) = cursor.fetchone()
        if taken >= STOCK:
            return "sold_out"
        time.sleep(0.003)  # the work between the check and the write (a network hop, say)
        cursor.execute(
            "INSERT INTO perks_claim (giveaway_id, person_id, card_id, status, quantity,"
            " idem_key, request_hash, created_at) VALUES (%s, %s, %s, 'won', 1, 'k', 'h', %s)",
            [giveaway_id, person_id, card_id, connection.ops.adapt_datetimefield_value(OPENING)],
        )
    return "claimed"


def _claimant(barrier, results, giveaway_id: int, members: list[tuple[int, int]], naive: bool):
    hints._client = None  # the parent's Redis connection is not ours
    answers = []
    try:
        connection.ensure_connection()
        barrier.wait(timeout=30)
        for person_id, card_id in members:
            if naive:
                answers.append((person_id, naive_claim(person_id, giveaway_id, card_id), None))
            else:
                answer = claims.claim(
                    person_id=person_id,
                    giveaway_id=giveaway_id,
                    key=f"press-{person_id:010d}",
                    now=claims.rules(giveaway_id).opens_at,
                )
                claim_id = answer.claim["id"] if answer.claim else None
                answers.append((person_id, answer.code, claim_id))
    finally:
        connections.close_all()
        results.put(answers)


def run_crowd(giveaway: Giveaway, members: list[tuple[int, int]], *, naive: bool) -> list:
    """Each process gets its slice of the crowd and (but for the naive control, which has
    no answer to a retry) the next process's slice again, reversed: the retries. All start
    at one barrier."""
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    size = len(members) // PROCESSES
    slices = [members[i * size : (i + 1) * size] for i in range(PROCESSES)]
    connections.close_all()  # children open their own connections
    workers = []
    for i in range(PROCESSES):
        mine = slices[i] if naive else slices[i] + slices[(i + 1) % PROCESSES][::-1]
        workers.append(
            ctx.Process(target=_claimant, args=(barrier, results, giveaway.pk, mine, naive))
        )
    for w in workers:
        w.start()
    answers = [a for _ in workers for a in results.get(timeout=120)]
    for w in workers:
        w.join(timeout=30)
    return answers


@pytest.fixture
def crowd(tree, users, venue):
    giveaway = giveaway_for(users, venue, tree.chaoyang, stock=STOCK)
    people = [make_member(tree.cy_grass, f"会员{i}", 1000 + i) for i in range(MEMBERS)]
    cards = dict(Card.objects.filter(person_id__in=people).values_list("person_id", "id"))
    return giveaway, [(p, cards[p]) for p in people]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_many_processes_never_oversell_nor_double_claim(crowd):
    giveaway, members = crowd
    answers = run_crowd(giveaway, members, naive=False)
    assert len(answers) == 2 * MEMBERS  # every press answered
    by_member = defaultdict(list)
    for person_id, code, claim_id in answers:
        by_member[person_id].append((code, claim_id))
    winners = set()
    for person_id, pair in by_member.items():
        codes = sorted(code for code, _ in pair)
        assert codes in (["claimed", "replayed"], ["sold_out", "sold_out"]), (person_id, pair)
        if codes[0] == "claimed":
            assert pair[0][1] == pair[1][1]  # the retry got the same claim
            winners.add(person_id)
    rows = Claim.objects.filter(giveaway=giveaway)
    assert rows.count() == STOCK == len(winners)
    assert set(rows.values_list("person_id", flat=True)) == winners
    giveaway.refresh_from_db()
    assert giveaway.taken == STOCK


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_naive_check_then_insert_control_oversells(crowd):
    giveaway, members = crowd
    answers = run_crowd(giveaway, members, naive=True)
    claimed = Claim.objects.filter(giveaway=giveaway).count()
    assert claimed > STOCK, f"the naive control did not oversell ({claimed} of {STOCK})"
    assert sum(code == "claimed" for _, code, _ in answers) == claimed
