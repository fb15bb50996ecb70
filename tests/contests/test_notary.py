"""The notarised record (公证): milestones signed as checkpoints and countersigned with the
notary's own key, the competition's bundle, and its stand-alone verifier (run here as a
subprocess with the system's bare Python) catching each kind of tampering."""

import hashlib
import io
import json
import shutil
import subprocess
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from gonghui.audit.models import AuditCheckpoint, AuditEvent
from gonghui.audit.services import key_fingerprints
from gonghui.audit.verifier import canonical, checkpoint_message, fingerprint
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.contests import engine, events, panels, signals
from gonghui.contests.models import (
    Competition,
    Entrant,
    Judge,
    Mark,
    Match,
    Milestone,
    Notary,
    Programme,
    Result,
    Seat,
    Stage,
    StageEntry,
)
from gonghui.contests.notary import (
    receivers,  # noqa: F401  (connects the milestone receiver)
    selectors,
    services,
    verify_contest,
)
from gonghui.contests.records import entrant_key, judge_key, stage_record
from gonghui.people.models import Trade, Unit
from tests.audit.conftest import as_table_owner
from tests.contests import top_level_imports
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

PYTHON = shutil.which("python3", path="/usr/bin:/bin") or "python3"
SEED = "5e" * 32
SCHEME = {
    "aspects": [
        {"code": "M1", "name": "尺寸精度", "kind": "measurement", "max": "40"},
        {"code": "J1", "name": "工艺规范", "kind": "judgement", "max": "60", "method": "mean"},
    ],
    "tie_chain": [["score", "desc"], ["M1", "desc"]],
}
# entrant number -> marks of the three panel judges on (M1, J1)
MARKS = {
    1: [("38", "50"), ("37.5", "52"), ("38", "51")],
    2: [("30", "55"), ("31", "56"), ("30", "54")],
    3: [("39", "40"), ("39", "41"), ("39.5", "42")],
    4: [("20", "30"), ("22", "33"), ("21", "31")],
}


def key_pair():
    private = Ed25519PrivateKey.generate()
    return private, private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _unit(org_unit, name):
    return Unit.objects.create(name=name, org_unit=org_unit)


def build_contest(tree, staff, programme=None):
    """A one-stage contest, marked and locked: its draw (commitment first), marks and lock
    in the competition's stream with the payloads the judging and results features
    record. In ``programme`` if given (made now otherwise)."""
    now = timezone.now()
    trade = Trade.objects.get(name="钳工")
    programme = programme or Programme.objects.create(
        name="朝阳工匠 2026", year=2026, org_unit=tree.chaoyang, created_by=staff
    )
    competition = Competition.objects.create(
        programme=programme,
        org_unit=tree.chaoyang,
        trade=trade,
        name="钳工技能竞赛",
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=10),
    )
    stage = Stage.objects.create(
        competition=competition,
        order=1,
        kind="contest",
        name="实操比拼",
        scheme=SCHEME,
        rule={"kind": "top", "n": 2},
        status="locked",
    )
    match = Match.objects.create(stage=stage, code="A1", panel_size=3)
    entrants = []
    for n in MARKS:
        employer = _unit(tree.cy_grass, f"参赛单位{n}")
        person = make_person(tree.cy_grass, name=f"选手{n}")
        entrant = Entrant.objects.create(
            competition=competition,
            person=person,
            number=n,
            age=30 + n,
            employer=employer,
            route="self",
        )
        StageEntry.objects.create(stage=stage, entrant=entrant, match=match)
        entrants.append(entrant)
    judges = [
        Judge.objects.create(
            programme=programme,
            kind="expert",
            name=f"裁判{i}",
            employer=_unit(tree.cy_grass, f"裁判单位{i}"),
        )
        for i in range(5)
    ]
    pool = {judge_key(j.pk): f"u{j.employer_id}" for j in judges}
    employers = [f"u{e.employer_id}" for e in entrants]
    panel = panels.draw_panel(seed=SEED, match="A1", pool=pool, size=3, entrant_employers=employers)
    by_key = {judge_key(j.pk): j for j in judges}
    for position, key in enumerate(panel, start=1):
        Seat.objects.create(match=match, judge=by_key[key], position=position)
    draw_commit(staff, competition, stage, "A1")
    events.event(
        staff,
        competition,
        "contests.panel_draw",
        obj=match,
        changes={
            "stage": [None, stage.pk],
            "match": [None, "A1"],
            "seed": [None, SEED],
            "commitment": [None, panels.commitment(SEED)],
            "size": [None, 3],
            "pool": [None, pool],
            "entrant_employers": [None, employers],
            "declared": [None, []],
            "panel": [None, panel],
        },
    )
    for entrant in entrants:
        for key, (m1, j1) in zip(panel, MARKS[entrant.number], strict=True):
            for aspect, value in (("M1", m1), ("J1", j1)):
                add_mark(staff, stage, entrant, by_key[key], aspect, value)
    lock(staff, stage)
    return SimpleNamespace(
        programme=programme,
        competition=competition,
        stage=stage,
        match=match,
        entrants=entrants,
        panel=[by_key[k] for k in panel],
    )


def draw_commit(actor, competition, stage, match, seed=SEED):
    """The commitment the judging feature publishes before the draw."""
    events.event(
        actor,
        competition,
        "contests.draw_commit",
        changes={
            "stage": [None, stage.pk],
            "match": [None, match],
            "commitment": [None, panels.commitment(seed)],
        },
    )


