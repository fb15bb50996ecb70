"""Outreach: a cancelled talk's reason and the day a problem was raised (its working-day
deadline counts from it); what the database refuses of talks and reception-day problems:
a talk arranged or given without a speaker, given without its attendance, cancelled
without a reason; a problem due before it was raised, answered without an answer, closed
without the enterprise told (how and when)."""

import datetime

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0005_salons"),
    ]

    operations = [
        migrations.AddField(
            model_name="problem",
            name="raised_on",
            field=models.DateField(default=datetime.date(2026, 1, 1), verbose_name="交办日期"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="talk",
            name="cancel_reason",
            field=models.CharField(blank=True, max_length=200, verbose_name="取消原因"),
        ),
        migrations.AddConstraint(
            model_name="problem",
            constraint=models.CheckConstraint(
                condition=models.Q(("due_on__gte", models.F("raised_on"))), name="problem_due_sane"
            ),
        ),
        migrations.AddConstraint(
            model_name="problem",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status", "open"), models.Q(("answer", ""), _negated=True), _connector="OR"
                ),
                name="problem_answered_has_answer",
            ),
        ),
        migrations.AddConstraint(
            model_name="problem",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "closed"), _negated=True),
                    models.Q(("told_at__isnull", False), models.Q(("told_how", ""), _negated=True)),
                    _connector="OR",
                ),
                name="problem_closed_enterprise_told",
            ),
        ),
        migrations.AddConstraint(
            model_name="talk",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["requested", "cancelled"]),
                    ("speaker__isnull", False),
                    _connector="OR",
                ),
                name="talk_arranged_has_speaker",
            ),
        ),
        migrations.AddConstraint(
            model_name="talk",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "done"), _negated=True),
                    ("attendance__isnull", False),
                    _connector="OR",
                ),
                name="talk_done_has_attendance",
            ),
        ),
        migrations.AddConstraint(
            model_name="talk",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "cancelled"), _negated=True),
                    models.Q(("cancel_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="talk_cancel_has_reason",
            ),
        ),
    ]
