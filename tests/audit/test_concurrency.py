"""Writers in parallel, each committing its own events: the chain never forks.

These tests commit for real (``transaction=True``), so they run after the others and
pytest-django empties the database after each; ``append_only`` (tests/audit/conftest.py)
lets that flush past the append-only triggers and puts the migrated data back."""

import re
import threading
import time

import pytest
from django.db import IntegrityError, connection, connections, transaction

from gonghui.audit import heads, services
from gonghui.audit.models import AuditCheckpoint, AuditEvent
from gonghui.orgs.models import OrgUnit, Role
from tests.audit.conftest import triggers_enabled

THREADS = 8
EACH = 30


def run_writers(threads: int, each: int, refused: list[str] | None = None) -> list[BaseException]:
    """``threads`` threads, each on its own connection, each appending ``each`` events in
    separate transactions, all released at once. Appends the database refuses are listed
    in ``refused`` if given, else they stop the thread and are returned."""
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                try:
                    services.record(actor=None, action="test.parallel", object_id=f"{n}-{i}")
                except IntegrityError:
                    if refused is None:
                        raise
                    refused.append(f"{n}-{i}")
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()  # this thread's connections only

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers)
    return errors


def assert_one_unbroken_chain(
    total: int, threads: int, each: int, refused: tuple[str, ...] = ()
) -> None:
    report = services.verify_stream()
    assert report.ok, report.problems
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [seq for seq, _, _ in rows] == list(range(1, total + 1))
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows)))
    written = set(
        AuditEvent.objects.filter(action="test.parallel").values_list("object_id", flat=True)
    )
    assert written == {f"{n}-{i}" for n in range(threads) for i in range(each)} - set(refused)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestCommittedWrites:
    @pytest.mark.postgres
    def test_postgres_writers_do_not_fork_the_chain(self, postgres, monkeypatch):
        # A writer never signs (record() takes no lock but its stream's): the milestones it
        # passes are signed by the next platform head, at the head it signs.
        monkeypatch.setattr(heads, "CHECKPOINT_EVERY", 40)
        assert set(triggers_enabled().values()) == {"O"}  # the real table, triggers on

        errors = run_writers(THREADS, EACH)

        assert errors == []
        assert_one_unbroken_chain(THREADS * EACH, THREADS, EACH)
        assert not AuditCheckpoint.objects.exists()
        assert services.head_sign().signed == 1
        assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [THREADS * EACH]

    @pytest.mark.postgres
    def test_postgres_writers_without_the_lock_are_stopped_by_the_constraints(
        self, postgres, monkeypatch
    ):
        """The second line of defence: with the advisory lock gone, racing writers read the
        same head, and the unique (stream, seq) / (stream, prev_hash) refuse all but one."""
        monkeypatch.setattr(services, "_lock_stream", lambda stream: None)
        refused: list[str] = []

        errors = run_writers(THREADS, EACH, refused)

        assert errors == []
        assert refused  # the race did happen
        assert_one_unbroken_chain(THREADS * EACH - len(refused), THREADS, EACH, tuple(refused))

    def test_a_rolled_back_write_leaves_no_event_and_holds_no_lock(self):
        services.record(actor=None, action="test.kept")
        with pytest.raises(RuntimeError), transaction.atomic():
            services.record(actor=None, action="test.doomed")
            raise RuntimeError("the write fails after its event was recorded")

        # Another connection appends at once (the stream lock went with the rollback).
        assert run_writers(1, 1) == []
        assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
            "test.kept",
            "test.parallel",
        ]
        assert services.verify_stream().ok

    def test_sqlite_writers_queue_and_do_not_fork_the_chain(self):
        if connection.vendor != "sqlite":
            pytest.skip("the SQLite leg")
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"

        errors = run_writers(4, 20)

        assert errors == []
        assert_one_unbroken_chain(80, 4, 20)

    def test_checkpoints_and_appends_side_by_side(self):
        """An auditor's export (which signs the head) while writers append."""
        stop = threading.Event()
        signed: list[int] = []

        def signer():
            try:
                while True:
                    last_round = stop.is_set()  # one more after the writers are done
                    checkpoint = services.checkpoint_sign()
                    if checkpoint is not None:
                        signed.append(checkpoint.seq)
                    if last_round:
                        break
                    time.sleep(0.002)
            finally:
                connections.close_all()

        thread = threading.Thread(target=signer)
        thread.start()
        try:
            errors = run_writers(4, 20)
        finally:
            stop.set()
            thread.join(timeout=60)

        assert errors == []
        assert signed[-1] == 80
        assert_one_unbroken_chain(80, 4, 20)
        assert services.verify_stream().checkpoints == len(set(signed))


def test_after_committing_tests_the_database_is_as_migrated(django_db_blocker):
    """Runs after every transactional test (pytest-django orders the tests that use no
    database last): the flushes went through, and the tests that follow find the database
    exactly as migrated (same rows, same keys) and the append-only triggers in place."""
    with django_db_blocker.unblock():
        snapshot = getattr(connection, "_test_serialized_contents", None)
        if snapshot is None:
            pytest.skip("no transactional test ran")
        # Django's serializer writes a time to the millisecond: a seeded row stamped less
        # than a millisecond past the second reads ".000Z" before a restore and "Z" after
        # (the same instant, restored exactly as the snapshot holds it).
        same = re.compile(r"\.000Z\"")
        now = same.sub('Z"', connection.creation.serialize_db_to_string())
        assert now == same.sub('Z"', snapshot), (
            "a django_db(transaction=True) test left the database emptied or changed: "
            "mark it serialized_rollback=True (tests/conftest.py puts the snapshot back "
            "after each such test)"
        )
        assert OrgUnit.objects.filter(parent__isnull=True, code="110000").exists()
        assert Role.objects.filter(code="auditor").exists()
        assert not AuditEvent.objects.exists()
        if connection.vendor == "postgresql":
            assert triggers_enabled() == {
                "audit_auditevent_no_change": "O",
                "audit_auditevent_no_truncate": "O",
                "audit_auditcheckpoint_no_change": "O",
                "audit_auditcheckpoint_no_truncate": "O",
                "audit_audithead_no_change": "O",
                "audit_audithead_no_truncate": "O",
                "audit_auditarchive_no_change": "O",
                "audit_auditarchive_no_truncate": "O",
            }
