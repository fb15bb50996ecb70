"""The export bundle, checked by the stand-alone verifier in a separate, isolated Python."""

import hashlib
import json
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import CommandError, call_command

from gonghui.audit import services, verifier
from gonghui.audit.models import AuditEvent
from gonghui.audit.verifier import canonical, link_hash
from gonghui.people.services import person_create, person_reveal, person_update
from tests.factories import VALID_IDS

pytestmark = pytest.mark.django_db

ID_NUMBER = VALID_IDS[2]
PHONE = "13912345678"


@pytest.fixture
def activity(users, tree):
    """Some of everything: a person with personal data created, changed and revealed."""
    person = person_create(
        actor=users.cy,
        org_unit=tree.cy_grass,
        data={"name": "孙立", "id_number": ID_NUMBER, "phone": PHONE},
    )
    person_update(actor=users.cy, person=person, data={"phone": "13700000001"})
    person_reveal(actor=users.cy, person=person, field="id_number")
    person_reveal(actor=users.cy, person=person, field="phone")
    services.record(actor=None, action="auth.login_failed", object_id="nobody", ip="10.1.2.3")
    return person


def fingerprint() -> str:
    """The signing key's fingerprint, as printed on the audit page and on paper."""
    return services.key_fingerprints()[0][1]


def run_verifier(bundle: Path, *args: str, script: Path = Path(verifier.__file__)):
    """``python -I -S verifier.py bundle ...``: isolated (-I: no PYTHON* variables, no script
    or user directory on the path) and without site-packages (-S), where the platform, Django
    and cryptography are installed, so only the standard library can be imported."""
    return subprocess.run(
        [sys.executable, "-I", "-S", str(script), str(bundle), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=bundle.parent,
    )


def rewrite_bundle(source: Path, target: Path, edit) -> None:
    """Copy a bundle, passing events.jsonl (as a list of dicts) through ``edit``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "events.jsonl":
                events = [json.loads(line) for line in data.decode().splitlines()]
                data = "".join(canonical(e) + "\n" for e in edit(events)).encode()
            new.writestr(item, data)


def export(tmp_path: Path, name: str = "bundle.zip") -> Path:
    path = tmp_path / name
    call_command("audit", "export", "--stream", "platform", "--out", str(path))
    return path


def signed_at(path: Path) -> str:
    """Where the bundle's last checkpoint signed it, as the verifier's OK line says it."""
    with zipfile.ZipFile(path) as bundle:
        end = verifier.read_jsonl(bundle.read("checkpoints.jsonl"))[-1]
    return f"signed up to seq {end['seq']} at {verifier.beijing(end['time'])}"


def test_the_isolated_interpreter_cannot_import_the_platform(tmp_path):
    probe = subprocess.run(
        [sys.executable, "-I", "-S", "-c", "import gonghui"], capture_output=True, text=True
    )
    assert probe.returncode == 1 and "ModuleNotFoundError" in probe.stderr
    probe = subprocess.run([sys.executable, "-c", "import gonghui"], capture_output=True)
    assert probe.returncode == 0  # ... which the venv's python otherwise can


def test_an_exported_bundle_verifies_on_its_own_with_the_published_fingerprint(
    activity, tmp_path, capsys
):
    path = export(tmp_path)
    assert "5 条事件" in capsys.readouterr().out

    result = run_verifier(path, "--key", fingerprint())
    assert (result.returncode, result.stderr) == (0, ""), result.stdout + result.stderr
    assert result.stdout == (
        f"OK platform: 5 events, {signed_at(path)}, chain and signed checkpoints verified "
        "with trusted keys, algorithms SHA-256/Ed25519 trusted\n"
    )


def test_the_fingerprint_is_short_and_typed_any_way(activity, tmp_path):
    """Eight groups of four hex digits, from SHA-256 of the raw public key; read back from
    paper with or without spaces, in either case."""
    printed = fingerprint()
    public_key = bytes.fromhex(services.public_keys()["k1"])
    assert printed == " ".join(
        hashlib.sha256(public_key).hexdigest()[i : i + 4] for i in range(0, 32, 4)
    )
    path = export(tmp_path)
    for typed in (printed.replace(" ", ""), printed.upper(), printed.replace(" ", ":")):
        assert run_verifier(path, "--key", typed).returncode == 0


def test_without_a_trusted_key_the_verifier_warns_loudly(activity, tmp_path):
    path = export(tmp_path)

    result = run_verifier(path)
    assert result.returncode == verifier.EXIT_OWN_KEYS == 3  # never the 0 of a trusted run
    assert "!!! WARNING: no trusted key was given" in result.stdout
    assert "!!! WARNING: no trusted key was given" in result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"OK platform: 5 events, {signed_at(path)}, chain and signed checkpoints verified with "
        "the bundle's OWN keys (untrusted), algorithms SHA-256/Ed25519 trusted"
    )


def test_the_verifier_inside_the_bundle_is_the_platform_one(activity, tmp_path):
    path = export(tmp_path)
    with zipfile.ZipFile(path) as bundle:
        assert sorted(bundle.namelist()) == [
            "checkpoints.jsonl",
            "events.jsonl",
            "manifest.json",
            "public_keys.json",
            "verifier.py",
        ]
        assert bundle.read("verifier.py") == Path(verifier.__file__).read_bytes()
        (tmp_path / "own").mkdir()
        script = tmp_path / "own" / "verifier.py"
        script.write_bytes(bundle.read("verifier.py"))
        manifest = json.loads(bundle.read("manifest.json"))
        checkpoints = bundle.read("checkpoints.jsonl").decode().splitlines()

    assert (manifest["stream"], manifest["events"]) == ("platform", 5)
    assert json.loads(checkpoints[-1])["seq"] == 5  # the export signed the head
    result = run_verifier(path, "--key", fingerprint(), script=script)
    assert (result.returncode, result.stdout[:2]) == (0, "OK")


def test_the_bundle_holds_no_personal_data(activity, tmp_path):
    path = export(tmp_path)
    activity.refresh_from_db()
    secrets = [ID_NUMBER, PHONE, "13700000001", activity.id_number_index, activity.phone_index]
    secrets += [hashlib.sha256(v.encode()).hexdigest() for v in (ID_NUMBER, PHONE)]

    with zipfile.ZipFile(path) as bundle:
        for name in bundle.namelist():
            text = bundle.read(name).decode()
            for secret in secrets:
                assert secret not in text, (name, secret)
        events = bundle.read("events.jsonl").decode()
    assert "11**************15" in events  # the masked form is what the log keeps


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        pytest.param(
            lambda events: [
                e | {"body": e["body"].replace("10.1.2.3", "10.9.9.9")} if e["seq"] == 5 else e
                for e in events
            ],
            "第 5 条事件内容与其哈希不符（内容被修改）",
            id="edited-body",
        ),
        pytest.param(
            lambda events: [e for e in events if e["seq"] != 3],
            "第 3 条事件缺失或顺序错乱（实际为第 4 条）",
            id="deleted-event",
        ),
        pytest.param(
            lambda events: events[:4],
            "链条被截短：签名检查点记录到第 5 条，现仅有 4 条",
            id="cut-short",
        ),
    ],
)
def test_a_tampered_bundle_fails(activity, tmp_path, tamper, problem):
    path = export(tmp_path)
    forged = tmp_path / "forged.zip"
    rewrite_bundle(path, forged, tamper)

    result = run_verifier(forged, "--key", fingerprint())
    assert result.returncode == 1
    assert result.stdout.strip() == f"FAILED platform: {problem}"


def rehash(events: list[dict]) -> list[dict]:
    """Empty event 3's changes and re-hash the whole chain, as one who knows the rules."""
    prev = "0" * 64
    for e in events:
        body = json.loads(e["body"])
        if e["seq"] == 3:
            body["changes"] = {}
        e["body"] = canonical(body)
        e["prev_hash"], e["hash"] = prev, link_hash(prev, e["body"])
        prev = e["hash"]
    return events


def test_a_bundle_rewritten_and_rehashed_fails_on_its_checkpoint(activity, tmp_path):
    path = export(tmp_path)
    forged = tmp_path / "forged.zip"
    rewrite_bundle(path, forged, rehash)

    result = run_verifier(forged, "--key", fingerprint())
    assert result.returncode == 1
    assert "第 5 条与签名检查点不符" in result.stdout


@pytest.mark.parametrize(
    ("member", "replace"),
    [
        ("checkpoints.jsonl", lambda data: data.replace(b'"signature":"', b'"signature":"zz')),
        ("events.jsonl", lambda data: b"{not json\n" + data),
        ("public_keys.json", None),  # left out
    ],
    ids=["bad-hex", "bad-json", "missing-keys"],
)
def test_a_damaged_bundle_fails_cleanly(activity, tmp_path, member, replace):
    path = export(tmp_path)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(damaged, "w") as new:
        for item in old.infolist():
            if item.filename != member:
                new.writestr(item, old.read(item))
            elif replace is not None:
                new.writestr(item, replace(old.read(item)))

    result = run_verifier(damaged, "--key", fingerprint())
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.startswith("FAILED")


def test_not_a_bundle_fails_cleanly(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")

    for path in (junk, tmp_path / "absent.zip"):
        result = run_verifier(path)
        assert (result.returncode, result.stdout[:6], result.stderr) == (1, "FAILED", "")


def test_export_bundle_service_records_who_exported(activity, users):
    out = BytesIO()
    count = services.export_bundle(stream="platform", out=out, actor=users.auditor)

    assert count == 5
    last = AuditEvent.objects.order_by("-seq").first()
    assert (last.action, last.actor_name, last.object_id) == (
        "audit.export",
        "auditor_t",
        "platform",
    )
    out.seek(0)
    assert verifier.verify_bundle(out, [fingerprint()])[:3] == ("platform", 5, [])
    with zipfile.ZipFile(out) as bundle:
        assert json.loads(bundle.read("public_keys.json")) == services.public_keys()


def test_export_of_an_unknown_stream_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="没有名为 nope 的审计流"):
        call_command("audit", "export", "--stream", "nope", "--out", str(tmp_path / "x.zip"))


# --- Trust from outside the bundle -----------------------------------------------------------


def resign_bundle(source: Path, target: Path) -> None:
    """What a tamperer with the database and no key does: rewrite event 3, re-hash the rest,
    sign new checkpoints with a key of their own (under the real key's id) and ship its
    public key as the bundle's public_keys.json."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    with zipfile.ZipFile(source) as old:
        events = verifier.read_jsonl(old.read("events.jsonl"))
        checkpoints = verifier.read_jsonl(old.read("checkpoints.jsonl"))
        kid = json.loads(old.read("public_keys.json")).popitem()[0]
        with zipfile.ZipFile(target, "w") as new:
            events = rehash(events)
            hashes = {e["seq"]: e["hash"] for e in events}
            for cp in checkpoints:
                cp["head"] = hashes[cp["seq"]]
                message = verifier.checkpoint_message(
                    cp["stream"], cp["seq"], cp["head"], cp["time"]
                )
                cp["key_id"], cp["signature"] = kid, key.sign(message).hex()
            new.writestr("events.jsonl", "".join(canonical(e) + "\n" for e in events))
            new.writestr("checkpoints.jsonl", "".join(canonical(c) + "\n" for c in checkpoints))
            new.writestr("public_keys.json", canonical({kid: public}))
            for name in ("manifest.json", "verifier.py"):
                new.writestr(name, old.read(name))


def test_a_bundle_resigned_with_another_key_fails_against_the_real_key(activity, tmp_path, capsys):
    path = export(tmp_path)
    forged = tmp_path / "forged.zip"
    resign_bundle(path, forged)
    published = tmp_path / "published_keys.json"
    call_command("audit", "keys", "--out", str(published))
    printed = capsys.readouterr().out
    assert f"k1  SHA-256/Ed25519  {fingerprint()}  （当前签名密钥）" in printed

    alone = run_verifier(forged)  # what the old verifier said: consistent, so OK ...
    assert alone.returncode == 3 and "!!! WARNING: no trusted key was given" in alone.stdout

    with_key = run_verifier(forged, "--key", fingerprint())
    assert with_key.returncode == 1
    assert with_key.stdout.splitlines() == [
        f"NOTE 数据包中没有指纹为 {fingerprint()} 的公钥",
        "FAILED platform: 第 5 条处的签名检查点所用密钥 k1 不在可信公钥之中",
    ]
    with_keys = run_verifier(forged, "--keys", str(published))
    assert with_keys.returncode == 1
    assert with_keys.stdout.strip() == "FAILED platform: 第 5 条处的签名检查点无效"
    assert run_verifier(path, "--keys", str(published)).returncode == 0


def cut_bundle(source: Path, target: Path, seq: int, checkpoint: dict | None = None) -> None:
    """Keep the events up to ``seq`` and the checkpoints up to it (or only ``checkpoint``),
    and a manifest that says so: a bundle as one holding the rows would build it."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        events = [e for e in verifier.read_jsonl(old.read("events.jsonl")) if e["seq"] <= seq]
        checkpoints = [c for c in verifier.read_jsonl(old.read("checkpoints.jsonl"))]
        checkpoints = [checkpoint] if checkpoint else [c for c in checkpoints if c["seq"] <= seq]
        manifest = json.loads(old.read("manifest.json"))
        manifest |= {"events": len(events), "seq": seq, "signed_at": checkpoints[-1]["time"]}
        new.writestr("events.jsonl", "".join(canonical(e) + "\n" for e in events))
        new.writestr("checkpoints.jsonl", "".join(canonical(c) + "\n" for c in checkpoints))
        new.writestr("manifest.json", canonical(manifest))
        for name in ("public_keys.json", "verifier.py"):
            new.writestr(name, old.read(name))


def witness_copy(tmp_path: Path, settings) -> Path:
    copy = tmp_path / "witness-copy.jsonl"
    copy.write_bytes(settings.AUDIT_WITNESS[0].read_bytes())
    return copy


def test_an_older_honest_export_is_told_apart_from_a_cut_by_the_witness(db, tmp_path, settings):
    """A genuine bundle exported before the stream went on: with a later witness it still
    verifies, with a note that the stream went further after the export (it failed as "链条
    被截短" like a cut before)."""
    for n in range(3):
        services.record(actor=None, action=f"test.{n}")
    older = export(tmp_path, "older.zip")
    for n in range(3, 5):
        services.record(actor=None, action=f"test.{n}")
    head = services.head_sign().head
    copy = witness_copy(tmp_path, settings)

    result = run_verifier(older, "--key", fingerprint(), "--witness", str(copy))
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [
        f"NOTE 本流在导出之后继续增长：见证的平台链头（#{head.n}，{verifier.beijing(head.time)}）"
        "记录到第 5 条（数据包签名到第 3 条，这是一个较早的导出）",
        f"OK platform: 3 events, {signed_at(older)}, chain and signed checkpoints verified with "
        "trusted keys, against the witness, algorithms SHA-256/Ed25519 trusted",
    ]
    whole = run_verifier(export(tmp_path), "--key", fingerprint(), "--witness", str(copy))
    assert whole.returncode == 0, whole.stdout
    assert whole.stdout.splitlines()[-1].endswith(
        "verified with trusted keys, against the witness, algorithms SHA-256/Ed25519 trusted"
    )


def test_a_bundle_cut_below_what_the_witness_saw_before_its_signature_fails(db, tmp_path, settings):
    """The red team's bundle: rows 1-3 of a stream the witness had seen at 5, ending at a
    checkpoint signed AFTER that head (what the hourly checkpoint signed over a cut stream
    before heads.head_sign checked it). Without the witness nothing can tell it from an older
    export, but the OK line says where and when it ends; with the witness it is a cut."""
    for n in range(5):
        services.record(actor=None, action=f"test.{n}")
    head = services.head_sign().head
    path = export(tmp_path)
    events = {e.seq: e for e in AuditEvent.objects.all()}
    time = services._stamp(services.datetime.now(services.UTC))
    kid, signature = services._sign(
        verifier.checkpoint_message("platform", 3, events[3].hash, time)
    )
    forged = {"stream": "platform", "seq": 3, "head": events[3].hash, "time": time}
    cut = tmp_path / "cut.zip"
    cut_bundle(path, cut, 3, forged | {"key_id": kid, "signature": signature})

    alone = run_verifier(cut, "--key", fingerprint())
    assert alone.returncode == 0
    assert f"OK platform: 3 events, signed up to seq 3 at {verifier.beijing(time)}," in alone.stdout
    result = run_verifier(
        cut, "--key", fingerprint(), "--witness", str(witness_copy(tmp_path, settings))
    )
    assert result.returncode == 1
    assert result.stdout.strip() == (
        f"FAILED platform: 数据包被截短：见证的平台链头（#{head.n}，{verifier.beijing(head.time)}）"
        f"在数据包签名（{verifier.beijing(time)}）之前已记录到第 5 条，数据包只到第 3 条"
    )


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("events", 9999, "清单（manifest.json）写有 9999 条事件，数据包中实有 5 条"),
        ("events", True, "清单（manifest.json）写有 True 条事件，数据包中实有 5 条"),
        ("seq", 7, "清单写明签名到第 7 条，数据包的事件到第 5 条"),
        (
            "signed_at",
            "2020-01-01T00:00:00.000000Z",
            "清单所写的签名时间与数据包最后一个签名检查点不符",
        ),
    ],
)
def test_the_manifest_must_say_what_the_bundle_holds(activity, tmp_path, field, value, problem):
    path = export(tmp_path)
    edited = tmp_path / "edited.zip"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(edited, "w") as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "manifest.json":
                data = canonical(json.loads(data) | {field: value}).encode()
            new.writestr(item, data)

    result = run_verifier(edited, "--key", fingerprint())
    assert (result.returncode, result.stdout.strip()) == (1, f"FAILED platform: {problem}")


