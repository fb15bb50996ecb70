"""Writing, sealing, verifying and exporting audit streams.

``record()`` is called by every service inside its own transaction, so an event exists
exactly when the change it describes does. Appends to one stream are serialised (a
PostgreSQL advisory lock held to commit; SQLite's IMMEDIATE transactions already queue
writers), and the database's unique (stream, prev_hash) would refuse a fork anyway.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import ipaddress
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils.ipv6 import clean_ipv6_address
from gmalg import SM2

from gonghui.audit import heads, witness
from gonghui.audit.actions import Action
from gonghui.audit.context import current_ip
from gonghui.audit.models import AuditArchive, AuditCheckpoint, AuditEvent, AuditHead
from gonghui.audit.verifier import (
    GENESIS,
    INTL,
    KEY_SUITES,
    SM,
    SM2_DEFAULT_ID,
    batch_digest,
    canonical,
    check_heads,
    check_stream,
    event_suite,
    fingerprint,
    head_digest,
    key_suite,
    link_hash,
    signature_valid,
    verify_bundle,
)
from gonghui.common.errors import Conflict
from gonghui.common.formats import cn_datetime

log = logging.getLogger("gonghui.audit")

PLATFORM = "platform"


def _stamp(moment: datetime) -> str:
    """The event time as hashed: UTC, microseconds — exactly the precision both databases
    store, so the hash can be recomputed from the stored row."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _client_ip(value: str | None) -> str | None:
    """The address as its column will hold it, so that the hashed body and the row agree:
    IPv6 in Django's normal form (the column normalises it on save: "2001:DB8:0::1" would
    otherwise be hashed one way and stored another), and None for what is no address
    (gunicorn on a unix socket gives REMOTE_ADDR "", which the column stores as NULL;
    PostgreSQL's inet would refuse "-" and fail the whole write)."""
    if not value:
        return None
    try:
        return clean_ipv6_address(value) if ":" in value else str(ipaddress.IPv4Address(value))
    except (ValueError, ValidationError):
        return None


def _lock_stream(stream: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"audit:{stream}"])


def _head(stream: str) -> tuple[int, str]:
    """The stream's last (seq, hash), or (0, GENESIS): one read on the (stream, seq) index.

    This function and ``_insert`` are the audit's hot path, run inside every write of the
    platform: hand-written SQL, because building the ORM queries cost ten times running
    them (measured in bench/foundation.py)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seq, hash FROM audit_auditevent WHERE stream = %s ORDER BY seq DESC LIMIT 1",
            [stream],
        )
        return cursor.fetchone() or (0, GENESIS)


_COLUMNS = (
    "stream",
    "seq",
    "prev_hash",
    "hash",
    "body",
    "created_at",
    "actor_id",
    "actor_name",
    "post_id",
    "action",
    "object_type",
    "object_id",
    "org_unit_id",
    "ip",
)
# Constant column names; every value is a query parameter.
_INSERT = (
    f"INSERT INTO audit_auditevent ({', '.join(_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(_COLUMNS))}) RETURNING id"
)


def _insert(values: dict) -> AuditEvent:
    params = [values[c] for c in _COLUMNS]
    params[_COLUMNS.index("created_at")] = connection.ops.adapt_datetimefield_value(
        values["created_at"]
    )
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, params)
        (pk,) = cursor.fetchone()
    event = AuditEvent(id=pk, **values)
    event._state.adding, event._state.db = False, connection.alias
    return event


def event_body(*, stream, seq, time, actor, action, obj, changes, ip, suite) -> str:
    """An event's canonical body, the text its hash covers: ``actor`` is (id, name, post),
    ``obj`` (type, id, org unit); ``time`` an aware datetime."""
    return canonical(
        {
            "stream": stream,
            "seq": seq,
            "time": _stamp(time),
            "actor": dict(zip(("id", "name", "post"), actor, strict=True)),
            "action": action,
            "object": dict(zip(("type", "id", "org_unit"), obj, strict=True)),
            "changes": changes or {},
            "ip": ip,
        }
        # The event names its hash when it is not the original SHA-256 (verifier.py).
        | ({} if suite == INTL else {"alg": suite})
    )


def record(
    *,
    actor,
    action: Action | str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    org_unit_id: int | None = None,
    changes: dict | None = None,
    post_id: int | None = None,
    stream: str = PLATFORM,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event. ``changes`` maps field -> [before, after], already masked where
    the values are personal data (see ``diff``). ``action`` is one of ``Action``; a code
    built at run time (a workflow step's) names one too, which tests/audit/test_web.py
    checks for every event the suite records."""
    action = str(action)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        if org_unit_id is None:
            org_unit_id = getattr(obj, "org_unit_id", None)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    actor_id = actor.pk if is_user else None
    actor_name = actor.get_username() if is_user else ""
    ip = _client_ip(ip or current_ip.get())
    suite = settings.CRYPTO
    # Inside the caller's transaction (no savepoint): if the event fails, the write fails.
    with transaction.atomic(savepoint=False):
        _lock_stream(stream)
        head_seq, head_hash = _head(stream)
        now = datetime.now(UTC)
        seq = head_seq + 1
        body = event_body(
            stream=stream,
            seq=seq,
            time=now,
            actor=(actor_id, actor_name, post_id),
            action=action,
            obj=(object_type, object_id, org_unit_id),
            changes=changes,
            ip=ip,
            suite=suite,
        )
        event = _insert(
            {
                "stream": stream,
                "seq": seq,
                "prev_hash": head_hash,
                "hash": link_hash(head_hash, body, suite),
                "body": body,
                "created_at": now,
                "actor_id": actor_id,
                "actor_name": actor_name,
                "post_id": post_id,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "org_unit_id": org_unit_id,
                "ip": ip,
            }
        )
    return event


