"""Reading salons: the requested grant beside the approved one (never above it), the
maker-checker rule (the account that applied never decides), a decision carries its
decider, a meeting has someone present."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("training", "0002_guards")]

    operations = [
        migrations.AddField(
            model_name="salon",
            name="requested_fen",
            field=models.BigIntegerField(default=0, verbose_name="申请资助金额（分）"),
        ),
        migrations.AlterField(
            model_name="salon",
            name="grant_fen",
            field=models.BigIntegerField(
                default=0, help_text="批准的金额，不超过申请金额", verbose_name="资助金额（分）"
            ),
        ),
        migrations.AddIndex(
            model_name="salon",
            index=models.Index(fields=["year", "status"], name="salon_year_status"),
        ),
        migrations.AddConstraint(
            model_name="salon",
            constraint=models.CheckConstraint(
                condition=models.Q(("grant_fen__lte", models.F("requested_fen"))),
                name="salon_grant_within_request",
            ),
        ),
        migrations.AddConstraint(
            model_name="salon",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("decided_by__isnull", True),
                    models.Q(("decided_by", models.F("applied_by")), _negated=True),
                    _connector="OR",
                ),
                name="salon_maker_checker",
            ),
        ),
        migrations.AddConstraint(
            model_name="salon",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status", "applied"), ("decided_by__isnull", False), _connector="OR"
                ),
                name="salon_decided_by_someone",
            ),
        ),
        migrations.AddConstraint(
            model_name="salonmeeting",
            constraint=models.CheckConstraint(
                condition=models.Q(("attendance__gte", 1)), name="salon_meeting_attendance"
            ),
        ),
    ]
