"""Give the built-in roles the registry's permissions (roles seeded before they existed)."""

from django.db import migrations

from gonghui.orgs.permissions import BUILTIN_ROLES


def sync(apps, schema_editor):
    Role = apps.get_model("orgs", "Role")
    for code, _name, perms in BUILTIN_ROLES:
        role = Role.objects.filter(code=code).first()
        if role is not None:
            role.permissions = sorted(set(role.permissions) | set(perms))
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_seed_catalogue")]
    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
