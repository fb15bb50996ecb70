"""The enrolment storm at small scale, against the real database of each leg (SQLite in
`make test`, PostgreSQL in `make test-postgres`): several processes enrol members at once,
some members twice from two processes, into a session with far fewer seats than members.
Exactly the capacity is seated, the seated are the first enrolments by id (arrival order),
the rest wait in id order, nobody holds two live enrolments. The same harness runs a naive
check-then-insert enrolment, to show it oversells where ours cannot."""

import multiprocessing
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection, connections, transaction

from gonghui.common.errors import ValidationFailed
from gonghui.people.models import Person
from gonghui.training.courses import services
from gonghui.training.courses.checkin import checkin_token
from gonghui.training.models import Attendance, Enrolment, Session
from tests.factories import make_member
from tests.training.conftest import make_session

PROCESSES = 6
MEMBERS = 60
SEATS = 10


def naive_enrol(session_id: int, person_id: int) -> str:
    """The control: count the seated, think, insert a seated row."""
    seated = Enrolment.objects.filter(session_id=session_id, status="seated").count()
    time.sleep(0.003)  # the work between the check and the write
    status = "seated" if seated < SEATS else "waitlisted"
    Enrolment.objects.create(session_id=session_id, person_id=person_id, status=status)
    return status


def _enroller(barrier, results, session_id: int, users: list[int], naive: bool):
    answers = []
    try:
        connection.ensure_connection()
        User = get_user_model()
        session = Session.objects.get(pk=session_id)
        barrier.wait(timeout=30)
        for user_id in users:
            try:
                if naive:
                    person_id = Person.objects.get(user_id=user_id).pk
                    answers.append(naive_enrol(session_id, person_id))
                else:
                    e = services.enrolment_create(actor=User(pk=user_id), session=session)
                    answers.append(e.status)
            except ValidationFailed:
                answers.append("refused")
    except Exception as exc:  # noqa: BLE001 — reported to the parent, which fails the test
        answers.append(f"error: {exc!r}")
    finally:
        connections.close_all()
        results.put(answers)


def storm(session: Session, users: list[int], *, naive: bool) -> list[str]:
    """Each process enrols its slice, and (but for the naive control) the next slice
    again, reversed: the double presses."""
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    size = len(users) // PROCESSES
    slices = [users[i * size : (i + 1) * size] for i in range(PROCESSES)]
    connections.close_all()
    workers = []
    for i in range(PROCESSES):
        mine = slices[i] if naive else slices[i] + slices[(i + 1) % PROCESSES][::-1]
        workers.append(
            ctx.Process(target=_enroller, args=(barrier, results, session.pk, mine, naive))
        )
    for w in workers:
        w.start()
    answers = [a for _ in workers for a in results.get(timeout=120)]
    for w in workers:
        w.join(timeout=30)
    return answers


@pytest.fixture
def crowd(lecture, tree):
    """A session of SEATS seats and MEMBERS members of Chaoyang with logins."""
    session = make_session(lecture, 2, capacity=SEATS, audience=tree.chaoyang)
    users = [
        make_member(tree.cy_grass, f"会员{n:03d}", username=f"storm{n:03d}").user_id
        for n in range(MEMBERS)
    ]
    return session, users


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_storm_seats_exactly_the_capacity_in_arrival_order(crowd):
    session, users = crowd
    answers = storm(session, users, naive=False)
    assert not [a for a in answers if a.startswith("error")], answers
    assert answers.count("seated") == SEATS
    assert answers.count("waitlisted") == MEMBERS - SEATS
    assert answers.count("refused") == MEMBERS  # every second press
    session.refresh_from_db()
    assert session.seated == SEATS
    rows = list(Enrolment.objects.filter(session=session).order_by("id"))
    assert len(rows) == MEMBERS == len({r.person_id for r in rows})
    # arrival order is the id: the seated are exactly the first SEATS ids
    assert [r.status for r in rows] == ["seated"] * SEATS + ["waitlisted"] * (MEMBERS - SEATS)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_naive_check_then_insert_control_oversells(crowd):
    session, users = crowd
    answers = storm(session, users, naive=True)
    assert not [a for a in answers if a.startswith("error")], answers
    seated = Enrolment.objects.filter(session=session, status="seated").count()
    assert seated > SEATS, f"the naive control did not oversell ({seated} of {SEATS})"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cancel_committed_while_the_checkin_waits_leaves_no_attendance(lecture, members):
    """The member cancels (another connection, its UPDATE not yet committed) while their
    check-in runs: the check-in waits for the seat's row and, the seat gone, is refused —
    never an attendance on a cancelled enrolment."""
    session = lecture.sessions.get()
    seat = services.enrolment_create(actor=members.cy1.user, session=session)
    holding, failures = threading.Event(), []

    def cancel():
        try:
            with transaction.atomic():
                Enrolment.objects.filter(pk=seat.pk).update(status="cancelled")
                holding.set()
                time.sleep(0.5)  # the check-in arrives meanwhile
        except Exception as exc:  # noqa: BLE001 — reported by the test below
            failures.append(exc)
        finally:
            holding.set()
            connection.close()

    with time_machine.travel(session.starts_at - timedelta(minutes=5)):
        canceller = threading.Thread(target=cancel)
        canceller.start()
        assert holding.wait(10)
        with pytest.raises(ValidationFailed) as refused:
            services.attendance_checkin(actor=members.cy1.user, token=checkin_token(session.pk))
        canceller.join(10)
    assert not failures and "未获得该场次的名额" in str(refused.value.fields)
    assert not Attendance.objects.exists()
