"""Audit retention: events past the online retention archived as signed bundles to the
archive storage, removed only by `gonghui audit prune` once archived, and the chain still
verifying from its last archive (docs/audit-retention.md)."""

import hashlib
import io
import json
import logging
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import moto
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import CommandError, call_command
from django.db import connection

from gonghui.audit import retention, services
from gonghui.audit.models import AuditArchive, AuditCheckpoint, AuditEvent
from gonghui.common.config import ConfigError, read_env
from gonghui.common.errors import Conflict
from gonghui.web.management.commands import worker
from tests.audit.conftest import APP, OWNER, as_table_owner, triggers_enabled
from tests.audit.test_export import fingerprint, run_verifier
from tests.common.test_config import _run_cli

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
OLD = datetime(2026, 1, 5, 10, tzinfo=BEIJING)
NOW = OLD + timedelta(days=200)  # past the 180 days' retention


def events(n: int, tag: str) -> None:
    for i in range(n):
        services.record(actor=None, action="orgs.update", object_id=f"{tag}{i}")


@pytest.fixture
def history(tree):
    """Platform events 1–8 at OLD (checkpoints at 5 and 8), 9–10 at NOW (signed, no
    checkpoint yet); the clock stays at NOW."""
    with time_machine.travel(OLD, tick=False):
        events(5, "a")
        services.checkpoint_all()
        events(3, "b")
        services.checkpoint_all()
    traveller = time_machine.travel(NOW, tick=False)
    traveller.start()
    events(2, "c")
    services.head_sign()
    yield
    traveller.stop()


def archived() -> AuditArchive:
    outcome = retention.archive()
    assert outcome.problems == []
    (archive,) = outcome.done
    return archive


def stored(archive: AuditArchive) -> Path:
    return Path(storages["audit_archive"].path(archive.storage_name))


def seqs() -> list[int]:
    rows = AuditEvent.objects.filter(stream="platform").order_by("seq")
    return list(rows.values_list("seq", flat=True))


def verify_out(capsys) -> tuple[int, str]:
    capsys.readouterr()
    try:
        call_command("audit", "verify")
    except SystemExit as exc:
        return exc.code, capsys.readouterr().out
    return 0, capsys.readouterr().out


# --- The setting ---------------------------------------------------------------------------


def test_retention_below_six_months_is_refused_at_start_up():
    assert read_env({})["GONGHUI_AUDIT_RETENTION_DAYS"] == 180
    assert read_env({"GONGHUI_AUDIT_RETENTION_DAYS": "365"})["GONGHUI_AUDIT_RETENTION_DAYS"] == 365
    with pytest.raises(ConfigError) as refused:
        read_env({"GONGHUI_AUDIT_RETENTION_DAYS": "90"})
    assert str(refused.value) == (
        "GONGHUI_AUDIT_RETENTION_DAYS='90': 不得小于 180（等保 2.0 要求审计记录至少保存六个月，"
        "请设为 180 或以上）"
    )
    with pytest.raises(ConfigError, match="expected a whole number"):
        read_env({"GONGHUI_AUDIT_RETENTION_DAYS": "半年"})
    with pytest.raises(ConfigError, match="GONGHUI_AUDIT_VERIFY_MINUTES='0': 不得小于 1"):
        read_env({"GONGHUI_AUDIT_VERIFY_MINUTES": "0"})


def test_start_up_stops_on_a_short_retention_with_one_line(tmp_path):
    result = _run_cli(
        {
            "GONGHUI_DEBUG": "true",
            "GONGHUI_VAR_DIR": str(tmp_path),
            "GONGHUI_AUDIT_RETENTION_DAYS": "179",
        },
        "check",
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "gonghui: configuration error: GONGHUI_AUDIT_RETENTION_DAYS='179': 不得小于 180"
        "（等保 2.0 要求审计记录至少保存六个月，请设为 180 或以上）"
    ]


# --- Archive -------------------------------------------------------------------------------


