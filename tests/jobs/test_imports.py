import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.common.imports import UNREADABLE, UNREADABLE_CSV
from gonghui.jobs.models import Job
from gonghui.jobs.services import run_import
from gonghui.treeimport.services import tree_import_start
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

GBK = "组织编码,组织名称,级别,上级编码\nCY-S5,来广营街道总工会,街乡镇总工会,110105\n".encode("gbk")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [("gbk.csv", GBK, UNREADABLE_CSV), ("fake.xlsx", b"not a zip at all", UNREADABLE)],
    ids=["gbk", "xlsx"],
)
def test_an_unreadable_tree_file_fails_its_job_in_one_line(
    client, users, media, django_capture_on_commit_callbacks, name, data, reason
):
    client.login(username="cy_staff", password=PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/orgs/import/", {"file": SimpleUploadedFile(name, data)})

    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and not job.input_file
    assert [e["reason"] for e in job.errors] == [reason]
    page = client.get(response["Location"]).content.decode()
    assert "失败" in page and "无法读取文件" in page and "every 1s" not in page
    assert not list(media.rglob("jobs/*"))  # the upload is not kept


def test_a_fault_in_an_importer_fails_the_job_and_drops_the_upload(
    users, media, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():  # queued, not run
        job = tree_import_start(actor=users.cy, data=b"x", filename="t.csv")

    def broken(**kwargs):
        raise RuntimeError("a bug")

    with (
        caplog.at_level(logging.ERROR, logger="gonghui.jobs.services"),
        django_capture_on_commit_callbacks(execute=True),  # the file goes once committed
    ):
        run_import(job.pk, "t.csv", broken)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.errors == []
    assert job.message == "导入时系统出错，请稍后重试或联系系统管理员"
    assert not job.input_file and not list(media.rglob("jobs/*"))
    assert "a bug" in caplog.text and f"import job {job.pk} failed" in caplog.text


@pytest.mark.parametrize("url", ["/orgs/import/", "/api/v1/orgs/import"], ids=["page", "api"])
def test_a_tree_file_over_the_upload_cap_is_refused(client, users, media, settings, url):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client.login(username="cy_staff", password=PASSWORD)
    big = SimpleUploadedFile("big.csv", b"x" * (settings.UPLOAD_MAX_BYTES + 1))

    response = client.post(url, {"file": big})

    assert not Job.objects.exists()
    message = "文件过大：上限 1 MB"
    if url.startswith("/api/"):
        assert response.status_code == 422 and response.json()["fields"] == {"file": message}
    else:
        assert response.status_code == 200 and message in response.content.decode()
