from django.db import migrations, models

import gonghui.common.fields


def reindex(apps, schema_editor):
    """The rules of readings and keys changed (a surname read only as a surname, characters
    without a reading kept, ranks for other readings): every sort key and search key is
    rebuilt by the current indexer, which ``gonghui people reindex`` also runs."""
    from gonghui.people.search import reindex_all

    reindex_all()


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0011_transfer_request_joined"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="name_reading",
            field=models.CharField(
                blank=True,
                help_text="系统读不出或读错姓名时填写，每个字一个音节，用空格分隔（如 ji wen）",
                max_length=420,
                verbose_name="姓名拼音",
            ),
        ),
        migrations.AlterField(
            model_name="person",
            name="name_sort",
            field=gonghui.common.fields.SortKeyField(
                reading="name_reading", source="name", verbose_name="拼音排序"
            ),
        ),
        migrations.RunPython(reindex, migrations.RunPython.noop),
    ]