def import_record(
    *,
    actor,
    action: Action,
    object_type: str,
    data: bytes,
    filename: str,
    post_id: int | None,
    org_unit_id: int | None = None,
    **results,
) -> AuditEvent:
    """The event of an all-or-nothing import, inside its transaction: the object is the
    file (the first 16 hex digits of its SHA-256), ``changes`` its name (the last 100
    characters) and what the import did, each of ``results`` as [None, value]."""
    return record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=hashlib.sha256(data).hexdigest()[:16],
        org_unit_id=org_unit_id,
        post_id=post_id,
        changes={
            "file": [None, filename[-100:]],
            **{name: [None, value] for name, value in results.items()},
        },
    )


def diff(before: dict, after: dict, *, masked: dict | None = None) -> dict:
    """Changed fields as {field: [before, after]}; ``masked`` maps personal-data fields to a
    masking function, applied to both sides (never a plain or unkeyed hash of them)."""
    masked = masked or {}
    changes = {}
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field), after.get(field)
        if old != new:
            if field in masked:
                old, new = masked[field](old), masked[field](new)
            changes[field] = [_plain(old), _plain(new)]
    return changes


def id_ranges(pks) -> list[list[int]]:
    """[[first, last], ...] runs of ids: what a bulk write touched, in a few numbers."""
    runs: list[list[int]] = []
    for pk in sorted(pks):
        if runs and pk == runs[-1][1] + 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    return runs


def _plain(value):
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def seal(*, stream: str, kind: str, rows: list[dict], actor=None) -> AuditEvent | None:
    """Seal a batch of high-volume records (giveaway claims, votes) into their stream.

    Such records live in their own tables and are not pushed one by one through the
    chain head; instead one event carries the batch's count, id range and digest
    (``verifier.batch_digest``), so an outsider holding the rows can check them."""
    if not rows:
        return None
    count, digest = batch_digest(rows)
    first, last = rows[0]["id"], rows[-1]["id"]
    return record(
        actor=actor,
        action=Action(f"{kind}.seal"),
        stream=stream,
        object_type=kind,
        object_id=f"{first}-{last}",
        changes={
            "count": [None, count],
            "sha256": [None, digest],
            "first": [None, first],
            "last": [None, last],
        },
    )


# --- Checkpoints and platform heads --------------------------------------------------------


# Audit keys are Ed25519 (``cryptography``) or SM2 (``gmalg``: GB/T 32918 on the
# recommended curve, with the user ID of GM/T 0009); their algorithm is the key's kind in
# GONGHUI_AUDIT_SIGNING_KEYS, and a signature's algorithm that of its key.
_RING = "GONGHUI_AUDIT_SIGNING_KEYS"


def _sign(message: bytes) -> tuple[str, str]:
    ring = settings.KEYS[_RING]
    kid, secret = ring.current
    if ring.kind(kid) == "sm2":
        r, s = SM2(sk=secret, uid=SM2_DEFAULT_ID, pk=_public("sm2", secret)).sign(message)
        signature = int.from_bytes(r, "big").to_bytes(32, "big")
        return kid, (signature + int.from_bytes(s, "big").to_bytes(32, "big")).hex()
    return kid, Ed25519PrivateKey.from_private_bytes(secret).sign(message).hex()


