"""What waits in long jobs for a user (工作台): the imports and other jobs they started that
failed in the last week, each linked to its page (its error list)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gonghui.common.workbench import Waiting
from gonghui.jobs.models import Job

APP = "导入与后台任务"
RECENT = timedelta(days=7)
SHOWN = 10


def waiting(actor) -> list[Waiting]:
    failed = Job.objects.filter(
        created_by=actor,
        status=Job.Status.FAILED,
        created_at__gte=timezone.now() - RECENT,
    ).order_by("-created_at")[:SHOWN]
    return [
        Waiting(APP, f"任务失败：{job.title}", 1, "web:job_detail", (job.pk,)) for job in failed
    ]
