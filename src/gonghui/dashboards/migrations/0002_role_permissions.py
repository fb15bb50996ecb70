from django.db import migrations


def roles(apps, schema_editor):
    from gonghui.orgs.permissions import sync_builtin_roles

    sync_builtin_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0001_initial"), ("orgs", "0002_seed_tree_and_roles")]
    operations = [migrations.RunPython(roles, migrations.RunPython.noop)]
