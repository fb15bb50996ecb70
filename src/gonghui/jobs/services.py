"""Starting jobs, reporting their progress, and handing an export's file to its starter."""

import logging
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common.errors import DomainError, NotFound, ValidationFailed
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
    home = home_unit(actor, perm)
    if not filename.lower().endswith(suffixes):
        raise ValidationFailed({"file": "只接受 " + "、".join(suffixes) + " 文件"})
    return job_start(
        actor=actor,
        kind=kind,
        title=title,
        org_unit=home,
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


# --- Exports ------------------------------------------------------------------------------

RESULT_KEEP = timedelta(hours=24)  # how long an export's file waits for its starter
EXPORT_FAILED = "导出时系统出错，请稍后重试或联系系统管理员"

# exporter(actor=, params=, out=, progress=) -> (file name, summary): writes the file to
# ``out`` (a binary file), checking the actor's rights itself, as when run in a request.
Exporter = Callable[..., tuple[str, str]]


def export_start(*, actor, kind: str, title: str, org_unit, params: dict, task) -> Job:
    """Queue an export as a job at ``org_unit`` (the unit whose records it holds, that the
    caller has checked the actor may export): the request returns at once with the job, and
    ``task(job_id)`` runs on the worker once this transaction commits."""
    job = Job.objects.create(
        kind=kind, title=title, created_by=actor, org_unit=org_unit, params=params
    )
    transaction.on_commit(lambda: task.enqueue(job.pk))
    return job


def home_unit(actor, perm: str):
    """The unit of the actor's first post holding ``perm`` (where its jobs are filed)."""
    home = access.home_grant(actor, perm)
    if home is None:
        raise NotFound()
    return OrgUnit.objects.get(pk=home.unit_id)


def run_export(job_id: int, exporter: Exporter) -> None:
    """A task's body: ``exporter`` writes the file (to a temporary file, never to memory),
    which is then stored through the platform's storage for the job's starter to download
    until ``RESULT_KEEP`` has passed. A refusal (rights lost since the start) or a fault
    ends the job failed, with a message (the fault logged)."""
    job = Job.objects.get(pk=job_id)
    job_progress(job_id, 0, 0)
    try:
        actor = get_user_model().objects.get(pk=job.created_by_id)
        with tempfile.TemporaryFile() as out:
            name, summary = exporter(
                actor=actor,
                params=job.params,
                out=out,
                progress=lambda done, total: job_progress(job_id, done, total),
            )
            out.seek(0)
            job.result_file.save("result", File(out), save=False)
    except DomainError as exc:
        reasons = "；".join(getattr(exc, "fields", {}).values()) or exc.message
        job_finish(job_id, ok=False, message=f"未导出：{reasons}")
        return
    except Exception:
        log.exception("export job %s failed", job_id)
        if job.result_file:
            job.result_file.delete(save=False)
        job_finish(job_id, ok=False, message=EXPORT_FAILED)
        return
    Job.objects.filter(pk=job_id).update(
        result_file=job.result_file.name,
        result_name=name[-200:],
        expires_at=timezone.now() + RESULT_KEEP,
    )
    job_finish(job_id, ok=True, message=summary)


@transaction.atomic
def job_result(*, actor, pk) -> Job:
    """A finished export's file, open for reading, for the job's starter alone (the file
    holds what the starter's rights allowed; another post sees the job, never the file)
    while the starter's scope still covers the job and the file is kept. Each download is
    audited."""
    job = job_get(actor=actor, pk=pk)
    if job.created_by_id != actor.pk or not job.downloadable:
        raise NotFound()
    job.result_file.open("rb")  # a file missing from storage fails here, before the event
    record(
        actor=actor,
        action=Action.JOBS_DOWNLOAD,
        obj=job,
        post_id=access.grant_at(actor, "orgs.view", job.org_unit).post_id,
        changes={"kind": [None, job.kind], "file": [None, job.result_name]},
    )
    return job


def jobs_expire(*, now=None) -> int:
    """Delete the files of exports kept past their time (the worker runs this hourly; a
    download checks the time itself). Returns how many files went."""
    gone = 0
    for job in Job.objects.filter(expires_at__lte=now or timezone.now()).exclude(result_file=""):
        job.result_file.delete(save=False)
        Job.objects.filter(pk=job.pk).update(result_file="")
        gone += 1
    return gone
