"""Platform heads and the witness: the tamperings a hash chain alone lets through.

Each case was done by hand to a copy of the demo (SQLite file, PostgreSQL tables) and
passed `gonghui audit verify` before the heads: events edited or deleted after the last
checkpoint and the rest re-hashed, the last events of a stream cut, a stream without
checkpoints (`nominations`, `giveaway:*`) rewritten, a whole stream deleted with its
checkpoints, and `export` signing a tampered head. Here each is done as a tamperer with the
database (not the signing key, not the witness file) would, and must be reported."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from gonghui.audit import heads, services, verifier, witness
from gonghui.audit.models import AuditCheckpoint, AuditEvent, AuditHead, SignedStreamHead
from gonghui.audit.verifier import canonical, link_hash
from gonghui.common.formats import cn_datetime
from tests.audit.conftest import APP, as_table_owner, connect_as

pytestmark = pytest.mark.django_db

GIVEAWAY = "giveaway:7"


def add(stream: str, count: int, action: str = "test.event") -> None:
    for n in range(count):
        services.record(actor=None, action=action, stream=stream, object_id=str(n))


@pytest.fixture
def platform(db):
    """Three streams, all witnessed: platform (7 events, a checkpoint at 5, signed with head
    #1), nominations and a giveaway (3 each, no checkpoint, as in the demo): head #2."""
    add("platform", 5)
    services.checkpoint_sign()
    add("platform", 2)
    add("nominations", 3, "nominations.nominate")
    add(GIVEAWAY, 3, "perks.claim.seal")
    signing = services.head_sign()
    assert signing.problems == [] and signing.head.n == 2
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
    lines = witness.read(services.settings.AUDIT_WITNESS[0]).heads
    assert [h["n"] for h in lines] == [1, 2]
    assert lines[1]["streams"] == {
        "platform": [7, event("platform", 7).hash],
        "nominations": [3, event("nominations", 3).hash],
        GIVEAWAY: [3, event(GIVEAWAY, 3).hash],
    }


def test_events_after_the_last_checkpoint_edited_and_the_rest_rehashed(platform, capsys):
    rehash("platform", 6, lambda body: body | {"action": "test.forged"})

    code, out = verify(capsys)
    assert code == 1
    assert "FAILED platform: 第 7 条与见证的平台链头（#2）不符（链条被改写并重新计算哈希）" in out


def test_an_event_after_the_last_checkpoint_deleted_and_the_rest_rehashed(platform, capsys):
    add("platform", 2)
    services.head_sign()
    rehash("platform", 6, drop={6})

    code, out = verify(capsys)
    assert code == 1
    assert "FAILED platform: 第 7 条与见证的平台链头（#2）不符（链条被改写并重新计算哈希）" in out


def test_the_last_events_of_a_stream_cut(platform, capsys):
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = 'platform' AND seq > 5")

    code, out = verify(capsys)
    assert code == 1
    assert "FAILED platform: 链条被截短：见证的平台链头（#2）记录到第 7 条，现仅有 5 条" in out


@pytest.mark.parametrize("stream", ["nominations", GIVEAWAY])
def test_a_stream_without_checkpoints_rewritten(platform, capsys, stream):
    rehash(stream, 1, lambda body: body | {"object": body["object"] | {"id": "99"}})

    code, out = verify(capsys)
    assert code == 1
    assert f"FAILED {stream}: 第 3 条与见证的平台链头（#2）不符（链条被改写并重新计算哈希）" in out


def test_a_whole_stream_deleted_with_its_checkpoints(platform, capsys):
    services.checkpoint_sign(stream=GIVEAWAY)
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = %s", [GIVEAWAY])
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE stream = %s", [GIVEAWAY])

    code, out = verify(capsys)
    assert code == 1
    assert f"FAILED {GIVEAWAY}: 整个流已从数据库中消失（见证的平台链头（#2）记录到第 3 条）" in out


def test_a_stream_deleted_with_the_heads_and_their_state(platform, capsys):
    """All the database knows of the stream goes; the witness still does."""
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = %s", [GIVEAWAY])
        cursor.execute("DELETE FROM audit_audithead")
        cursor.execute("DELETE FROM audit_signedstreamhead")

    code, out = verify(capsys)
    assert code == 1
    assert f"FAILED {GIVEAWAY}: 整个流已从数据库中消失（见证的平台链头（#2）记录到第 3 条）" in out
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
        "FAILED nominations: 第 3 条与见证的平台链头（#2）不符（链条被改写并重新计算哈希）" in out
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


@pytest.mark.parametrize(
    "edit",
    [
        lambda: SignedStreamHead.objects.filter(stream="nominations").update(seq=1),
        lambda: SignedStreamHead.objects.all().delete(),  # the application's role may
    ],
    ids=["edited", "emptied"],
)
def test_an_edited_signed_state_is_rebuilt_from_the_heads(platform, edit, capsys):
    """The signed stream heads are the signer's cache, the application's to write: changed
    or emptied, they are rebuilt from the heads (their root is the last head's) and signing
    goes on. It stopped for good before."""
    edit()
    add("platform", 1)

    signing = services.head_sign()
    assert signing.head.n == 3 and signing.problems == []
    assert signing.notes == ["已签名的流链头与最后一个平台链头不符（被改动），已按平台链头重建"]
    assert dict(SignedStreamHead.objects.values_list("stream", "seq")) == {
        "platform": 8,
        "nominations": 3,
        GIVEAWAY: 3,
    }
    assert verify(capsys)[0] == 0


def test_a_checkpoint_is_not_signed_over_a_rewritten_stream(platform):
    rehash("platform", 3, lambda body: body | {"action": "x"})

    assert services.checkpoint_sign() is None
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [5]


def test_a_checkpoint_is_not_signed_over_a_stream_cut_below_its_witnessed_head(platform, capsys):
    """The red team's repro: events after 6 deleted with the checkpoint at 10 that covered
    them; the last checkpoint left (5) is extended by what remains, and the checkpoint
    signer signed "platform 6", later than the witnessed head that records 10. A bundle of
    the rows up to 6 then passed the verifier with the trusted key."""
    add("platform", 3)
    assert services.checkpoint_sign().seq == 10  # with head #3, witnessed
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = 'platform' AND seq > 6")
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE seq = 10")

    assert services.checkpoint_sign() is None
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "checkpoint")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "未签名: 流 platform 被截短：已签名到第 10 条，现仅有 6 条" in out
    assert "已签名 2 个检查点" in out  # the other streams, untouched, at their heads
    platform_checkpoints = AuditCheckpoint.objects.filter(stream="platform")
    assert list(platform_checkpoints.values_list("seq", flat=True)) == [5]