def add_mark(actor, stage, entrant, judge, aspect, value, replaces=None, reason=""):
    mark = Mark.objects.create(
        stage=stage,
        entrant=entrant,
        judge=judge,
        aspect=aspect,
        value=value,
        replaces=replaces,
        reason=reason,
        key=uuid.uuid4().hex,
        created_at=timezone.now(),
    )
    events.event(
        actor,
        stage.competition,
        "contests.mark",
        obj=mark,
        changes={
            "stage": [None, stage.pk],
            "entrant": [None, entrant_key(entrant.number)],
            "judge": [None, judge_key(judge.pk)],
            "aspect": [None, aspect],
            "value": [None, value],
            "replaces": [None, replaces.pk if replaces else None],
            "reason": [None, reason],
            "batch": [None, None],
        },
    )
    return mark


def lock(actor, stage):
    """The results feature's lock, as far as the record goes: Result rows and the event."""
    results = engine.stage_results(stage_record(stage))
    now = timezone.now()
    entrants = {
        entrant_key(e.number): e for e in Entrant.objects.filter(competition=stage.competition)
    }
    Result.objects.filter(stage=stage, superseded_by__isnull=True).delete()
    for r in results:
        Result.objects.create(
            stage=stage,
            entrant=entrants[r["entrant"]],
            score=r["score"],
            parts=r["parts"],
            place=r["place"],
            advanced=r["advanced"],
            scheme_version=stage.scheme_version,
            computed_at=now,
            locked_at=now,
            revealed_at=now,
        )
    events.event(
        actor,
        stage.competition,
        "contests.results_lock",
        obj=stage,
        changes={
            "stage": [None, stage.pk],
            "scheme_version": [None, stage.scheme_version],
            "results": [
                None,
                [[r["entrant"], r["score"], r["place"], r["advanced"]] for r in results],
            ],
        },
    )
    return results


@pytest.fixture
def contest(tree, users):
    return build_contest(tree, users.cy)


@pytest.fixture
def notary(contest, users):
    private, public = key_pair()
    user = make_user("notary_li", None, None)
    registered = services.notary_register(
        actor=users.cy,
        programme=contest.programme,
        user=user,
        name="李公证",
        office="北京市方圆公证处",
        public_key=public,
    )
    return SimpleNamespace(private=private, public=public, user=user, row=registered)


def reach(contest, name, on_commit):
    """A milestone as the features reach one: the signal after their write commits."""
    with on_commit(execute=True):
        events.milestone(contest.competition, name)
    return Milestone.objects.filter(competition=contest.competition).order_by("-seq").first()


def countersign(notary, milestone):
    signature = notary.private.sign(selectors.message(milestone)).hex()
    return services.milestone_countersign(
        actor=notary.user, milestone=milestone, signature=signature
    )


# --- Milestones and countersignatures -----------------------------------------------------


def test_a_milestone_records_its_event_and_a_signed_checkpoint_of_the_stream(
    contest, django_capture_on_commit_callbacks
):
    milestone = reach(contest, "报名截止", django_capture_on_commit_callbacks)

    stream = contest.competition.stream
    last = AuditEvent.objects.filter(stream=stream).order_by("-seq").first()
    assert last.action == "contests.milestone"
    assert json.loads(last.body)["changes"] == {"name": [None, "报名截止"]}
    checkpoint = AuditCheckpoint.objects.get(stream=stream, seq=last.seq)
    assert (milestone.name, milestone.seq, milestone.head, milestone.time) == (
        "报名截止",
        last.seq,
        last.hash,
        checkpoint.time,
    )
    assert checkpoint.head == last.hash and not milestone.countersignature


def tamper(contest, seq=2):
    """An event's body rewritten in the database, as its owner could."""
    with as_table_owner():
        AuditEvent.objects.filter(stream=contest.competition.stream, seq=seq).update(
            body=AuditEvent.objects.get(stream=contest.competition.stream, seq=seq + 1).body
        )


def test_a_tampered_stream_gets_no_milestone(contest, caplog):
    tamper(contest)

    assert services.milestone_sign(competition_id=contest.competition.pk, name="赛段结束") is None
    assert not Milestone.objects.exists()
    assert "not signed" in caplog.text


def test_the_notary_countersigns_with_their_own_key(
    contest, notary, django_capture_on_commit_callbacks
):
    milestone = reach(contest, "报名截止", django_capture_on_commit_callbacks)

    done = countersign(notary, milestone)

    done.refresh_from_db()
    assert done.notary == notary.row and done.countersigned_at is not None
    event = AuditEvent.objects.filter(stream=contest.competition.stream).order_by("-seq").first()
    assert event.action == "contests.countersign"
    message = selectors.message(done)
    assert message.startswith(b"gonghui.contests.milestone.v1\n")
    assert json.loads(message.split(b"\n", 1)[1]) == {
        "competition": contest.competition.pk,
        "milestone": "报名截止",
        "stream": contest.competition.stream,
        "seq": done.seq,
        "head": done.head,
        "time": done.time,
    }


def test_a_signature_by_another_key_is_refused_and_nothing_is_written(
    contest, notary, django_capture_on_commit_callbacks
):
    milestone = reach(contest, "报名截止", django_capture_on_commit_callbacks)
    other, _ = key_pair()
    before = AuditEvent.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        services.milestone_countersign(
            actor=notary.user,
            milestone=milestone,
            signature=other.sign(selectors.message(milestone)).hex(),
        )

    assert refused.value.fields == {"signature": "签名与公证员公钥不符"}
    milestone.refresh_from_db()
    assert milestone.countersigned_at is None and not milestone.countersignature
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("signature", ["", "zz" * 64, "ab" * 63])
def test_a_signature_that_is_no_hex_signature_is_refused_naming_the_field(
    contest, notary, signature, django_capture_on_commit_callbacks
):
    milestone = reach(contest, "报名截止", django_capture_on_commit_callbacks)
    with pytest.raises(ValidationFailed) as refused:
        services.milestone_countersign(actor=notary.user, milestone=milestone, signature=signature)
    assert "128 位十六进制" in refused.value.fields["signature"]


