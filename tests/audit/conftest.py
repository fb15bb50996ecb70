"""Helpers for the audit tests: raw tampering as the table owner, tests that commit, and a
tree that leaves the log empty."""

import os
from contextlib import contextmanager

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from gonghui.audit.models import APPEND_ONLY_TABLES
from tests.factories import build_tree, seed_unit

AUDIT_TABLES = APPEND_ONLY_TABLES
# What a committing test's flush must get past: the audit tables and the contests' marks and
# votes (immutable too).
FLUSHED_TABLES = (
    *APPEND_ONLY_TABLES,
    "contests_mark",
    "contests_vote",
    "funds_ledgerentry",
    "funds_ruleversion",
)
_sqlite_triggers: dict[str, str] = {}  # name -> its CREATE statement, while dropped


def set_append_only(enabled: bool, tables=AUDIT_TABLES) -> None:
    """Switch the append-only triggers on or off.

    PostgreSQL: only the tables' owner (or a superuser) may, and production runs as a role
    that is neither (roles.py refuses to start otherwise). SQLite: whoever holds the file
    drops the triggers and creates them again, as a hand-editor of the file would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            verb = "ENABLE" if enabled else "DISABLE"
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} {verb} TRIGGER USER")
        elif connection.vendor == "sqlite":
            if enabled:
                for sql in _sqlite_triggers.values():
                    cursor.execute(sql)
                _sqlite_triggers.clear()
                return
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                f"AND tbl_name IN ({marks})",
                list(tables),
            )
            for name, sql in cursor.fetchall():
                _sqlite_triggers[name] = sql
                cursor.execute(f'DROP TRIGGER "{name}"')


@contextmanager
def as_table_owner():
    """Tamper with the audit tables directly, as someone holding the database would.

    No ``finally``: if the tampering fails the transaction is aborted and the test fails
    anyway; the test's rollback puts the triggers back in either case."""
    set_append_only(False)
    with connection.cursor() as cursor:
        yield cursor
    set_append_only(True)


def triggers_enabled() -> dict[str, str]:
    """Trigger name -> pg_trigger.tgenabled ('O' = on, 'D' = disabled)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal "
            "AND tgrelid = ANY(%s::regclass[])",
            [list(AUDIT_TABLES)],
        )
        return dict(cursor.fetchall())


# --- PostgreSQL: the two roles of `gonghui audit pg-roles` ---------------------------------

OWNER = f"gonghui_t_owner_{os.getpid()}"
APP = f"gonghui_t_app_{os.getpid()}"


def connect_as(role: str):
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=role, autocommit=True
    )


@pytest.fixture
def two_roles(postgres, capsys):
    """The two roles, created by the command in the test database; dropped afterwards (they
    live in the server, beside other test runs' databases). Gives what the command said."""
    call_command("audit", "pg-roles", "--owner", OWNER, "--app", APP)
    yield capsys.readouterr().out
    with connection.cursor() as cursor:
        for role in (OWNER, APP):  # the database and schema public come back too
            cursor.execute(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
        for role in (OWNER, APP):
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


# --- The archive storage (audit retention) ---------------------------------------------------


@pytest.fixture(autouse=True)
def _own_archive_storage(settings, tmp_path):
    """Each test its own archive folder (settings.STORAGES["audit_archive"])."""
    settings.STORAGES = settings.STORAGES | {
        "audit_archive": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "audit-archive"},
        }
    }


# --- The tree, without events ---------------------------------------------------------------


@pytest.fixture
def tree(db):
    """The shared tree (tests/conftest.py), its units laid down without events: the audit
    log's tests read the chain from its first event (seq 1)."""
    return build_tree(seed_unit)
