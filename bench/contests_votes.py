"""Public votes under load (issue #17, item 7: "100 judges × 30 entrants within one minute,
plus 12 experts marking: every vote acknowledged, p99 <= 10x the trivial endpoint"), over
loopback HTTP against the real server (gunicorn through ``gonghui serve``, production
settings) driven by wrk (``loadgen``):

- **the data**: a comprehensive review (综合评审) of ``entrants`` entrants in matches of
  ten, its panels drawn by the judging services from ``experts`` expert judges with
  accounts (one per employer, none an entrant's), the stage marking; ``jurors`` public
  jurors registered and seated by the jury services (each seat hands out the juror's
  voting pass); the vote window open now. A warm-up stage of two entrants, voted and marked
  first, puts every worker's vote and mark path in its caches.
- **the load**: the entrants in ``rounds`` groups; for each group, every juror votes on
  every entrant of it (``POST /api/v1/contests/votes``, the pass in ``X-Juror-Pass``) over
  ``jurors`` concurrent connections (a juror per connection at a time: the file goes
  entrant by entrant, every juror in turn, as a hall votes after each defence), while the
  experts submit their marks on both aspects of the same entrants over ``experts``
  concurrent connections (``POST /api/v1/contests/marks``: the judge's session cookie and
  its CSRF token, as the phone page sends them);
- **the trivial endpoint, side by side**: before each group, the same shape of load on
  ``/api/v1/perks/ping`` (as many requests over as many connections, both streams at
  once), so that each side of a ratio saw the same machine and the same concurrency;
- **the checks**: every vote answered 201 and stored exactly once (rows, distinct
  (juror, entrant) pairs, ``contests.vote`` events of the competition's stream), every
  mark likewise; the voting time (each round's first to last vote stored, summed: the
  baselines between the rounds are not voting) <= 60 s; the stage scores
  (``engine.stage_results`` over ``records.stage_record``) with every juror counted.

Figures: ``contests_votes.vote_p99`` (ratio to the trivial p99 at the jurors'
concurrency, target <= 10), ``contests_votes.mark_p99`` (ratio to the trivial p99 at the
experts' concurrency, target <= 10), ``contests_votes.votes_acknowledged`` and
``contests_votes.marks_acknowledged`` (target 1), ``contests_votes.votes_span``
(target <= 60 s). Each p99 is wrk's over all the measured requests of a round, the median
over the rounds.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

VOTES = "/api/v1/contests/votes"
MARKS = "/api/v1/contests/marks"
PING = "/api/v1/perks/ping"
MATCH_SIZE = 10
WINDOW_S = 60  # the minute

SCHEME = {
    "aspects": [
        {"code": "M1", "name": "实操测量", "kind": "measurement", "max": "60", "part": "practical"},
        {
            "code": "J1",
            "name": "工艺评判",
            "kind": "judgement",
            "max": "40",
            "spread": "10",
            "trim": {"4": 1, "12": 2},
            "part": "practical",
        },
    ],
    "weights": {"practical": 70, "public": 30},
    "public": {"max": "100"},
    "tie_chain": [["score", "desc"], ["practical", "desc"]],
}


@dataclass(frozen=True)
class Scale:
    jurors: int
    entrants: int
    experts: int
    rounds: int


SCALES = {
    "small": Scale(jurors=30, entrants=10, experts=4, rounds=2),
    "full": Scale(jurors=100, entrants=30, experts=12, rounds=3),
}


@dataclass
class World:
    competition: object
    stage: object  # the review
    warmup: object  # the warm-up stage
    numbers: list[int]  # the review's entrants (参赛号)
    warm_numbers: list[int]
    entrant_ids: dict[int, int]  # number -> Entrant pk
    passes: list[str]  # one per juror
    sessions: list[dict[str, str]]  # one per expert: the headers of its marks


# --- The data ------------------------------------------------------------------------------


def _id_number(n: int) -> str:
    """A valid resident ID (GB 11643) of a made-up juror: Chaoyang, born 1970–1999."""
    from gonghui.common.pii import id_check_digit

    body = f"110105{1970 + n % 30}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + id_check_digit(body)


def make_world(scale: Scale) -> World:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone
    from measure import make_user, note

    from gonghui.contests.judging import services as judging
    from gonghui.contests.jury import services as jury
    from gonghui.contests.models import Competition, Entrant, Judge, Programme, Stage
    from gonghui.orgs.models import OrgUnit
    from gonghui.people.models import Person, Trade, Unit

    started = time.perf_counter()
    district = OrgUnit.objects.get(code="110105")  # 朝阳
    staff = make_user("votes_staff", district, "district_staff")
    now = timezone.now()
    trade = Trade.objects.filter(name="钳工").first() or Trade.objects.create(
        code="BV-1", name="钳工"
    )
    programme = Programme.objects.create(
        name="朝阳工匠 2026", year=2026, org_unit=district, created_by=staff
    )
    competition = Competition.objects.create(
        programme=programme,
        org_unit=district,
        trade=trade,
        name="朝阳工匠 2026 · 钳工",
        status=Competition.Status.RUNNING,
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=10),
    )
    window = {
        "votes_open_at": now - timedelta(minutes=1),
        "votes_close_at": now + timedelta(hours=2),
    }
    warmup = Stage.objects.create(
        competition=competition,
        order=1,
        kind=Stage.Kind.REVIEW,
        name="预热（不计入）",
        scheme=SCHEME,
        rule={"kind": "top", "n": 1},
        **window,
    )
    stage = Stage.objects.create(
        competition=competition,
        order=2,
        kind=Stage.Kind.REVIEW,
        name="综合评审",
        scheme=SCHEME,
        rule={"kind": "top", "n": 3},
        **window,
    )
    entrant_ids = {}
    for number in range(1, scale.entrants + 1):
        employer = Unit.objects.create(name=f"北京第{number}机械厂", org_unit=district)
        person = Person.objects.create(
            name=f"选手{number:03d}", org_unit=district, no_id_reason="基准测试"
        )
        entrant = Entrant.objects.create(
            competition=competition,
            person=person,
            number=number,
            age=30 + number % 30,
            employer=employer,
            route=Entrant.Route.SELF,
        )
        entrant_ids[number] = entrant.pk
    sessions = []
    for n in range(scale.experts):
        user = get_user_model().objects.create_user(f"votes_expert{n:02d}")
        Judge.objects.create(
            programme=programme,
            kind=Judge.Kind.EXPERT,
            name=f"专家{n + 1:02d}",
            user=user,
            employer=Unit.objects.create(name=f"专家单位{n + 1:02d}", org_unit=district),
        )
        browser = Client()
        browser.force_login(user)
        csrf = uuid.uuid4().hex  # a CSRF secret: 32 characters, sent as cookie and header
        sessions.append(
            {
                "Content-Type": "application/json",
                "Cookie": f"sessionid={browser.cookies['sessionid'].value}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
            }
        )
    numbers = list(entrant_ids)
    warm_numbers = numbers[:2]
    for target, groups in (
        (warmup, [warm_numbers]),
        (stage, [numbers[i : i + MATCH_SIZE] for i in range(0, len(numbers), MATCH_SIZE)]),
    ):
        for n, group in enumerate(groups, start=1):
            match = judging.match_create(
                actor=staff,
                stage=target,
                code=f"{'W' if target is warmup else 'R'}{n}",
                entrants=group,
                panel_size=scale.experts,
            )
            judging.draw_commit(actor=staff, match=match)
            judging.panel_draw(actor=staff, match=match)
        judging.stage_start(actor=staff, stage=target)
    passes = []
    for n in range(scale.jurors):
        juror = jury.juror_register(
            actor=staff,
            programme=programme,
            name=f"大众评委{n + 1:03d}",
            id_number=_id_number(n),
            employer_name=f"社会单位{n + 1:03d}",
        )
        passes.append(jury.juror_seat(actor=staff, juror=juror))
    stage.refresh_from_db()
    warmup.refresh_from_db()
    note(
        f"{scale.entrants} entrants, {scale.experts} experts seated on every match, "
        f"{scale.jurors} jurors seated, in {time.perf_counter() - started:.1f} s"
    )
    return World(competition, stage, warmup, numbers, warm_numbers, entrant_ids, passes, sessions)


# --- The requests --------------------------------------------------------------------------


def vote_requests(world: World, stage, numbers: list[int], rng: random.Random) -> list:
    """Entrant by entrant, every juror in turn (in an order of its own per entrant)."""
    from gonghui.contests.jury import passes as jury_passes

    requests = []
    jurors = list(range(len(world.passes)))
    for number in numbers:
        rng.shuffle(jurors)
        for j in jurors:
            body = {
                "stage": stage.pk,
                "entrant": world.entrant_ids[number],
                "value": str(rng.randint(60, 100)),
                "key": uuid.uuid4().hex,
            }
            headers = {jury_passes.HEADER: world.passes[j], "Content-Type": "application/json"}
            requests.append(("POST", VOTES, headers, json.dumps(body, separators=(",", ":"))))
    return requests


def mark_requests(world: World, stage, numbers: list[int], rng: random.Random) -> list:
    """Entrant by entrant, aspect by aspect, every expert in turn."""
    requests = []
    for number in numbers:
        for aspect, low, high in (("M1", 40, 60), ("J1", 28, 36)):
            for session in world.sessions:
                body = {
                    "stage": stage.pk,
                    "entrant": number,
                    "aspect": aspect,
                    "value": f"{rng.randint(low, high - 1)}.{rng.choice('05')}",
                    "key": str(uuid.uuid4()),
                }
                requests.append(("POST", MARKS, session, json.dumps(body, separators=(",", ":"))))
    return requests


def _file(requests: list, name: str) -> Path:
    import loadgen

    path = Path(tempfile.gettempdir()) / f"gonghui-votes-{name}-{os.getpid()}"
    loadgen.write_requests(path, requests)
    return path


def _together(server, runs: dict[str, tuple[Path, int]]) -> dict[str, dict]:
    """wrk once over each file at once (its connections), one wrk process per file."""
    import loadgen

    results: dict[str, dict] = {}
    failures: list[BaseException] = []

    def one(name, path, connections):
        try:
            results[name] = loadgen.run(
                server.url, path, connections=connections, duration_s=300, cycle=False
            )
        except BaseException as exc:  # reported below, in the caller's thread
            failures.append(exc)

    threads = [
        threading.Thread(target=one, args=(name, path, connections))
        for name, (path, connections) in runs.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results


# --- The figures ---------------------------------------------------------------------------


def run(scale_name: str) -> Iterator[str]:
    import loadgen
    from django.conf import settings
    from django.db import connection
    from django.db.models import Max, Min
    from measure import figure, note

    from gonghui.audit.models import AuditEvent
    from gonghui.contests import engine, records, scoring
    from gonghui.contests.models import Mark, Vote

    scale = SCALES[scale_name]
    loadgen.ensure_wrk()
    world = make_world(scale)
    rng = random.Random(17)
    per_round = -(-len(world.numbers) // scale.rounds)
    groups = [world.numbers[i : i + per_round] for i in range(0, len(world.numbers), per_round)]
    # The bench connects as the server's superuser (bench/run.py's databases); production
    # runs as the application role (docs/operations.md).
    env = {"GONGHUI_DB_ROLE_CHECK": "false"}
    measured: dict[str, list[dict]] = {
        "ping_jurors": [],
        "ping_experts": [],
        "vote": [],
        "mark": [],
    }
    statuses = {"vote": {}, "mark": {}}
    errors = {"vote": 0, "mark": 0}
    sent = {"vote": 0, "mark": 0}
    with loadgen.Server(workers=settings.SERVE_WORKERS, env=env) as server:
        note(f"{server.url}, {settings.SERVE_WORKERS} workers, log {server.log_path}")
        for round_no, numbers in enumerate([world.warm_numbers, *groups]):
            stage = world.warmup if round_no == 0 else world.stage
            votes = vote_requests(world, stage, numbers, rng)
            marks = mark_requests(world, stage, numbers, rng)
            files = {
                "ping_jurors": _file([("GET", PING, {}, "")] * len(votes), "ping-jurors"),
                "ping_experts": _file([("GET", PING, {}, "")] * len(marks), "ping-experts"),
                "vote": _file(votes, "vote"),
                "mark": _file(marks, "mark"),
            }
            baseline = _together(
                server,
                {
                    "ping_jurors": (files["ping_jurors"], scale.jurors),
                    "ping_experts": (files["ping_experts"], scale.experts),
                },
            )
            load = _together(
                server,
                {"vote": (files["vote"], scale.jurors), "mark": (files["mark"], scale.experts)},
            )
            for path in files.values():
                path.unlink()
            for side, result in (baseline | load).items():
                if round_no:
                    measured[side].append(result)
                note(
                    f"round {round_no} {side}: {result['requests']} of {result['total']} in "
                    f"{result['duration_s']:.1f} s ({result['rps']:.0f}/s), p50 "
                    f"{result['latency_ms']['p50']:.0f} ms, p99 {result['latency_ms']['p99']:.0f}"
                    f" ms; statuses {result['statuses']}; codes {result['codes']}"
                    + (f"; errors {result['errors']}" if any(result["errors"].values()) else "")
                )
            if round_no:
                for side in ("vote", "mark"):
                    sent[side] += load[side]["total"]
                    errors[side] += sum(load[side]["errors"].values())
                    for status, n in load[side]["statuses"].items():
                        statuses[side][status] = statuses[side].get(status, 0) + n

    # --- What the database holds -----------------------------------------------------------
    stage = world.stage
    votes = Vote.objects.filter(stage=stage)
    vote_rows = votes.count()
    vote_pairs = votes.values("juror_id", "entrant_id").distinct().count()
    late = votes.filter(late=True).count()
    stream = AuditEvent.objects.filter(stream=world.competition.stream)
    vote_events = sum(
        1
        for body in stream.filter(action="contests.vote").values_list("body", flat=True)
        if json.loads(body)["changes"]["stage"][1] == stage.pk
    )
    mark_rows = Mark.objects.filter(stage=stage).count()
    mark_events = sum(
        1
        for body in stream.filter(action="contests.mark").values_list("body", flat=True)
        if json.loads(body)["changes"]["stage"][1] == stage.pk
    )
    # The voting time: each round's first to last vote stored, summed (the trivial
    # baselines run between the rounds); and the wall time from the first to the last.
    span_s = 0.0
    for numbers in groups:
        ids = [world.entrant_ids[n] for n in numbers]
        got = votes.filter(entrant_id__in=ids).aggregate(
            first=Min("created_at"), last=Max("created_at")
        )
        span_s += (got["last"] - got["first"]).total_seconds() if got["first"] else float("nan")
    got = votes.aggregate(first=Min("created_at"), last=Max("created_at"))
    wall_s = (got["last"] - got["first"]).total_seconds() if got["first"] else float("nan")
    expected_votes = scale.jurors * len(world.numbers)
    expected_marks = scale.experts * len(world.numbers) * 2
    note(
        f"votes: {sent['vote']} sent, answered {statuses['vote']}, {errors['vote']} errors; "
        f"{vote_rows} rows ({vote_pairs} distinct juror-entrant pairs, {late} late), "
        f"{vote_events} contests.vote events; voting {span_s:.1f} s over {len(groups)} rounds "
        f"({wall_s:.1f} s from the first to the last, baselines in between)"
    )
    note(
        f"marks: {sent['mark']} sent, answered {statuses['mark']}, {errors['mark']} errors; "
        f"{mark_rows} rows, {mark_events} contests.mark events"
    )
    record = records.stage_record(stage)
    results = engine.stage_results(record)
    cast: dict[str, dict[str, str]] = {}
    for v in record["votes"]:
        cast.setdefault(v["juror"], {})[v["entrant"]] = v["value"]
    counted = scoring.counted_jurors(cast, record["entrants"], None)
    note(
        f"stage results: {len(results)} entrants scored, {len(counted)} of {scale.jurors} "
        f"jurors counted; first {results[0]['entrant']} {results[0]['score']}"
    )

    def p99(side):
        return statistics.median(r["latency_ms"]["p99"] for r in measured[side])

    def rounds(side):
        return ", ".join(f"{r['latency_ms']['p99']:.0f}" for r in measured[side])

    vendor = connection.vendor
    vote_ok = (
        statuses["vote"] == {"201": expected_votes}
        and errors["vote"] == 0
        and vote_rows == vote_pairs == vote_events == expected_votes
        and late == 0
    )
    mark_ok = (
        statuses["mark"] == {"201": expected_marks}
        and errors["mark"] == 0
        and mark_rows == mark_events == expected_marks
    )
    yield (
        figure(
            f"contests_votes.{vendor}.votes_acknowledged",
            statuses["vote"].get("201", 0),
            "votes",
            f"stored_once_of_{expected_votes}",
            (vote_rows / expected_votes) if vote_ok else 0.0,
            1,
            at_least=True,
        )
        + f"  ({vote_rows} rows, {vote_events} events, statuses {statuses['vote']})"
    )
    yield (
        figure(
            f"contests_votes.{vendor}.marks_acknowledged",
            statuses["mark"].get("201", 0),
            "marks",
            f"stored_once_of_{expected_marks}",
            (mark_rows / expected_marks) if mark_ok else 0.0,
            1,
            at_least=True,
        )
        + f"  ({mark_rows} rows, {mark_events} events, statuses {statuses['mark']})"
    )
    yield (
        figure(
            f"contests_votes.{vendor}.votes_span",
            span_s,
            "s",
            "ratio_to_60s",
            span_s / WINDOW_S,
            1,
        )
        + f"  ({expected_votes} votes in {len(groups)} rounds, each round's first to last stored;"
        f" {expected_votes / span_s:.0f} votes/s; {wall_s:.1f} s with the baselines between)"
    )
    yield figure(
        f"contests_votes.{vendor}.vote_p99",
        p99("vote"),
        "ms",
        "ratio_to_trivial",
        p99("vote") / p99("ping_jurors"),
        10,
    ) + (
        f"  (trivial {PING} p99 {p99('ping_jurors'):.0f} ms at {scale.jurors} connections;"
        f" vote rounds {rounds('vote')} ms, trivial rounds {rounds('ping_jurors')} ms)"
    )
    yield figure(
        f"contests_votes.{vendor}.mark_p99",
        p99("mark"),
        "ms",
        "ratio_to_trivial",
        p99("mark") / p99("ping_experts"),
        10,
    ) + (
        f"  (trivial p99 {p99('ping_experts'):.0f} ms at {scale.experts} connections;"
        f" mark rounds {rounds('mark')} ms, trivial rounds {rounds('ping_experts')} ms)"
    )