@functools.lru_cache(maxsize=16)
def _public(kind: str, secret: bytes) -> bytes:
    """A key's raw public half: 32 bytes (Ed25519) or 04 || x || y (SM2)."""
    if kind == "sm2":
        return SM2().generate_pk(secret)
    return (
        Ed25519PrivateKey.from_private_bytes(secret)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def public_keys() -> dict[str, str]:
    """Every audit key id -> its public key, older keys included: bare hex for Ed25519 (as
    published before SM2 existed here), ``sm2:`` and hex for SM2 (verifier.public_key)."""
    ring = settings.KEYS[_RING]
    keys = {}
    for kid, secret in ring.keys:
        kind = ring.kind(kid)
        raw = _public(kind, secret).hex()
        keys[kid] = raw if kind == "ed25519" else f"{kind}:{raw}"
    return keys


def trusted_suites() -> set[str]:
    """The algorithm suites this installation verifies with: those of its audit keys (the
    current one and the older ones kept after a rotation or a switch)."""
    ring = settings.KEYS[_RING]
    return {KEY_SUITES[ring.kind(kid)] for kid, _ in ring.keys}


def key_fingerprints() -> list[tuple[str, str]]:
    """(key id, fingerprint) of every audit key, the signing one first: what the audit page
    shows and an outsider compares on paper (verifier.py --key)."""
    return [(kid, fingerprint(pub)) for kid, pub in public_keys().items()]


def _keys() -> heads.Keys:
    """The signing key and every audit key's public half (Ed25519 checked by
    ``cryptography``: the signer checks heads each minute; SM2 by the verifier's own code,
    as ``gmalg`` is no faster)."""
    ring = settings.KEYS[_RING]
    public = public_keys()
    ed25519 = {
        kid: Ed25519PrivateKey.from_private_bytes(secret).public_key()
        for kid, secret in ring.keys
        if ring.kind(kid) == "ed25519"
    }

    def check(key_id: str, message: bytes, signature: str) -> bool:
        if key_suite(public, key_id) == SM:
            return signature_valid(public, key_id, message, signature)
        key = ed25519.get(key_id) if isinstance(key_id, str) else None
        try:
            key.verify(bytes.fromhex(signature), message)
        except (InvalidSignature, AttributeError, TypeError, ValueError):
            return False
        return True

    kid = ring.current[0]
    return heads.Keys(sign=_sign, public=public, check=check, suite=KEY_SUITES[ring.kind(kid)])


def checkpoint_sign(*, stream: str = PLATFORM) -> AuditCheckpoint | None:
    """The stream's checkpoint at its signed head (signed now if there is none): signed with
    a platform head, under its checks (heads.head_sign). A stream cut or rewritten below what
    was signed for it, or a database the witness contradicts, gets none (the problem is
    logged): a fresh signature never launders a tampering."""
    return heads.head_sign(_keys(), checkpoints=[stream]).checkpoints.get(stream)


def checkpoint_all() -> heads.Signing:
    """A checkpoint for every stream that moved since its last one (the worker, hourly)."""
    return heads.head_sign(_keys(), checkpoints=heads.ALL)


def head_sign() -> heads.Signing:
    """Sign a platform head over every stream (the worker, every minute), with the
    checkpoints of streams past a milestone, and append it to the witness files."""
    return heads.head_sign(_keys())


def witness_restart(*, actor=None) -> list[tuple[Path, Path | None]]:
    """Start again every witness store that cannot go on (missing, empty, unreadable, or no
    longer matching the database, e.g. after a restore): the old file is kept beside it, an
    event records the old store's last head ("none" if there was none) and the database's,
    and the new store receives every head of the database. Returns (store, where the old
    one went). A store that cannot be reached is not restarted (fix its path or mount)."""
    restarted: list[tuple[Path, Path | None]] = []
    public = public_keys()
    try:
        with transaction.atomic():
            heads.lock()
            last = AuditHead.objects.order_by("-n").first()
            count = last.n if last else 0
            suite = key_suite(public, last.key_id) if last else None
            current = f"#{last.n} {head_digest(heads.head_dict(last), suite)}" if last else "none"
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            for path in witness.paths():
                store = heads.check_store(path, count)
                if store.healthy or store.unreachable:
                    continue
                old = witness.describe(path)
                try:
                    restarted.append((path, witness.set_aside(path, stamp)))
                except OSError as exc:  # e.g. chattr +a: lift it, the old file is kept
                    raise Conflict(
                        f"无法移开见证文件 {path}（{exc.strerror or exc}）；若设了 chattr +a，请先解除"
                    ) from None
                record(
                    actor=actor,
                    action=Action.AUDIT_WITNESS_RESTART,
                    object_type="audit.witness",
                    object_id=path.name[:64],
                    changes={"path": [None, str(path)], "last_head": [old, current]},
                )
    except Exception:
        for path, kept in restarted:  # no event, no restart: the old files go back
            if kept is not None:
                kept.rename(path)
        raise
    if restarted:
        keys = _keys()
        paths = [path for path, _ in restarted]
        heads.witness_sync(keys, paths, create=set(paths))
        heads.head_sign(keys)  # signs the restart events and writes them to every store
    return restarted


# --- Switching the algorithms (docs/crypto.md) ---------------------------------------------


def crypto_suite_recorded() -> str:
    """The suite the last switch event recorded, or the one the last prune carried forward
    (the switch may be pruned); ``intl`` before any."""
    last = (
        AuditEvent.objects.filter(
            stream=PLATFORM, action__in=[Action.AUDIT_CRYPTO_SWITCH, Action.AUDIT_PRUNE]
        )
        .order_by("-seq")
        .first()
    )
    return json.loads(last.body)["changes"]["algorithm"][1] if last else INTL


def crypto_switch(*, to: str, actor=None) -> heads.Signing:
    """Record that the installation now uses ``to`` (its GONGHUI_CRYPTO, set beforehand with
    its keys) and sign a new platform head and a checkpoint for every stream with the new
    key, over the chains as they are: the events before stay as they were, checked with
    their own hash and the old key (kept in the ring); the switch event and every one after
    it use the new algorithms. Nothing is rewritten. A database that does not verify is
    not switched (a new signature must not cover a tampering)."""
    before = crypto_suite_recorded()
    if to != settings.CRYPTO:
        raise Conflict(
            f"GONGHUI_CRYPTO 为 {settings.CRYPTO}：先在所有服务器与 worker 上设为 {to}、加入 {to} "
            f"的密钥（旧密钥保留在其后）并重启，再运行本命令"
        )
    if before == to:
        raise Conflict(f"本平台已于此前切换为 {to}，无需再次切换")
    report = verify_platform()
    if report.proof.problems or any(r.problems for r in report.streams):
        raise Conflict(f"审计链校验未通过，拒绝切换：{report.first_problem}")
    with transaction.atomic():
        last = AuditHead.objects.order_by("-n").first()
        record(
            actor=actor,
            action=Action.AUDIT_CRYPTO_SWITCH,
            object_type="audit.crypto",
            object_id=to,
            changes={
                "algorithm": [before, to],
                "last_head": [f"#{last.n} {last.key_id}" if last else "none", None],
            },
        )
    signing = heads.head_sign(_keys(), checkpoints=heads.ALL)
    if signing.problems:
        raise Conflict(f"已记录切换，但新链头未能签名：{signing.problems[0]}")
    return signing


# --- Verification and export ---------------------------------------------------------------

_COLUMNS_IN_BODY = {
    "action": ("action",),
    "actor_id": ("actor", "id"),
    "actor_name": ("actor", "name"),
    "post_id": ("actor", "post"),
    "object_type": ("object", "type"),
    "object_id": ("object", "id"),
    "org_unit_id": ("object", "org_unit"),
    "ip": ("ip",),
}


def _dig(body: dict, keys: tuple[str, ...]):
    for key in keys:
        body = body[key]
    return body


def _stored_events(stream: str, up_to: int | None = None, after: int = 0):
    """Events as the verifier reads them, plus a check that each row's filter columns
    say what its hashed body says (an edit to a column alone is caught too)."""
    rows = AuditEvent.objects.filter(stream=stream).order_by("seq")
    if up_to is not None:
        rows = rows.filter(seq__lte=up_to)
    if after:
        rows = rows.filter(seq__gt=after)
    for row in rows.iterator(chunk_size=2000):
        body = json.loads(row.body)
        mismatch = [
            col for col, keys in _COLUMNS_IN_BODY.items() if getattr(row, col) != _dig(body, keys)
        ]
        if _stamp(row.created_at) != body["time"]:
            mismatch.append("created_at")
        yield {
            "seq": row.seq,
            "prev_hash": row.prev_hash,
            "hash": row.hash,
            "body": row.body,
            "mismatch": mismatch,
        }


@dataclass
class VerifyReport:
    stream: str
    events: int
    checkpoints: int
    problems: list[str]
    witnessed: int = 0  # the stream's seq as the last witnessed head lists it
    after: tuple[int, str] = (0, GENESIS)  # where the events in the database start from
    notes: list[str] = dataclasses.field(default_factory=list)  # no tampering (a store down)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Unwitnessed:
    """Events beyond the last witnessed head: signed by no one outside the database yet."""

    stream: str
    count: int
    first: datetime
    last: datetime


@dataclass
class Evidence:
    """What the platform heads and the witness files say every stream held.

    ``anchors``: stream -> [(seq, hash, where)], every point a head signed; ``witnessed``:
    stream -> seq as of the last witnessed head; ``problems`` with the heads or witnesses
    themselves; ``notes`` that are no tampering (a witness not yet caught up)."""

    heads: int = 0
    anchors: dict = dataclasses.field(default_factory=dict)
    witnessed: dict = dataclasses.field(default_factory=dict)
    witnessed_head: dict | None = None
    problems: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)


