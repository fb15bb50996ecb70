from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contests", "0003_juror_identity_length"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="programme",
            constraint=models.UniqueConstraint(
                fields=("org_unit", "year", "edition", "name"), name="programme_once"
            ),
        ),
    ]
