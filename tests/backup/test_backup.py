"""Backups of everything (issue #21, 6): a set holds the database and every file it names,
with a manifest of checksums; a restore checks them all before it changes anything; the
drill restores into a scratch database and verifies the audit chain there. Runs on the
suite's database: SQLite, or PostgreSQL on its leg (pg_dump / pg_restore)."""

import base64
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from gonghui.audit.models import AuditEvent
from gonghui.audit.services import head_sign, record
from gonghui.files.models import Attachment
from gonghui.files.services import attachment_add
from tests.audit.conftest import as_table_owner
from tests.conftest import need_service
from tests.factories import make_person

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEED = b"%PDF-1.4 deeds of a model worker"


@pytest.fixture
def world(users, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_DIR = tmp_path / "backups"
    person = make_person(tree.cy_grass, "备份人", id_number="110101199003070038")
    attachment = attachment_add(
        actor=users.cy_grass,
        owner=person,
        org_unit=tree.cy_grass,
        upload=SimpleUploadedFile("事迹.pdf", DEED),
    )
    head_sign()  # the worker's minute: the heads reach the witness
    return attachment


def backup(settings) -> Path:
    call_command("backup")
    (found,) = Path(settings.BACKUP_DIR).iterdir()
    return found


def drill(path: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    try:
        call_command("restore-drill", str(path))
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out


def test_a_set_holds_the_database_and_its_files_with_their_checksums(world, settings):
    path = backup(settings)

    manifest = json.loads((path / "manifest.json").read_text())
    assert not path.with_name(f"{path.name}.partial").exists()
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["database"]["migrations"]["files"].startswith("00")
    assert manifest["database"]["rows"]["files_attachment"] == 1
    database, *files = manifest["parts"]
    assert database["kind"] == "database" and (path / database["path"]).stat().st_size > 0
    assert [f["path"] for f in files] == [f"files/{world.file.name}"]
    assert (path / files[0]["path"]).read_bytes() == DEED
    assert files[0]["sha256"] == world.sha256 and files[0]["size"] == len(DEED)
    assert manifest["key_ids"]["GONGHUI_FIELD_KEYS"] == [
        settings.KEYS["GONGHUI_FIELD_KEYS"].current[0]
    ]
    event = AuditEvent.objects.get(action="backup.create")
    assert event.object_id == path.name


def test_a_set_never_holds_a_key(world, settings):
    path = backup(settings)

    stored = b"".join(p.read_bytes() for p in path.rglob("*") if p.is_file())
    for ring in settings.KEYS.values():
        for _, key in ring.keys:
            for form in (key, key.hex().encode(), base64.b64encode(key)):
                assert form not in stored
    assert not any("key" in p.name or "witness" in p.name for p in path.rglob("*"))


def test_restore_brings_back_the_database_and_the_files(world, settings, capsys):
    path = backup(settings)
    get_user_model().objects.filter(username="cy_staff").delete()
    default_storage.delete(world.file.name)

    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(path))
    assert not default_storage.exists(world.file.name)  # nothing changed without --yes
    call_command("restore", str(path), "--yes")

    assert get_user_model().objects.filter(username="cy_staff").exists()
    with default_storage.open(world.file.name, "rb") as fh:
        assert fh.read() == DEED
    assert Attachment.objects.get().file.name == world.file.name
    restored = AuditEvent.objects.get(action="backup.restore")
    assert restored.object_id == path.name
    assert "写回 1 个文件" in capsys.readouterr().out


@pytest.mark.parametrize("damage", ["database", "file", "missing"])
def test_a_set_whose_checksum_fails_is_refused_and_nothing_changes(world, settings, damage):
    path = backup(settings)
    manifest = json.loads((path / "manifest.json").read_text())
    part = path / manifest["parts"][0 if damage == "database" else 1]["path"]
    if damage == "missing":
        part.unlink()
    else:  # the same size, one byte changed: only the checksum can tell
        data = bytearray(part.read_bytes())
        data[len(data) // 2] ^= 0xFF
        part.write_bytes(bytes(data))
    get_user_model().objects.filter(username="cy_staff").delete()
    default_storage.delete(world.file.name)
    users_before = get_user_model().objects.count()

    with pytest.raises(CommandError, match="校验未通过") as refused:
        call_command("restore", str(path), "--yes")

    assert "未做任何改动" in str(refused.value)
    assert manifest["parts"][0 if damage == "database" else 1]["path"] in str(refused.value)
    assert get_user_model().objects.count() == users_before
    assert not default_storage.exists(world.file.name)
    assert not AuditEvent.objects.filter(action="backup.restore").exists()


def test_what_is_no_set_is_refused(world, settings, tmp_path):
    with pytest.raises(CommandError, match="找不到备份集"):
        call_command("restore", str(tmp_path / "nowhere"), "--yes")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CommandError, match="不是完整的备份集"):
        call_command("restore", str(tmp_path / "empty"), "--yes")
    path = backup(settings)
    (path / "manifest.json").write_text("{not json")
    with pytest.raises(CommandError, match="格式不对"):
        call_command("restore-drill", str(path))


@pytest.mark.parametrize(
    "forge",
    [
        "database_outside",  # the database part named outside the set: never checked
        "database_unlisted",  # the restored part is not the one the checksums cover
        "file_outside",  # a file part that would be read from outside the set
    ],
)
def test_a_manifest_naming_what_lies_outside_its_parts_is_refused(world, settings, forge):
    path = backup(settings)
    manifest_path = path / "manifest.json"
    data = json.loads(manifest_path.read_text())
    if forge == "database_outside":
        data["database"]["part"] = "/etc/hostname"
        data["parts"][0]["path"] = "/etc/hostname"
    elif forge == "database_unlisted":
        data["database"]["part"] = "files/" + world.file.name
    else:
        data["parts"][1]["path"] = "files/../../outside.pdf"
    manifest_path.write_text(json.dumps(data))
    before = default_storage.exists(world.file.name), get_user_model().objects.count()
    for command in (["restore", str(path), "--yes"], ["restore-drill", str(path)]):
        with pytest.raises(CommandError, match="格式不对"):
            call_command(*command)
    assert (default_storage.exists(world.file.name), get_user_model().objects.count()) == before


def test_a_set_of_the_other_database_changes_no_file(world, settings, monkeypatch):
    path = backup(settings)
    manifest_path = path / "manifest.json"
    data = json.loads(manifest_path.read_text())
    data["database"]["vendor"] = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    manifest_path.write_text(json.dumps(data))
    default_storage.delete(world.file.name)
    with pytest.raises(CommandError, match="当前配置的是"):
        call_command("restore", str(path), "--yes")
    assert not default_storage.exists(world.file.name)  # nothing written back


def test_a_set_is_its_owners_alone(world, settings):
    assert backup(settings).stat().st_mode & 0o077 == 0


def test_a_set_from_a_newer_version_or_without_its_keys_is_refused(world, settings):
    path = backup(settings)
    manifest_path = path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    newer = json.loads(json.dumps(manifest))
    newer["database"]["migrations"]["files"] = "9999_from_the_future"
    manifest_path.write_text(json.dumps(newer))
    with pytest.raises(CommandError, match="更新的平台版本.*files.9999_from_the_future"):
        call_command("restore", str(path), "--yes")

    manifest["key_ids"]["GONGHUI_FIELD_KEYS"].append("retired")
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(CommandError, match="GONGHUI_FIELD_KEYS 缺少密钥 retired"):
        call_command("restore", str(path), "--yes")
    assert not AuditEvent.objects.filter(action="backup.restore").exists()


def test_the_drill_passes_on_a_good_set_and_is_audited_in_the_live_database(
    world, settings, users, capsys
):
    path = backup(settings)
    record(actor=users.admin, action="orgs.update", obj=users.admin)  # after the backup
    head_sign()  # the witness goes on past the set

    code, out = drill(path, capsys)

    assert code == 0, out
    assert "演练通过" in out
    assert "审计链：" in out and "校验通过" in out
    assert "另有 1 个平台链头签于备份之后" in out  # the witness's lag, reported
    assert "文件：数据库所指的 1 个文件都在备份集中" in out
    assert "张表共" in out and "与备份时一致" in out
    event = AuditEvent.objects.get(action="backup.drill")  # in the live database
    assert event.object_id == path.name and event.body.count('"ok"') == 1
    if connection.vendor == "postgresql":  # the scratch database is gone
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE '%%_drill_%%'")
            assert cursor.fetchone() == (0,)


def test_the_drill_fails_on_a_set_with_a_tampered_audit_row(world, settings, users, capsys):
    record(actor=users.admin, action="orgs.update", obj=users.admin)
    head_sign()
    row = AuditEvent.objects.filter(action="orgs.update").latest("id")
    with as_table_owner() as cursor:  # someone who held the database edited history
        cursor.execute(
            "UPDATE audit_auditevent SET body = replace(body, 'orgs.update', 'orgs.create'), "
            "action = 'orgs.create' WHERE id = %s",
            [row.pk],
        )
    path = backup(settings)

    code, out = drill(path, capsys)

    assert code == 1
    assert "问题: 审计流 platform：" in out and "演练未通过" in out
    assert AuditEvent.objects.filter(action="backup.drill").count() == 1


def test_the_drill_fails_when_a_file_the_database_names_is_not_in_the_set(world, settings, capsys):
    default_storage.delete(world.file.name)  # lost from the storage before the backup
    with pytest.raises(CommandError, match="1 个文件在存储中找不到"):
        call_command("backup")
    (path,) = Path(settings.BACKUP_DIR).iterdir()

    code, out = drill(path, capsys)

    assert code == 1
    assert "1 个文件不在备份集中" in out


def test_the_drill_refuses_a_damaged_set_before_restoring_it(world, settings, capsys):
    path = backup(settings)
    shutil.rmtree(path / "files")

    code, out = drill(path, capsys)

    assert code == 1 and "问题: 缺少 files/" in out and "审计链" not in out


@pytest.fixture
def s3_storage(settings, tmp_path, monkeypatch):
    """The platform's files in an S3 bucket: moto's S3 server on a free port."""
    boto3 = pytest.importorskip("boto3")
    moto = Path(sys.executable).with_name("moto_server")
    need_service("moto_server (S3)", moto.exists(), "pip install moto[server]")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "moto.log").open("w")
    server = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    for var, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test")):
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", endpoint_url=endpoint)
    for _ in range(100):
        try:
            client.create_bucket(Bucket="gonghui")
            break
        except Exception:
            time.sleep(0.1)
    else:
        server.terminate()
        pytest.fail(f"moto's S3 server did not start: {(tmp_path / 'moto.log').read_text()}")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "gonghui", "endpoint_url": endpoint},
        },
    }
    yield client
    server.terminate()
    server.wait()
    log.close()


def test_files_in_an_s3_bucket_are_backed_up_and_restored(
    s3_storage, users, tree, settings, tmp_path
):
    settings.BACKUP_DIR = tmp_path / "backups"
    person = make_person(tree.cy_grass, "桶中人", id_number="110101199003070038")
    stored = attachment_add(
        actor=users.cy_grass,
        owner=person,
        org_unit=tree.cy_grass,
        upload=SimpleUploadedFile("事迹.pdf", DEED),
    )
    assert s3_storage.get_object(Bucket="gonghui", Key=stored.file.name)["Body"].read() == DEED
    path = backup(settings)
    assert (path / "files" / stored.file.name).read_bytes() == DEED
    s3_storage.delete_object(Bucket="gonghui", Key=stored.file.name)

    call_command("restore", str(path), "--yes")

    assert s3_storage.get_object(Bucket="gonghui", Key=stored.file.name)["Body"].read() == DEED
