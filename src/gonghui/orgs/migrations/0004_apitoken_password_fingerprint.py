"""Bind each API token to its owner's password: a token made before this keeps working
until the password changes (its fingerprint is taken from the password of today)."""

import hashlib

from django.db import migrations, models


def bind_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("orgs", "ApiToken")
    for token in ApiToken.objects.select_related("user"):
        # orgs.models.password_fingerprint as of this migration (frozen here).
        digest = hashlib.sha256(f"gonghui.apitoken:{token.user.password}".encode())
        token.password_fingerprint = digest.hexdigest()
        token.save(update_fields=["password_fingerprint"])


class Migration(migrations.Migration):
    dependencies = [("orgs", "0003_cache_table")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="password_fingerprint",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(bind_existing_tokens, migrations.RunPython.noop),
    ]
