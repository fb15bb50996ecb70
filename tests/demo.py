"""The real demo (``gonghui demo``) for a module of tests: built once, inside a transaction
rolled back after the module's last test, so the tests of other modules never see it. Each
test runs in a savepoint inside it (the ``db`` fixture), so what one writes is gone. It
gives the lines the command printed.

The contests' milestones sign platform heads, which go to the witness files: the module's
own (``witness``, a temporary directory unless given), never the developer's ``var/``, as
the heads it records are rolled back with the rest. A module that checks the audit against
them sets ``settings.AUDIT_WITNESS`` to the same path in its tests."""

import io
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from gonghui.contests.board import snapshots
from gonghui.perks.giveaways import claims


@contextmanager
def demo_built(django_db_blocker, *, people: int, contest_trades: int = 2, witness=None):
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(witness) if witness is not None else Path(scratch) / "audit-heads.jsonl"
        # The function-scoped settings of tests/conftest.py, for the whole module.
        fast = override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
            AUDIT_WITNESS=[path],
        )
        with django_db_blocker.unblock(), transaction.atomic(), fast:
            out = io.StringIO()
            call_command("demo", people=people, contest_trades=contest_trades, stdout=out)
            yield out.getvalue().splitlines()
            transaction.set_rollback(True)
        # Cached by id, and the ids are given out again: the giveaway rules and the live
        # boards' snapshots in this process (a board would show another demo's results).
        claims._RULES.clear()
        snapshots.forget_local()
