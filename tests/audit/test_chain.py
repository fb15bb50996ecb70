"""Tampering done directly in the database, past the services, is found by `gonghui audit
verify` and verify_stream(), which name the first broken link."""

import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from gonghui.audit import services
from gonghui.audit.management.commands.audit import _moment
from gonghui.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from gonghui.audit.verifier import canonical, link_hash
from tests.audit.conftest import as_table_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(users, tree):
    """Five events on the platform stream, the third by a Chaoyang staff member."""
    services.record(actor=users.admin, action="orgs.update", obj=tree.haidian)
    services.record(actor=users.admin, action="orgs.update", obj=tree.chaoyang)
    services.record(
        actor=users.cy,
        action="people.update",
        object_type="people.person",
        object_id="42",
        org_unit_id=tree.cy_grass.pk,
        changes={"name": ["赵郁", "赵玉"]},
    )
    services.record(actor=users.cy, action="orgs.update", obj=tree.cy_street)
    services.record(actor=None, action="auth.login_failed", object_type="auth.user")
    assert services.verify_stream().ok


def verify_fails(capsys) -> str:
    """Run both checks; they must agree on the first problem. Returns it."""
    report = services.verify_stream()
    assert not report.ok
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert f"FAILED platform: {report.problems[0]}" in out
    return report.problems[0]


def event(seq: int) -> AuditEvent:
    return AuditEvent.objects.get(stream="platform", seq=seq)


def test_an_untouched_chain_verifies(chain, capsys):
    services.checkpoint_sign()  # signed with a platform head (#1), under its checks
    assert services.head_sign().head is None  # nothing moved since
    head = AuditHead.objects.get()
    call_command("audit", "verify")  # no SystemExit

    assert capsys.readouterr().out.splitlines() == [
        "OK platform: 5 条事件, 1 个签名检查点, 见证到第 5 条",
        f"平台链头 1 个；最后见证的平台链头 #1（{_moment(head.time)}）",
        "所有事件均已见证",
    ]


def test_an_edited_body(chain, capsys):
    forged = event(3).body.replace("赵玉", "钱玉")
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET body = %s WHERE seq = 3", [forged])

    assert verify_fails(capsys) == "第 3 条事件内容与其哈希不符（内容被修改）"


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "people.view"),
        ("actor_name", "hd_staff"),  # the list's "操作人" filter
        ("actor_id", 999),
        ("object_id", "43"),
        ("ip", "10.0.0.9"),
    ],
)
def test_an_edited_filter_column(chain, capsys, column, value):
    with as_table_owner():
        AuditEvent.objects.filter(seq=3).update(**{column: value})

    assert verify_fails(capsys) == f"第 3 条事件的字段 {column} 与已哈希内容不符"


def test_an_edited_time(chain, capsys):
    with as_table_owner():
        AuditEvent.objects.filter(seq=3).update(created_at=event(1).created_at)

    assert verify_fails(capsys) == "第 3 条事件的字段 created_at 与已哈希内容不符"


def test_a_deletion_in_the_middle(chain, capsys):
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 3")

    assert verify_fails(capsys) == "第 3 条事件缺失或顺序错乱（实际为第 4 条）"


def test_a_deletion_closed_up(chain, capsys):
    """Deleting event 3 and renumbering 4, 5 as 3, 4 leaves no gap in seq."""
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 3")
        cursor.execute("UPDATE audit_auditevent SET seq = seq - 1 WHERE seq > 3")

    assert verify_fails(capsys) == "第 3 条事件的前序哈希与第 2 条不符（链条断裂）"


