"""Give the built-in roles the nomination and calendar permissions."""

from django.db import migrations

from gonghui.orgs.permissions import sync_builtin_roles


def sync(apps, schema_editor):
    sync_builtin_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("nominations", "0001_initial"), ("registry", "0003_role_permissions")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
