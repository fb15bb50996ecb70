"""A public juror's pass count (unseating withdraws the passes handed out) and whether an
upheld ruling orders a re-scoring.

On SQLite, adding a column that is not null rebuilds the table, and renaming the rebuilt
judge table fails on the vote triggers that read it: the guards of ``0002_guards`` are
dropped first and created again after (PostgreSQL adds the columns in place)."""

import importlib

from django.db import migrations, models

guards = importlib.import_module("gonghui.contests.migrations.0002_guards")


def _sqlite(step):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            step(apps, schema_editor)

    return run


class Migration(migrations.Migration):
    dependencies = [("contests", "0002_guards")]

    operations = [
        migrations.RunPython(_sqlite(guards.backwards), _sqlite(guards.forwards)),
        migrations.AddField(
            model_name="judge",
            name="pass_count",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="投票凭证批次"
            ),
        ),
        migrations.AddField(
            model_name="appeal",
            name="rescore",
            field=models.BooleanField(default=False, verbose_name="须重评"),
        ),
        migrations.RunPython(_sqlite(guards.forwards), _sqlite(guards.backwards)),
    ]