def test_an_insertion(chain, capsys):
    """A forged event slipped in after event 2, linked to it and properly hashed; the later
    events are renumbered and the next one re-pointed at the forgery (the database's
    unique (stream, prev_hash) refuses two children of event 2)."""
    second = event(2)
    body = json.loads(event(3).body) | {"action": "people.delete"}
    forged = canonical(body)
    forged_hash = link_hash(second.hash, forged)
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET seq = -seq - 1 WHERE seq >= 3")
        cursor.execute("UPDATE audit_auditevent SET seq = -seq WHERE seq < 0")
        cursor.execute("UPDATE audit_auditevent SET prev_hash = %s WHERE seq = 4", [forged_hash])
        AuditEvent.objects.create(
            stream="platform",
            seq=3,
            prev_hash=second.hash,
            hash=forged_hash,
            body=forged,
            created_at=event(4).created_at,
            actor_id=body["actor"]["id"],
            actor_name=body["actor"]["name"],
            action="people.delete",
            object_type="people.person",
            object_id="42",
            org_unit_id=body["object"]["org_unit"],
        )

    assert verify_fails(capsys) == "第 4 条事件内容与其哈希不符（内容被修改）"


def test_an_insertion_at_the_end_not_linked(chain, capsys):
    last = event(5)
    body = canonical(json.loads(last.body) | {"seq": 6})
    with as_table_owner():
        AuditEvent.objects.create(
            stream="platform",
            seq=6,
            prev_hash="f" * 64,
            hash=link_hash("f" * 64, body),
            body=body,
            created_at=last.created_at,
            action=last.action,
            object_type=last.object_type,
        )

    assert verify_fails(capsys) == "第 6 条事件的前序哈希与第 5 条不符（链条断裂）"


def test_a_reordering(chain, capsys):
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET seq = -1 WHERE seq = 3")
        cursor.execute("UPDATE audit_auditevent SET seq = 3 WHERE seq = 4")
        cursor.execute("UPDATE audit_auditevent SET seq = 4 WHERE seq = -1")

    assert verify_fails(capsys) == "第 3 条事件的前序哈希与第 2 条不符（链条断裂）"


def test_a_chain_cut_short_below_a_checkpoint(chain, capsys):
    services.checkpoint_sign()
    with as_table_owner() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq >= 4")

    assert verify_fails(capsys) == "链条被截短：签名检查点记录到第 5 条，现仅有 3 条"


def test_a_chain_emptied_below_a_checkpoint(chain, capsys):
    services.checkpoint_sign()
    with as_table_owner():
        AuditEvent.objects.all().delete()

    assert verify_fails(capsys) == "链条被截短：签名检查点记录到第 5 条，现仅有 0 条"


def rehash_from(seq: int, edit) -> str:
    """Rewrite event ``seq`` with ``edit(body)`` and re-hash it and every later event, as
    someone who knows the rules would: the chain is consistent again. Returns the new head."""
    with as_table_owner():
        prev = event(seq - 1).hash if seq > 1 else "0" * 64
        for row in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            body = json.loads(row.body)
            if row.seq == seq:
                body = edit(body)
            text = canonical(body)
            new_hash = link_hash(prev, text)
            AuditEvent.objects.filter(pk=row.pk).update(body=text, prev_hash=prev, hash=new_hash)
            prev = new_hash
    return prev


def undo_name_change(body):
    body["changes"] = {"name": ["赵郁", "赵郁"]}
    return body


def test_a_rewritten_and_rehashed_chain_verifies_without_any_signature(chain, capsys):
    """What the signatures are for: before any (the worker signs a platform head each
    minute), a full re-hash cannot be told; verify says the events are signed by no one."""
    rehash_from(3, undo_name_change)

    assert services.verify_stream().ok
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "未见证: 最后见证的平台链头之后有 5 条事件\n  platform: 5 条（" in out


def test_a_rewritten_and_rehashed_chain_against_a_checkpoint(chain, capsys):
    services.checkpoint_sign()
    rehash_from(3, undo_name_change)

    assert verify_fails(capsys) == "第 5 条与签名检查点不符（链条被改写并重新计算哈希）"


def test_a_rewrite_before_an_older_checkpoint(chain, capsys, users):
    services.checkpoint_sign()  # at 5
    services.record(actor=users.admin, action="orgs.update")
    services.checkpoint_sign()  # at 6
    rehash_from(1, lambda body: body | {"changes": {"name": ["海淀", "海甸"]}})

    assert verify_fails(capsys) == "第 5 条与签名检查点不符（链条被改写并重新计算哈希）"


