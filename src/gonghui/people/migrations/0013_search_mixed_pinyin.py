from django.db import migrations


def reindex(apps, schema_editor):
    """Names get mixed pinyin keys (the first syllables in full, the rest by initials:
    wangxm): every search key is rebuilt by the current indexer, which
    ``gonghui people reindex`` also runs."""
    from gonghui.people.search import reindex_all

    reindex_all()


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0012_name_reading"),
    ]

    operations = [
        migrations.RunPython(reindex, migrations.RunPython.noop),
    ]