def evidence() -> Evidence:
    keys = _keys()
    suites = trusted_suites()
    found = Evidence()
    db_heads = list(heads.heads_from(0))
    found.heads = len(db_heads)
    _, db_points, _, problem = check_heads(db_heads, keys.public, signed=keys.check, suites=suites)
    if problem:
        found.problems.append(problem)
    by_n = {h["n"]: witness.line(h) for h in db_heads}
    anchors: dict[str, dict] = {}
    for path in witness.paths():
        try:
            contents = witness.read(path)
        except witness.WitnessError as exc:
            found.problems.append(str(exc))
            continue
        if contents.empty:
            if db_heads:  # deleted, perhaps with the evidence of a rollback: never a mere note
                found.problems.append(witness.missing(path, len(db_heads), contents.exists))
            continue
        lines = contents.heads
        state, points, last, problem = check_heads(
            lines, keys.public, "见证的平台链头", signed=keys.check, suites=suites
        )
        if problem:
            found.problems.append(f"见证文件 {path}：{problem}")
        elif contents.torn:
            due = (last["n"] if last else 0) + 1
            if by_n.get(due, "").encode().startswith(contents.torn):
                found.notes.append(
                    f"见证文件 {path} 的最后一行写入时中断（平台链头 #{due}），下次签名时从数据库补全"
                )
            else:
                found.problems.append(witness.torn_problem(path, due))
        for head in lines[: last["n"] if last else 0]:
            if by_n.get(head["n"]) != witness.line(head):
                found.problems.append(
                    f"见证的平台链头 #{head['n']} 在数据库中缺失或被改写（见证文件 {path}）"
                )
                break
        for name, marks in points.items():
            for seq, value, where in marks:
                anchors.setdefault(name, {})[(seq, value)] = where
        if last is not None:
            if last["n"] < len(db_heads):
                found.notes.append(
                    f"平台链头 #{last['n'] + 1}–#{len(db_heads)} 尚未写入见证文件 {path}"
                )
            if found.witnessed_head is None or last["n"] > found.witnessed_head["n"]:
                found.witnessed_head = last
                found.witnessed = {name: seq for name, (seq, _) in state.items()}
    for name, marks in db_points.items():
        for seq, value, where in marks:
            anchors.setdefault(name, {}).setdefault((seq, value), where)
    found.anchors = {
        name: [(seq, value, where) for (seq, value), where in marks.items()]
        for name, marks in anchors.items()
    }
    return found


