"""Writing, sealing, verifying and exporting audit streams.

``record()`` is called by every service inside its own transaction, so an event exists
exactly when the change it describes does. Appends to one stream are serialised (a
PostgreSQL advisory lock held to commit; SQLite's IMMEDIATE transactions already queue
writers), and the database's unique (stream, prev_hash) would refuse a fork anyway.
"""

from __future__ import annotations

import io
import ipaddress
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.ipv6 import clean_ipv6_address

from gonghui.audit.context import current_ip
from gonghui.audit.models import AuditCheckpoint, AuditEvent
from gonghui.audit.verifier import (
    GENESIS,
    batch_digest,
    canonical,
    check_stream,
    checkpoint_message,
    link_hash,
)

PLATFORM = "platform"
CHECKPOINT_EVERY = 1000  # a milestone checkpoint every this many events of a stream


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


def record(
    *,
    actor,
    action: str,
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
    the values are personal data (see ``diff``)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        if org_unit_id is None:
            org_unit_id = getattr(obj, "org_unit_id", None)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    actor_id = actor.pk if is_user else None
    actor_name = actor.get_username() if is_user else ""
    ip = _client_ip(ip or current_ip.get())
    # Inside the caller's transaction (no savepoint): if the event fails, the write fails.
    with transaction.atomic(savepoint=False):
        _lock_stream(stream)
        head_seq, head_hash = _head(stream)
        now = datetime.now(UTC)
        seq = head_seq + 1
        body = canonical(
            {
                "stream": stream,
                "seq": seq,
                "time": _stamp(now),
                "actor": {"id": actor_id, "name": actor_name, "post": post_id},
                "action": action,
                "object": {"type": object_type, "id": object_id, "org_unit": org_unit_id},
                "changes": changes or {},
                "ip": ip,
            }
        )
        event = _insert(
            {
                "stream": stream,
                "seq": seq,
                "prev_hash": head_hash,
                "hash": link_hash(head_hash, body),
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
        if seq % CHECKPOINT_EVERY == 0:
            checkpoint_sign(stream=stream)
    return event


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
        action=f"{kind}.seal",
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


# --- Checkpoints --------------------------------------------------------------------------


def _signing_key() -> tuple[str, Ed25519PrivateKey]:
    kid, seed = settings.KEYS["GONGHUI_AUDIT_SIGNING_KEYS"].current
    return kid, Ed25519PrivateKey.from_private_bytes(seed)


def public_keys() -> dict[str, str]:
    """Every audit key id -> its Ed25519 public key (hex), older keys included."""
    return {
        kid: Ed25519PrivateKey.from_private_bytes(seed)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
        .hex()
        for kid, seed in settings.KEYS["GONGHUI_AUDIT_SIGNING_KEYS"].keys
    }


def checkpoint_sign(*, stream: str = PLATFORM) -> AuditCheckpoint | None:
    """Sign the stream's current head (on a schedule and at milestones)."""
    with transaction.atomic():
        # Queued behind the appends (and other signers) of this stream, so two signers never
        # race to insert the same (stream, seq) and one of them fail on the unique constraint.
        _lock_stream(stream)
        head = AuditEvent.objects.filter(stream=stream).order_by("-seq").first()
        if head is None:
            return None
        existing = AuditCheckpoint.objects.filter(stream=stream, seq=head.seq).first()
        if existing:
            return existing
        kid, key = _signing_key()
        time = _stamp(datetime.now(UTC))
        signature = key.sign(checkpoint_message(stream, head.seq, head.hash, time)).hex()
        return AuditCheckpoint.objects.create(
            stream=stream, seq=head.seq, head=head.hash, time=time, key_id=kid, signature=signature
        )


def checkpoint_all() -> int:
    streams = AuditEvent.objects.values_list("stream", flat=True).distinct()
    return sum(1 for s in streams if checkpoint_sign(stream=s))


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


def _stored_events(stream: str):
    """Events as the verifier reads them, plus a check that each row's filter columns
    say what its hashed body says (an edit to a column alone is caught too)."""
    rows = AuditEvent.objects.filter(stream=stream).order_by("seq")
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

    @property
    def ok(self) -> bool:
        return not self.problems


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


def verify_stream(stream: str = PLATFORM) -> VerifyReport:
    checkpoints = _checkpoints(stream)
    events = []
    for event in _stored_events(stream):
        if event["mismatch"]:
            problem = (
                f"第 {event['seq']} 条事件的字段 {', '.join(event['mismatch'])} 与已哈希内容不符"
            )
            return VerifyReport(stream, len(events), 0, [problem])
        events.append(event)
    problems = check_stream(stream, events, checkpoints, public_keys())
    return VerifyReport(stream, len(events), len(checkpoints), problems)


def streams() -> list[str]:
    names = set(AuditEvent.objects.values_list("stream", flat=True).distinct())
    names |= set(AuditCheckpoint.objects.values_list("stream", flat=True).distinct())
    return sorted(names)


def export_bundle(*, stream: str, out, actor=None) -> int:
    """Write the stream's bundle (a zip) to the binary file ``out``; returns event count.

    The bundle holds only what the stream holds: bodies already mask personal data."""
    checkpoint_sign(stream=stream)
    checkpoints = _checkpoints(stream)
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        with bundle.open("events.jsonl", "w") as fh:
            text = io.TextIOWrapper(fh, encoding="utf-8", newline="\n")
            for event in _stored_events(stream):
                event.pop("mismatch")
                text.write(canonical(event) + "\n")
                count += 1
            text.flush()
            text.detach()
        bundle.writestr("checkpoints.jsonl", "".join(canonical(c) + "\n" for c in checkpoints))
        bundle.writestr("public_keys.json", canonical(public_keys()))
        bundle.writestr(
            "manifest.json",
            canonical(
                {"stream": stream, "events": count, "exported_at": _stamp(datetime.now(UTC))}
            ),
        )
        bundle.writestr("verifier.py", _verifier_source())
    if actor is not None:
        record(actor=actor, action="audit.export", object_type="audit.stream", object_id=stream)
    return count


def _verifier_source() -> str:
    from gonghui.audit import verifier

    with open(verifier.__file__, encoding="utf-8") as fh:
        return fh.read()