def test_archive_writes_a_signed_bundle_that_verifies_on_its_own(history, capsys):
    call_command("audit", "archive")
    out = capsys.readouterr().out
    archive = AuditArchive.objects.get()
    assert f"已归档 platform 第 1–8 条：{archive.storage_name}" in out
    checkpoint = AuditCheckpoint.objects.get(stream="platform", seq=8)
    head = AuditEvent.objects.get(stream="platform", seq=8).hash
    # It ends at the signed checkpoint of event 8.
    assert (archive.first_seq, archive.last_seq, archive.last_hash, checkpoint.head) == (
        1,
        8,
        head,
        head,
    )
    path = stored(archive)
    data = path.read_bytes()
    assert (archive.sha256, archive.size) == (hashlib.sha256(data).hexdigest(), len(data))
    result = run_verifier(path, "--key", fingerprint())
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("OK platform: 8 events, signed up to seq 8 ")
    # Its own event, in the chain; the events stay in the database until pruned.
    event = AuditEvent.objects.get(action="audit.archive")
    assert event.object_type == "audit.auditarchive" and event.object_id == str(archive.pk)
    assert seqs()[:3] == [1, 2, 3]
    # Nothing more is old enough: a second run archives nothing.
    assert retention.archive().done == []


def test_the_next_archive_continues_after_the_last_and_verifies_on_its_own(history):
    first = archived()
    events(3, "d")
    services.checkpoint_all()  # a checkpoint at 14 (the archive's event is 11)
    with time_machine.travel(NOW + timedelta(days=200), tick=False):
        events(1, "e")
        services.head_sign()
        second = archived()
        assert (second.first_seq, second.last_seq) == (9, 14)
        result = run_verifier(stored(second), "--key", fingerprint())
        assert result.returncode == 0, result.stdout
        assert result.stdout.startswith(
            "OK platform: 6 events after seq 8 (an archive: the bundle before ends there), "
            "signed up to seq 14 "
        )
        with zipfile.ZipFile(stored(second)) as bundle:
            assert b'"after":[8,"' + first.last_hash.encode() in bundle.read("manifest.json")
        assert services.verify_platform().ok


def test_an_archive_never_ends_at_the_signed_head(tree):
    """An idle stream keeps its last events online: the signer goes on from its head."""
    with time_machine.travel(OLD, tick=False):
        events(3, "a")
        services.checkpoint_all()
    with time_machine.travel(NOW, tick=False):
        assert retention.archive().done == []
        assert AuditArchive.objects.count() == 0


def test_a_tampered_stream_is_not_archived(history, tmp_path):
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_id = 'x' WHERE seq = 3")

    outcome = retention.archive()
    assert outcome.done == []
    assert outcome.problems == [
        "platform：审计流 platform 校验未通过，拒绝签名与导出：第 3 条事件的字段 object_id "
        "与已哈希内容不符"
    ]
    assert AuditArchive.objects.count() == 0
    assert not (tmp_path / "audit-archive").exists() or not any(
        (tmp_path / "audit-archive").rglob("*.zip")
    )


# --- Prune ---------------------------------------------------------------------------------


def test_prune_removes_only_archived_events_past_the_retention(history, capsys, tmp_path):
    archive = archived()
    checkpoints = AuditCheckpoint.objects.count()

    call_command("audit", "prune", "--yes")

    assert f"已删除 platform 第 1–8 条（由归档 #{archive.pk} 覆盖" in capsys.readouterr().out
    assert seqs() == [9, 10, 11, 12]  # 11: the archive's event, 12: the prune's
    event = AuditEvent.objects.get(action="audit.prune")
    assert event.object_id == "platform" and '"seq":[null,"1-8"]' in event.body
    assert AuditCheckpoint.objects.count() == checkpoints  # the anchors stay
    assert AuditArchive.objects.get() == archive
    if connection.vendor == "sqlite":  # the guard is back
        with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE seq = 9")
    # The chain verifies from the archive on, and the signer goes on.
    code, out = verify_out(capsys)
    assert code == 0, out
    assert "OK platform: 4 条事件" in out and "第 1–8 条已归档并从数据库删除" in out
    events(1, "d")
    signing = services.head_sign()
    assert signing.problems == [] and signing.head is not None
    assert services.verify_platform().ok
    # An export after the prune starts where the database does, and verifies on its own.
    path = tmp_path / "export.zip"
    with path.open("wb") as fh:
        assert services.export_bundle(stream="platform", out=fh) == 5
    assert run_verifier(path, "--key", fingerprint()).returncode == 0


