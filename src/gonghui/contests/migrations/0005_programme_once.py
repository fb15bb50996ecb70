from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contests", "0004_mark_first_once"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="programme",
            constraint=models.UniqueConstraint(
                fields=("org_unit", "year", "edition", "name"), name="programme_once"
            ),
        ),
    ]