def verify_stream(stream: str = PLATFORM, proof: Evidence | None = None) -> VerifyReport:
    """The stream's chain, its checkpoints, and every point the platform heads and the
    witness files signed for it (``proof``: read once for many streams)."""
    proof = proof or evidence()
    anchors = proof.anchors.get(stream, [])
    checkpoints = _checkpoints(stream)
    events = []
    for event in _stored_events(stream):
        if event["mismatch"]:
            problem = (
                f"第 {event['seq']} 条事件的字段 {', '.join(event['mismatch'])} 与已哈希内容不符"
            )
            return VerifyReport(stream, len(events), 0, [problem])
        events.append(event)
    witnessed = proof.witnessed.get(stream, 0)
    if not events and not checkpoints and anchors:
        seq, _, where = max(anchors)
        problem = f"整个流已从数据库中消失（{where}记录到第 {seq} 条）"
        return VerifyReport(stream, 0, 0, [problem], witnessed)
    archived = archived_start(stream, events[0]["seq"] if events else None, checkpoints)
    problems = archived.problems + check_stream(
        stream,
        events,
        checkpoints,
        public_keys(),
        anchors + archived.anchors,
        archived.after,
        trusted_suites(),
    )
    return VerifyReport(
        stream, len(events), len(checkpoints), problems, witnessed, archived.after, archived.notes
    )


