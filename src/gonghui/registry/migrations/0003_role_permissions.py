"""Give the built-in roles the registry's permissions (roles seeded before they existed)."""

from django.db import migrations

from gonghui.orgs.permissions import sync_builtin_roles


def sync(apps, schema_editor):
    sync_builtin_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_seed_catalogue")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