def test_a_rewritten_chain_with_its_checkpoint_moved_along(chain, capsys):
    services.checkpoint_sign()
    head = rehash_from(3, undo_name_change)
    with as_table_owner():
        AuditCheckpoint.objects.filter(seq=5).update(head=head)

    assert verify_fails(capsys) == "第 5 条处的签名检查点无效"


def test_a_forged_checkpoint_signature(chain, capsys):
    checkpoint = services.checkpoint_sign()
    flipped = bytearray(bytes.fromhex(checkpoint.signature))
    flipped[10] ^= 1
    with as_table_owner():
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(signature=flipped.hex())

    assert verify_fails(capsys) == "第 5 条处的签名检查点无效"


def test_a_checkpoint_under_an_unknown_key(chain, capsys):
    checkpoint = services.checkpoint_sign()
    with as_table_owner():
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(key_id="nobody")

    assert verify_fails(capsys) == "第 5 条处的签名检查点所用密钥 nobody 不在可信公钥之中"


def test_verify_is_not_fooled_by_a_checkpoint_signed_while_it_reads(chain, users, monkeypatch):
    """Appends and checkpoints go on while an auditor verifies: one signed after the events
    were read is not a chain cut short."""
    read_events = services._stored_events

    def read_then_someone_writes(stream):
        yield from read_events(stream)
        services.record(actor=users.admin, action="orgs.update")
        services.checkpoint_sign(stream=stream)

    monkeypatch.setattr(services, "_stored_events", read_then_someone_writes)

    report = services.verify_stream()
    assert report.ok, report.problems


def test_verify_names_every_stream(chain, capsys):
    services.record(actor=None, action="contest.score", stream="contest-1")
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'x' WHERE stream = 'contest-1'")

    with pytest.raises(SystemExit):
        call_command("audit", "verify")
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        "FAILED contest-1: 第 1 条事件的字段 action 与已哈希内容不符",
        "OK platform: 5 条事件, 0 个签名检查点",
    ]
    call_command("audit", "verify", "--stream", "platform")


def test_the_checkpoint_command_signs_each_stream_head(chain, capsys):
    contest = services.record(actor=None, action="contest.score", stream="contest-1")

    call_command("audit", "checkpoint")
    assert capsys.readouterr().out == "已签名 2 个检查点\n已签名平台链头 #1\n"
    call_command("audit", "checkpoint")  # the heads have not moved: nothing new is signed
    assert "平台链头" not in capsys.readouterr().out

    heads = set(AuditCheckpoint.objects.values_list("stream", "seq", "head"))
    assert heads == {("platform", 5, event(5).hash), ("contest-1", 1, contest.hash)}


def test_the_verify_button_reports_a_broken_chain(client, users, chain):
    client.force_login(users.auditor)
    assert "校验通过：1 个流，6 条事件" in client.post("/audit/verify/").content.decode()
    with as_table_owner() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_id = '1' WHERE seq = 4")

    page = client.post("/audit/verify/").content.decode()
    assert "校验失败：platform：第 4 条事件的字段 object_id 与已哈希内容不符" in page


# --- PostgreSQL: the tables refuse UPDATE, DELETE and TRUNCATE whoever asks ----------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'x' WHERE seq = 3",
        "DELETE FROM audit_auditevent WHERE seq = 5",
        "TRUNCATE audit_auditevent",
        "UPDATE audit_auditcheckpoint SET head = 'x'",
        "DELETE FROM audit_auditcheckpoint",
        "TRUNCATE audit_auditcheckpoint",
    ],
)
def test_postgres_refuses_changes_to_the_log(postgres, chain, sql):
    services.checkpoint_sign()
    with (
        pytest.raises(DatabaseError, match="audit tables are append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert AuditEvent.objects.count() == 5
    assert AuditCheckpoint.objects.count() == 1
    assert services.verify_stream().ok


@pytest.mark.postgres
def test_postgres_refuses_orm_updates_and_deletes(postgres, chain):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=3).update(action="people.view")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event(5).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()

    assert services.verify_stream().ok