def test_countersigning_twice_is_refused(contest, notary, django_capture_on_commit_callbacks):
    milestone = reach(contest, "报名截止", django_capture_on_commit_callbacks)
    countersign(notary, milestone)
    before = AuditEvent.objects.count()

    with pytest.raises(Conflict):
        countersign(notary, milestone)
    assert AuditEvent.objects.count() == before


def test_only_the_programmes_notary_may_countersign(
    contest, notary, users, django_capture_on_commit_callbacks
):
    milestone = reach(contest, "报名截止", django_capture_on_commit_callbacks)
    signature = notary.private.sign(selectors.message(milestone)).hex()
    for someone in (users.cy, users.admin, users.nopost):
        with pytest.raises(NotFound):
            services.milestone_countersign(actor=someone, milestone=milestone, signature=signature)


@pytest.mark.parametrize(
    "public_key, message",
    [
        ("", "64 位十六进制"),
        ("ab" * 31, "64 位十六进制"),
        ("xy" * 32, "64 位十六进制"),
        # y = 2: no point of the curve has it
        ("02" + "00" * 31, "不是有效的 Ed25519 公钥"),
    ],
)
def test_a_notary_key_that_is_no_ed25519_key_is_refused(contest, users, public_key, message):
    user = make_user("notary_x", None, None)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        services.notary_register(
            actor=users.cy,
            programme=contest.programme,
            user=user,
            name="李公证",
            office="方圆公证处",
            public_key=public_key,
        )
    assert message in refused.value.fields["public_key"]
    assert not Notary.objects.exists() and AuditEvent.objects.count() == before


def test_registering_a_notary_is_the_organisers_and_in_the_competitions_stream(contest, users):
    _, public = key_pair()
    user = make_user("notary_y", None, None)
    with pytest.raises(NotFound):
        services.notary_register(
            actor=users.hd,
            programme=contest.programme,
            user=user,
            name="李",
            office="方圆",
            public_key=public,
        )
    viewer = make_user("cy_viewer", contest.competition.org_unit, "grassroots_staff")
    with pytest.raises(Forbidden):  # sees the programme, may not manage it
        services.notary_register(
            actor=viewer,
            programme=contest.programme,
            user=user,
            name="李",
            office="方圆",
            public_key=public,
        )
    notary = services.notary_register(
        actor=users.cy,
        programme=contest.programme,
        user=user,
        name="李",
        office="方圆",
        public_key=public.upper(),
    )
    assert notary.public_key == public
    event = AuditEvent.objects.filter(stream=contest.competition.stream).order_by("-seq").first()
    assert event.action == "contests.notary_register"
    assert json.loads(event.body)["changes"]["public_key"] == [None, public]
    with pytest.raises(ValidationFailed) as twice:
        services.notary_register(
            actor=users.cy,
            programme=contest.programme,
            user=user,
            name="李",
            office="方圆",
            public_key=public,
        )
    assert twice.value.fields == {"user": "该账号已是本项目的公证员"}


# --- The bundle and its verifier ----------------------------------------------------------


def test_the_verifier_needs_nothing_but_the_standard_library():
    assert top_level_imports(verify_contest) <= {
        "__future__",
        "argparse",
        "hashlib",
        "json",
        "pathlib",
        "sys",
        "types",
        "zipfile",
    }


def export(contest, tmp_path, name="bundle.zip") -> Path:
    path = tmp_path / name
    with path.open("wb") as fh:
        services.record_export(actor=None, competition=contest.competition, out=fh)
    return path


def audit_fingerprint() -> str:
    return key_fingerprints()[0][1]


def keep_verifier(where: Path) -> Path:
    """The notary's kept copy: verify_contest.py and the rule files, as the platform's
    public page offers them, saved once in a folder of their own."""
    where.mkdir(exist_ok=True)
    for name, body in selectors.rule_files().items():
        (where / name).write_bytes(body)
    return where


def run_verifier(bundle: Path, *, key=True, notary_key=None, tmp_path=None, kept=None):
    """verify_contest.py as a notary runs it: their kept copy (``keep_verifier``), with the
    system's bare Python, away from the project (no Django, no gonghui on the path)."""
    where = kept or keep_verifier(bundle.parent / "verifier-run")
    command = [PYTHON, "-I", str(where / "verify_contest.py"), str(bundle)]
    if key:
        command += ["--key", audit_fingerprint() if key is True else key]
    if notary_key:
        command += ["--notary-key", notary_key]
    done = subprocess.run(command, capture_output=True, text=True, cwd=where, timeout=120)
    return done.returncode, done.stdout


@pytest.fixture
def signed(contest, notary, django_capture_on_commit_callbacks):
    """The contest past two milestones, both countersigned by the notary."""
    countersign(notary, reach(contest, "报名截止", django_capture_on_commit_callbacks))
    countersign(notary, reach(contest, "实操比拼结束", django_capture_on_commit_callbacks))
    return SimpleNamespace(contest=contest, notary=notary, fingerprint=fingerprint(notary.public))


