"""Platform heads and the witness: the tamperings a hash chain alone lets through.

Each case was done by hand to a copy of the demo (SQLite file, PostgreSQL tables) and
passed `gonghui audit verify` before the heads: events edited or deleted after the last
checkpoint and the rest re-hashed, the last events of a stream cut, a stream without
checkpoints (`nominations`, `giveaway:*`) rewritten, a whole stream deleted with its
checkpoints, and `export` signing a tampered head. Here each is done as a tamperer with the
database (not the signing key, not the witness file) would, and must be reported."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from gonghui.audit import heads, services, witness
from gonghui.audit.models import AuditCheckpoint, AuditEvent, AuditHead, SignedStreamHead
from gonghui.audit.verifier import canonical, link_hash
from gonghui.common.formats import cn_datetime
from tests.audit.conftest import as_table_owner

pytestmark = pytest.mark.django_db

GIVEAWAY = "giveaway:7"


def add(stream: str, count: int, action: str = "test.event") -> None:
    for n in range(count):
        services.record(actor=None, action=action, stream=stream, object_id=str(n))


@pytest.fixture
def platform(db):
    """Three streams, all witnessed: platform (7 events, a checkpoint at 5), nominations and
    a giveaway (3 each, no checkpoint, as in the demo)."""
    add("platform", 5)
    services.checkpoint_sign()
    add("platform", 2)
    add("nominations", 3, "nominations.nominate")
    add(GIVEAWAY, 3, "perks.claim.seal")
    signing = services.head_sign()
    assert signing.problems == [] and signing.head.n == 1
    return signing.head


def event(stream: str, seq: int) -> AuditEvent:
    return AuditEvent.objects.get(stream=stream, seq=seq)


def rehash(stream: str, from_seq: int, edit=lambda body: body, drop=()) -> None:
    """Rewrite a stream from ``from_seq`` on as someone who knows the rules: edit, drop and
    renumber events, re-hash every later one. The chain is consistent again."""
    with as_table_owner():
        prev = event(stream, from_seq - 1).hash if from_seq > 1 else "0" * 64
        rows = list(AuditEvent.objects.filter(stream=stream, seq__gte=from_seq).order_by("seq"))
        AuditEvent.objects.filter(pk__in=[r.pk for r in rows]).delete()
        seq = from_seq
        for row in rows:
            if row.seq in drop:
                continue
            body = json.loads(row.body)
            body = edit(body) if row.seq == from_seq else body
            body["seq"] = seq
            text = canonical(body)
            for column, keys in services._COLUMNS_IN_BODY.items():  # the columns agree too
                setattr(row, column, services._dig(body, keys))
            row.pk, row.seq, row.body, row.prev_hash = None, seq, text, prev
            row.hash = prev = link_hash(prev, text)
            row.save(force_insert=True)
            seq += 1


def moment(value) -> str:
    return cn_datetime(value, seconds=True)


def verify(capsys) -> tuple[int, list[str]]:
    try:
        call_command("audit", "verify")
        code = 0
    except SystemExit as exited:
        code = exited.code
    return code, capsys.readouterr().out.splitlines()


def test_every_stream_is_witnessed(platform, capsys):
    code, out = verify(capsys)

    assert code == 0
    assert out[:3] == [
        f"OK {GIVEAWAY}: 3 条事件, 0 个签名检查点, 见证到第 3 条",
        "OK nominations: 3 条事件, 0 个签名检查点, 见证到第 3 条",
        "OK platform: 7 条事件, 1 个签名检查点, 见证到第 7 条",
    ]
    assert out[-1] == "所有事件均已见证"
    lines = witness.read(services.settings.AUDIT_WITNESS[0])
    assert [h["n"] for h in lines] == [1]
    assert lines[0]["streams"] == {
        "platform": [7, event("platform", 7).hash],
        "nominations": [3, event("nominations", 3).hash],
        GIVEAWAY: [3, event(GIVEAWAY, 3).hash],
    }


def test_events_after_the_last_checkpoint_edited_and_the_rest_rehashed(platform, capsys):
    rehash("platform", 6, lambda body: body | {"action": "test.forged"})

    code, out = verify(capsys)
    assert code == 1
    assert "FAILED platform: 第 7 条与见证的平台链头（#1）不符（链条被改写并重新计算哈希）" in out


def test_an_event_after_the_last_checkpoint_deleted_and_the_rest_rehashed(platform, capsys):
    add("platform", 2)
    services.head_sign()
    rehash("platform", 6, drop={6})

    code, out = verify(capsys)
    assert code == 1
    assert "FAILED platform: 第 7 条与见证的平台链头（#1）不符（链条被改写并重新计算哈希）" in out


def test_the_last_events_of_a_stream_cut(platform, capsys):
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = 'platform' AND seq > 5")

    code, out = verify(capsys)
    assert code == 1
    assert "FAILED platform: 链条被截短：见证的平台链头（#1）记录到第 7 条，现仅有 5 条" in out


@pytest.mark.parametrize("stream", ["nominations", GIVEAWAY])
def test_a_stream_without_checkpoints_rewritten(platform, capsys, stream):
    rehash(stream, 1, lambda body: body | {"object": body["object"] | {"id": "99"}})

    code, out = verify(capsys)
    assert code == 1
    assert f"FAILED {stream}: 第 3 条与见证的平台链头（#1）不符（链条被改写并重新计算哈希）" in out


def test_a_whole_stream_deleted_with_its_checkpoints(platform, capsys):
    services.checkpoint_sign(stream=GIVEAWAY)
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = %s", [GIVEAWAY])
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE stream = %s", [GIVEAWAY])

    code, out = verify(capsys)
    assert code == 1
    assert f"FAILED {GIVEAWAY}: 整个流已从数据库中消失（见证的平台链头（#1）记录到第 3 条）" in out


def test_a_stream_deleted_with_the_heads_and_their_state(platform, capsys):
    """All the database knows of the stream goes; the witness still does."""
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = %s", [GIVEAWAY])
        cursor.execute("DELETE FROM audit_audithead")
        cursor.execute("DELETE FROM audit_signedstreamhead")

    code, out = verify(capsys)
    assert code == 1
    assert f"FAILED {GIVEAWAY}: 整个流已从数据库中消失（见证的平台链头（#1）记录到第 3 条）" in out
    assert "FAILED 平台链头: 见证的平台链头 #1 在数据库中缺失或被改写（见证文件 " in "\n".join(out)


def test_events_beyond_the_last_witnessed_head_are_counted_with_their_times(platform, capsys):
    add("platform", 2)
    add("nominations", 1)
    first, last = (event("platform", seq).created_at for seq in (8, 9))
    nominated = event("nominations", 4).created_at

    code, out = verify(capsys)
    assert code == 0  # not a tampering: the worker signs them within the minute
    assert out[-3:] == [
        "未见证: 最后见证的平台链头之后有 3 条事件",
        f"  nominations: 1 条（{moment(nominated)} 至 {moment(nominated)}）",
        f"  platform: 2 条（{moment(first)} 至 {moment(last)}）",
    ]
    services.head_sign()
    assert verify(capsys)[1][-1] == "所有事件均已见证"


def test_the_signer_never_launders_a_tampered_stream(platform, capsys):
    """A stream rewritten below its signed head is left at that head; the others go on."""
    rehash("nominations", 2, lambda body: body | {"action": "x"})
    add("platform", 1)
    add("nominations", 1)

    signing = services.head_sign()
    assert signing.problems == ["流 nominations 第 3 条与已签名的链头不符（链条被改写）"]
    assert json.loads(signing.head.streams) == {"platform": [8, event("platform", 8).hash]}
    code, out = verify(capsys)
    assert code == 1
    assert (
        "FAILED nominations: 第 3 条与见证的平台链头（#1）不符（链条被改写并重新计算哈希）" in out
    )


def test_the_signer_refuses_when_the_heads_were_deleted(platform):
    add("platform", 1)
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_audithead")
        cursor.execute("DELETE FROM audit_signedstreamhead")

    signing = services.head_sign()
    assert signing.head is None
    assert "与数据库不符（数据库中的平台链头被删除或改写）" in signing.problems[0]
    assert not AuditHead.objects.exists()


def test_the_signer_refuses_an_edited_signed_state(platform):
    SignedStreamHead.objects.filter(stream="nominations").update(seq=1)
    add("platform", 1)

    signing = services.head_sign()
    assert signing.head is None
    assert signing.problems == ["已签名的流链头与平台链头 #1 的根哈希不符（数据库被改动）"]


def test_a_checkpoint_is_not_signed_over_a_rewritten_stream(platform):
    rehash("platform", 3, lambda body: body | {"action": "x"})

    assert services.checkpoint_sign() is None
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [5]


def test_export_refuses_to_sign_a_tampered_head(platform, tmp_path):
    rehash("platform", 6, lambda body: body | {"action": "test.forged"})
    out = tmp_path / "bundle.zip"

    with pytest.raises(CommandError, match="校验未通过，拒绝签名与导出：第 7 条与见证的平台链头"):
        call_command("audit", "export", "--stream", "platform", "--out", str(out))
    assert not out.exists()
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [5]


def test_export_refuses_when_the_witness_says_the_heads_were_rewritten(platform, tmp_path):
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_audithead")

    with pytest.raises(CommandError, match="见证的平台链头 #1 在数据库中缺失或被改写"):
        call_command("audit", "export", "--stream", "platform", "--out", str(tmp_path / "b.zip"))


# --- The witness files ---------------------------------------------------------------------


def test_a_head_is_witnessed_in_every_store(platform, settings, tmp_path):
    second = tmp_path / "elsewhere" / "heads.jsonl"
    settings.AUDIT_WITNESS = [*settings.AUDIT_WITNESS, second]
    add("platform", 1)

    signing = services.head_sign()
    assert (signing.head.n, signing.witnessed, signing.problems) == (2, 3, [])
    first = settings.AUDIT_WITNESS[0].read_text()
    assert second.read_text() == first  # caught up from head 1
    assert [json.loads(line)["n"] for line in first.splitlines()] == [1, 2]


def test_a_head_whose_line_was_not_written_is_written_by_the_next_signer(platform, settings):
    path = settings.AUDIT_WITNESS[0]
    path.write_text("")  # head 1 committed, its line lost (the process died)
    add("platform", 1)

    services.head_sign()
    assert [h["n"] for h in witness.read(path)] == [1, 2]


def test_nothing_moved_no_head(platform):
    signing = services.head_sign()
    assert (signing.head, signing.witnessed, signing.problems) == (None, 0, [])
    assert AuditHead.objects.count() == 1


def test_a_witness_edited_by_hand_is_reported(platform, settings, capsys):
    path = settings.AUDIT_WITNESS[0]
    head = json.loads(path.read_text())
    head["streams"]["platform"][0] = 6
    path.write_text(canonical(head) + "\n")

    code, out = verify(capsys)
    assert code == 1
    assert f"FAILED 平台链头: 见证文件 {path}：见证的平台链头（#1）：签名无效" in out


def test_a_garbled_witness_is_reported(platform, settings, capsys):
    settings.AUDIT_WITNESS[0].write_text("not json\n")

    code, out = verify(capsys)
    assert code == 1
    assert f"FAILED 平台链头: 见证文件 {settings.AUDIT_WITNESS[0]} 第 1 行无法读取" in out


def test_the_stream_names_are_read_through_the_index(platform):
    """The signer's per-minute scan lists the streams one index probe each."""
    assert heads.stream_heads() == {
        name: (seq, event(name, seq).hash)
        for name, seq in (("platform", 7), ("nominations", 3), (GIVEAWAY, 3))
    }


