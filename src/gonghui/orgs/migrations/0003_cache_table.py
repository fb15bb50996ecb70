"""The database cache's table (lock-out and rate-limit counters when Redis is not
configured), so that ``migrate`` alone prepares a database: without it the login page fails.
A no-op when the cache is Redis."""

from django.core.management import call_command
from django.db import migrations


def create(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_seed_tree_and_roles")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