def test_prune_without_an_archive_removes_nothing(history):
    with pytest.raises(CommandError, match="没有可删除的事件：只删除已归档"):
        call_command("audit", "prune", "--yes")
    assert seqs() == list(range(1, 11))
    assert not AuditEvent.objects.filter(action="audit.prune").exists()


def test_prune_asks_for_yes(history):
    archived()
    with pytest.raises(CommandError, match="不可撤销"):
        call_command("audit", "prune")
    assert seqs()[0] == 1


def test_prune_keeps_archived_events_within_a_longer_retention(history, settings):
    archived()
    settings.AUDIT_RETENTION_DAYS = 365  # raised since: the archived events are young again

    assert retention.prune().done == []
    assert seqs()[0] == 1


def test_prune_refuses_when_the_bundle_is_gone_or_changed(history):
    archive = archived()
    stored(archive).write_bytes(b"PK\x03\x04 not the bundle")

    with pytest.raises(Conflict, match="的 SHA-256 与归档记录不符"):
        retention.prune()
    assert seqs()[0] == 1


# --- Verify after a prune: what tampering it finds -----------------------------------------


@pytest.fixture
def pruned(history):
    archive = archived()
    assert retention.prune().done
    return archive


def first_problem() -> str:
    report = services.verify_platform()
    assert not report.ok
    return report.first_problem


def test_verify_finds_an_archive_row_edited(pruned):
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditarchive SET last_hash = %s", ["0" * 64])
    assert first_problem() == (
        f"platform：归档 #{pruned.pk}（第 1–8 条）所记的链头与本流的签名检查点不符（归档记录被改动）"
    )


def test_verify_finds_an_archive_digest_edited_against_its_event(pruned):
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditarchive SET sha256 = %s", ["f" * 64])
    assert first_problem() == (
        f"platform：归档 #{pruned.pk}（第 1–8 条）与其归档时记录的审计事件不符（归档记录被改动）"
    )


def test_verify_finds_the_bundle_gone(pruned):
    stored(pruned).unlink()
    assert first_problem() == (
        f"platform：归档 #{pruned.pk}（第 1–8 条）的数据包 {pruned.storage_name} 在归档存储中不存在"
    )


def test_verify_finds_the_bundle_changed(pruned):
    path = stored(pruned)
    path.write_bytes(path.read_bytes() + b"\n")
    assert "的 SHA-256 与归档记录不符（被改动或替换）" in first_problem()


def test_verify_finds_a_remaining_event_edited(pruned):
    with as_table_owner() as cursor:
        cursor.execute(  # the body and its column alike: only the hash tells
            "UPDATE audit_auditevent SET body = replace(body, '\"c0\"', '\"zz\"'), "
            "object_id = 'zz' WHERE seq = 9"
        )
    assert first_problem() == "platform：第 9 条事件内容与其哈希不符（内容被修改）"


def test_verify_finds_a_cut_below_the_archive(pruned):
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 9")
    assert first_problem() == (
        "platform：第 9 条及以前的事件不在数据库中，且没有在该处结束的归档（链条开头被截去）"
    )


def test_verify_notes_an_unreachable_archive_storage(pruned, monkeypatch, capsys):
    def down(name):
        raise ConnectionError("storage down")

    monkeypatch.setattr(storages["audit_archive"], "exists", down)
    code, out = verify_out(capsys)
    assert code == 0, out
    assert f"注意: platform: 归档存储无法访问，未核对归档 #{pruned.pk}（第 1–8 条）的数据包" in out


# --- The worker: scheduled verify and daily archive ------------------------------------------


def test_the_worker_archives_daily_and_verifies_but_never_prunes(settings):
    jobs = {job: seconds for seconds, job, _ in worker.schedules()}
    assert jobs[retention.archive_due] == 24 * 3600
    assert jobs[retention.verify_scheduled] == settings.AUDIT_VERIFY_SECONDS == 3600
    assert retention.prune not in jobs


