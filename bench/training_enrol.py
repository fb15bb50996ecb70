"""The enrolment storm (issue #19: "5,000 members for 300 seats: exactly 300 seated, the rest
waitlisted in arrival order, no double enrolment").

- **the data**: a published lecture of a district with one session of ``seats`` seats, open
  for enrolment now, and ``members`` members of the district, each with a login;
- **the load**: 8 worker processes (forked, each with its own connection), released at one
  barrier, each enrolling its slice of the members through ``enrolment_create`` (the
  member's own enrolment, as the phone page calls it) — and one member in ten a second time
  from another process at once (a double press);
- **the checks**: seated == seats (the session's counter and the rows), every member holds
  exactly one live enrolment, the seated are exactly the first ``seats`` enrolments by id and
  the waitlist positions run 1..members-seats without gaps (arrival order is the id: every
  writer holds the session's row before it inserts, so ids follow commit order), every
  double press refused;
- **for comparison**: enrolments per second, and a naive check-then-insert control on a
  fresh session of the same shape, which seats more than there are seats.

The run's own database first (``--db``); from a SQLite run the PostgreSQL leg follows in a
child run (``GONGHUI_BENCH_PG=0`` skips it), as bench/funds_budget.py does.

Figures: ``training_enrol.<db>.seated`` (ratio to the seats, target exactly 1),
``training_enrol.<db>.waitlist_in_order`` (positions and ids in order, 1 = yes),
``training_enrol.<db>.enrolments_per_s`` and ``training_enrol.<db>.naive_seated``
(comparisons).
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from django.db import connection, connections, transaction
from measure import comparison, note, num

PROCESSES = 8
SCALES = {"small": (500, 30), "full": (5000, 300)}  # members, seats
TWICE = 10  # one member in TWICE presses twice


def _world(members: int, seats: int):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from gonghui.orgs.models import OrgUnit, segment
    from gonghui.people.models import Membership, Person
    from gonghui.training.models import Course, Session

    User = get_user_model()
    district = OrgUnit.objects.get(code="110105")
    union = OrgUnit.objects.create(
        code="BENCH-G1",
        name="压测公司工会",
        level="grassroots",
        parent=district,
        path=district.path + segment(district.child_count + 1),
        depth=district.depth + 1,
    )
    OrgUnit.objects.filter(pk=district.pk).update(child_count=district.child_count + 1)
    admin = User.objects.create(username="bench_admin")
    unusable = make_password(None)  # members of the storm never sign in with a password
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=f"enrol{n:05d}", password=unusable) for n in range(members)], 2000
        )
        people = Person.objects.bulk_create(
            [
                Person(
                    name=f"会员{n:05d}",
                    org_unit=union,
                    user=u,
                    no_id_reason="压测",
                    birth_date=date(1980, 1, 1),
                )
                for n, u in enumerate(users)
            ],
            2000,
        )
        Membership.objects.bulk_create(
            [Membership(person=p, org_unit=union, joined_on=date(2020, 1, 1)) for p in people],
            2000,
        )
    course = Course.objects.create(
        name="工匠讲堂（压测）",
        org_unit=district,
        status=Course.Status.PUBLISHED,
        created_by=admin,
    )
    now = timezone.now()

    def session(seq: int):
        return Session.objects.create(
            course=course,
            org_unit=district,
            seq=seq,
            title=f"第{seq}期",
            lecturer_name="压测讲师",
            place="实训楼",
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=2),
            capacity=seats,
            audience=district,
            enrol_opens_at=now - timedelta(hours=1),
            enrol_closes_at=now + timedelta(days=1),
        )

    return session, [u.pk for u in users], [p.pk for p in people]


def _enrol(session, user_id: int) -> str:
    from django.contrib.auth import get_user_model

    from gonghui.common.errors import ValidationFailed
    from gonghui.training.courses.services import enrolment_create

    try:
        return enrolment_create(actor=get_user_model()(pk=user_id), session=session).status
    except ValidationFailed:
        return "refused"


def _naive(session, person_id: int, seats: int) -> str:
    from gonghui.training.models import Enrolment

    seated = Enrolment.objects.filter(session=session, status="seated").count()
    time.sleep(0.002)
    status = "seated" if seated < seats else "waitlisted"
    Enrolment.objects.create(session=session, person_id=person_id, status=status)
    return status


def _worker(barrier, results, session_id: int, ids: list[int], naive: bool, seats: int):
    from gonghui.training.models import Session

    counts: dict[str, int] = {}
    try:
        connection.ensure_connection()
        session = Session.objects.get(pk=session_id)
        barrier.wait(timeout=60)
        for i in ids:
            try:
                answer = _naive(session, i, seats) if naive else _enrol(session, i)
            except Exception as exc:  # noqa: BLE001 — counted and reported
                answer = "error"
                note(f"{exc!r}")
            counts[answer] = counts.get(answer, 0) + 1
    finally:
        connections.close_all()
        results.put(counts)


def _storm(session, ids: list[int], *, naive: bool, seats: int) -> tuple[dict, float]:
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(PROCESSES + 1), ctx.Queue()
    slices = [ids[i::PROCESSES] for i in range(PROCESSES)]
    if not naive:  # one member in TWICE presses again, from the next process, at once
        slices = [s + slices[(i + 1) % PROCESSES][::TWICE] for i, s in enumerate(slices)]
    connections.close_all()
    workers = [
        ctx.Process(target=_worker, args=(barrier, results, session.pk, s, naive, seats))
        for s in slices
    ]
    for w in workers:
        w.start()
    barrier.wait(timeout=60)
    start = time.perf_counter()
    answers = [results.get(timeout=1800) for _ in workers]
    elapsed = time.perf_counter() - start
    for w in workers:
        w.join(timeout=60)
    total: dict[str, int] = {}
    for counts in answers:
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
    return total, elapsed


def run(scale: str):
    from gonghui.training.courses.selectors import waitlist
    from gonghui.training.models import Enrolment, Session

    members, seats = SCALES[scale]
    db = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    note(f"{db}: {members} members, {seats} seats, {PROCESSES} processes, 1 in {TWICE} twice")
    make_session, users, people = _world(members, seats)

    session = make_session(1)
    answers, elapsed = _storm(session, users, naive=False, seats=seats)
    session = Session.objects.get(pk=session.pk)
    rows = list(
        Enrolment.objects.filter(session=session).order_by("id").values_list("status", "person_id")
    )
    statuses = [s for s, _ in rows]
    doubles = sum(len(users[i::PROCESSES][::TWICE]) for i in range(PROCESSES))
    positions = [e.position for e in waitlist(session)]
    exact = (
        session.seated == seats
        and statuses.count("seated") == seats
        and answers.get("seated", 0) == seats
        and len(rows) == members == len({p for _, p in rows})
        and answers.get("refused", 0) == doubles
        and answers.get("error", 0) == 0
    )
    in_order = statuses == ["seated"] * seats + ["waitlisted"] * (
        members - seats
    ) and positions == list(range(1, members - seats + 1))
    note(
        f"{db}: seated {session.seated} (rows {statuses.count('seated')}), waitlisted "
        f"{statuses.count('waitlisted')}, refused double presses {answers.get('refused', 0)} of "
        f"{doubles}, errors {answers.get('error', 0)}, {elapsed:.2f} s"
    )
    yield (
        f"training_enrol.{db}.seated {session.seated} seats ratio_to_capacity "
        f"{num(session.seated / seats)} target==1 {'ok' if exact else 'SHORT'}"
    )
    yield (
        f"training_enrol.{db}.waitlist_in_order {int(in_order)} bool positions_1_to_"
        f"{members - seats} {int(in_order)} target==1 {'ok' if in_order else 'SHORT'}"
    )
    yield comparison(
        f"training_enrol.{db}.enrolments_per_s",
        sum(answers.values()) / elapsed,
        "requests/s",
        "ratio_to_capacity",
        session.seated / seats,
    )

    control = make_session(2)
    naive, _ = _storm(control, people, naive=True, seats=seats)
    oversold = Enrolment.objects.filter(session=control, status="seated").count()
    note(f"{db}: naive control seated {oversold} for {seats} seats")
    yield comparison(
        f"training_enrol.{db}.naive_seated",
        oversold,
        "seats",
        "ratio_to_capacity",
        oversold / seats,
    )

    if db == "sqlite" and os.environ.get("GONGHUI_BENCH_PG", "") != "0":
        yield from _postgres_leg(scale)


def _postgres_leg(scale: str):
    server = os.environ.get("GONGHUI_BENCH_PG") or _pg_server_arg()
    command = [sys.executable, str(Path(__file__).with_name("run.py")), "training_enrol"]
    command += ["--scale", scale, "--db", "postgres", "--pg-server", server]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    sys.stderr.write(child.stderr)
    if child.returncode != 0:
        note(f"postgresql leg failed (exit {child.returncode}); is {server} reachable?")
        yield "training_enrol.postgresql.seated 0 seats ratio_to_capacity 0 target==1 SHORT"
        return
    yield from (line for line in child.stdout.splitlines() if line.strip())


def _pg_server_arg() -> str:
    args = sys.argv
    if "--pg-server" in args and args.index("--pg-server") + 1 < len(args):
        return args[args.index("--pg-server") + 1]
    return "postgresql://postgres@127.0.0.1:5432"
