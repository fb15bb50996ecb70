"""Reads of the job queue for operators (/metrics): no actor, counts only."""

from django.db.models import Count
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gonghui.jobs.models import Job


def task_counts() -> dict[str, int]:
    """django-tasks' queue: tasks waiting, running and failed (finished ones are not
    counted: they only grow)."""
    rows = (
        DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {status: 0 for status in ("READY", "RUNNING", "FAILED")}
    counts.update(dict(rows))
    return counts


def job_counts() -> dict[str, int]:
    """The jobs' pages by status (queued, running, done, failed)."""
    counts = dict.fromkeys(Job.Status.values, 0)
    counts.update(dict(Job.objects.values_list("status").annotate(n=Count("pk")).order_by()))
    return counts
