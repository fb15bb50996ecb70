import django.db.models.deletion
from django.db import migrations, models


def _foreign_keys(schema_editor) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint"
            " WHERE conrelid = 'people_searchkey'::regclass AND contype = 'f'"
        )
        return [name for (name,) in cursor.fetchall()]


def drop_constraint(apps, schema_editor):
    """PostgreSQL only: SQLite cannot drop a constraint without rebuilding the table (its
    check per row is one primary-key probe, cheap enough to keep)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in _foreign_keys(schema_editor):
        schema_editor.execute(f'ALTER TABLE people_searchkey DROP CONSTRAINT "{name}"')


def add_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql" or _foreign_keys(schema_editor):
        return
    schema_editor.execute(
        "ALTER TABLE people_searchkey ADD CONSTRAINT people_searchkey_person_id_fk"
        " FOREIGN KEY (person_id) REFERENCES people_person (id) DEFERRABLE INITIALLY DEFERRED"
    )


class Migration(migrations.Migration):
    dependencies = [("people", "0008_fewer_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="searchkey",
                    name="person",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="search_keys",
                        to="people.person",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_constraint, add_constraint)],
        ),
    ]
