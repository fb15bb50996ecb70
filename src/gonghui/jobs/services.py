"""Starting jobs and reporting their progress."""

import logging
from dataclasses import asdict

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction

from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.common.imports import ImportRejected
from gonghui.files.services import refuse_oversize
from gonghui.jobs.models import Job
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit

log = logging.getLogger(__name__)


def upload_read(upload) -> bytes:
    """An import file's content, read whole: refused over the upload cap before reading."""
    refuse_oversize(upload)
    return upload.read()


def job_start(*, actor, kind: str, title: str, org_unit, data: bytes, filename: str, task) -> Job:
    """Save the input, create the job row and enqueue ``task(job_id, filename)`` on commit."""
    job = Job(kind=kind, title=title, created_by=actor, org_unit=org_unit)
    job.input_file.save(f"{kind}", ContentFile(data), save=False)
    job.save()
    transaction.on_commit(lambda: task.enqueue(job.pk, filename))
    return job


def import_start(
    *,
    actor,
    perm: str,
    kind: str,
    title: str,
    data: bytes,
    filename: str,
    suffixes: tuple[str, ...],
    task,
) -> Job:
    """Queue a file import as a job at the importer's first post holding ``perm``."""
    home = next((g for g in access.grants(actor) if perm in g.permissions), None)
    if home is None:
        raise NotFound()
    if not filename.lower().endswith(suffixes):
        raise ValidationFailed({"file": "只接受 " + "、".join(suffixes) + " 文件"})
    return job_start(
        actor=actor,
        kind=kind,
        title=title,
        org_unit=OrgUnit.objects.get(pk=home.unit_id),
        data=data,
        filename=filename,
        task=task,
    )


def run_import(job_id: int, filename: str, importer) -> None:
    """A task's body: ``importer(actor=, data=, filename=, progress=)`` on the job's file,
    returning the summary to show; a rejected file ends the job failed, with every bad cell.
    Any other fault ends it failed too (logged; the page would otherwise poll forever)."""
    job = Job.objects.get(pk=job_id)
    try:
        actor = get_user_model().objects.get(pk=job.created_by_id)
        with job.input_file.open("rb") as fh:
            data = fh.read()
        summary = importer(
            actor=actor,
            data=data,
            filename=filename,
            progress=lambda done, total: job_progress(job_id, done, total),
        )
    except ImportRejected as exc:
        job_finish(job_id, ok=False, message=str(exc), errors=[asdict(e) for e in exc.errors])
        return
    except Exception:
        log.exception("import job %s failed", job_id)
        job_finish(job_id, ok=False, message="导入时系统出错，请稍后重试或联系系统管理员")
        return
    job_finish(job_id, ok=True, message=summary)


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
