"""On PostgreSQL the audit tables refuse UPDATE, DELETE and TRUNCATE, whoever asks.

Run the platform as a role that does not own these tables (docs/operations.md), so that it
cannot drop the triggers either."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION gonghui_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit tables are append-only (% refused on %)', TG_OP, TG_TABLE_NAME;
END $$ LANGUAGE plpgsql;
"""
TABLES = ["audit_auditevent", "audit_auditcheckpoint"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the function body's '%' placeholders are PL/pgSQL's, not the driver's.
    schema_editor.execute(SQL, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION gonghui_audit_append_only()"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION gonghui_audit_append_only()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