def test_an_honest_bundle_verifies_offline(signed, tmp_path):
    bundle = export(signed.contest, tmp_path)

    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        record = json.loads(z.read("record.json"))
    assert names >= {
        "events.jsonl",
        "checkpoints.jsonl",
        "public_keys.json",
        "manifest.json",
        "verifier.py",
        "milestones.jsonl",
        "notaries.json",
        "record.json",
        "scoring.py",
        "engine.py",
        "panels.py",
        "verify_contest.py",
    }
    assert [r[0] for r in record["stages"][0]["results"]] == ["001", "002", "003", "004"]

    status, out = run_verifier(bundle, notary_key=signed.fingerprint)

    assert status == 0, out
    assert out.startswith("OK contest:") and "2 milestones (2 countersigned" in out
    assert "24 marks" in out and "1 locked stages recomputed; 1 panel draws re-run" in out


def test_without_outside_keys_it_warns_and_exits_3(signed, tmp_path):
    bundle = export(signed.contest, tmp_path)
    status, out = run_verifier(bundle)  # no --notary-key
    assert status == 3 and "no trusted notary key" in out
    status, out = run_verifier(bundle, key=False, notary_key=signed.fingerprint)
    assert status == 3 and "no trusted platform audit key" in out


def rewrite(bundle: Path, **members) -> Path:
    """A copy of the bundle with some members replaced (name -> bytes or a function of the
    old bytes)."""
    copy = bundle.with_name("edited-" + bundle.name)
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(copy, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            change = members.get(item.filename.replace(".", "_"))
            if change is not None:
                data = change(data) if callable(change) else change
            dst.writestr(item.filename, data)
    return copy


def edit_json(fn):
    def change(data):
        doc = json.loads(data)
        fn(doc)
        return json.dumps(doc, ensure_ascii=False).encode()

    return change


def test_a_mark_edited_in_the_database_is_caught(signed, tmp_path):
    contest = signed.contest
    mark = Mark.objects.filter(
        stage=contest.stage, entrant=contest.entrants[3], aspect="J1"
    ).first()
    with connection.cursor() as cursor:  # what the database's guard exists to refuse
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks before ALTER
            cursor.execute("ALTER TABLE contests_mark DISABLE TRIGGER contests_mark_no_change")
        else:
            cursor.execute("DROP TRIGGER contests_mark_no_update")
        cursor.execute("UPDATE contests_mark SET value = '60' WHERE id = %s", [mark.pk])

    status, out = run_verifier(export(contest, tmp_path), notary_key=signed.fingerprint)

    assert status == 1
    assert f"FAILED {contest.competition.stream}: 评分 #{mark.pk} 在记录中与审计流第" in out
    assert "value：记录为 60" in out


def test_a_mark_added_without_its_event_is_caught(signed, tmp_path):
    contest = signed.contest
    Mark.objects.create(
        stage=contest.stage,
        entrant=contest.entrants[3],
        judge=contest.panel[0],
        aspect="M1",
        value="40",
        replaces=Mark.objects.get(
            stage=contest.stage, entrant=contest.entrants[3], judge=contest.panel[0], aspect="M1"
        ),
        reason="补录",
        key="extra",
        created_at=timezone.now(),
    )
    status, out = run_verifier(export(contest, tmp_path), notary_key=signed.fingerprint)
    assert status == 1 and "在审计流中没有对应的评分事件" in out


def test_a_rank_edited_in_the_record_is_caught(signed, tmp_path):
    def swap(record):
        results = record["stages"][0]["results"]
        results[0][2], results[1][2] = 2, 1  # 001 and 002 change places

    bundle = rewrite(export(signed.contest, tmp_path), record_json=edit_json(swap))
    status, out = run_verifier(bundle, notary_key=signed.fingerprint)
    assert status == 1 and "与记录中公布的成绩不符" in out


def test_ranks_edited_with_the_marks_to_match_are_caught_by_the_lock_event(signed, tmp_path):
    """A forger edits a mark in the record AND its event... the chain breaks; edits only the
    record's marks and results consistently: the marks differ from their events."""
    bundle = export(signed.contest, tmp_path)

    def lines(data):
        out = []
        for line in data.decode().splitlines():
            event = json.loads(line)
            body = json.loads(event["body"])
            if body["action"] == "contests.results_lock":
                rows = body["changes"]["results"][1]
                rows[0], rows[1] = rows[1], rows[0]
                event["body"] = canonical(body)
            out.append(canonical(event))
        return ("\n".join(out) + "\n").encode()

    status, out = run_verifier(rewrite(bundle, events_jsonl=lines), notary_key=signed.fingerprint)
    assert status == 1 and "内容与其哈希不符（内容被修改）" in out


def test_a_missing_event_line_is_caught(signed, tmp_path):
    def drop(data):
        rows = data.decode().splitlines(keepends=True)
        return "".join(rows[:3] + rows[4:]).encode()

    bundle = rewrite(export(signed.contest, tmp_path), events_jsonl=drop)
    status, out = run_verifier(bundle, notary_key=signed.fingerprint)
    assert status == 1 and "第 4 条事件缺失或顺序错乱" in out


def test_a_bundle_re_signed_with_another_key_is_caught(signed, tmp_path):
    forger, public = key_pair()

    def resign(data):
        out = []
        for line in data.decode().splitlines():
            cp = json.loads(line)
            message = checkpoint_message(cp["stream"], cp["seq"], cp["head"], cp["time"])
            cp |= {"key_id": "forged", "signature": forger.sign(message).hex()}
            out.append(canonical(cp))
        return ("\n".join(out) + "\n").encode()

    bundle = rewrite(
        export(signed.contest, tmp_path),
        checkpoints_jsonl=resign,
        public_keys_json=canonical({"forged": public}).encode(),
    )
    status, out = run_verifier(bundle, notary_key=signed.fingerprint)
    assert status == 1
    assert "数据包中没有指纹为" in out and "不在可信公钥之中" in out
    status, out = run_verifier(bundle, key=fingerprint(public), notary_key=signed.fingerprint)
    assert status == 0  # the forger's own key: which is why the key comes from paper


def test_a_countersignature_by_another_key_is_caught(signed, tmp_path):
    forger, public = key_pair()

    def forge_signatures(data):
        out = []
        for line in data.decode().splitlines():
            m = json.loads(line)
            m["countersignature"] = forger.sign(verify_contest.milestone_message(m)).hex()
            out.append(canonical(m))
        return ("\n".join(out) + "\n").encode()

    bundle = export(signed.contest, tmp_path)
    only_signatures = rewrite(bundle, milestones_jsonl=forge_signatures)
    status, out = run_verifier(only_signatures, notary_key=signed.fingerprint)
    assert status == 1 and "公证员会签无效" in out

    def swap_key(doc):
        for notary in doc.values():
            notary["public_key"] = public

    with_key = rewrite(only_signatures, notaries_json=edit_json(swap_key))
    status, out = run_verifier(with_key, notary_key=signed.fingerprint)
    assert status == 1 and "公证员的公钥与审计流中登记的公钥不符" in out


def test_a_panel_draw_that_does_not_follow_from_its_seed_is_caught(signed, tmp_path):
    contest = signed.contest
    draw_commit(None, contest.competition, contest.stage, "B1")
    events.event(
        None,
        contest.competition,
        "contests.panel_draw",
        obj=contest.match,
        changes={
            "stage": [None, contest.stage.pk],
            "match": [None, "B1"],
            "seed": [None, SEED],
            "commitment": [None, panels.commitment(SEED)],
            "size": [None, 1],
            "pool": [None, {"j1": "u1", "j2": "u2"}],
            "entrant_employers": [None, []],
            "declared": [None, []],
            "panel": [None, ["j9"]],
        },
    )
    status, out = run_verifier(export(contest, tmp_path), notary_key=signed.fingerprint)
    assert status == 1 and "按种子重新抽签得到" in out


def _draw(contest, match, commitment, panel):
    """A panel draw event for ``match`` (seed SEED, one of two judges)."""
    pool = {"j1": "u1", "j2": "u2"}
    events.event(
        None,
        contest.competition,
        "contests.panel_draw",
        obj=contest.match,
        changes={
            "stage": [None, contest.stage.pk],
            "match": [None, match],
            "seed": [None, SEED],
            "commitment": [None, commitment],
            "size": [None, 1],
            "pool": [None, pool],
            "entrant_employers": [None, []],
            "declared": [None, []],
            "panel": [None, panels.draw_panel(seed=SEED, match=match, pool=pool, size=1)],
        },
    )


def test_a_panel_draw_without_its_earlier_commitment_is_caught(signed, tmp_path):
    """The seed matches the commitment the draw itself states: without the commitment
    published BEFORE (``contests.draw_commit``), the seed could have been picked at the
    draw. A commitment of another match, or one published after, does not count."""
    contest = signed.contest
    draw_commit(None, contest.competition, contest.stage, "C0")  # another match's
    _draw(contest, "C1", panels.commitment(SEED), None)
    draw_commit(None, contest.competition, contest.stage, "C1")  # too late
    status, out = run_verifier(export(contest, tmp_path), notary_key=signed.fingerprint)
    assert status == 1
    assert "场次 C1）之前，审计流中没有同一赛段、同一场次公布该承诺值的事件" in out


def test_a_panel_draw_whose_commitment_differs_from_the_published_one_is_caught(signed, tmp_path):
    contest = signed.contest
    draw_commit(None, contest.competition, contest.stage, "C2", seed="77" * 32)
    _draw(contest, "C2", panels.commitment(SEED), None)
    status, out = run_verifier(export(contest, tmp_path), notary_key=signed.fingerprint)
    assert status == 1 and "没有同一赛段、同一场次公布该承诺值的事件" in out


def test_a_correction_counts_and_the_recomputed_results_follow_it(signed, tmp_path):
    contest = signed.contest
    first = Mark.objects.get(
        stage=contest.stage, entrant=contest.entrants[3], judge=contest.panel[0], aspect="J1"
    )
    add_mark(
        None, contest.stage, contest.entrants[3], contest.panel[0], "J1", "33", first, "复核更正"
    )
    lock(None, contest.stage)  # re-locked: the last lock event counts

    status, out = run_verifier(export(contest, tmp_path), notary_key=signed.fingerprint)
    assert status == 0, out
    assert "25 marks" in out


def test_a_corrections_reason_or_batch_edited_in_the_record_is_caught(signed, tmp_path):
    contest = signed.contest
    first = Mark.objects.get(
        stage=contest.stage, entrant=contest.entrants[3], judge=contest.panel[0], aspect="J1"
    )
    fixed = add_mark(
        None, contest.stage, contest.entrants[3], contest.panel[0], "J1", "33", first, "复核更正"
    )
    lock(None, contest.stage)
    bundle = export(contest, tmp_path)
    with zipfile.ZipFile(bundle) as z:
        marks = json.loads(z.read("record.json"))["stages"][0]["marks"]
    mark = next(m for m in marks if m["id"] == fixed.pk)
    assert (mark["reason"], mark["batch"]) == ("复核更正", None)

    def edit(field, value):
        def change(record):
            for m in record["stages"][0]["marks"]:
                if m["id"] == fixed.pk:
                    m[field] = value

        return edit_json(change)

    status, out = run_verifier(
        rewrite(bundle, record_json=edit("reason", "裁判长口头同意")),
        notary_key=signed.fingerprint,
    )
    assert status == 1 and f"评分 #{fixed.pk} 在记录中与审计流第" in out and "reason" in out
    status, out = run_verifier(
        rewrite(bundle, record_json=edit("batch", 7)), notary_key=signed.fingerprint
    )
    assert status == 1 and "batch：记录为 7" in out


# --- The kept verifier: nothing of the bundle runs ------------------------------------------

LENIENT = b"""
import pathlib
pathlib.Path(__file__).with_name("PWNED").write_text("the bundle's code ran")
pathlib.Path("PWNED").write_text("the bundle's code ran")
"""


def test_a_bundle_bringing_its_own_lenient_verifier_is_not_run_and_is_reported(signed, tmp_path):
    """A forged bundle with a rigged record and its own verifier.py / engine.py: none of
    its code runs (the kept copy checks it), and the difference is reported by SHA-256."""
    bundle = export(signed.contest, tmp_path)

    def swap(record):
        results = record["stages"][0]["results"]
        results[0][2], results[1][2] = 2, 1

    with zipfile.ZipFile(bundle) as z:
        verifier_py, engine_py = z.read("verifier.py"), z.read("engine.py")
    forged = rewrite(
        bundle,
        record_json=edit_json(swap),
        verifier_py=verifier_py + LENIENT,
        engine_py=engine_py + LENIENT,
    )
    kept = keep_verifier(tmp_path / "kept")

    status, out = run_verifier(forged, notary_key=signed.fingerprint, kept=kept)

    assert status == 1
    assert not list(tmp_path.rglob("PWNED"))
    assert "数据包中的 verifier.py（SHA-256" in out and "与本机保存的副本" in out
    with zipfile.ZipFile(bundle) as z:
        manifest = json.loads(z.read("manifest.json"))
    sha = {name: hashlib.sha256(body).hexdigest() for name, body in selectors.rule_files().items()}
    assert manifest["rules"] == sha and set(sha) == {
        "verify_contest.py",
        "verifier.py",
        "scoring.py",
        "engine.py",
        "panels.py",
    }
    assert f"RULES engine.py sha256 {sha['engine.py']}" in out
    # Only the record rigged, the rules honest: the kept engine catches the ranks.
    status, out = run_verifier(
        rewrite(bundle, record_json=edit_json(swap)), notary_key=signed.fingerprint, kept=kept
    )
    assert status == 1 and "与记录中公布的成绩不符" in out


def test_a_manifest_that_misstates_the_rules_is_reported(signed, tmp_path):
    def misstate(manifest):
        manifest["rules"]["engine.py"] = "0" * 64

    bundle = rewrite(export(signed.contest, tmp_path), manifest_json=edit_json(misstate))
    status, out = run_verifier(bundle, notary_key=signed.fingerprint)
    assert status == 1 and "清单（manifest.json）写明 engine.py 的 SHA-256 为 0000" in out


def test_without_the_kept_rules_beside_it_the_verifier_says_what_to_keep(signed, tmp_path):
    bundle = export(signed.contest, tmp_path)
    alone = tmp_path / "alone"
    alone.mkdir()
    with zipfile.ZipFile(bundle) as z:
        (alone / "verify_contest.py").write_bytes(z.read("verify_contest.py"))
    command = [PYTHON, "-I", str(alone / "verify_contest.py"), str(bundle)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=alone, timeout=120)
    assert done.returncode == 1
    assert "缺少校验所用的规则文件" in done.stdout and "engine.py" in done.stdout


def test_the_public_page_offers_the_kept_files_with_their_fingerprints(client):
    page = client.get("/contests/verifier/")
    assert page.status_code == 200
    for name, digest in selectors.rule_fingerprints():
        assert name in page.content.decode() and digest in page.content.decode()
    engine_py = client.get("/contests/verifier/engine.py")
    assert engine_py.status_code == 200
    assert engine_py.content == Path(engine.__file__).read_bytes()
    assert client.get("/contests/verifier/settings.py").status_code == 404


# --- Countersignatures cannot be removed -----------------------------------------------------


def _unsign(names=None):
    """milestones.jsonl with the countersignature of the lines named (all if None) removed."""

    def change(data):
        out = []
        for line in data.decode().splitlines():
            m = json.loads(line)
            if names is None or m["name"] in names:
                m |= {"notary": None, "countersignature": None, "countersigned_at": None}
            out.append(canonical(m))
        return ("\n".join(out) + "\n").encode()

    return change


def test_a_countersignature_removed_from_the_bundle_is_caught(signed, tmp_path):
    bundle = export(signed.contest, tmp_path)
    for names in (["报名截止"], None):
        status, out = run_verifier(
            rewrite(bundle, milestones_jsonl=_unsign(names)), notary_key=signed.fingerprint
        )
        assert status == 1, out
        assert "记录的公证员会签（节点「报名截止」" in out
        assert "在数据包的公证节点（milestones.jsonl）中没有" in out


def test_a_countersigned_milestone_removed_from_the_bundle_is_caught(signed, tmp_path):
    def drop_first(data):
        return "".join(data.decode().splitlines(keepends=True)[1:]).encode()

    bundle = rewrite(export(signed.contest, tmp_path), milestones_jsonl=drop_first)
    status, out = run_verifier(bundle, notary_key=signed.fingerprint)
    assert status == 1 and "在数据包的公证节点（milestones.jsonl）中没有" in out


def test_a_notary_key_given_with_nothing_countersigned_never_passes(
    contest, notary, tmp_path, django_capture_on_commit_callbacks
):
    reach(contest, "报名截止", django_capture_on_commit_callbacks)  # not countersigned
    status, out = run_verifier(export(contest, tmp_path), notary_key=fingerprint(notary.public))
    assert status == 1 and "没有一处公证员会签可供校验" in out


def test_notaries_json_is_checked_for_a_competition_made_after_the_registration(
    tree, users, tmp_path, django_capture_on_commit_callbacks
):
    """The notary registered while the programme had no competition (their registration
    is in the platform's stream, not the competition's): notaries.json is checked against
    the fingerprint the countersign events record."""
    programme = Programme.objects.create(
        name="朝阳工匠 2027", year=2027, org_unit=tree.chaoyang, created_by=users.cy
    )
    private, public = key_pair()
    user = make_user("notary_late", None, None)
    services.notary_register(
        actor=users.cy,
        programme=programme,
        user=user,
        name="李公证",
        office="方圆",
        public_key=public,
    )
    contest = build_contest(tree, users.cy, programme=programme)
    assert not AuditEvent.objects.filter(
        stream=contest.competition.stream, action="contests.notary_register"
    ).exists()
    notary = SimpleNamespace(private=private, public=public, user=user)
    countersign(notary, reach(contest, "报名截止", django_capture_on_commit_callbacks))
    bundle = export(contest, tmp_path)
    status, out = run_verifier(bundle, notary_key=fingerprint(public))
    assert status == 0, out

    forger, forged_key = key_pair()

    def forge(data):
        out = []
        for line in data.decode().splitlines():
            m = json.loads(line)
            m["countersignature"] = forger.sign(verify_contest.milestone_message(m)).hex()
            out.append(canonical(m))
        return ("\n".join(out) + "\n").encode()

    def swap_key(doc):
        for n in doc.values():
            n["public_key"] = forged_key

    forged = rewrite(bundle, milestones_jsonl=forge, notaries_json=edit_json(swap_key))
    status, out = run_verifier(forged)  # without --notary-key: still not self-consistent
    assert status == 1 and "与审计流会签事件记录的公钥指纹" in out


def test_the_export_refuses_a_tampered_stream(contest, tmp_path):
    tamper(contest)
    with pytest.raises(Conflict):
        services.record_export(actor=None, competition=contest.competition, out=io.BytesIO())


def test_no_bundle_leaves_while_the_board_is_frozen(contest, tmp_path):
    Competition.objects.filter(pk=contest.competition.pk).update(frozen_at=timezone.now())
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="封榜期间"):
        services.record_export(actor=None, competition=contest.competition, out=io.BytesIO())
    assert AuditEvent.objects.count() == before