def test_the_signed_state_cannot_be_moved_back_to_let_a_cut_through(platform):
    """Cut the stream and set the signer's cache to match: the cache no longer matches the
    last head's root, is rebuilt from the heads, and the cut shows."""
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = 'platform' AND seq > 6")
    SignedStreamHead.objects.filter(stream="platform").update(seq=6, hash=event("platform", 6).hash)

    assert services.checkpoint_sign() is None
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [5]
    assert SignedStreamHead.objects.get(stream="platform").seq == 7


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


def test_a_second_store_is_started_by_the_restart_command(platform, settings, tmp_path, capsys):
    """A store added to a platform that has heads is missing: reported, never made by the
    signer; `witness-restart --yes` starts it with every head of the database."""
    second = tmp_path / "elsewhere" / "heads.jsonl"
    settings.AUDIT_WITNESS = [*settings.AUDIT_WITNESS, second]
    add("platform", 1)

    signing = services.head_sign()
    assert signing.head.n == 3 and signing.witnessed == 1
    assert signing.problems == [witness.missing(second, 2, exists=False)]
    assert not second.exists()
    call_command("audit", "witness-restart", "--yes")
    assert f"已重新开始见证文件 {second}（原先没有文件；已记录审计事件）" in capsys.readouterr().out
    first = settings.AUDIT_WITNESS[0].read_text()
    assert second.read_text() == first  # caught up from head 1, then the restart's head
    assert [json.loads(line)["n"] for line in first.splitlines()] == [1, 2, 3, 4]
    assert verify(capsys)[0] == 0


