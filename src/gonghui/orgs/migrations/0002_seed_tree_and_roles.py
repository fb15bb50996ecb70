"""Seed data: the city federation, Beijing's 16 districts (GB/T 2260 codes) and the
Economic-Technological Development Area, and the built-in roles."""

import csv
from pathlib import Path

from django.db import migrations

from gonghui.orgs.permissions import BUILTIN_ROLES

SEG = 6


def seed(apps, schema_editor):
    OrgUnit = apps.get_model("orgs", "OrgUnit")
    Role = apps.get_model("orgs", "Role")
    for code, name, perms in BUILTIN_ROLES:
        Role.objects.update_or_create(code=code, defaults={"name": name, "permissions": perms})
    if OrgUnit.objects.exists():
        return
    with open(Path(__file__).parent.parent / "data" / "beijing.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    city = OrgUnit.objects.create(
        code="110000",
        name="北京市总工会",
        level="city",
        path="1".zfill(SEG),
        depth=0,
        child_count=len(rows),
    )
    for n, row in enumerate(rows, start=1):
        OrgUnit.objects.create(
            code=row["组织编码"],
            name=row["组织名称"],
            level=row["级别"],
            parent=city,
            path=city.path + str(n).zfill(SEG),
            depth=1,
        )


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
