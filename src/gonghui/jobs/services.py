"""Starting jobs and reporting their progress."""

from django.core.files.base import ContentFile
from django.db import transaction

from gonghui.jobs.models import Job
from gonghui.orgs import access


def job_start(*, actor, kind: str, title: str, org_unit, data: bytes, filename: str, task) -> Job:
    """Save the input, create the job row and enqueue ``task(job_id, filename)`` on commit."""
    job = Job(kind=kind, title=title, created_by=actor, org_unit=org_unit)
    job.input_file.save(f"{kind}", ContentFile(data), save=False)
    job.save()
    transaction.on_commit(lambda: task.enqueue(job.pk, filename))
    return job


def job_progress(job_id: int, done: int, total: int) -> None:
    Job.objects.filter(pk=job_id).update(done=done, total=total, status=Job.Status.RUNNING)


def job_finish(job_id: int, *, ok: bool, message: str, errors: list | None = None) -> None:
    job = Job.objects.get(pk=job_id)
    job.status = Job.Status.DONE if ok else Job.Status.FAILED
    job.message, job.errors = message, errors or []
    if job.input_file:
        job.input_file.delete(save=False)  # the upload is not kept once handled
    job.save()


def job_get(*, actor, pk) -> Job:
    """A job its starter may follow; others with the same scope see it too."""
    return access.get_or_404(Job.objects.all(), actor, "orgs.view", pk=pk)