def test_the_export_is_for_audit_export_holders_in_scope(contest, users, tree):
    with pytest.raises(NotFound):
        services.record_export(actor=users.hd, competition=contest.competition, out=io.BytesIO())
    with pytest.raises(Forbidden):  # sees the contest, may not export the audit record
        services.record_export(actor=users.cy, competition=contest.competition, out=io.BytesIO())
    out = io.BytesIO()
    # The audit administrator exports it (the city's business administrator no longer can).
    services.record_export(
        actor=make_user("audit_t", tree.city, "audit_admin"),
        competition=contest.competition,
        out=out,
    )
    assert zipfile.ZipFile(out).read("record.json")
    assert AuditEvent.objects.filter(
        action="audit.export", object_id=contest.competition.stream
    ).exists()


# --- The command line ---------------------------------------------------------------------


def test_the_notary_makes_a_key_and_signs_on_their_own_machine(
    contest, users, tmp_path, django_capture_on_commit_callbacks
):
    keyfile = tmp_path / "notary.key"
    out = io.StringIO()
    call_command("contests", "notary-keygen", "--out", str(keyfile), stdout=out)
    public = next(
        line.split(": ")[1] for line in out.getvalue().splitlines() if line.startswith("公钥（")
    )
    assert oct(keyfile.stat().st_mode)[-3:] == "600"
    assert fingerprint(public) in out.getvalue()
    user = make_user("notary_z", None, None)
    services.notary_register(
        actor=users.cy,
        programme=contest.programme,
        user=user,
        name="王",
        office="方圆",
        public_key=public,
    )
    milestone = reach(contest, "报名截止", django_capture_on_commit_callbacks)
    message = tmp_path / "milestone.msg"
    message.write_bytes(selectors.message(milestone))

    signature = io.StringIO()
    call_command(
        "contests",
        "notary-sign",
        "--key",
        str(keyfile),
        "--message",
        str(message),
        stdout=signature,
    )

    services.milestone_countersign(
        actor=user, milestone=milestone, signature=signature.getvalue().strip()
    )
    milestone.refresh_from_db()
    assert milestone.countersigned_at is not None


