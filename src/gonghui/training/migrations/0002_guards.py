"""What the database itself refuses, whatever code writes (see models.py): a review of a
studio's yearly report by the account that submitted it (maker-checker), on both
databases by a trigger; and the built-in roles learn training's permissions.

A later migration that rebuilds ``training_studioreview`` on SQLite (an ``AlterField``
copies the table) must create the trigger again."""

from django.db import migrations

TABLE = "training_studioreview"
CONDITION = (
    "EXISTS (SELECT 1 FROM training_studioreport r WHERE r.id = NEW.report_id "
    "AND r.submitted_by_id = NEW.reviewer_id)"
)
MESSAGE = "training: a studio report reviewed by its submitter"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "sqlite":
        run(
            f"CREATE TRIGGER {TABLE}_maker_checker BEFORE INSERT ON {TABLE} WHEN {CONDITION} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    elif vendor == "postgresql":
        run(
            f"CREATE FUNCTION {TABLE}_maker_checker() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF {CONDITION} THEN RAISE EXCEPTION '{MESSAGE}' "
            f"USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$"
        )
        run(
            f"CREATE TRIGGER {TABLE}_maker_checker BEFORE INSERT OR UPDATE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_maker_checker()"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_maker_checker")
    elif vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_maker_checker ON {TABLE}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_maker_checker()")


def roles(apps, schema_editor):
    from gonghui.orgs.permissions import sync_builtin_roles

    sync_builtin_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial")]
    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(roles, migrations.RunPython.noop),
    ]
