"""The platform heads are append-only like the events (PostgreSQL: the triggers of
0002_append_only), and on SQLite every append-only table now refuses UPDATE and DELETE too.

SQLite has no roles: whoever holds the file can drop these triggers, which is what the
signed heads and the witness outside the database are for. The triggers stop everything
short of that (a script, the ORM, a careless ``DELETE``). A later migration that rebuilds one
of these tables on SQLite (an ``AlterField`` copies the table) must create them again:
``sqlite_guard(table)``."""

from django.db import migrations

PG_FUNCTION = "gonghui_audit_append_only"


def sqlite_guard(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'audit tables are append-only ({op} refused on {table})'); END"
        for op in ("UPDATE", "DELETE")
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        table = "audit_audithead"
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )
    elif vendor == "sqlite":
        for table in ("audit_auditevent", "audit_auditcheckpoint", "audit_audithead"):
            for sql in sqlite_guard(table):
                schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for suffix in ("no_change", "no_truncate"):
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS audit_audithead_{suffix} ON audit_audithead"
            )
    elif vendor == "sqlite":
        for table in ("audit_auditevent", "audit_auditcheckpoint", "audit_audithead"):
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_platform_heads")]
    operations = [migrations.RunPython(forwards, backwards)]
