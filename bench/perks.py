"""Giveaway figures, over loopback HTTP against the real server (gunicorn through
``gonghui serve``, production settings) driven by wrk (``loadgen``):

- **storm**: one first-come giveaway of ``stock`` items, ``members`` distinct members pressing
  at once, plus 10% duplicates (half retries with the same idempotency key, half double taps
  with a new one); checked afterwards in the database: no oversell, no second claim, every
  request answered;
- **success path**: a giveaway with more stock than members, every request a new member (a
  real claim: the insert and the conditional update), against the same server's trivial
  endpoint authenticated the same way (``/perks/me``, the member pass) and a bare endpoint
  (``/perks/ping``), in interleaved rounds; the claim's p99 against the trivial p99;
- **lottery**: the draw over 1,000,000 receipts (full scale) and the stand-alone verifier
  (``draw.py``, standard library only, a separate Python) re-checking the published document.

Each server variant is measured in turn: the database alone, then with Redis
(``GONGHUI_REDIS_URL``, database 14, emptied first).
"""

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import loadgen
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from measure import figure, make_user, note

from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Membership, Person
from gonghui.perks import passes
from gonghui.perks.giveaways import draw
from gonghui.perks.models import Card, Claim, Giveaway, Location, Merchant

REDIS_URL = "redis://127.0.0.1:6379/14"
TARGETS = {"sqlite": 0.5, "postgresql": 0.3}  # claim rps / trivial rps, per the issue


@dataclass(frozen=True)
class Scale:
    members: int
    stock: int
    round_claims: int  # claims per success-path round
    round_seconds: int  # seconds per baseline round
    rounds: int
    receipts: int  # lottery


SCALES = {
    "small": Scale(
        members=2_000, stock=100, round_claims=1_500, round_seconds=2, rounds=3, receipts=50_000
    ),
    "full": Scale(
        members=20_000,
        stock=1_000,
        round_claims=6_000,
        round_seconds=4,
        rounds=3,
        receipts=1_000_000,
    ),
}


def run(scale_name: str) -> Iterator[str]:
    scale = SCALES[scale_name]
    vendor = connection.vendor
    loadgen.ensure_wrk()
    admin = make_user("perks_admin", OrgUnit.objects.get(parent=None), "city_admin")
    district = OrgUnit.objects.get(code="110118")  # 密云
    unit = OrgUnit.objects.filter(path__startswith=district.path, level="grassroots").first()
    unit = unit or district
    venue = make_venue(district)
    started = time.perf_counter()
    people = make_members(unit, scale.members)
    note(f"{len(people)} members with cards in {time.perf_counter() - started:.1f} s")
    tokens = {p: passes.issue(p) for p in people}

    variants = [(vendor, {})]
    if _redis_reachable():
        variants.append((f"{vendor}+redis", {"GONGHUI_REDIS_URL": REDIS_URL}))
    else:
        note("Redis not reachable on 127.0.0.1:6379: the +redis variant is skipped")
    for name, env in variants:
        if env:
            _flush_redis()
        with loadgen.Server(workers=settings.SERVE_WORKERS, env=env) as server:
            note(f"{name}: {server.url}, {settings.SERVE_WORKERS} workers, log {server.log_path}")
            yield from storm(name, server, admin, district, venue, people, tokens, scale)
            yield from success_path(name, server, admin, district, venue, people, tokens, scale)
    yield from refusal_cost(admin, district, venue, people)
    yield from lottery(scale)
    yield from lottery_service(admin, district, venue, unit, scale)


# --- Data ----------------------------------------------------------------------------------


def make_venue(district: OrgUnit) -> Location:
    merchant = Merchant.objects.create(
        name="玫瑰情园",
        category="shopping",
        discount="持卡会员门票八折",
        valid_from=date(2020, 1, 1),
        valid_until=date(2030, 12, 31),
        org_unit=district,
    )
    return Location.objects.create(
        merchant=merchant, name="南门售票处", address="密云区巨各庄镇", district=district
    )


