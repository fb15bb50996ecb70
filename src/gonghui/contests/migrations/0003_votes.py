"""A public juror's identity hash is ``crypto.blind_index``'s "kid$" and 64 hex digits:
longer than the 64 characters its column had, which PostgreSQL refused (SQLite does not
check lengths), so no juror could be registered there.

Only PostgreSQL's column changes: on SQLite an ``AlterField`` would rebuild
contests_judge, which the vote triggers of 0002_guards name (the rebuild fails on them),
and SQLite's varchar has no length to widen."""

from django.db import migrations, models


def widen(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE contests_judge ALTER COLUMN identity_hash TYPE varchar(80)"
        )


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE contests_judge ALTER COLUMN identity_hash TYPE varchar(64)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contests", "0002_guards"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="judge",
                    name="identity_hash",
                    field=models.CharField(blank=True, editable=False, max_length=80),
                ),
            ],
            database_operations=[migrations.RunPython(widen, narrow)],
        ),
    ]
