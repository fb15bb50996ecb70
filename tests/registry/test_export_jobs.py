"""Exports that grow with the data run as background jobs: the request that starts one
returns at once with the job; the worker writes the file, stored for the starter alone
(audited, until it expires); a bad filter is refused before any job is made."""

import io
import logging
from datetime import timedelta

import openpyxl
import pytest
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.jobs.models import Job
from gonghui.jobs.services import EXPORT_FAILED, export_start, jobs_expire, run_export
from gonghui.registry.tasks import registry_export_task
from tests.factories import PASSWORD, make_user


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def results(media) -> list:
    return [p for p in media.rglob("jobs/results/*") if p.is_file()]


def names_in(response) -> set[str]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    return {dict(zip(rows[0], r, strict=True))["姓名"] for r in rows[1:]}


def test_starting_an_export_returns_at_once_with_a_queued_job(
    client, registry, users, media, django_capture_on_commit_callbacks
):
    client.login(username="cy_staff", password=PASSWORD)
    with django_capture_on_commit_callbacks() as queued:  # the worker has not run
        response = client.post("/registry/export/?q=赵郁")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert (job.kind, job.status, job.created_by, job.params["query"]) == (
        "registry.export",
        Job.Status.QUEUED,
        users.cy,
        "赵郁",
    )
    assert len(queued) == 1  # the task, enqueued once the job row is committed
    # Nothing was exported inside the request: no file, no export event.
    assert not job.result_file and not results(media)
    assert not AuditEvent.objects.filter(action="registry.export").exists()
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and 'hx-trigger="every 1s"' in page and "下载" not in page
    assert client.get("/registry/export/").status_code == 405  # a GET starts nothing


def test_the_worker_task_writes_the_file_the_starter_downloads(
    client, registry, users, media, django_capture_on_commit_callbacks
):
    client.login(username="cy_staff", password=PASSWORD)
    with django_capture_on_commit_callbacks() as queued:
        job_page = client.post("/registry/export/")["Location"]
    job = Job.objects.get()
    registry_export_task.call(job.pk)  # what `gonghui worker` runs
    assert len(queued) == 1
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.total == job.done == 4
    assert job.result_name == "劳模工匠档案.xlsx" and len(results(media)) == 1
    assert job.expires_at > timezone.now() + timedelta(hours=23)
    page = client.get(job_page).content.decode()
    assert "已导出 4 行" in page and f"/jobs/{job.pk}/download" in page
    assert "every 1s" not in page  # done: the page stops polling
    download = client.get(f"/jobs/{job.pk}/download")
    assert download.status_code == 200 and download["Cache-Control"] == "private, no-store"
    assert "attachment" in download["Content-Disposition"]
    assert names_in(download) == {"赵郁", "武润泽", "单田芳", "曾志伟"}  # Chaoyang's, not 钱学
    export = AuditEvent.objects.get(action="registry.export")
    fetched = AuditEvent.objects.get(action="jobs.download")
    assert export.actor_name == fetched.actor_name == "cy_staff"
    assert fetched.object_id == str(job.pk) and fetched.post_id


def test_another_district_or_another_post_cannot_download(
    client, registry, users, tree, media, django_capture_on_commit_callbacks
):
    client.login(username="cy_staff", password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        job_page = client.post("/registry/export/")["Location"]
    url = f"{job_page}download"
    assert client.get(url).status_code == 200
    # Haidian: neither the job nor its file.
    client.login(username="hd_staff", password=PASSWORD)
    assert client.get(job_page).status_code == 404 and client.get(url).status_code == 404
    # Chaoyang's other staff and the city see the job, not the file: it is the starter's.
    make_user("cy_colleague", tree.chaoyang, "district_staff")
    for other in ("cy_colleague", "admin_t"):
        client.login(username=other, password=PASSWORD)
        page = client.get(job_page)
        assert page.status_code == 200 and "仅发起人可下载" in page.content.decode()
        assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="jobs.download").count() == 1


def test_a_bad_filter_is_refused_before_a_job_is_made(client, registry, users, media):
    client.login(username="cy_staff", password=PASSWORD)
    response = client.post("/registry/export/?q=赵郁&year_from=1900")
    assert response.status_code == 302 and response["Location"].startswith("/registry/?")
    assert "确保该值大于或等于1949" in client.get(response["Location"]).content.decode()
    client.login(username="cy_grass", password=PASSWORD)  # no export permission
    assert client.post("/registry/export/").status_code == 404
    assert not Job.objects.exists()


def test_the_file_expires(client, registry, users, media, django_capture_on_commit_callbacks):
    client.login(username="cy_staff", password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        job_page = client.post("/registry/export/")["Location"]
    url = f"{job_page}download"
    assert jobs_expire() == 0 and len(results(media)) == 1
    # Its time is up (the session's is not: a day later the starter would sign in again).
    Job.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    # Refused when due, even before the worker's sweep deletes it.
    assert client.get(url).status_code == 404
    assert "文件已过期删除" in client.get(job_page).content.decode()
    assert jobs_expire() == 1
    assert not results(media) and not Job.objects.get().result_file
    assert client.get(url).status_code == 404


def test_rights_lost_before_the_worker_runs_fail_the_job(
    client, registry, users, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        job = export_start(
            actor=users.cy_grass,  # no export permission: the export itself refuses
            kind="registry.export",
            title="导出档案",
            org_unit=registry.people["赵郁"].org_unit,
            params={},
            task=registry_export_task,
        )
    registry_export_task.call(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.message == "未导出：没有导出档案的权限"
    assert not job.result_file and not results(media)


def test_a_fault_fails_the_job_with_a_message_and_keeps_no_file(users, tree, media, caplog):
    job = Job.objects.create(
        kind="registry.export", title="导出", created_by=users.cy, org_unit=tree.chaoyang
    )

    def broken(*, out, **kwargs):
        out.write(b"half a file")
        raise RuntimeError("a bug")

    with caplog.at_level(logging.ERROR, logger="gonghui.jobs.services"):
        run_export(job.pk, broken)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.message == EXPORT_FAILED
    assert not job.result_file and not results(media)
    assert f"export job {job.pk} failed" in caplog.text
