"""What the database itself refuses, whatever code writes (see models.py):

* a review decided by the applicant's own account or by whoever created the application
  (maker-checker);
* any UPDATE or DELETE of a ledger row or a rule version (a correction is a reversing row,
  a rule change the next version).

Both databases, by triggers. A later migration that rebuilds one of these tables on SQLite
(an ``AlterField`` copies the table) must create its triggers again."""

from django.db import migrations

MAKER = (
    "EXISTS (SELECT 1 FROM funds_application a WHERE a.id = NEW.application_id "
    "AND (a.applicant_user_id = NEW.reviewer_id OR a.created_by_id = NEW.reviewer_id))"
)
# (table, name, condition that refuses, message)
CHECKS = [("funds_review", "maker_checker", MAKER, "a decision by the applicant or maker")]
IMMUTABLE = ("funds_ledgerentry", "funds_ruleversion")


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "sqlite":
        for table, name, condition, message in CHECKS:
            run(
                f"CREATE TRIGGER {table}_{name} BEFORE INSERT ON {table} WHEN {condition} "
                f"BEGIN SELECT RAISE(ABORT, 'funds: {message}'); END"
            )
        for table in IMMUTABLE:
            for op in ("UPDATE", "DELETE"):
                run(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'funds: {table} is append-only'); END"
                )
    elif vendor == "postgresql":
        for table, name, condition, message in CHECKS:
            run(
                f"CREATE FUNCTION {table}_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF {condition} THEN RAISE EXCEPTION 'funds: {message}' "
                f"USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$"
            )
            run(
                f"CREATE TRIGGER {table}_{name} BEFORE INSERT OR UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_{name}()"
            )
        run(
            "CREATE FUNCTION funds_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'funds: %% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in IMMUTABLE:
            run(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION funds_append_only()"
            )
            run(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION funds_append_only()"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "sqlite":
        for table, name, _, _ in CHECKS:
            run(f"DROP TRIGGER IF EXISTS {table}_{name}")
        for table in IMMUTABLE:
            for op in ("update", "delete"):
                run(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
    elif vendor == "postgresql":
        for table, name, _, _ in CHECKS:
            run(f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}")
            run(f"DROP FUNCTION IF EXISTS {table}_{name}()")
        for table in IMMUTABLE:
            for suffix in ("no_change", "no_truncate"):
                run(f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table}")
        run("DROP FUNCTION IF EXISTS funds_append_only()")


def roles(apps, schema_editor):
    from gonghui.orgs.permissions import sync_builtin_roles

    sync_builtin_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial"), ("orgs", "0004_apitoken_password_fingerprint")]
    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(roles, migrations.RunPython.noop),
    ]