def test_a_head_whose_line_was_not_written_is_written_by_the_next_signer(platform, settings):
    path = settings.AUDIT_WITNESS[0]
    path.write_text(path.read_text().splitlines(keepends=True)[0])  # #2's line lost (a crash)
    add("platform", 1)

    services.head_sign()
    assert [h["n"] for h in witness.read(path).heads] == [1, 2, 3]


def test_nothing_moved_no_head(platform):
    signing = services.head_sign()
    assert (signing.head, signing.witnessed, signing.problems) == (None, 0, [])
    assert AuditHead.objects.count() == 2


def test_a_witness_edited_by_hand_is_reported(platform, settings, capsys):
    path = settings.AUDIT_WITNESS[0]
    first, second = path.read_text().splitlines()
    head = json.loads(first)
    head["streams"]["platform"][0] = 4
    path.write_text(canonical(head) + "\n" + second + "\n")

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


# --- Heads the platform did not sign (the application's role may INSERT them) -------------


def insert_head(n: int, prev: str, root: str, signature: str, streams="{}") -> None:
    """What the application's role can do to the heads table: add a row (never change one)."""
    AuditHead.objects.create(
        n=n,
        time="2030-01-01T00:00:00.000000Z",
        prev=prev,
        root=root,
        streams=streams,
        key_id="k1",
        signature=signature,
    )


def forged_heads(platform):
    last = heads.head_dict(platform)
    digest = verifier.head_digest(last)
    return {
        "junk-prev": dict(prev="00", signature="ab" * 64),
        "bad-hex": dict(prev=digest, signature="zz"),
        "unsigned": dict(prev=digest, signature="ab" * 64),
        "not-json": dict(prev=digest, signature="ab" * 64, streams="{not json"),
    }


@pytest.mark.parametrize(
    ("forgery", "problem"),
    [
        ("junk-prev", "前序哈希或根哈希格式错误"),
        ("bad-hex", "签名格式错误"),
        ("unsigned", "签名无效"),
        ("not-json", "所列流链头格式错误"),
    ],
)
def test_a_head_the_platform_did_not_sign_is_neither_chained_nor_witnessed(
    platform, settings, capsys, forgery, problem
):
    """The red team inserted head #3 (prev '00', the root of #2, a junk signature): the
    worker signed #4 on top and wrote both to the witness, and verify failed for good; with
    a right prev and signature 'zz', verify crashed (the audit page's button answered 500).
    Now the signer checks the last head (shape, link, signature) before it chains on."""
    path = settings.AUDIT_WITNESS[0]
    before = path.read_bytes()
    insert_head(3, root=platform.root, **forged_heads(platform)[forgery])
    add("platform", 1)

    signing = services.head_sign()
    assert signing.head is None
    assert signing.problems == [
        f"数据库中的平台链头 #3：{problem}（不是平台签名的链头，不予接续，也不写入见证文件）"
    ]
    assert path.read_bytes() == before
    assert heads.witness_sync(services._keys())[1] == [
        f"数据库中的平台链头 #3：{problem}，未写入见证文件"
    ]
    assert path.read_bytes() == before
    code, out = verify(capsys)  # no exception
    assert code == 1
    assert f"FAILED 平台链头: 平台链头（#3）：{problem}" in out


def test_the_audit_page_reports_a_malformed_head_instead_of_answering_500(platform, client, users):
    insert_head(3, root=platform.root, **forged_heads(platform)["bad-hex"])
    client.force_login(users.auditor)

    response = client.post("/audit/verify/")
    assert response.status_code == 200
    assert "校验失败：平台链头（#3）：签名格式错误" in response.content.decode()


@pytest.mark.parametrize(
    ("head", "problem"),
    [
        ({"n": "1"}, "序号格式错误"),
        ([1, 2], "不是平台链头（格式错误）"),
        (
            {
                "n": 1,
                "time": "t",
                "prev": "0" * 64,
                "root": "1" * 64,
                "key_id": "k1",
                "signature": "zz",
            },
            "签名格式错误",
        ),
        (
            {
                "n": 1,
                "time": "t",
                "prev": "0" * 64,
                "root": "1" * 64,
                "key_id": "k1",
                "signature": "a" * 128,
                "streams": {"p": [True, "1" * 64]},
            },
            "所列流链头格式错误",
        ),
        (
            {
                "n": 1,
                "time": 5,
                "prev": "0" * 64,
                "root": "1" * 64,
                "key_id": "k1",
                "signature": "a" * 128,
                "streams": {},
            },
            "时间或密钥编号格式错误",
        ),
    ],
)
def test_check_heads_reports_a_malformed_head_never_raises(head, problem):
    _, _, last, found = verifier.check_heads([head], {"k1": "00" * 32})
    assert last is None
    assert found.endswith(f"：{problem}")


