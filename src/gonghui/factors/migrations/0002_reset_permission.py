"""The city administrator's role takes the new permission security.reset_factor (the
security administrator's, once the three administrators' roles exist)."""

from django.db import migrations

from gonghui.orgs.permissions import sync_builtin_roles


def forwards(apps, schema_editor):
    sync_builtin_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("factors", "0001_initial"), ("orgs", "0006_chinese_field_names")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