# --- PostgreSQL: tampering as the superuser, past the triggers ----------------------------


@pytest.mark.postgres
def test_postgres_superuser_cuts_a_tail_past_the_triggers(postgres, platform, capsys):
    """``session_replication_role = replica`` skips every trigger: what a superuser (or the
    tables' owner, with DISABLE TRIGGER) can do, and why the platform never runs as one."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = 'platform' AND seq > 5")
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = 'nominations'")
        cursor.execute("DELETE FROM audit_audithead")
        cursor.execute("SET LOCAL session_replication_role = origin")

    code, out = verify(capsys)
    assert code == 1
    assert "FAILED platform: 链条被截短：见证的平台链头（#1）记录到第 7 条，现仅有 5 条" in out
    assert "FAILED nominations: 整个流已从数据库中消失（见证的平台链头（#1）记录到第 3 条）" in out


@pytest.mark.postgres
def test_postgres_superuser_rewrites_a_giveaway_stream(postgres, platform, capsys):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    rehash(GIVEAWAY, 2, lambda body: body | {"changes": {"count": [None, 1]}})

    code, out = verify(capsys)
    assert code == 1
    assert (
        f"FAILED {GIVEAWAY}: 第 3 条与见证的平台链头（#1）不符（链条被改写并重新计算哈希）" in out
    )