def test_scheduled_verify_raises_an_alert_on_failure(pruned, caplog):
    with caplog.at_level(logging.ERROR, logger="gonghui.alerts"):
        assert retention.verify_scheduled() == "ok"
    assert caplog.records == []
    stored(pruned).unlink()

    with caplog.at_level(logging.ERROR, logger="gonghui.alerts"):
        result = retention.verify_scheduled()

    assert result.startswith("FAILED: platform：归档 #")
    (alerted,) = caplog.records
    assert alerted.alert == "audit.verify_failed"
    assert alerted.fields == {"streams": ["platform"], "heads": 0}
    assert "在归档存储中不存在" in alerted.getMessage()


def test_the_daily_archive_raises_an_alert_when_it_fails(history, caplog):
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_id = 'x' WHERE seq = 3")
    with caplog.at_level(logging.ERROR, logger="gonghui.alerts"):
        retention.archive_due()
    (alerted,) = caplog.records
    assert alerted.alert == "audit.archive_failed" and "校验未通过" in alerted.getMessage()


# --- PostgreSQL: only the tables' owner may prune ---------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_only_the_owner_role_prunes(two_roles, history):
    archived()

    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {APP}")
    try:
        with pytest.raises(Conflict, match="只有审计表的所有者角色可以删除已归档的事件"):
            retention.prune()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert seqs()[0] == 1

    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {OWNER}")
    try:
        assert [p.last for p in retention.prune().done] == [8]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert seqs()[0] == 9
    assert set(triggers_enabled().values()) == {"O"}  # on again, for everyone
    assert services.verify_platform().ok


# --- The S3-compatible store (production): moto's in-process S3 -----------------------------


def test_archive_to_an_s3_store_and_verify_after_prune(history, settings, monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "cn-north-1",
    }.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        boto3.client("s3").create_bucket(
            Bucket="gonghui", CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
        )
        settings.STORAGES = settings.STORAGES | {
            "audit_archive": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": "gonghui", "location": "audit-archive"},
            }
        }
        archive = archived()
        key = f"audit-archive/{archive.storage_name}"
        body = boto3.client("s3").get_object(Bucket="gonghui", Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == archive.sha256
        assert retention.prune().done and services.verify_platform().ok

        boto3.client("s3").delete_object(Bucket="gonghui", Key=key)
        assert "在归档存储中不存在" in first_problem()


def test_an_installation_on_sm_archives_and_prunes_its_switched_stream(history, settings):
    """After a switch to SM3/SM2 the archive (old SHA-256 events, an SM2-signed checkpoint)
    reads back and verifies with the installation's algorithms, and the chain goes on."""
    from tests.audit.test_smcrypto import go_sm

    go_sm(settings)
    services.crypto_switch(to="sm", actor=None)
    archive = archived()
    assert (archive.first_seq, archive.last_seq) == (1, 8)
    call_command("audit", "prune", "--yes")
    assert seqs()[0] == 9
    assert services.verify_platform().ok


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_audit_archive_bundles_are_backed_up_and_restored(history, settings, tmp_path):
    """The archive's bundles are the only copy of pruned events: in the set, and back."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_DIR = tmp_path / "backups"
    archive = archived()
    call_command("backup")
    (path,) = Path(settings.BACKUP_DIR).iterdir()
    manifest = json.loads((path / "manifest.json").read_text())
    (part,) = [p for p in manifest["parts"] if p["kind"] == "archive"]
    assert part["path"] == f"audit-archive/{archive.storage_name}"
    assert part["sha256"] == archive.sha256
    store = storages["audit_archive"]
    store.delete(archive.storage_name)
    call_command("restore", str(path), "--yes")
    with store.open(archive.storage_name, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == archive.sha256


def _encrypted_zip() -> bytes:
    """A zip whose member says it is encrypted: zipfile raises RuntimeError reading it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("manifest.json", "{}")
    data = bytearray(buffer.getvalue())
    for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.index(signature) + flags] |= 1
    return bytes(data)


def _forge_row(stream, last_seq, head, name, sha256, size, created) -> None:
    """An archive row written by hand (the table owner's INSERT)."""
    with as_table_owner() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditarchive (stream, first_seq, last_seq, last_hash, "
            "storage_name, sha256, size, created_at) VALUES (%s, 1, %s, %s, %s, %s, %s, %s)",
            [stream, last_seq, head, name, sha256, size, created],
        )


