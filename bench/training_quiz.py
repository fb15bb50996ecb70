"""Quiz figures (扫码答题), over loopback HTTP against the real server as ``gonghui serve`` runs
it (gunicorn for the pages and the API, the uvicorn stream server beside it):

- **storm**: a quiz with ``phones`` attendees answering at once (``concurrency`` open
  requests, each phone its own member pass): every answer acknowledged exactly once (rows =
  phones; every client got its ack), a retry of the same answers got the same ack, other
  answers a second time were refused; meanwhile a lecturer's screen (one SSE client on the
  stream server, with its token) records each frame: the delay from each ack to the first
  frame arriving after it whose count reaches the ack's rank (conservative: every row
  acknowledged by then is counted), p99 against 1,000 ms;
- **throughput**: answers (each a new member's first submission, the real write) against
  the same server's trivial endpoint authenticated the same way (``/api/v1/perks/me``, the
  member pass), the same wrk loop, interleaved rounds; target ≥ 0.5.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import loadgen
from django.conf import settings
from django.utils import timezone
from measure import figure, make_user, note

from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Membership, Person
from gonghui.perks import passes
from gonghui.training.models import Attendance, Course, Question, Session, Submission
from gonghui.training.quizzes import board, services

SCALES = {
    "small": {"phones": 500, "concurrency": 32, "round": 500, "rounds": 2, "seconds": 2},
    "full": {"phones": 2_500, "concurrency": 64, "round": 2_500, "rounds": 3, "seconds": 3},
}
PAPER = {"1": [1], "2": [0, 2], "3": [0]}


def run(scale_name: str) -> Iterator[str]:
    scale = SCALES[scale_name]
    loadgen.ensure_wrk()
    city = OrgUnit.objects.get(parent=None)
    admin = make_user("quiz_admin", city, "city_admin")
    district = OrgUnit.objects.get(code="110118")  # 密云
    unit = OrgUnit.objects.filter(path__startswith=district.path, level="grassroots").first()
    unit = unit or district
    people = make_members(unit, scale["phones"] + scale["round"] * (scale["rounds"] + 1))
    tokens = {p: passes.issue(p) for p in people}
    questions = make_bank(admin, district)
    course = Course.objects.create(
        name="工匠讲堂（压测）", org_unit=district, status="published", created_by=admin
    )
    vendor = (
        "postgresql" if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") else "sqlite"
    )
    # The bench database is made by the superuser (no application role), as in contests_board.
    env = {"GONGHUI_DB_ROLE_CHECK": "false"}
    with loadgen.Server(workers=settings.SERVE_WORKERS, env=env) as server:
        stream_url = f"http://127.0.0.1:{server.port + 1}"
        note(f"{vendor}: {server.url}, stream {stream_url}, log {server.log_path}")
        storm_people = people[: scale["phones"]]
        quiz = open_quiz(admin, course, 1, questions, storm_people)
        yield from storm(vendor, server, stream_url, quiz, storm_people, tokens, scale)
        rest = people[scale["phones"] :]
        yield from throughput(vendor, server, admin, course, questions, rest, tokens, scale)


def make_members(unit: OrgUnit, count: int) -> list[int]:
    first = Person.objects.count()
    Person.objects.bulk_create(
        [
            Person(name=f"学员{first + i}", org_unit=unit, no_id_reason="压测数据")
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
    return people


def make_bank(admin, unit) -> list[Question]:
    return [
        services.question_create(
            actor=admin,
            org_unit=unit,
            kind="single",
            text="安全生产方针？",
            options=["效益优先", "安全第一、预防为主、综合治理", "先生产后安全"],
            answer=[1],
        ),
        services.question_create(
            actor=admin,
            org_unit=unit,
            kind="multiple",
            text="工匠精神包括？",
            options=["执着专注", "投机取巧", "精益求精", "敷衍了事"],
            answer=[0, 2],
        ),
        services.question_create(
            actor=admin,
            org_unit=unit,
            kind="true_false",
            text="会员有权提出批评和建议。",
            answer=[0],
        ),
    ]


def open_quiz(admin, course, seq: int, questions, attendees: list[int]):
    now = timezone.now()
    session = Session.objects.create(
        course=course,
        org_unit=course.org_unit,
        seq=seq,
        title=f"第{seq}期",
        place="实训楼",
        starts_at=now - timedelta(hours=2),
        ends_at=now + timedelta(hours=1),
        capacity=len(attendees),
        enrol_opens_at=now - timedelta(days=9),
        enrol_closes_at=now - timedelta(days=1),
    )
    Attendance.objects.bulk_create(
        [Attendance(session=session, person_id=p, method="staff") for p in attendees],
        batch_size=2000,
    )
    quiz = services.quiz_create(
        actor=admin, session=session, title=f"课后答题 {seq}", questions=questions, time_limit=1800
    )
    return services.quiz_open(actor=admin, quiz=quiz)


def body_for(person_id: int) -> dict:
    """Answers spread realistically: most right, some wrong (seeded by the person)."""
    rng = random.Random(person_id)
    return {k: (v if rng.random() < 0.75 else [rng.randrange(2)]) for k, v in PAPER.items()}


# --- The storm: phones and the lecturer's screen --------------------------------------------


async def _post(host, port, path, headers: dict, body: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection(host, port)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n{head}\r\n".encode()
        + body
    )
    await writer.drain()
    raw = await reader.read()
    writer.close()
    status = int(raw.split(b" ", 2)[1])
    return status, raw.split(b"\r\n\r\n", 1)[1]


async def _screen(url: str, frames: list, ready: asyncio.Event, stop: asyncio.Event):
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.hostname}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    buffer = b""
    while not stop.is_set():
        try:
            chunk = await asyncio.wait_for(reader.read(65536), 0.5)
        except TimeoutError:
            continue
        if not chunk:
            break
        buffer += chunk
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            for line in block.split(b"\n"):
                if line.startswith(b"data: "):
                    frames.append((time.time(), json.loads(line[6:])["answered"]))
                    ready.set()
    writer.close()


async def _storm(server_url, stream_url, quiz_id, people, tokens, concurrency):
    parts = urlsplit(server_url)
    path = f"/api/v1/training/quizzes/{quiz_id}/answer"
    frames: list = []
    ready, stop = asyncio.Event(), asyncio.Event()
    screen = asyncio.ensure_future(_screen(stream_url, frames, ready, stop))
    await asyncio.wait_for(ready.wait(), 30)
    acks: dict[int, tuple[float, int, bytes]] = {}
    queue = list(people)
    random.Random(7).shuffle(queue)

    async def phone_worker():
        while queue:
            person = queue.pop()
            body = json.dumps({"answers": body_for(person)}).encode()
            headers = {passes.HEADER: tokens[person]}
            status, answer = await _post(parts.hostname, parts.port, path, headers, body)
            acks[person] = (time.time(), status, answer)

    started = time.time()
    await asyncio.gather(*(phone_worker() for _ in range(concurrency)))
    took = time.time() - started
    await asyncio.sleep(1.5)  # the last frames
    # Retries of the same answers, and other answers a second time.
    again = {}
    for person in people[:50]:
        body = json.dumps({"answers": body_for(person)}).encode()
        again[person] = await _post(
            parts.hostname, parts.port, path, {passes.HEADER: tokens[person]}, body
        )
    other = []
    for person in people[50:60]:
        body = json.dumps({"answers": {"1": [2]}}).encode()
        other.append(
            await _post(parts.hostname, parts.port, path, {passes.HEADER: tokens[person]}, body)
        )
    stop.set()
    await screen
    return acks, frames, took, again, other


def storm(vendor, server, stream_url, quiz, people, tokens, scale) -> Iterator[str]:
    token = board.screen_token(quiz.pk, quiz.time_limit)
    url = f"{stream_url}/live/quiz/{quiz.pk}/events?t={token}"
    acks, frames, took, again, other = asyncio.run(
        _storm(server.url, url, quiz.pk, people, tokens, scale["concurrency"])
    )
    rows = Submission.objects.filter(quiz=quiz).count()
    ok = [p for p, (_, status, _) in acks.items() if status == 200]
    same = sum(again[p][0] == 200 and again[p][1] == acks[p][2] for p in again)
    refused = sum(status == 409 and "已提交" in body.decode() for status, body in other)
    note(
        f"{vendor} storm: {len(people)} phones in {took:.1f} s ({len(people) / took:.0f}/s), "
        f"{len(ok)} acks, {rows} rows, retries same {same}/{len(again)}, "
        f"second answers refused {refused}/{len(other)}, {len(frames)} frames"
    )
    exact = rows == len(people) == len(ok) and same == len(again) and refused == len(other)
    yield (
        f"training_quiz.{vendor}.acked_once {rows} rows of {len(people)} phones "
        f"acks {len(ok)} retries_same {same}/{len(again)} refused_second {refused}/{len(other)} "
        f"{'ok' if exact else 'SHORT'}"
    )
    delays = []
    ordered = sorted(t for t, status, _ in acks.values() if status == 200)
    i = 0
    for rank, at in enumerate(ordered, start=1):
        while i < len(frames) and (frames[i][0] < at or frames[i][1] < rank):
            i += 1
        delays.append((frames[i][0] - at) * 1000 if i < len(frames) else 60_000)
        # frames only grow: the next ack's frame is at or after this one
    p99 = statistics.quantiles(delays, n=100, method="inclusive")[98]
    note(
        f"{vendor} screen delay ms: p50 {statistics.median(delays):.0f}, p99 {p99:.0f}, max {max(delays):.0f}"
    )
    yield figure(f"training_quiz.{vendor}.screen_p99", p99, "ms", "ratio_to_1s", p99 / 1000, 1.0)


# --- Throughput, side by side with the trivial endpoint -------------------------------------


def throughput(vendor, server, admin, course, questions, people, tokens, scale) -> Iterator[str]:
    tmp = Path(tempfile.gettempdir())
    trivial = tmp / f"gonghui-quiz-me-{os.getpid()}"
    loadgen.write_requests(
        trivial,
        [("GET", "/api/v1/perks/me", {passes.HEADER: tokens[p]}, "") for p in people[:2000]],
    )
    measured = {"trivial": [], "answer": []}
    size = scale["round"]
    for round_no in range(scale["rounds"] + 1):  # round 0 warms the workers up
        members = people[round_no * size : (round_no + 1) * size]
        quiz = open_quiz(admin, course, 10 + round_no, questions, members)
        answers_file = tmp / f"gonghui-quiz-answers-{os.getpid()}"
        loadgen.write_requests(
            answers_file,
            (
                (
                    "POST",
                    f"/api/v1/training/quizzes/{quiz.pk}/answer",
                    {passes.HEADER: tokens[p], "Content-Type": "application/json"},
                    json.dumps({"answers": body_for(p)}, separators=(",", ":")),
                )
                for p in members
            ),
        )
        for side, file, cycle in (("trivial", trivial, True), ("answer", answers_file, False)):
            result = loadgen.run(
                server.url,
                file,
                connections=16,
                duration_s=scale["seconds"] if cycle else 120,
                cycle=cycle,
            )
            if side == "answer":
                made = Submission.objects.filter(quiz=quiz).count()
                good = result["statuses"].get("200", 0)
                if made != len(members) or good != len(members):
                    note(
                        f"{vendor} answer round {round_no}: {good} answered 200, {made} rows of {len(members)}"
                    )
            if round_no:
                measured[side].append(result)
        answers_file.unlink()
    trivial.unlink()
    for side in measured:
        note(
            f"{vendor} {side}: rps {[round(r['rps']) for r in measured[side]]}, "
            f"p99 ms {[round(r['latency_ms']['p99'], 1) for r in measured[side]]}"
        )

    def rps(side):
        return statistics.median(r["rps"] for r in measured[side])

    yield (
        figure(
            f"training_quiz.{vendor}.answer_rps",
            rps("answer"),
            "req/s",
            "ratio_to_trivial",
            rps("answer") / rps("trivial"),
            0.5,
            at_least=True,
        )
        + f"  (trivial {rps('trivial'):.0f} req/s)"
    )