def test_export_bundle_writes_the_bundle(contest, tmp_path):
    target = tmp_path / "c.zip"
    out = io.StringIO()
    call_command(
        "contests", "export-bundle", str(contest.competition.pk), "--out", str(target), stdout=out
    )
    assert zipfile.ZipFile(target).read("verify_contest.py")
    assert "verify_contest.py" in out.getvalue()


def test_the_milestone_signal_reaches_the_notary(contest, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signals.milestone_reached.send(
            sender=Competition, competition_id=contest.competition.pk, name="终极挑战赛"
        )
    assert Milestone.objects.get(competition=contest.competition).name == "终极挑战赛"


# --- Pages and API ------------------------------------------------------------------------


@pytest.fixture
def pending(contest, notary, django_capture_on_commit_callbacks):
    return reach(contest, "报名截止", django_capture_on_commit_callbacks)


def test_the_record_page_lists_milestones_for_the_organisers_staff_only(
    client, users, contest, pending
):
    url = f"/contests/c/{contest.competition.pk}/record/"
    client.force_login(users.cy)
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "报名截止" in text and pending.head in text and "待会签" in text
    assert "导出公证数据包" not in text  # district staff hold no audit.export
    assert "登记公证员" in text
    assert client.get(url, {"state": "done"}).content.decode().count(pending.head) == 0

    client.force_login(users.hd)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}bundle/").status_code == 404
    assert client.get(f"{url}notary/").status_code == 404