# --- Archived events (audit/retention.py) --------------------------------------------------


def archive_storage():
    """Where archive bundles go: settings.STORAGES["audit_archive"]."""
    return storages["audit_archive"]


def file_digest(source, copy_to=None) -> tuple[str, int]:
    """SHA-256 and size of a binary file read to its end (copied to ``copy_to`` if given);
    both files are left at their start."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
        if copy_to is not None:
            copy_to.write(chunk)
    for fh in (source, copy_to):
        if fh is not None and fh.seekable():
            fh.seek(0)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class Bundle:
    """An archive bundle as its archive row records it: where it is stored, its SHA-256 and
    size, and the run of its stream it must hold: from the signed head ``after`` (seq,
    hash) to the signed head ``end``."""

    name: str
    sha256: str
    size: int
    stream: str
    after: tuple[int, str]
    end: tuple[int, str]

    @classmethod
    def of(cls, archive: AuditArchive, previous: AuditArchive | None) -> Bundle:
        """What the row ``archive`` says, the archive before it (``previous``) giving its
        start."""
        after = (previous.last_seq, previous.last_hash) if previous else (0, GENESIS)
        return cls(
            archive.storage_name,
            archive.sha256,
            archive.size,
            archive.stream,
            after,
            (archive.last_seq, archive.last_hash),
        )


# Bundles this process has verified whole, with the keys and algorithms it trusted: the
# worker's hourly verify then only checks that the stored bytes are still those.
_verified: set[tuple] = set()


def archive_problem(bundle: Bundle) -> str | None:
    """Why the stored bundle is not the one recorded (its SHA-256 and size), or does not
    verify on its own with the platform's keys and algorithms as exactly the recorded run
    of its stream (None: it does). The digest alone is only the archive row's word: the
    bundle is checked whole the first time this process sees it. A storage that cannot be
    read raises; a bundle that cannot be read is a problem."""
    name = bundle.name
    published, suites = public_keys(), tuple(sorted(trusted_suites()))
    seen = (bundle, tuple(sorted(published.items())), suites)
    with archive_storage().open(name, "rb") as stored, tempfile.TemporaryFile() as copy:
        if file_digest(stored, copy_to=copy) != (bundle.sha256, bundle.size):
            return f"归档存储中的数据包 {name} 的 SHA-256 与归档记录不符（被改动或替换）"
        if seen in _verified:
            return None
        try:
            report = verify_bundle(copy, published=published, suites=suites)
        except Exception as exc:  # read whole already: whatever it raises is the bundle's
            return f"归档数据包 {name} 校验未通过：无法读取或格式错误（{type(exc).__name__}）"
    if report.problems:
        return f"归档数据包 {name} 校验未通过：{report.problems[0]}"
    (after_seq, _), (last, head) = bundle.after, bundle.end
    held = (report.stream, tuple(report.after), report.end and report.end["seq"])
    if held != (bundle.stream, bundle.after, last) or report.events != last - after_seq:
        return (
            f"归档数据包 {name} 不是 {bundle.stream} 第 {after_seq + 1}–{last} 条的归档"
            "（数据包所载的流或区间与归档记录不符）"
        )
    if report.end["head"] != head:
        return f"归档数据包 {name} 的链头与归档记录不符"
    _verified.add(seen)
    return None


@dataclass
class Archived:
    """A stream's archives as verify sees them: where its events in the database start
    (``after``: the archive the first of them links to), the archives' ends as anchors of
    the chain, and what is wrong with them."""

    after: tuple[int, str] = (0, GENESIS)
    anchors: list = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)


def _archive_events(ids: list[int]) -> dict[str, dict]:
    """The archives' own events still in the database (archive id -> their changes)."""
    rows = AuditEvent.objects.filter(
        object_type=AuditArchive._meta.label_lower, object_id__in=[str(pk) for pk in ids]
    ).values_list("object_id", "body")
    return {object_id: json.loads(body)["changes"] for object_id, body in rows}


