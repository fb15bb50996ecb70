"""Each unit's count of the units below it (the tree panel reads it in O(1)), and an index
for paging a node's children in path order."""

from django.db import migrations, models


def count(apps, schema_editor):
    from gonghui.orgs.models import recount_descendants

    recount_descendants(apps.get_model("orgs", "OrgUnit"))


class Migration(migrations.Migration):
    dependencies = [("orgs", "0004_apitoken_password_fingerprint")]

    operations = [
        migrations.AddField(
            model_name="orgunit",
            name="descendants",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="下级组织数"),
        ),
        migrations.AddIndex(
            model_name="orgunit",
            index=models.Index(fields=["parent", "path"], name="orgunit_parent_path"),
        ),
        migrations.RunPython(count, migrations.RunPython.noop),
    ]
