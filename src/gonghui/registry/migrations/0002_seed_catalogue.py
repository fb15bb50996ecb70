from django.db import migrations

from gonghui.registry.catalogue import CATEGORIES, HONOURS, PREREQUISITES, TRADES


def seed(apps, schema_editor):
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    Honour = apps.get_model("registry", "Honour")
    Category = apps.get_model("registry", "Category")
    Trade = apps.get_model("people", "Trade")
    for sort, (code, name, level, subject, by, node, year, cycle, title) in enumerate(HONOURS):
        Honour.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "subject": subject,
                "conferred_by": by,
                "conferring_unit": OrgUnit.objects.get(code=node),
                "first_year": year,
                "cycle": cycle,
                "is_title": title,
                "sort": sort,
            },
        )
    for code, required in PREREQUISITES.items():
        Honour.objects.get(code=code).prerequisites.set(Honour.objects.filter(code__in=required))
    for code, name in CATEGORIES:
        Category.objects.update_or_create(code=code, defaults={"name": name})
    for code, name, category in TRADES:
        Trade.objects.update_or_create(code=code, defaults={"name": name, "category": category})


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("orgs", "0002_seed_tree_and_roles"),
        ("people", "0002_registry_fields"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