@pytest.mark.parametrize(
    ("dated", "content"),
    [("now", "junk"), ("before_the_events", "junk"), ("before_the_events", "encrypted")],
)
def test_an_archive_row_forged_by_the_database_owner_is_found(history, dated, content):
    """Who holds the database writes an archive row for events 1–5 (their signed checkpoint
    is real) over a file of their own with its SHA-256, and deletes the events: neither the
    row's missing event nor the file passes (the bundle is verified, not only hashed, and a
    bundle that cannot be read is a problem, never an unreachable storage)."""
    junk = b"not a bundle" if content == "junk" else _encrypted_zip()
    name = storages["audit_archive"].save("platform/forged.zip", ContentFile(junk))
    created = NOW if dated == "now" else OLD - timedelta(days=1)
    head = AuditCheckpoint.objects.get(stream="platform", seq=5).head
    _forge_row("platform", 5, head, name, hashlib.sha256(junk).hexdigest(), len(junk), created)
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = 'platform' AND seq <= 5")
    problem = first_problem()
    if dated == "now":
        assert "没有归档时记录的审计事件" in problem
    else:
        assert "数据包 platform/forged" in problem and "校验未通过" in problem


OTHER = "giveaway:7"


@pytest.fixture
def two_streams(tree):
    """The platform's events 1–8 and another stream's 1–8 at OLD (checkpoints at 5 and 8
    in both), two young events each at NOW; the platform's 1–8 archived."""
    with time_machine.travel(OLD, tick=False):
        for n in (5, 3):
            events(n, "a")
            for i in range(n):
                services.record(actor=None, action="orgs.update", object_id=f"o{i}", stream=OTHER)
            services.checkpoint_all()
    traveller = time_machine.travel(NOW, tick=False)
    traveller.start()
    events(2, "c")
    for i in range(2):
        services.record(actor=None, action="orgs.update", object_id=f"y{i}", stream=OTHER)
    services.head_sign()
    assert retention.archive(stream="platform").problems == []
    yield AuditArchive.objects.get(stream="platform")
    traveller.stop()


@pytest.mark.parametrize("own_event", [False, True])
def test_another_streams_genuine_bundle_does_not_archive_a_stream(two_streams, own_event):
    """A row for the other stream's events 1–8 (its real signed head) over the platform's
    genuine bundle of 1–8 — dated before the events, or given its own archive event as the
    application's database role could write it —: verify names the bundle as not that
    stream's, and prune removes none of the other stream's events."""
    real = two_streams
    head = AuditCheckpoint.objects.get(stream=OTHER, seq=8).head
    created = NOW if own_event else OLD - timedelta(days=1)
    _forge_row(OTHER, 8, head, real.storage_name, real.sha256, real.size, created)
    if own_event:
        forged = AuditArchive.objects.get(stream=OTHER)
        services.record(
            actor=None,
            action="audit.archive",
            obj=forged,
            changes={
                "stream": [None, OTHER],
                "seq": [None, "1-8"],
                "head": [None, head],
                "sha256": [None, real.sha256],
                "storage": [None, real.storage_name],
            },
        )
        services.head_sign()
    problem = first_problem()
    assert f"不是 {OTHER} 第 1–8 条的归档" in problem
    with pytest.raises(Conflict, match="拒绝删除任何事件"):
        retention.prune()
    assert AuditEvent.objects.filter(stream=OTHER).count() == 10


def test_a_bundle_is_verified_whole_once_per_process_then_by_its_digest(history, monkeypatch):
    monkeypatch.setattr(services, "_verified", set())
    archive = archived()  # verified once as it is written
    calls = []
    real = services.verify_bundle
    monkeypatch.setattr(services, "verify_bundle", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert services.verify_platform().ok and services.verify_platform().ok
    assert calls == []
    monkeypatch.setattr(services, "_verified", set())  # another process
    assert services.verify_platform().ok and services.verify_platform().ok
    assert len(calls) == 1
    stored(archive).write_bytes(stored(archive).read_bytes() + b"x")  # then changed
    assert "SHA-256 与归档记录不符" in first_problem()
