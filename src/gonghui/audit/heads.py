"""Platform heads (平台链头): one signature, every minute, over every stream's head.

A per-stream checkpoint shows a stream rewritten below it, but not its events after it,
nor a stream that had none, nor a stream deleted with its checkpoints. A platform head
lists the streams that moved since the previous head and signs the root over every
stream's head (rules in verifier.py), chained to the previous head; the worker signs one
each minute something moved, and each is appended to the witness files outside the
database (witness.py). Nothing is signed that does not extend what was signed before: a
stream found cut, rewritten or gone is left at its last signed head (and the problem
logged), so a signature never launders a tampering.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, transaction

from gonghui.audit import witness
from gonghui.audit.models import AuditEvent, AuditHead, SignedStreamHead
from gonghui.audit.verifier import (
    GENESIS,
    canonical,
    check_links,
    head_digest,
    head_message,
    link_hash,
    streams_root,
)

log = logging.getLogger("gonghui.audit")
SIGN_SECONDS = 60  # at most a minute of events is ever unsigned


def head_dict(row: AuditHead) -> dict:
    return {
        "n": row.n,
        "time": row.time,
        "prev": row.prev,
        "root": row.root,
        "streams": json.loads(row.streams),
        "key_id": row.key_id,
        "signature": row.signature,
    }


def heads_from(after: int = 0):
    """The database's heads after head ``after``, in order, as dicts."""
    rows = AuditHead.objects.filter(n__gt=after).order_by("n")
    for row in rows.iterator(chunk_size=2000):
        yield head_dict(row)


# Each stream's name, one index probe a stream (a recursive "loose index scan" on the
# (stream, seq) index; GROUP BY or DISTINCT would read the whole table every minute).
_STREAMS = """
WITH RECURSIVE names(stream) AS (
  SELECT MIN(stream) FROM audit_auditevent
  UNION ALL
  SELECT (SELECT MIN(stream) FROM audit_auditevent WHERE stream > names.stream)
  FROM names WHERE names.stream IS NOT NULL
)
SELECT stream FROM names WHERE stream IS NOT NULL
"""
_HEAD = "SELECT seq, hash FROM audit_auditevent WHERE stream = %s ORDER BY seq DESC LIMIT 1"


def stream_heads() -> dict[str, tuple[int, str]]:
    """Every stream's last (seq, hash) as the database holds it now."""
    heads = {}
    with connection.cursor() as cursor:
        cursor.execute(_STREAMS)
        for (name,) in cursor.fetchall():
            cursor.execute(_HEAD, [name])
            heads[name] = tuple(cursor.fetchone())
    return heads


def _events(stream: str, from_seq: int):
    rows = (
        AuditEvent.objects.filter(stream=stream, seq__gte=from_seq)
        .order_by("seq")
        .values("seq", "prev_hash", "hash", "body")
    )
    return rows.iterator(chunk_size=2000)


def extension_problem(stream: str, signed: tuple[int, str], now: tuple[int, str]) -> str | None:
    """Why the stream's head ``now`` does not extend its signed head ``signed`` (None if it
    does): the event at the signed seq still has the signed hash, and every event after it
    links on, up to ``now``. Reads only the events since the signed head."""
    seq, head = signed
    if now[0] < seq:
        return f"流 {stream} 被截短：已签名到第 {seq} 条，现仅有 {now[0]} 条"
    events = _events(stream, max(seq, 1))
    if seq:
        first = next(events, None)
        if first is None or first["seq"] != seq or first["hash"] != head:
            return f"流 {stream} 第 {seq} 条与已签名的链头不符（链条被改写）"
        if link_hash(first["prev_hash"], first["body"]) != first["hash"]:
            return f"流 {stream} 第 {seq} 条事件内容与其哈希不符（内容被修改）"
    _, last, problem = check_links(stream, events, (seq, head if seq else GENESIS))
    if problem:
        return f"流 {stream}：{problem}"
    if last < now[0]:
        return f"流 {stream} 在签名时发生变化"  # cannot happen under the lock; be safe
    return None