def archived_start(stream: str, first: int | None, checkpoints: list[dict]) -> Archived:
    """The stream's archives, each checked: they follow on from one another from event 1,
    each ends at a signed checkpoint of the stream (its row cannot name another head), says
    what its own event recorded — an archive without its event is refused, unless the
    platform stream's remaining events all come after it (that event was archived and
    pruned in its turn) —, and its bundle in the archive storage is the one recorded and
    verifies on its own with the platform's keys as exactly those events (when the storage
    answers). ``first``: the first event in the database (None: none): the archive it
    follows must end right before it, or the chain's start was cut."""
    found = Archived()
    archives = list(AuditArchive.objects.filter(stream=stream).order_by("first_seq"))
    if not archives:
        return found  # the chain starts at event 1 (check_stream reports it missing)
    signed = {(c["seq"], c["head"]) for c in checkpoints}
    recorded = _archive_events([a.pk for a in archives])
    platform_from = (
        AuditEvent.objects.filter(stream=PLATFORM)
        .order_by("seq")
        .values_list("created_at", flat=True)
        .first()
    )
    expected, ends, previous = 1, {}, None
    for a in archives:
        label = f"归档 #{a.pk}（第 {a.first_seq}–{a.last_seq} 条）"
        said = recorded.get(str(a.pk))
        if a.first_seq != expected or a.last_seq < a.first_seq:
            found.problems.append(f"{label}与前一归档不相接（应从第 {expected} 条开始）")
        elif (a.last_seq, a.last_hash) not in signed:
            found.problems.append(f"{label}所记的链头与本流的签名检查点不符（归档记录被改动）")
        elif said is None and (platform_from is None or platform_from <= a.created_at):
            found.problems.append(f"{label}没有归档时记录的审计事件（不是平台写下的归档记录）")
        elif said is not None and [said["sha256"][1], said["storage"][1], said["head"][1]] != [
            a.sha256,
            a.storage_name,
            a.last_hash,
        ]:
            found.problems.append(f"{label}与其归档时记录的审计事件不符（归档记录被改动）")
        else:
            _check_bundle(Bundle.of(a, previous), label, found)
        found.anchors.append((a.last_seq, a.last_hash, label))
        ends[a.last_seq] = a
        expected, previous = a.last_seq + 1, a
    start = first - 1 if first is not None else archives[-1].last_seq
    if start and start not in ends:
        found.problems.append(
            f"第 {start} 条及以前的事件不在数据库中，且没有在该处结束的归档（链条开头被截去）"
        )
    elif start:
        found.after = (start, ends[start].last_hash)
    return found


def _check_bundle(bundle: Bundle, label: str, found: Archived) -> None:
    name = bundle.name
    try:
        if not archive_storage().exists(name):
            found.problems.append(f"{label}的数据包 {name} 在归档存储中不存在")
            return
        problem = archive_problem(bundle)
    except Exception as exc:  # whatever a storage backend raises when it cannot answer
        found.notes.append(f"归档存储无法访问，未核对{label}的数据包（{type(exc).__name__}）")
        return
    if problem:
        found.problems.append(f"{label}：{problem}")


def streams() -> list[str]:
    names = set(heads.stream_heads())
    names |= set(AuditCheckpoint.objects.values_list("stream", flat=True).distinct())
    return sorted(names)


@dataclass
class PlatformReport:
    streams: list[VerifyReport]
    proof: Evidence
    unwitnessed: list[Unwitnessed]
    stale: list[Unwitnessed] = dataclasses.field(default_factory=list)  # unwitnessed too long

    @property
    def ok(self) -> bool:
        return not self.proof.problems and not self.stale and all(r.ok for r in self.streams)

    @property
    def events(self) -> int:
        return sum(r.events for r in self.streams)

    @property
    def stale_problem(self) -> str:
        if not self.stale:
            return ""
        first = min(u.first for u in self.stale)
        count = sum(u.count for u in self.stale)
        minutes = settings.AUDIT_UNWITNESSED_SECONDS // 60
        return (
            f"{count} 条事件超过 {minutes} 分钟仍未见证（最早 {cn_datetime(first, seconds=True)}，"
            f"流 {', '.join(u.stream for u in self.stale)}）：签名进程（gonghui worker）是否在运行，"
            f"见证文件是否可写？"
        )

    @property
    def first_problem(self) -> str:
        for r in self.streams:
            if r.problems:
                return f"{r.stream}：{r.problems[0]}"
        return self.proof.problems[0] if self.proof.problems else self.stale_problem