def make_members(unit: OrgUnit, count: int) -> list[int]:
    first = Person.objects.count()
    Person.objects.bulk_create(
        [
            Person(name=f"会员{first + i}", org_unit=unit, no_id_reason="压测数据")
            for i in range(count)
        ],
        batch_size=2000,
    )
    people = list(
        Person.objects.filter(org_unit=unit).order_by("-id").values_list("id", flat=True)[:count]
    )
    Membership.objects.bulk_create(
        [Membership(person_id=p, org_unit=unit, joined_on=date(2020, 1, 1)) for p in people],
        batch_size=2000,
    )
    Card.objects.bulk_create(
        [Card(number=f"8610{p:012d}", person_id=p, org_unit=unit) for p in people],
        batch_size=2000,
    )
    return people


def make_giveaway(admin, district, venue, *, title: str, stock: int) -> Giveaway:
    now = timezone.now()
    return Giveaway.objects.create(
        title=title,
        item="玫瑰情园套票（一票三人）",
        org_unit=district,
        mode="fcfs",
        status="published",
        stock=stock,
        opens_at=now - timedelta(seconds=1),
        closes_at=now + timedelta(hours=2),
        pickup_from=now + timedelta(days=1),
        pickup_until=now + timedelta(days=3),
        pickup_location=venue,
        created_by=admin,
    )


def claim_request(giveaway_id: int, token: str, key: str) -> loadgen.Request:
    headers = {passes.HEADER: token, "Content-Type": "application/json"}
    body = json.dumps({"key": key, "quantity": 1})
    return ("POST", f"/api/v1/perks/giveaways/{giveaway_id}/claim", headers, body)


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# --- Storm ---------------------------------------------------------------------------------


