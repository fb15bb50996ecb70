"""Jobs a dead worker left running (issue 21, point 7): found, and retried (exports) or
failed with the reason shown to the user; each an alert. And a job's log lines carry the
id of the request that started it."""

import json
import logging
import os
import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gonghui.common.logs import JsonFormatter, request_context
from gonghui.jobs.models import Job, WorkerBeat
from gonghui.jobs.services import (
    LOST_EXPORT_FAILED,
    LOST_EXPORT_RETRIED,
    LOST_IMPORT,
    RETRIES,
    export_start,
    jobs_recover,
    run_export,
    worker_beat,
)
from gonghui.registry.tasks import registry_export_task
from gonghui.treeimport.services import tree_import_start

pytestmark = pytest.mark.django_db
HOST = socket.gethostname()[:40]


@pytest.fixture
def queue(settings, tmp_path):
    """The database queue, as in production (tasks wait for a worker)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = tmp_path
    settings.WORKER_LOST_SECONDS = 300


def export(users, capture) -> Job:
    with capture(execute=True):
        return export_start(
            actor=users.cy,
            kind="registry.export",
            title="导出",
            org_unit=users.cy_unit,
            params={},
            task=registry_export_task,
        )


def running(job: Job, worker: str, *, minutes_ago: int = 1) -> DBTaskResult:
    """What a worker does when it takes the job's task."""
    job.refresh_from_db()
    result = DBTaskResult.objects.get(pk=job.task_id)
    result.status = TaskResultStatus.RUNNING
    result.worker_ids = [worker]
    result.started_at = timezone.now() - timedelta(minutes=minutes_ago)
    result.save()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, done=5, total=10)
    return result


def dead_pid() -> int:
    pid = 4_000_000  # above any pid_max: no such process
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    return pid


@pytest.fixture
def users(users, tree):
    users.cy_unit = tree.chaoyang
    return users


def alerts(caplog) -> list[dict]:
    return [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "gonghui.alerts"
    ]


def test_an_export_of_a_dead_worker_on_this_host_is_queued_again(
    queue, users, django_capture_on_commit_callbacks, caplog
):
    job = export(users, django_capture_on_commit_callbacks)
    worker = f"{HOST}:{dead_pid()}:dead"
    worker_beat(worker=worker)  # heard of a moment ago: its process is gone all the same
    lost = running(job, worker)
    with (
        caplog.at_level(logging.ERROR, logger="gonghui.alerts"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert jobs_recover() == "1 task(s) of lost workers handled"
    lost.refresh_from_db()
    job.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED and lost.exception_class_path.endswith(
        "WorkerLost"
    )
    assert job.status == Job.Status.QUEUED and job.retries == 1 and (job.done, job.total) == (0, 0)
    assert job.message == LOST_EXPORT_RETRIED.format(n=1)
    again = DBTaskResult.objects.get(pk=job.task_id)
    assert again.status == TaskResultStatus.READY and again.args_kwargs == lost.args_kwargs
    (line,) = alerts(caplog)
    assert line["alert"] == "jobs.worker_lost" and line["fields"]["outcome"] == "retried"
    assert line["fields"]["job"] == job.pk
    # Nothing more to do the next time.
    assert jobs_recover() == "0 task(s) of lost workers handled"


def test_an_export_lost_too_often_fails_with_its_reason(
    queue, users, django_capture_on_commit_callbacks
):
    job = export(users, django_capture_on_commit_callbacks)
    Job.objects.filter(pk=job.pk).update(retries=RETRIES)
    running(job, f"{HOST}:{dead_pid()}:dead")
    jobs_recover()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.message == LOST_EXPORT_FAILED


def test_an_import_is_never_run_twice_it_fails_and_its_upload_goes(
    queue, users, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        job = tree_import_start(actor=users.cy, data=b"x", filename="t.csv")
    running(job, "other-host:123:abcd", minutes_ago=30)  # never heard of, started long ago
    with caplog.at_level(logging.ERROR, logger="gonghui.alerts"):
        jobs_recover()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.message == LOST_IMPORT and not job.input_file
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 0  # not queued
    assert alerts(caplog)[0]["fields"]["outcome"] == "failed"


def test_a_busy_worker_is_left_alone_and_a_silent_one_is_lost(
    queue, users, django_capture_on_commit_callbacks
):
    job = export(users, django_capture_on_commit_callbacks)
    worker = "other-host:123:abcd"
    worker_beat(worker=worker, now=timezone.now() - timedelta(minutes=2))
    lost = running(job, worker, minutes_ago=60)  # a long export, its worker heard of lately
    assert jobs_recover() == "0 task(s) of lost workers handled"
    mine = f"{HOST}:{os.getpid()}:mine"  # this very process: alive
    worker_beat(worker=mine, now=timezone.now() - timedelta(minutes=2))
    DBTaskResult.objects.filter(pk=lost.pk).update(worker_ids=[mine])
    assert jobs_recover() == "0 task(s) of lost workers handled"
    DBTaskResult.objects.filter(pk=lost.pk).update(worker_ids=[worker])
    WorkerBeat.objects.filter(pk=worker).update(seen_at=timezone.now() - timedelta(minutes=6))
    assert jobs_recover() == "1 task(s) of lost workers handled"
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.retries == 1


def test_a_job_whose_task_ended_without_finishing_it_fails(
    queue, users, django_capture_on_commit_callbacks
):
    """A worker stopped by force (a second Ctrl+C) ends its task failed, the job running."""
    job = export(users, django_capture_on_commit_callbacks)
    Job.objects.filter(pk=job.pk).update(retries=RETRIES)
    lost = running(job, f"{HOST}:{os.getpid()}:mine")
    DBTaskResult.objects.filter(pk=lost.pk).update(status=TaskResultStatus.FAILED)
    jobs_recover()
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.message == LOST_EXPORT_FAILED


def test_a_jobs_log_lines_carry_the_request_that_started_it(
    queue, users, django_capture_on_commit_callbacks, caplog
):
    with request_context("0f3c9a2b7e1d4c5a8b6e9d0c1a2b3c4d"):
        job = export(users, django_capture_on_commit_callbacks)
    assert job.request_id == "0f3c9a2b7e1d4c5a8b6e9d0c1a2b3c4d"

    def broken(**kwargs):
        logging.getLogger("gonghui.registry").info("exporting")
        raise RuntimeError("a bug")

    with caplog.at_level(logging.INFO):
        run_export(job.pk, broken)  # as the worker runs it: outside any request
    logged = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    mine = [e for e in logged if e["logger"] in ("gonghui.registry", "gonghui.jobs.services")]
    assert [e["message"] for e in mine] == ["exporting", f"export job {job.pk} failed"]
    assert {e["request_id"] for e in mine} == {"0f3c9a2b7e1d4c5a8b6e9d0c1a2b3c4d"}