def test_staff_with_audit_export_download_the_bundle(client, users, contest, pending):
    url = f"/contests/c/{contest.competition.pk}/record/bundle/"
    client.force_login(users.cy)
    assert client.post(url).status_code == 403
    client.force_login(users.admin)  # the business administrator: no audit.export
    assert client.post(url).status_code == 403
    client.force_login(users.auditor)  # the city's auditor: the audit class
    assert (
        "导出公证数据包"
        in client.get(f"/contests/c/{contest.competition.pk}/record/").content.decode()
    )
    response = client.post(url)
    assert response.status_code == 200
    bundle = zipfile.ZipFile(io.BytesIO(response.content))
    assert json.loads(bundle.read("milestones.jsonl"))["name"] == "报名截止"


def test_the_notary_signs_on_their_desk(client, contest, notary, pending):
    client.force_login(notary.user)
    home = client.get("/notary/").content.decode()
    assert "报名截止" in home and fingerprint(notary.public) in home
    message = client.get(f"/notary/milestones/{pending.pk}/message")
    assert message.content == selectors.message(pending)
    url = f"/notary/milestones/{pending.pk}/countersign/"
    page = client.get(url).content.decode()
    assert "gonghui contests notary-sign --key notary.key" in page

    other, _ = key_pair()
    refused = client.post(url, {"signature": other.sign(message.content).hex()})
    assert refused.status_code == 200
    assert "签名与公证员公钥不符" in refused.content.decode()
    pending.refresh_from_db()
    assert pending.countersigned_at is None

    done = client.post(url, {"signature": notary.private.sign(message.content).hex()})
    assert done.status_code == 302
    pending.refresh_from_db()
    assert pending.countersigned_at is not None