def storm(name, server, admin, district, venue, people, tokens, scale) -> Iterator[str]:
    giveaway = make_giveaway(admin, district, venue, title=f"storm {name}", stock=scale.stock)
    rng = random.Random(7)
    presses = [(p, f"storm-{p:08d}") for p in people]
    rng.shuffle(presses)
    extra = rng.sample(presses, len(people) // 10)
    retries, taps = (
        extra[: len(extra) // 2],
        [(p, f"tap-{p:010d}") for p, _ in extra[len(extra) // 2 :]],
    )
    # Each duplicate comes after its first press (a retry is sent after the first times out).
    requests = presses + retries + taps
    path = Path(tempfile.gettempdir()) / f"gonghui-storm-{os.getpid()}.requests"
    loadgen.write_requests(
        path, (claim_request(giveaway.pk, tokens[p], key) for p, key in requests)
    )
    start = timezone.now()
    result = loadgen.run(server.url, path, connections=64, duration_s=300, cycle=False)
    path.unlink()
    rows = Claim.objects.filter(giveaway=giveaway)
    claimed = rows.count()
    distinct = rows.values("person_id").distinct().count()
    giveaway.refresh_from_db()
    last = rows.order_by("-created_at").values_list("created_at", flat=True).first()
    sold_out_s = (last - start).total_seconds() if last else float("nan")
    statuses, codes = result["statuses"], result["codes"]
    note(
        f"{name} storm: {result['requests']} of {len(requests)} answered in "
        f"{result['duration_s']:.1f} s ({result['rps']:.0f}/s); statuses {statuses}; "
        f"codes {codes}; errors {result['errors']}"
    )
    answered_all = result["requests"] == len(requests) and not any(result["errors"].values())
    oversold = max(claimed - giveaway.stock, giveaway.taken - giveaway.stock, 0)
    doubled = claimed - distinct
    wrong_answers = (statuses.get("201", 0) != claimed) + sum(
        n for status, n in statuses.items() if status not in ("200", "201", "409")
    )
    yield figure(f"perks.{name}.storm_oversold", oversold, "items", "oversold", oversold, 0)
    yield figure(f"perks.{name}.storm_double_claims", doubled, "claims", "doubled", doubled, 0)
    unanswered = len(requests) - result["requests"] + sum(result["errors"].values())
    yield figure(
        f"perks.{name}.storm_unanswered",
        unanswered,
        "requests",
        "unanswered_or_wrong",
        unanswered + wrong_answers,
        0,
    )
    if not answered_all:
        note(f"{name} storm: not every request was answered")
    yield (
        figure(
            f"perks.{name}.storm_sold_out",
            sold_out_s,
            "s",
            f"items_{claimed}_of_{giveaway.stock}",
            claimed / giveaway.stock,
            1,
        )
        + f"  (p99 {result['latency_ms']['p99']:.0f} ms, {len(requests)} requests)"
    )


# --- Success path --------------------------------------------------------------------------


def success_path(name, server, admin, district, venue, people, tokens, scale) -> Iterator[str]:
    tmp = Path(tempfile.gettempdir())
    bare, trivial = tmp / f"gonghui-bare-{os.getpid()}", tmp / f"gonghui-me-{os.getpid()}"
    loadgen.write_requests(bare, [("GET", "/api/v1/perks/ping", {}, "")])
    loadgen.write_requests(
        trivial,
        [("GET", "/api/v1/perks/me", {passes.HEADER: tokens[p]}, "") for p in people[:2000]],
    )
    measured = {"bare": [], "trivial": [], "claim": []}
    for round_no in range(scale.rounds + 1):  # round 0 warms the workers up
        giveaway = make_giveaway(
            admin, district, venue, title=f"success {name} {round_no}", stock=10**9
        )
        members = random.Random(round_no).sample(people, min(scale.round_claims, len(people)))
        claims_file = tmp / f"gonghui-claims-{os.getpid()}"
        loadgen.write_requests(
            claims_file,
            (claim_request(giveaway.pk, tokens[p], f"ok-{round_no}-{p:08d}") for p in members),
        )
        for side, file, cycle in (
            ("bare", bare, True),
            ("trivial", trivial, True),
            ("claim", claims_file, False),
        ):
            result = loadgen.run(
                server.url,
                file,
                connections=16,
                duration_s=scale.round_seconds if cycle else 120,
                cycle=cycle,
            )
            if side == "claim":
                made = Claim.objects.filter(giveaway=giveaway).count()
                good = result["statuses"].get("201", 0)
                if made != len(members) or good != len(members):
                    note(
                        f"{name} claim round {round_no}: {good} answered 201, {made} rows of {len(members)}"
                    )
            if round_no:
                measured[side].append(result)
        claims_file.unlink()
    bare.unlink()
    trivial.unlink()

    def rps(side):
        return statistics.median(r["rps"] for r in measured[side])

    def p99(side):
        return statistics.median(r["latency_ms"]["p99"] for r in measured[side])

    for side in measured:
        note(
            f"{name} {side}: rps {[round(r['rps']) for r in measured[side]]}, "
            f"p99 ms {[round(r['latency_ms']['p99'], 1) for r in measured[side]]}"
        )

    def spread(side, value, unit):
        values = [value(r) for r in measured[side]]
        rounds = ", ".join(f"{v:.0f}" if v >= 100 else f"{v:.3g}" for v in values)
        return f"  ({side} rounds {rounds} {unit}; spread max/min {max(values) / min(values):.2f})"

    target = TARGETS["postgresql" if name.startswith("postgresql") else "sqlite"]
    yield figure(
        f"perks.{name}.claim_rps",
        rps("claim"),
        "req/s",
        "ratio_to_trivial",
        rps("claim") / rps("trivial"),
        target,
        at_least=True,
    ) + spread("claim", lambda r: r["rps"], "req/s")
    yield (
        figure(
            f"perks.{name}.trivial_rps",
            rps("trivial"),
            "req/s",
            "ratio_to_bare",
            rps("trivial") / rps("bare"),
            0.6,
            at_least=True,
        )
        + f"  (bare {rps('bare'):.0f} req/s)"
        + spread("trivial", lambda r: r["rps"], "req/s")
    )
    yield figure(
        f"perks.{name}.claim_p99",
        p99("claim"),
        "ms",
        "ratio_to_trivial_p99",
        p99("claim") / p99("trivial"),
        10,
    ) + spread("claim", lambda r: r["latency_ms"]["p99"], "ms")


# --- Refusal cost ------------------------------------------------------------------------


def refusal_cost(admin, district, venue, people) -> Iterator[str]:
    """A sold-out refusal against a success, in process (no HTTP), the database alone (the
    member's rate limit counted in it): the refusal must say why for no more than a claim
    costs. Interleaved pairs, each member pressing once (the limit is per member)."""
    from gonghui.perks.giveaways import claims

    with override_settings(REDIS_URL=None):
        plenty = make_giveaway(admin, district, venue, title="refusal: plenty", stock=10**9)
        gone = make_giveaway(admin, district, venue, title="refusal: sold out", stock=0)
        times = {"claim": [], "refusal": []}
        half = len(people) // 2
        for n, (a, b) in enumerate(zip(people[:half], people[half:], strict=False)):
            for side, person, giveaway in (("claim", a, plenty), ("refusal", b, gone)):
                started = time.perf_counter()
                answer = claims.claim(person_id=person, giveaway_id=giveaway.pk, key=f"rc-{n:08d}")
                elapsed = time.perf_counter() - started
                expected = "claimed" if side == "claim" else "sold_out"
                if answer.code != expected:
                    raise RuntimeError(f"{side}: {answer.code} {answer.message}")
                if n >= 50:  # the first presses warm the caches up
                    times[side].append(elapsed * 1000)
    claim_p50, refusal_p50 = (statistics.median(times[s]) for s in ("claim", "refusal"))
    name = f"perks.{connection.vendor}.sold_out_refusal_p50"
    yield figure(name, refusal_p50, "ms", "ratio_to_claim_p50", refusal_p50 / claim_p50, 1)


# --- Lottery -------------------------------------------------------------------------------


def lottery(scale: Scale) -> Iterator[str]:
    receipts = set()
    while len(receipts) < scale.receipts:
        receipts.add(draw.new_receipt())
    seed = draw.new_seed()
    start = time.perf_counter()
    result = draw.draw(seed, receipts, 1000, "2026年5月1日福彩3D 581")
    elapsed = time.perf_counter() - start
    document = {
        "commitment": draw.commitment(seed),
        "seed": seed,
        "public_value": "2026年5月1日福彩3D 581",
        "receipts_hash": result.list_hash,
        "receipts": sorted(receipts),
        "winners_count": 1000,
        "winners": result.winners,
        "waitlist": result.waitlist,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(document, f)
    start = time.perf_counter()
    checked = subprocess.run(
        [sys.executable, "-I", "-S", draw.__file__, f.name],
        capture_output=True,
        text=True,
        check=False,
    )
    verify_s = time.perf_counter() - start
    Path(f.name).unlink()
    same = checked.returncode == 0
    note(
        f"verifier: {checked.stdout.strip().splitlines()[0] if checked.stdout else checked.stderr}"
    )
    yield figure(
        f"perks.lottery_draw_{scale.receipts}", elapsed, "s", "ratio_to_10s", elapsed / 10, 1
    )
    yield figure(
        f"perks.lottery_verify_{scale.receipts}",
        verify_s,
        "s",
        "same_winners",
        1.0 if same else 0.0,
        1,
        at_least=True,
    )


def lottery_service(admin, district, venue, unit, scale: Scale) -> Iterator[str]:
    """The platform's own freeze and draw (``services.giveaway_freeze``/``giveaway_draw``)
    over ``receipts`` registrations in the database: every row ranked, the winners given
    pickup codes, the published document re-checked by the verifier."""
    from gonghui.perks.giveaways import selectors, services

    count = scale.receipts
    started = time.perf_counter()
    people_before = Person.objects.count()
    for start in range(0, count, 20_000):
        size = min(20_000, count - start)
        Person.objects.bulk_create(
            [Person(name="摇号会员", org_unit=unit, no_id_reason="压测数据") for _ in range(size)],
            batch_size=5_000,
        )
    people = list(
        Person.objects.filter(org_unit=unit, name="摇号会员")
        .order_by("id")
        .values_list("id", flat=True)
    )[-count:]
    for start in range(0, count, 20_000):
        Card.objects.bulk_create(
            [
                Card(number=f"8620{p:012d}", person_id=p, org_unit=unit)
                for p in people[start : start + 20_000]
            ],
            batch_size=5_000,
        )
    cards = dict(Card.objects.filter(number__startswith="8620").values_list("person_id", "id"))
    now = timezone.now()
    giveaway = services.giveaway_create(
        actor=admin,
        org_unit=district,
        title="五一玫瑰情园摇号",
        item="玫瑰情园套票（一票三人）",
        mode="lottery",
        stock=1000,
        opens_at=now + timedelta(minutes=1),
        closes_at=now + timedelta(minutes=2),
        pickup_from=now + timedelta(days=1),
        pickup_until=now + timedelta(days=3),
        pickup_location=venue,
        public_value_source="2026年5月1日福彩3D开奖号码",
    )
    services.giveaway_publish(actor=admin, giveaway=giveaway)
    receipts = set()
    while len(receipts) < count:
        receipts.add(draw.new_receipt())
    rows = []
    for person_id, receipt in zip(people, receipts, strict=True):
        rows.append(
            Claim(
                giveaway=giveaway,
                person_id=person_id,
                card_id=cards[person_id],
                status="registered",
                receipt=receipt,
                idem_key=f"bench-{person_id:010d}",
                request_hash="bench",
                created_at=now,
            )
        )
    for start in range(0, count, 20_000):
        Claim.objects.bulk_create(rows[start : start + 20_000], batch_size=5_000)
    Giveaway.objects.filter(pk=giveaway.pk).update(
        opens_at=now - timedelta(hours=2), closes_at=now - timedelta(hours=1)
    )
    giveaway.refresh_from_db()
    note(
        f"lottery service: {count} registrations ({Person.objects.count() - people_before} "
        f"people, cards, claims) built in {time.perf_counter() - started:.0f} s"
    )
    start = time.perf_counter()
    services.giveaway_freeze(actor=admin, giveaway=giveaway)
    freeze_s = time.perf_counter() - start
    start = time.perf_counter()
    services.giveaway_draw(actor=admin, giveaway=giveaway, public_value="581")
    draw_s = time.perf_counter() - start
    giveaway.refresh_from_db()
    start = time.perf_counter()
    placed = services.waitlist_rank(giveaway=giveaway)  # the task queued by the draw
    rank_s = time.perf_counter() - start
    document = selectors.draw_document(giveaway)
    problems = draw.verify(document)
    won = Claim.objects.filter(giveaway=giveaway, status="won").exclude(code=None).count()
    note(
        f"lottery service: freeze {freeze_s:.1f} s, draw {draw_s:.1f} s (winners and codes),"
        f" waitlist places {rank_s:.1f} s ({placed} rows, the task after the draw),"
        f" {won} winners with codes, verify: {problems or 'OK'}"
    )
    yield (
        figure(
            f"perks.lottery_service_draw_{count}",
            draw_s,
            "s",
            "ratio_to_10s",
            draw_s / 10,
            1,
        )
        + f"  (freeze {freeze_s:.1f} s; waitlist places, the task after the draw: {rank_s:.1f} s)"
    )
    yield figure(
        f"perks.lottery_service_verified_{count}",
        len(problems),
        "problems",
        "winners_with_codes",
        won / giveaway.stock,
        1,
        at_least=True,
    )
