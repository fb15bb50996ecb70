"""Live board figures (issue #17, item 8), over loopback HTTP against the real servers that
``gonghui serve`` starts (gunicorn for the pages, the uvicorn stream server for
``/live/<pk>/events``, production settings):

- **delivery**: ``clients`` SSE clients (a separate Python process, asyncio, one TCP
  connection each) hold the stream of one competition; this process locks a result (the
  row revealed and the snapshot refreshed, as the results feature's lock does) ``rounds``
  times, two seconds apart; for each lock, each client's delay from just before the commit
  to the event's arrival. Figure: the p99 over every client and lock, target <= 1000 ms;
- **queries per viewer**: the stream server's own count of its database queries
  (``/live/stream-stats``) over the same rounds with one viewer and with ``clients``
  viewers: (queries with many − queries with one) / (many − 1), target 0 (<= 0.01, the
  listener's poll ticks are timed, not counted);
- **snapshot endpoint**: ``/live/<pk>/board.json`` hammered by wrk like the giveaway bench,
  in interleaved rounds with the trivial endpoint (``/api/v1/perks/ping``); the ratio of
  their throughputs, target >= 0.5.

``python bench/contests_board.py clients URL N VERSIONS`` is the client process itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

SPACING_S = 2.0  # between two locks


@dataclass(frozen=True)
class Scale:
    clients: int
    rounds: int
    entrants: int
    round_seconds: int
    hammer_rounds: int


SCALES = {
    "small": Scale(clients=500, rounds=5, entrants=30, round_seconds=5, hammer_rounds=3),
    "full": Scale(clients=500, rounds=10, entrants=60, round_seconds=10, hammer_rounds=3),
}


# --- The data ----------------------------------------------------------------------------


def make_competition(entrants: int):
    """A running district contest: a stage with ``entrants`` results computed, one in
    three locked and public; the rest wait to be locked, one per round."""
    from django.utils import timezone
    from measure import make_user

    from gonghui.contests.models import Competition, Entrant, Programme, Result, Stage
    from gonghui.orgs.models import OrgUnit
    from gonghui.people.models import Person, Trade, Unit

    district = OrgUnit.objects.get(code="110105")
    admin = make_user("board_admin", OrgUnit.objects.get(parent=None), "city_admin")
    now = timezone.now()
    trade = Trade.objects.filter(name="钳工").first() or Trade.objects.create(
        code="BB-1", name="钳工"
    )
    programme = Programme.objects.create(
        name="朝阳区职工技能竞赛", year=2026, kind="contest", org_unit=district, created_by=admin
    )
    competition = Competition.objects.create(
        programme=programme,
        org_unit=district,
        trade=trade,
        name="朝阳区职工技能竞赛 · 钳工",
        status="running",
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=10),
    )
    stage = Stage.objects.create(competition=competition, order=1, kind="contest", name="实操比拼")
    employer = Unit.objects.create(name="北京某机床厂", org_unit=district)
    results = []
    for number in range(1, entrants + 1):
        person = Person.objects.create(
            name=f"选手{number:03d}", org_unit=district, no_id_reason="基准测试"
        )
        entrant = Entrant.objects.create(
            competition=competition,
            person=person,
            number=number,
            age=30,
            employer=employer,
            route="self",
        )
        public = number % 3 == 0
        results.append(
            Result.objects.create(
                stage=stage,
                entrant=entrant,
                score=f"{100 - number * 0.37:.4f}",
                place=number,
                advanced=number <= 10,
                scheme_version=1,
                computed_at=now,
                locked_at=now if public else None,
                revealed_at=now if public else None,
            )
        )
    return competition, [r for r in results if r.locked_at is None]


def lock(competition, result) -> int:
    """A result locked and public, and the board's next snapshot, as the results feature's
    lock does it (its transaction, then ``board_changed`` after the commit)."""
    from django.db import transaction
    from django.utils import timezone

    from gonghui.contests import events
    from gonghui.contests.models import Result

    with transaction.atomic():
        now = timezone.now()
        Result.objects.filter(pk=result.pk).update(locked_at=now, revealed_at=now)
        events.board_changed(competition)  # the snapshot is built once this commits
    from gonghui.contests.board import snapshots

    return snapshots.latest(competition.pk).version


# --- The SSE clients (a process of their own) ---------------------------------------------


async def _client(host, port, path, want: set[int], arrivals: dict, ready: asyncio.Event, counter):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    first = True
    buffer = b""
    try:
        while want:
            chunk = await reader.read(65536)
            if not chunk:
                break
            buffer += chunk
            while b"\n\n" in buffer:
                block, buffer = buffer.split(b"\n\n", 1)
                for line in block.split(b"\n"):
                    if line.startswith(b"id: "):
                        version = int(line[4:])
                        if first:
                            first = False
                            counter[0] += 1
                            if counter[0] == counter[1]:
                                ready.set()
                        elif version in want:
                            arrivals.setdefault(version, []).append(time.time())
                            want.discard(version)
    finally:
        writer.close()


async def _clients(url: str, n: int, versions: list[int]) -> dict:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    arrivals: dict[int, list[float]] = {}
    ready = asyncio.Event()
    counter = [0, n]
    tasks = []
    for _ in range(n):
        tasks.append(
            asyncio.ensure_future(
                _client(
                    parts.hostname, parts.port, parts.path, set(versions), arrivals, ready, counter
                )
            )
        )
        if len(tasks) % 50 == 0:
            await asyncio.sleep(0.01)
    await asyncio.wait_for(ready.wait(), 60)
    print("READY", flush=True)
    await asyncio.wait_for(asyncio.gather(*tasks), 60 + SPACING_S * len(versions))
    return {str(v): t for v, t in arrivals.items()}


def clients_main(url: str, n: int, versions: list[int]) -> None:
    arrivals = asyncio.run(_clients(url, n, versions))
    print("ARRIVALS " + json.dumps(arrivals), flush=True)


# --- The figures -------------------------------------------------------------------------


def _stats(stream_url: str) -> dict:
    with urllib.request.urlopen(stream_url + "/live/stream-stats", timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())


def _round(stream_url, competition, pending, clients: int, rounds: int) -> tuple[list[float], int]:
    """``clients`` viewers, ``rounds`` locks: every delivery delay (ms), and the queries the
    stream server made meanwhile."""
    from gonghui.contests.board import snapshots

    current = snapshots.latest(competition.pk).version
    versions = list(range(current + 1, current + 1 + rounds))
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "clients",
            f"{stream_url}/live/{competition.pk}/events",
            str(clients),
            ",".join(map(str, versions)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if line.strip() != "READY":
        raise RuntimeError(f"the clients did not connect: {line!r}")
    time.sleep(0.5)
    before = _stats(stream_url)
    locked_at = {}
    for version in versions:
        result = pending.pop(0)
        started = time.time()
        made = lock(competition, result)
        if made != version:
            raise RuntimeError(f"the lock made version {made}, expected {version}")
        locked_at[version] = started
        time.sleep(SPACING_S)
    out, _ = process.communicate(timeout=120)
    after = _stats(stream_url)
    arrivals = json.loads(out.split("ARRIVALS ", 1)[1])
    delays = []
    for version in versions:
        got = arrivals.get(str(version), [])
        if len(got) != clients:
            raise RuntimeError(f"version {version}: {len(got)} of {clients} clients received it")
        delays += [(t - locked_at[version]) * 1000 for t in got]
    return delays, after["queries"] - before["queries"]


def run(scale_name: str) -> Iterator[str]:
    import loadgen
    from django.conf import settings
    from measure import figure, note

    from gonghui.contests.board import services

    scale = SCALES[scale_name]
    loadgen.ensure_wrk()
    competition, pending = make_competition(scale.entrants + 2 * scale.rounds)
    services.snapshot_refresh(competition.pk)
    # The bench connects as the server's superuser (bench/run.py's databases); production
    # runs as the application role (docs/operations.md).
    env = {"GONGHUI_DB_ROLE_CHECK": "false"}
    with loadgen.Server(workers=settings.SERVE_WORKERS, env=env) as server:
        stream_url = f"http://127.0.0.1:{server.port + 1}"
        _wait(stream_url)
        note(f"pages {server.url}, stream {stream_url}, log {server.log_path}")
        one_delays, one_queries = _round(stream_url, competition, pending, 1, scale.rounds)
        delays, queries = _round(stream_url, competition, pending, scale.clients, scale.rounds)
        p99 = statistics.quantiles(delays, n=100, method="inclusive")[98]
        note(
            f"{scale.clients} clients x {scale.rounds} locks: delivery p50 "
            f"{statistics.median(delays):.0f} ms, p99 {p99:.0f} ms, max {max(delays):.0f} ms "
            f"(one viewer: p50 {statistics.median(one_delays):.0f} ms)"
        )
        yield (
            figure(
                f"contests_board.delivery_p99_{scale.clients}_clients",
                p99,
                "ms",
                "ratio_to_1000ms",
                p99 / 1000,
                1,
            )
            + "  (target <=1000 ms)"
        )
        per_viewer = max(0, queries - one_queries) / (scale.clients - 1)
        note(
            f"stream server queries over {scale.rounds} locks: {queries} with {scale.clients} "
            f"viewers, {one_queries} with one (the listener's polls and one read per change)"
        )
        yield (
            figure(
                "contests_board.queries_per_viewer",
                per_viewer,
                "queries",
                "per_viewer",
                per_viewer,
                0.01,
            )
            + f"  ({queries} queries with {scale.clients} viewers, {one_queries} with one)"
        )
        yield from hammer(server, competition, scale)


def _wait(stream_url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            _stats(stream_url)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def hammer(server, competition, scale) -> Iterator[str]:
    import loadgen
    from measure import figure, note

    tmp = Path(tempfile.gettempdir())
    trivial, board = tmp / f"gonghui-ping-{os.getpid()}", tmp / f"gonghui-board-{os.getpid()}"
    loadgen.write_requests(trivial, [("GET", "/api/v1/perks/ping", {}, "")])
    loadgen.write_requests(board, [("GET", f"/live/{competition.pk}/board.json", {}, "")])
    measured = {"trivial": [], "board": []}
    for round_no in range(scale.hammer_rounds + 1):  # round 0 warms the workers up
        for side, file in (("trivial", trivial), ("board", board)):
            result = loadgen.run(
                server.url, file, connections=16, duration_s=scale.round_seconds, cycle=True
            )
            bad = {k: v for k, v in result["statuses"].items() if k != "200"}
            if bad:
                note(f"{side} round {round_no}: statuses {result['statuses']}")
            if round_no:
                measured[side].append(result["rps"])
    trivial.unlink()
    board.unlink()
    note(
        f"rps: trivial {[round(r) for r in measured['trivial']]}, board.json {[round(r) for r in measured['board']]}"
    )
    board_rps = statistics.median(measured["board"])
    trivial_rps = statistics.median(measured["trivial"])
    yield (
        figure(
            "contests_board.snapshot_rps",
            board_rps,
            "req/s",
            "ratio_to_trivial",
            board_rps / trivial_rps,
            0.5,
            at_least=True,
        )
        + f"  (trivial /api/v1/perks/ping {trivial_rps:.0f} req/s)"
    )


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "clients":
    clients_main(sys.argv[2], int(sys.argv[3]), [int(v) for v in sys.argv[4].split(",")])