def test_nobody_else_reaches_the_notarys_pages(client, users, pending):
    client.force_login(users.admin)
    assert "不是任何选树或竞赛项目的公证员" in client.get("/notary/").content.decode()
    assert client.get(f"/notary/milestones/{pending.pk}/message").status_code == 404
    assert client.get(f"/notary/milestones/{pending.pk}/countersign/").status_code == 404


def test_staff_register_a_notary_with_errors_next_to_the_field(client, users, contest):
    make_user("notary_p", None, None)
    url = f"/contests/c/{contest.competition.pk}/record/notary/"
    client.force_login(users.cy)
    assert "notary-keygen" in client.get(url).content.decode()
    data = {"username": "notary_p", "name": "王公证", "office": "方圆公证处", "public_key": "12ab"}
    refused = client.post(url, data)
    assert refused.status_code == 200 and "公钥应为 64 位十六进制" in refused.content.decode()
    unknown = client.post(url, data | {"username": "nobody"})
    assert "没有这个有效账号" in unknown.content.decode()
    assert not Notary.objects.exists()
    assert client.post(url, data | {"public_key": key_pair()[1]}).status_code == 302
    assert Notary.objects.get().name == "王公证"


def test_the_api_lists_milestones_in_scope_and_takes_the_countersignature(
    client, users, notary, contest, pending
):
    url = f"/api/v1/contests/competitions/{contest.competition.pk}/milestones"
    client.force_login(users.cy)
    listed = client.get(url)
    assert listed.status_code == 200 and listed.json()[0]["seq"] == pending.seq
    assert client.get(url, {"state": "nonsense"}).status_code == 422
    client.force_login(users.hd)
    assert client.get(url).status_code == 404

    client.force_login(notary.user)
    mine = client.get("/api/v1/contests/notary/milestones").json()
    assert mine[0]["message"].encode() == selectors.message(pending)
    post = f"/api/v1/contests/notary/milestones/{pending.pk}/countersign"
    other, _ = key_pair()
    refused = client.post(
        post,
        {"signature": other.sign(selectors.message(pending)).hex()},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["fields"] == {"signature": "签名与公证员公钥不符"}
    done = client.post(
        post,
        {"signature": notary.private.sign(selectors.message(pending)).hex()},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["countersigned"] is True
    client.force_login(users.cy)
    assert (
        client.post(post, {"signature": "ab" * 64}, content_type="application/json").status_code
        == 404
    )


def test_registering_a_notary_is_offered_where_the_service_allows_it(client, users, tree):
    """The service checks contests.manage at the PROGRAMME's organiser: a city programme's
    competition run in Chaoyang does not offer Chaoyang's staff the registration."""
    programme = Programme.objects.create(
        name="北京工匠 2026", year=2026, org_unit=tree.city, created_by=users.admin
    )
    contest = build_contest(tree, users.cy, programme=programme)
    url = f"/contests/c/{contest.competition.pk}/record/"
    offer = f'href="{url}notary/"'
    client.force_login(users.cy)
    page = client.get(url)
    assert page.status_code == 200 and offer not in page.content.decode()
    client.force_login(users.admin)
    assert offer in client.get(url).content.decode()


def test_a_refused_export_leaves_an_existing_file_untouched(contest, tmp_path):
    target = tmp_path / "c.zip"
    target.write_bytes(b"the bundle exported yesterday")
    Competition.objects.filter(pk=contest.competition.pk).update(frozen_at=timezone.now())
    with pytest.raises(CommandError, match="封榜期间"):
        call_command("contests", "export-bundle", str(contest.competition.pk), "--out", str(target))
    assert target.read_bytes() == b"the bundle exported yesterday"
    assert [p.name for p in tmp_path.iterdir()] == ["c.zip"]  # no part-file left behind
