"""三权分立: the system, security and audit administrators' roles, and the city
administrator without their powers (the triggers that keep them apart on one account are
made after every migrate: orgs/separation.py)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from gonghui.orgs.permissions import builtin_roles_separate, sync_builtin_roles

    builtin_roles_separate(apps)
    sync_builtin_roles(apps)  # registry.unmerge (city_admin), contests.view (auditor)


class Migration(migrations.Migration):
    dependencies = [("orgs", "0006_chinese_field_names")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
