"""Helpers for the audit tests: raw tampering as the table owner, and tests that commit."""

from contextlib import contextmanager

from django.db import connection

AUDIT_TABLES = ("audit_auditevent", "audit_auditcheckpoint")


def set_append_only(enabled: bool) -> None:
    """Switch the append-only triggers (PostgreSQL only; SQLite has none) on or off.

    Only the tables' owner may do this; production runs as a role that is not (see
    0002_append_only), so there the triggers stand whatever the platform is asked to do."""
    if connection.vendor != "postgresql":
        return
    verb = "ENABLE" if enabled else "DISABLE"
    with connection.cursor() as cursor:
        for table in AUDIT_TABLES:
            cursor.execute(f"ALTER TABLE {table} {verb} TRIGGER USER")


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
            "AND tgrelid IN ('audit_auditevent'::regclass, 'audit_auditcheckpoint'::regclass)"
        )
        return dict(cursor.fetchall())