# --- A witness deleted, emptied, torn, or out of reach ------------------------------------


def test_a_deleted_witness_fails_and_is_not_rebuilt_from_the_database(platform, settings, capsys):
    """Roll the database back, delete the witness: verify gave a note and exit 0, and the
    next signer rebuilt the witness from the rolled-back database."""
    path = settings.AUDIT_WITNESS[0]
    with as_table_owner() as cursor:  # back to before head #2 (as a restore would)
        cursor.execute("DELETE FROM audit_auditevent WHERE stream <> 'platform' OR seq > 5")
        cursor.execute("DELETE FROM audit_audithead WHERE n = 2")
    SignedStreamHead.objects.exclude(stream="platform").delete()
    SignedStreamHead.objects.filter(stream="platform").update(seq=5, hash=event("platform", 5).hash)
    path.unlink()

    code, out = verify(capsys)
    assert code == 1
    assert f"FAILED 平台链头: {witness.missing(path, 1, exists=False)}" in out
    add("platform", 1)
    signing = services.head_sign()
    assert witness.missing(path, 1, exists=False) in signing.problems
    assert not path.exists()
    path.write_text("")  # emptied rather than deleted: the same
    assert f"FAILED 平台链头: {witness.missing(path, 2, exists=True)}" in verify(capsys)[1]


def test_restarting_a_witness_is_explicit_and_records_the_old_one(platform, settings, capsys):
    """After a restore (the database behind its witness), the operator restarts the witness:
    the old file is kept, an event records its last head, the new one holds the database's
    heads and the event's own head."""
    path = settings.AUDIT_WITNESS[0]
    old_last = witness.read(path).heads[-1]
    with as_table_owner() as cursor:  # the database of before head #2
        cursor.execute("DELETE FROM audit_auditevent WHERE stream <> 'platform' OR seq > 5")
        cursor.execute("DELETE FROM audit_audithead WHERE n = 2")
    SignedStreamHead.objects.exclude(stream="platform").delete()
    SignedStreamHead.objects.filter(stream="platform").update(seq=5, hash=event("platform", 5).hash)
    assert services.head_sign().problems[0].startswith(f"见证文件 {path} 的最后一个平台链头 #2")

    with pytest.raises(CommandError, match="再加 --yes 运行"):
        call_command("audit", "witness-restart")
    call_command("audit", "witness-restart", "--yes")
    kept = next(path.parent.glob("audit-heads.jsonl.*.replaced"))
    assert (
        f"已重新开始见证文件 {path}（旧文件保留为 {kept}；已记录审计事件）"
        in capsys.readouterr().out
    )
    assert witness.read(kept).heads[-1] == old_last
    restart = AuditEvent.objects.get(action="audit.witness_restart")
    db_head = heads.head_dict(AuditHead.objects.get(n=1))
    assert json.loads(restart.body)["changes"] == {
        "path": [None, str(path)],
        "last_head": [
            f"#2 {verifier.head_digest(old_last)}",
            f"#1 {verifier.head_digest(db_head)}",
        ],
    }
    assert [h["n"] for h in witness.read(path).heads] == [1, 2]  # the new #2 holds the event
    assert verify(capsys)[0] == 0


def test_restarting_a_deleted_witness_records_none(platform, settings):
    settings.AUDIT_WITNESS[0].unlink()

    assert [path for path, _ in services.witness_restart()] == settings.AUDIT_WITNESS
    restart = AuditEvent.objects.get(action="audit.witness_restart")
    assert json.loads(restart.body)["changes"]["last_head"][0] == "none"
    assert services.witness_restart() == []  # nothing left to restart


