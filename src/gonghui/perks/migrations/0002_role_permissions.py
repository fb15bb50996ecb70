"""Give the built-in roles the member-services permissions."""

from django.db import migrations

from gonghui.orgs.permissions import sync_builtin_roles


def sync(apps, schema_editor):
    sync_builtin_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("perks", "0001_initial"), ("nominations", "0003_quota_rules_index")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
