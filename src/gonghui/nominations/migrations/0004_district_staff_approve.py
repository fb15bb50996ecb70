"""District staff hold the second notice, second review and approval of the campaigns their
district organises (its own titles): the built-in role gains nominations.approve."""

from django.db import migrations

from gonghui.orgs.permissions import sync_builtin_roles


def sync(apps, schema_editor):
    sync_builtin_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("nominations", "0003_quota_rules_index")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