def test_a_restart_that_cannot_move_a_store_aside_changes_nothing(
    platform, settings, tmp_path, monkeypatch
):
    """A store under chattr +a cannot be renamed: the restart is refused as a whole, the
    stores already moved go back, no event is recorded."""
    first, second = settings.AUDIT_WITNESS[0], tmp_path / "second.jsonl"
    second.write_text("not json\n")
    first.write_text("")
    settings.AUDIT_WITNESS = [first, second]
    set_aside = witness.set_aside

    def append_only(path, stamp):
        if path == second:
            raise PermissionError(1, "Operation not permitted")
        return set_aside(path, stamp)

    monkeypatch.setattr(witness, "set_aside", append_only)
    with pytest.raises(CommandError, match=f"无法移开见证文件 {second}（Operation not permitted）"):
        call_command("audit", "witness-restart", "--yes")
    assert (first.read_text(), second.read_text()) == ("", "not json\n")
    assert sorted(p.name for p in first.parent.iterdir()) == ["audit-heads.jsonl"]
    assert not AuditEvent.objects.filter(action="audit.witness_restart").exists()


def test_events_left_unwitnessed_too_long_fail_verify(platform, settings, capsys):
    """347 events unwitnessed for minutes gave exit 0: the signer or the witness stopped."""
    add("platform", 2)
    first = event("platform", 8).created_at

    with time_machine.travel(first + timedelta(minutes=5, seconds=1)):
        code, out = verify(capsys)
        assert code == 1
        assert out[-1] == (
            f"FAILED 未见证: 2 条事件超过 5 分钟仍未见证（最早 {moment(first)}，流 platform）："
            "签名进程（gonghui worker）是否在运行，见证文件是否可写？"
        )
        settings.AUDIT_UNWITNESSED_SECONDS = 600  # GONGHUI_AUDIT_UNWITNESSED_MINUTES=10
        assert verify(capsys)[0] == 0
    with time_machine.travel(first + timedelta(minutes=4)):
        settings.AUDIT_UNWITNESSED_SECONDS = 300
        assert verify(capsys)[0] == 0


def test_production_with_only_the_same_host_witness_is_warned(settings, caplog):
    settings.DEBUG, settings.AUDIT_WITNESS_DEFAULT = False, True
    witness.warn_same_host()
    assert "GONGHUI_AUDIT_WITNESS 未设置：平台链头只写入同一台主机上的" in caplog.text

    caplog.clear()
    settings.AUDIT_WITNESS_DEFAULT = False
    witness.warn_same_host()
    settings.DEBUG, settings.AUDIT_WITNESS_DEFAULT = True, True
    witness.warn_same_host()
    assert caplog.text == ""


def test_an_unreachable_store_is_reported_and_the_others_are_still_written(
    platform, settings, tmp_path, capsys, client, users
):
    """GONGHUI_AUDIT_WITNESS=/tmp/file/w.jsonl,<local>: `audit checkpoint` raised
    NotADirectoryError before signing anything, and verify gave a traceback."""
    blocker = tmp_path / "file"
    blocker.write_text("a regular file, not a directory")
    unreachable = blocker / "w.jsonl"
    local = settings.AUDIT_WITNESS[0]
    settings.AUDIT_WITNESS = [unreachable, local]
    add("platform", 1)

    with pytest.raises(SystemExit):
        call_command("audit", "checkpoint")
    out = capsys.readouterr().out
    assert "已签名平台链头 #3" in out
    assert f"未签名: 见证文件 {unreachable} 无法访问（NotADirectoryError: Not a directory）" in out
    assert [h["n"] for h in witness.read(local).heads] == [1, 2, 3]
    code, out = verify(capsys)
    assert code == 1
    assert f"FAILED 平台链头: 见证文件 {unreachable} 无法访问（NotADirectoryError" in "\n".join(out)
    client.force_login(users.auditor)
    assert client.post("/audit/verify/").status_code == 200


