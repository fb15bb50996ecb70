"""Judging under real concurrency, on PostgreSQL (the leg where it matters: SQLite's
writers queue whole transactions). Two connections race on one entrant: the second waits
for the entrant's row lock, and its checks must see what the first committed.

Before the fix the checks were columns of the locking statement itself, which PostgreSQL
evaluates on the snapshot taken before the wait: the same mark from two devices was stored
twice as a first mark, and a correction was stored after the sheet was locked.

These tests commit for real (``transaction=True``); the session's clean-up
(tests/conftest.py) flushes past the append-only triggers."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.db import connection, connections

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import ValidationFailed
from gonghui.contests import events as contest_events
from gonghui.contests.judging import services
from gonghui.contests.judging.services import mark_correct, mark_submit, sheet_lock
from gonghui.contests.models import Mark, Sheet
from tests.contests.test_judging import build_contest, mark_all, panel_of, seated

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WAIT = 10.0  # seconds: how long the holder waits to see the other blocked


def key() -> str:
    return str(uuid.uuid4())


def someone_waits_for_a_lock() -> bool:
    """Whether another connection of this test database waits for a lock (checked from
    inside the holder's transaction)."""
    deadline = time.monotonic() + WAIT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction the activity view is read once and kept: read it anew.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


class Race:
    """``first`` runs in one thread until its write is made (``hold`` wraps the function
    it calls inside its transaction, after the write and before the commit); then
    ``second`` runs in another thread, and the first's transaction stays open until the
    second is seen waiting for its lock."""

    def __init__(self):
        self.reached = threading.Event()
        self.outcome: dict[str, object] = {"blocked": False}

    def hold(self, real):
        def holding(*args, **kwargs):
            result = real(*args, **kwargs)
            if threading.current_thread().name == "first":
                self.reached.set()
                self.outcome["blocked"] = someone_waits_for_a_lock()
            return result

        return holding

    def run(self, first, second) -> dict[str, object]:
        def run(name, fn):
            try:
                self.outcome[name] = fn()
            except BaseException as exc:  # reported by the test
                self.outcome[name] = exc
            finally:
                self.reached.set()  # never leave the other waiting
                connections.close_all()  # this thread's connections only

        one = threading.Thread(target=run, args=("first", first), name="first")
        two = threading.Thread(target=run, args=("second", second), name="second")
        one.start()
        assert self.reached.wait(WAIT)
        two.start()
        one.join(timeout=60)
        two.join(timeout=60)
        assert not one.is_alive() and not two.is_alive()
        return self.outcome


def test_the_same_mark_from_two_devices_is_stored_once(postgres, tree, users, monkeypatch):
    contest = build_contest(tree, users.cy)
    match = seated(contest, users.cy)
    judge = panel_of(match)[0]
    race = Race()
    monkeypatch.setattr(services, "_mark_event", race.hold(services._mark_event))

    outcome = race.run(
        lambda: mark_submit(
            actor=judge.user, stage=contest.stage, entrant=1, aspect="J1", value="20", key=key()
        ),
        # The judge's second phone, the same cell, its own key.
        lambda: mark_submit(
            actor=judge.user, stage=contest.stage, entrant=1, aspect="J1", value="21", key=key()
        ),
    )

    assert outcome["blocked"], "the second send did not wait for the entrant's lock"
    assert isinstance(outcome["first"], services.Marked), outcome["first"]
    refused = outcome["second"]
    assert isinstance(refused, ValidationFailed), refused
    assert refused.fields == {"aspect": services.ALREADY_MARKED}
    assert list(Mark.objects.values_list("value", flat=True)) == ["20"]
    assert AuditEvent.objects.filter(action="contests.mark").count() == 1


def test_no_correction_slips_in_after_the_sheet_lock(postgres, tree, users, monkeypatch):
    contest = build_contest(tree, users.cy)
    match = seated(contest, users.cy)
    marks = mark_all(contest, match, 1, ["20", "22", "21"])
    judge = panel_of(match)[1]
    race = Race()
    monkeypatch.setattr(contest_events, "event", race.hold(contest_events.event))

    outcome = race.run(
        lambda: sheet_lock(actor=users.cy, stage=contest.stage, entrant=1),
        lambda: mark_correct(actor=judge.user, mark=marks[1], value="23", reason="再看", key=key()),
    )

    assert outcome["blocked"], "the correction did not wait for the entrant's lock"
    assert isinstance(outcome["first"], Sheet), outcome["first"]
    refused = outcome["second"]
    assert isinstance(refused, ValidationFailed), refused
    assert refused.fields == {"entrant": services.SHEET_LOCKED}
    assert not Mark.objects.filter(replaces__isnull=False).exists()
    assert AuditEvent.objects.filter(action="contests.mark").count() == 4  # M1 and three J1
