"""Starting jobs, reporting their progress, and handing an export's file to its starter."""

import logging
import os
import secrets
import socket
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common.alerts import alert
from gonghui.common.errors import DomainError, NotFound, ValidationFailed
from gonghui.common.imports import ImportRejected
from gonghui.common.logs import current_request_id, request_context
from gonghui.files.services import refuse_oversize
from gonghui.jobs.models import Job, WorkerBeat
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit

log = logging.getLogger(__name__)


def upload_read(upload) -> bytes:
    """An import file's content, read whole: refused over the upload cap before reading."""
    refuse_oversize(upload)
    return upload.read()


def job_start(*, actor, kind: str, title: str, org_unit, data: bytes, filename: str, task) -> Job:
    """Save the input, create the job row and enqueue ``task(job_id, filename)`` on commit."""
    job = Job(
        kind=kind,
        title=title,
        created_by=actor,
        org_unit=org_unit,
        request_id=current_request_id() or "",
    )
    job.input_file.save(f"{kind}", ContentFile(data), save=False)
    job.save()
    transaction.on_commit(lambda: _enqueue(job.pk, task, job.pk, filename))
    return job


def _enqueue(job_id: int, task, *args, **kwargs) -> None:
    """Queue the job's task and note which queued task runs it (``jobs_recover``)."""
    result = task.enqueue(*args, **kwargs)
    Job.objects.filter(pk=job_id).update(task_id=result.id)


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
    with request_context(job.request_id or None):
        _run_import(job, filename, importer)


def _run_import(job: Job, filename: str, importer) -> None:
    job_id = job.pk
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
    _drop_upload(job)
    job.save()


def _drop_upload(job: Job) -> None:
    """The upload is not kept once handled: the row forgets it now, the file goes once the
    row's change is committed (a rolled-back change keeps both)."""
    if job.input_file:
        name, storage = job.input_file.name, job.input_file.storage
        transaction.on_commit(lambda: storage.delete(name))
        job.input_file = ""


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
        kind=kind,
        title=title,
        created_by=actor,
        org_unit=org_unit,
        params=params,
        request_id=current_request_id() or "",
    )
    transaction.on_commit(lambda: _enqueue(job.pk, task, job.pk))
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
    with request_context(job.request_id or None):
        _run_export(job, exporter)


def _run_export(job: Job, exporter: Exporter) -> None:
    job_id = job.pk
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


# --- Workers that died with a task running ------------------------------------------------

RETRIES = 2  # an export a lost worker was running is started again at most this often
LOST_TASK = "gonghui.jobs.WorkerLost"
LOST_EXPORT_RETRIED = "处理该任务的后台进程意外停止，已自动重新排队（第 {n} 次重试）"
LOST_EXPORT_FAILED = "处理该任务的后台进程意外停止，导出未完成，请稍后重新导出"
LOST_IMPORT = (
    "处理该任务的后台进程意外停止，任务没有完成：导入可能只写入了一部分，"
    "请先核对已导入的数据，再只提交尚未导入的部分"
)


def _host() -> str:
    return socket.gethostname()[:40]


def worker_id() -> str:
    """A ``gonghui worker``'s id (django-tasks keeps it on the tasks it runs): its host and
    process, so that a worker on the same host can tell at once that it is gone."""
    return f"{_host()}:{os.getpid()}:{secrets.token_hex(4)}"


def worker_beat(*, worker: str, now=None) -> str:
    """The worker is alive (the worker runs this at start and every half minute)."""
    WorkerBeat.objects.update_or_create(
        worker_id=worker, defaults={"seen_at": now or timezone.now()}
    )
    return worker


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def _lost(worker: str, beat: WorkerBeat | None, started_at, now) -> bool:
    """Whether the worker that claimed a task (started at ``started_at``) is gone: on this
    host, its process has ended; anywhere, nothing heard of it for WORKER_LOST_SECONDS (a
    worker never heard of, such as a bare ``db_worker``, counts from the task's start)."""
    limit = now - timedelta(seconds=settings.WORKER_LOST_SECONDS)
    host, _, pid = worker.rpartition(":")[0].rpartition(":")  # worker_id's host:pid:nonce
    if host == _host() and pid.isdigit() and not _alive(int(pid)):
        return True
    seen = beat.seen_at if beat is not None else started_at
    return seen is None or seen < limit


def jobs_recover(*, now=None) -> str:
    """Tasks a dead worker left "running", and jobs whose task ended without finishing
    them: an export is queued again (at most ``RETRIES`` times), anything else fails with
    the reason shown on its page; each is an alert. The worker runs this every minute;
    several workers may: every change is conditional on the state it read."""
    now = now or timezone.now()
    beats = {b.worker_id: b for b in WorkerBeat.objects.all()}
    recovered = []
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        worker = result.worker_ids[-1] if result.worker_ids else ""
        if not _lost(worker, beats.get(worker), result.started_at, now):
            continue
        with transaction.atomic():
            ended = DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING)
            if not ended.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=LOST_TASK,
                traceback=f"worker {worker} lost",
            ):
                continue
            outcome = _job_recover(result, worker)
        recovered.append(outcome)
    # A job whose task has ended (a worker stopped by force ends its task failed) or gone.
    unfinished = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).exclude(
        task_id=""
    )
    tasks = {
        str(result.pk): result
        for result in DBTaskResult.objects.filter(
            pk__in=list(unfinished.values_list("task_id", flat=True))
        )
    }
    for job in unfinished:
        result = tasks.get(job.task_id)
        if result is not None and result.status in (
            TaskResultStatus.READY,
            TaskResultStatus.RUNNING,
        ):
            continue
        with transaction.atomic():
            recovered.append(_job_recover(result, "", job=job))
    WorkerBeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return f"{len([o for o in recovered if o])} task(s) of lost workers handled"


def _job_recover(result, worker: str, job: Job | None = None) -> str:
    """The job run by ``result`` (a task its worker lost): queued again when an export, else
    failed with its reason. Returns what was done ("" when the job had finished meanwhile)."""
    job = job or (Job.objects.filter(task_id=str(result.pk)).first() if result else None)
    task = result.task_path if result else ""
    if job is None:
        alert(
            "jobs.worker_lost", "后台进程失联，其运行中的任务已标记为失败", worker=worker, task=task
        )
        return "failed"
    pending = Job.objects.filter(pk=job.pk, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    if result is not None and job.retry_safe and job.retries < RETRIES:
        n = job.retries + 1
        if not pending.update(
            status=Job.Status.QUEUED,
            done=0,
            total=0,
            retries=n,
            task_id="",
            message=LOST_EXPORT_RETRIED.format(n=n),
        ):
            return ""
        args = result.args_kwargs
        transaction.on_commit(
            lambda: _enqueue(job.pk, result.task, *args["args"], **args["kwargs"])
        )
        outcome = "retried"
    else:
        reason = LOST_EXPORT_FAILED if job.retry_safe else LOST_IMPORT
        if not pending.update(status=Job.Status.FAILED, message=reason, input_file=""):
            return ""
        _drop_upload(job)
        outcome = "failed"
    alert(
        "jobs.worker_lost",
        "后台进程失联，其运行中的任务已" + ("重新排队" if outcome == "retried" else "标记为失败"),
        worker=worker,
        task=task,
        job=job.pk,
        kind=job.kind,
        outcome=outcome,
    )
    return outcome
