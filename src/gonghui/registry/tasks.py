"""Background work of the registry, run by ``gonghui worker`` (django-tasks)."""

from dataclasses import asdict

from django.contrib.auth import get_user_model
from django_tasks import task

from gonghui.jobs.models import Job
from gonghui.jobs.services import job_finish, job_progress
from gonghui.orgs.treeimport import ImportRejected
from gonghui.registry.excel import registry_import


@task()
def registry_import_task(job_id: int, filename: str) -> int:
    job = Job.objects.get(pk=job_id)
    actor = get_user_model().objects.get(pk=job.created_by_id)
    with job.input_file.open("rb") as fh:
        data = fh.read()
    try:
        result = registry_import(
            actor=actor,
            data=data,
            filename=filename,
            progress=lambda done, total: job_progress(job_id, done, total),
        )
    except ImportRejected as exc:
        job_finish(job_id, ok=False, message=str(exc), errors=[asdict(e) for e in exc.errors])
        return 0
    job_finish(job_id, ok=True, message=result.summary())
    return result.rows