def test_a_witness_copy_with_a_torn_last_line_is_read_without_it(activity, tmp_path, settings):
    """A copy taken while the platform wrote a line: the torn end is noted and left out."""
    path = export(tmp_path)
    services.head_sign()
    copy = witness_copy(tmp_path, settings)
    copy.write_bytes(copy.read_bytes() + b'{"n":2,"time":"20')

    result = run_verifier(path, "--key", fingerprint(), "--witness", str(copy))
    assert result.returncode == 0, result.stdout
    assert (
        result.stdout.splitlines()[0]
        == "NOTE 见证文件最后一行不完整（写入时中断，17 字节），已忽略"
    )


def test_a_bundle_whose_last_checkpoint_was_dropped_fails(activity, tmp_path):
    path = export(tmp_path)
    dropped = tmp_path / "dropped.zip"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(dropped, "w") as new:
        for item in old.infolist():
            data = b"" if item.filename == "checkpoints.jsonl" else old.read(item)
            new.writestr(item, data)

    result = run_verifier(dropped, "--key", fingerprint())
    assert (result.returncode, result.stdout.strip()) == (
        1,
        "FAILED platform: 数据包末尾（第 5 条）没有签名检查点覆盖",
    )


def test_the_bundle_ends_at_the_head_the_export_signed(activity, monkeypatch):
    """Events appended while the bundle is written lie beyond its signed head: left out."""
    read = services._stored_events

    def someone_writes_meanwhile(stream, up_to=None, after=0):
        if up_to is not None:  # the export's own read, after it signed the head
            services.record(actor=None, action="test.meanwhile")
        yield from read(stream, up_to, after)

    monkeypatch.setattr(services, "_stored_events", someone_writes_meanwhile)
    out = BytesIO()
    assert services.export_bundle(stream="platform", out=out) == 5
    assert verifier.verify_bundle(out, [fingerprint()])[2] == []