@dataclass
class Signing:
    head: AuditHead | None = None
    problems: list[str] = field(default_factory=list)
    witnessed: int = 0  # witness lines written

    def __str__(self) -> str:
        what = f"head #{self.head.n}" if self.head else "no new head"
        return f"{what}; {self.witnessed} witness lines; problems: {self.problems or 'none'}"


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('audit:heads'))")


def _check_witness() -> list[str]:
    """Each witness file's last head must be a head the database holds, unchanged: a
    database whose heads were deleted or rewritten gets no new one."""
    problems = []
    for path in witness.paths():
        tail = witness.last(path)
        if tail is None:
            continue
        n = tail.get("n")
        row = AuditHead.objects.filter(n=n).first() if isinstance(n, int) else None
        if row is None or witness.line(head_dict(row)) != witness.line(tail):
            problems.append(
                f"见证文件 {path} 的最后一个平台链头 #{n} 与数据库不符（数据库中的平台链头被删除或改写）"
            )
    return problems


def head_sign(*, sign) -> Signing:
    """Sign a new platform head if any stream moved, then bring the witness files up to
    date. ``sign(message) -> (key_id, signature hex)`` is the audit signing key."""
    result = Signing()
    with transaction.atomic():
        _lock()
        last = AuditHead.objects.order_by("-n").first()
        result.problems += _check_witness()
        signed = {s.stream: (s.seq, s.hash) for s in SignedStreamHead.objects.all()}
        root = streams_root({k: list(v) for k, v in signed.items()}) if last else None
        if last is not None and root != last.root:
            result.problems.append(
                f"已签名的流链头与平台链头 #{last.n} 的根哈希不符（数据库被改动）"
            )
        if result.problems:
            for problem in result.problems:
                log.error("audit head not signed: %s", problem)
            return result
        moved, current = {}, stream_heads()
        for name, now in current.items():
            before = signed.get(name, (0, GENESIS))
            if now == before:
                continue
            problem = extension_problem(name, before, now)
            if problem:
                result.problems.append(problem)
                log.error("audit head: stream left at its signed head: %s", problem)
                continue
            moved[name] = list(now)
        for name in sorted(signed.keys() - current.keys()):
            problem = f"流 {name} 已从数据库中消失（已签名到第 {signed[name][0]} 条）"
            result.problems.append(problem)
            log.error("audit head: %s", problem)
        if moved:
            state = {k: list(v) for k, v in signed.items()} | moved
            head = {
                "n": (last.n if last else 0) + 1,
                "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "prev": head_digest(head_dict(last)) if last else GENESIS,
                "root": streams_root(state),
                "streams": moved,
            }
            key_id, signature = sign(head_message(head))
            result.head = AuditHead.objects.create(
                n=head["n"],
                time=head["time"],
                prev=head["prev"],
                root=head["root"],
                streams=canonical(moved),
                key_id=key_id,
                signature=signature,
            )
            for name, (seq, value) in moved.items():
                SignedStreamHead.objects.update_or_create(
                    stream=name, defaults={"seq": seq, "hash": value}
                )
    # After the commit: a line is never written for a head that was rolled back.
    result.witnessed, problems = witness_sync()
    result.problems += problems
    return result


def witness_sync() -> tuple[int, list[str]]:
    """Append to every witness file the heads it lacks (see witness.py)."""

    def heads_after(n: int, tail: dict | None):
        if tail is not None:
            row = AuditHead.objects.filter(n=n).first()
            if row is None or witness.line(head_dict(row)) != witness.line(tail):
                raise witness.WitnessError(
                    f"见证文件的最后一个平台链头 #{n} 与数据库不符，未追加新的链头"
                )
        yield from heads_from(n)

    written, problems = 0, []
    for path in witness.paths():
        count, problem = witness.catch_up(path, heads_after)
        written += count
        if problem:
            log.error("audit witness %s: %s", path, problem)
            problems.append(problem)
    return written, problems
