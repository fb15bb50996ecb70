import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from gonghui.audit import witness
from gonghui.audit.heads import SIGN_SECONDS
from gonghui.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from gonghui.audit.services import checkpoint_all, head_sign, record
from gonghui.common.errors import ValidationFailed
from gonghui.files.models import Attachment
from gonghui.files.services import attachment_add
from gonghui.web.management.commands.worker import _every, schedules
from tests.factories import PASSWORD, make_person
from tests.second_factor import mark_verified


@pytest.mark.django_db
def test_login_page_and_home_speak_chinese(client, users):
    page = client.get("/login/").content.decode()
    assert "平台登录" in page and 'lang="zh-CN"' in page
    response = client.post("/login/", {"username": "cy_staff", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/factors/")
    mark_verified(client.session, users.cy)  # the second step (tests/factors)
    home = client.get("/").content.decode()
    assert "我的岗位" in home and "朝阳区总工会" in home and "区（产业）工会工作人员" in home
    assert "审计日志" not in home  # no audit menu for district staff
    assert AuditEvent.objects.filter(action="auth.login", actor_name="cy_staff").exists()


@pytest.mark.django_db
def test_lockout_after_five_failures_per_account(client, users, settings):
    for _ in range(settings.LOGIN_MAX_FAILURES):
        response = client.post("/login/", {"username": "cy_staff", "password": "wrong"})
        assert "用户名或密码错误" in response.content.decode()
    # Now even the right password is refused, and the message says for how long.
    response = client.post("/login/", {"username": "cy_staff", "password": PASSWORD})
    assert response.status_code == 200 and "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from another address is not affected.
    other = client.post(
        "/login/", {"username": "hd_staff", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302
    assert AuditEvent.objects.filter(action="auth.login_failed").count() == 5


@pytest.mark.redis
@pytest.mark.django_db
def test_lockout_counts_live_in_redis(client, users, settings, redis_client):
    assert "Redis" in settings.CACHES["default"]["BACKEND"]
    client.post("/login/", {"username": "cy_staff", "password": "wrong"})
    keys = [k.decode() for k in redis_client.keys("*rl:login:fail:account:*:cy_staff*")]
    assert keys, "the failure counter must be in Redis, shared by every process"


@pytest.mark.django_db
def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


@pytest.mark.django_db
def test_security_headers_outside_debug(client, users, settings):
    settings.DEBUG = False
    policy = {"DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'"]}}
    with override_settings(
        CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY=None
    ):
        response = client.get("/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_session_times_out(settings, client, users):
    """A session the store has expired is gone (the idle timeout itself, which polls do not
    hold off: tests/web/test_idle_sessions.py)."""
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    client.login(username="cy_staff", password=PASSWORD)
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get("/")["Location"].startswith("/login/")


@pytest.fixture
def owner(tree, settings, tmp_path):
    """A Chaoyang person to attach files to (stored under a temporary media root)."""
    settings.MEDIA_ROOT = tmp_path
    return make_person(tree.cy_grass, "附件人", id_number="110101199003070038")


@pytest.fixture
def attach(tree, users, owner):
    """Chaoyang's staff attach a file named ``name`` holding ``content`` to the person."""

    def attach(name: str, content: bytes):
        return attachment_add(
            actor=users.cy,
            owner=owner,
            org_unit=tree.cy_grass,
            upload=SimpleUploadedFile(name, content),
        )

    return attach


@pytest.mark.django_db
def test_an_attachment_of_a_type_not_accepted_is_refused(attach):
    with pytest.raises(ValidationFailed, match="只接受"):
        attach("x.pdf", b"MZ\x90\x00 not a pdf")


@pytest.mark.django_db
def test_an_attachment_whose_content_is_not_its_name_is_refused(attach):
    with pytest.raises(ValidationFailed, match="不符"):
        attach("x.png", b"%PDF-1.4 pretending")


@pytest.mark.django_db
def test_an_attachment_over_the_cap_is_refused(settings, attach):
    settings.UPLOAD_MAX_BYTES = 10
    with pytest.raises(ValidationFailed, match="过大"):
        attach("x.pdf", b"%PDF-1.4" + b"0" * 20)


@pytest.mark.django_db
def test_an_attachment_is_stored_under_a_name_of_its_own_and_served_in_scope(
    client, settings, attach
):
    settings.UPLOAD_MAX_BYTES = 1024
    ok = attach("证明.pdf", b"%PDF-1.4 ok")
    assert ok.mime_type == "application/pdf" and "证明" not in ok.file.name
    client.login(username="cy_grass", password=PASSWORD)
    response = client.get(f"/files/{ok.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 ok"
    client.login(username="hd_staff", password=PASSWORD)
    assert client.get(f"/files/{ok.pk}/").status_code == 404


@pytest.mark.django_db
def test_tree_import_page_runs_a_job_with_progress(
    client, tree, users, django_capture_on_commit_callbacks
):
    client.login(username="cy_staff", password=PASSWORD)
    data = "组织编码,组织名称,级别,上级编码\nCY-S5,来广营街道总工会,街乡镇总工会,110105\n,,,\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/orgs/import/", {"file": SimpleUploadedFile("t.csv", data.encode())}
        )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已完成" in page and "已导入 1 个组织" in page
    bad = "组织编码,组织名称,级别,上级编码\nCY-S6,,街乡镇总工会,110105\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/orgs/import/", {"file": SimpleUploadedFile("bad.csv", bad.encode())}
        )
    page = client.get(response["Location"]).content.decode()
    assert "失败" in page and "名称不能为空" in page and "<td>2</td>" in page


@pytest.mark.django_db
def test_attachment_upload_page(client, tree, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    person = make_person(tree.cy_grass, "上传人", id_number="110101199003070038")
    client.login(username="cy_grass", password=PASSWORD)
    response = client.post(
        f"/people/{person.pk}/attach/",
        {"file": SimpleUploadedFile("事迹.pdf", b"%PDF-1.4 deeds")},
        follow=True,
    )
    assert "附件已上传" in response.content.decode() and "事迹.pdf" in response.content.decode()
    response = client.post(
        f"/people/{person.pk}/attach/",
        {"file": SimpleUploadedFile("virus.exe", b"MZ\x90")},
        follow=True,
    )
    assert "只接受" in response.content.decode()
    assert person_attachments(person) == 1


def person_attachments(person) -> int:
    return Attachment.objects.filter(object_id=str(person.pk)).count()


@pytest.mark.django_db
def test_a_weak_new_password_is_refused(client, users):
    client.login(username="cy_staff", password=PASSWORD)
    weak = client.post(
        "/password/", {"old_password": PASSWORD, "new_password": "12345678", "confirm": "12345678"}
    )
    assert "太短" in weak.content.decode() and weak.status_code == 200


@pytest.mark.django_db
def test_a_wrong_old_password_is_refused(client, users):
    client.login(username="cy_staff", password=PASSWORD)
    wrong = client.post(
        "/password/",
        {"old_password": "nope", "new_password": "Zhao-yu-2026x", "confirm": "Zhao-yu-2026x"},
    )
    assert "原密码不正确" in wrong.content.decode()


@pytest.mark.django_db
def test_a_password_change_keeps_the_session_and_is_recorded(client, users):
    client.login(username="cy_staff", password=PASSWORD)
    ok = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password": "Zhao-yu-2026x", "confirm": "Zhao-yu-2026x"},
    )
    assert ok.status_code == 302 and client.get("/").status_code == 200  # still signed in
    users.cy.refresh_from_db()
    assert users.cy.check_password("Zhao-yu-2026x")
    assert AuditEvent.objects.filter(action="accounts.password_change").count() == 1


def run_on_schedule(job, model) -> None:
    """Run ``job`` as the worker does (every 0.05 s here) until a row of ``model`` exists."""
    stop = threading.Event()
    thread = threading.Thread(target=_every, args=(stop, 0.05, job, "test"))
    thread.start()
    deadline = time.monotonic() + 10
    while not model.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=10)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_signs_checkpoints_on_a_schedule():
    record(actor=None, action="test.scheduled")
    run_on_schedule(checkpoint_all, AuditCheckpoint)
    assert AuditCheckpoint.objects.filter(stream="platform", seq=1).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_signs_a_platform_head_each_minute_into_the_witness(settings):
    assert (SIGN_SECONDS, head_sign, "audit platform head") in schedules()
    assert SIGN_SECONDS <= 60  # at most a minute of events is ever unsigned
    record(actor=None, action="test.scheduled")
    run_on_schedule(head_sign, AuditHead)
    lines = witness.read(settings.AUDIT_WITNESS[0]).heads
    assert [(h["n"], list(h["streams"])) for h in lines] == [(1, ["platform"])]


@pytest.mark.django_db
def test_the_import_button_follows_the_permission(client, tree, users):
    client.login(username="cy_street", password=PASSWORD)
    assert "批量导入组织树" not in client.get("/orgs/").content.decode()
    client.login(username="cy_staff", password=PASSWORD)
    assert "批量导入组织树" in client.get("/orgs/").content.decode()


@pytest.mark.django_db
def test_the_move_button_shows_only_below_the_own_post(client, tree, users):
    client.login(username="cy_staff", password=PASSWORD)
    own_top = client.get(f"/orgs/{tree.chaoyang.pk}/").content.decode()
    assert "新增下级组织" in own_top and ">移动<" not in own_top  # its parent is above
    assert ">移动<" in client.get(f"/orgs/{tree.cy_street.pk}/").content.decode()