def test_a_line_torn_by_a_crash_is_noted_and_completed(platform, settings, capsys):
    """The last write cut short mid-line: it stopped signing for good. It is the start of
    the head due there, so verify notes it and the next signer completes it."""
    path = settings.AUDIT_WITNESS[0]
    path.write_bytes(path.read_bytes()[:-100])

    code, out = verify(capsys)
    assert code == 0
    assert (
        f"注意: 见证文件 {path} 的最后一行写入时中断（平台链头 #2），下次签名时从数据库补全" in out
    )
    add("platform", 1)
    signing = services.head_sign()
    assert signing.problems == [] and signing.witnessed == 2
    assert [h["n"] for h in witness.read(path).heads] == [1, 2, 3]
    assert verify(capsys)[0] == 0


def test_a_torn_last_line_that_is_no_head_of_the_database_is_reported(platform, settings, capsys):
    path = settings.AUDIT_WITNESS[0]
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"n":3,"time":"forged')

    code, out = verify(capsys)
    assert code == 1
    assert f"FAILED 平台链头: {witness.torn_problem(path, 3)}" in out
    add("platform", 1)
    signing = services.head_sign()
    assert signing.head.n == 3  # the database's heads go on; this store waits for its repair
    assert signing.problems == [witness.torn_problem(path, 3)]
    path.write_bytes(whole)  # the repair of docs/operations.md: cut the torn line off
    services.head_sign()
    assert [h["n"] for h in witness.read(path).heads] == [1, 2, 3]


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
    assert "FAILED platform: 链条被截短：见证的平台链头（#2）记录到第 7 条，现仅有 5 条" in out
    assert "FAILED nominations: 整个流已从数据库中消失（见证的平台链头（#2）记录到第 3 条）" in out


@pytest.mark.postgres
def test_postgres_superuser_rewrites_a_giveaway_stream(postgres, platform, capsys):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    rehash(GIVEAWAY, 2, lambda body: body | {"changes": {"count": [None, 1]}})

    code, out = verify(capsys)
    assert code == 1
    assert (
        f"FAILED {GIVEAWAY}: 第 3 条与见证的平台链头（#2）不符（链条被改写并重新计算哈希）" in out
    )


@pytest.mark.postgres
def test_postgres_superuser_cut_is_not_signed_by_the_checkpoint(postgres, platform, capsys):
    """The red team's repro on PostgreSQL: past the triggers, events after 6 and the
    checkpoint at 10 deleted; `gonghui audit checkpoint` signed "platform 6"."""
    add("platform", 3)
    assert services.checkpoint_sign().seq == 10
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("DELETE FROM audit_auditevent WHERE stream = 'platform' AND seq > 6")
        cursor.execute("DELETE FROM audit_auditcheckpoint WHERE stream = 'platform' AND seq = 10")
        cursor.execute("SET LOCAL session_replication_role = origin")

    with pytest.raises(SystemExit):
        call_command("audit", "checkpoint")
    assert "未签名: 流 platform 被截短：已签名到第 10 条，现仅有 6 条" in capsys.readouterr().out
    assert AuditCheckpoint.objects.filter(stream="platform").count() == 1  # at 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_the_app_role_can_neither_poison_the_heads_nor_stop_the_signer(
    two_roles, settings, capsys
):
    """As the application's role of `gonghui audit pg-roles`: it may empty the signer's
    cache (rebuilt) and INSERT a head (never chained on nor witnessed), nothing more."""
    add("platform", 3)
    first = services.head_sign().head
    with connect_as(APP) as app:
        app.execute("DELETE FROM audit_signedstreamhead")
    add("platform", 1)
    signing = services.head_sign()
    assert signing.head.n == 2 and signing.notes and signing.problems == []
    with connect_as(APP) as app:
        app.execute(
            "INSERT INTO audit_audithead (n, time, prev, root, streams, key_id, signature) "
            "VALUES (3, '2030-01-01T00:00:00.000000Z', %s, %s, '{}', 'k1', 'zz')",
            [verifier.head_digest(heads.head_dict(signing.head)), first.root],
        )
    add("platform", 1)

    signing = services.head_sign()
    assert signing.head is None
    assert signing.problems[0].startswith("数据库中的平台链头 #3：签名格式错误")
    assert [h["n"] for h in witness.read(settings.AUDIT_WITNESS[0]).heads] == [1, 2]
    code, out = verify(capsys)
    assert code == 1 and "FAILED 平台链头: 平台链头（#3）：签名格式错误" in out