def _unwitnessed(stream: str, after: int) -> Unwitnessed | None:
    rows = AuditEvent.objects.filter(stream=stream, seq__gt=after).aggregate(
        count=Count("id"), first=Min("created_at"), last=Max("created_at")
    )
    return (
        Unwitnessed(stream, rows["count"], rows["first"], rows["last"]) if rows["count"] else None
    )


def verify_platform(only: str | None = None) -> PlatformReport:
    """Every stream (or ``only`` one), including the streams the heads and witnesses know
    and the database lost, and what lies beyond the last witnessed head: events left
    unwitnessed longer than a few signing periods (settings.AUDIT_UNWITNESSED_SECONDS) fail
    the check, as the signer or the witness has stopped."""
    proof = evidence()
    names = [only] if only else sorted(set(streams()) | set(proof.anchors))
    reports = [verify_stream(name, proof) for name in names]
    late = [_unwitnessed(r.stream, r.witnessed) for r in reports if r.events > r.witnessed]
    late = [u for u in late if u]
    limit = datetime.now(UTC) - timedelta(seconds=settings.AUDIT_UNWITNESSED_SECONDS)
    return PlatformReport(reports, proof, late, [u for u in late if u.first < limit])


def export_bundle(
    *, stream: str, out, actor=None, end: AuditCheckpoint | None = None, after=None
) -> int:
    """Write the stream's bundle (a zip) to the binary file ``out``; returns event count.

    The stream must verify first, against its checkpoints, the platform heads and the
    witness files: the export signs its head, and a signature must never cover a tampered
    stream. The bundle ends at that signed head. It holds only what the stream holds:
    bodies already mask personal data. It starts where the stream's events in the database
    do (after its archived ones), or, for an archive (audit/retention.py), after ``after``
    = (seq, hash), and ends at the earlier checkpoint ``end``."""
    report = verify_platform(only=stream)
    problems = report.proof.problems + report.streams[0].problems
    if problems:
        raise Conflict(f"审计流 {stream} 校验未通过，拒绝签名与导出：{problems[0]}")
    signed = end or checkpoint_sign(stream=stream)
    if signed is None:
        raise Conflict(f"审计流 {stream} 的链头未能签名（链条在校验后被改动），拒绝导出")
    after = after or report.streams[0].after
    checkpoints = [c for c in _checkpoints(stream) if after[0] <= c["seq"] <= signed.seq]
    keys = public_keys()
    suites = {key_suite(keys, c["key_id"]) for c in checkpoints}
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        with bundle.open("events.jsonl", "w") as fh:
            text = io.TextIOWrapper(fh, encoding="utf-8", newline="\n")
            for event in _stored_events(stream, up_to=signed.seq, after=after[0]):
                event.pop("mismatch")
                suites.add(event_suite(json.loads(event["body"])))
                text.write(canonical(event) + "\n")
                count += 1
            text.flush()
            text.detach()
        bundle.writestr("checkpoints.jsonl", "".join(canonical(c) + "\n" for c in checkpoints))
        bundle.writestr("public_keys.json", canonical(keys))
        bundle.writestr(
            "manifest.json",
            canonical(
                {
                    "stream": stream,
                    "events": count,
                    "seq": signed.seq,
                    "signed_at": signed.time,
                    "algorithms": sorted(suites),  # verifier.py --algorithm
                    "exported_at": _stamp(datetime.now(UTC)),
                    **({"after": list(after)} if after[0] else {}),
                }
            ),
        )
        bundle.writestr("verifier.py", _verifier_source())
    if actor is not None:
        record(
            actor=actor, action=Action.AUDIT_EXPORT, object_type="audit.stream", object_id=stream
        )
    return count


def _checkpoints(stream: str) -> list[dict]:
    """Read BEFORE the events: the events are append-only, so every checkpoint read first
    is covered by the events read after. Read the other way round, a checkpoint signed in
    between (a milestone, the schedule) lies beyond the events read and looks like a chain
    cut short."""
    return list(
        AuditCheckpoint.objects.filter(stream=stream)
        .order_by("seq")
        .values("stream", "seq", "head", "time", "key_id", "signature")
    )


def _verifier_source() -> str:
    from gonghui.audit import verifier

    with open(verifier.__file__, encoding="utf-8") as fh:
        return fh.read()
