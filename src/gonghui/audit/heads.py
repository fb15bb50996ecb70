"""Platform heads (平台链头): one signature, every minute, over every stream's head.

A per-stream checkpoint shows a stream rewritten below it, but not its events after it,
nor a stream that had none, nor a stream deleted with its checkpoints. A platform head
lists the streams that moved since the previous head and signs the root over every
stream's head (rules in verifier.py), chained to the previous head; the worker signs one
each minute something moved, and each is appended to the witness files outside the
database (witness.py). Nothing is signed that does not extend what was signed before: a
stream found cut, rewritten or gone is left at its last signed head (and the problem
logged), so a signature never launders a tampering.

Checkpoints (what an export bundle ends at) are signed here too, and only here: at a
stream's signed head, under the same checks, while every witness store confirms the
database. What was signed before is taken from the strongest evidence at hand: the witness
stores first, then the database's last heads (checked: signed by the platform's key, each
linked to the one before), then the signed stream heads (rebuilt from the heads when their
root is not the last head's), then the last checkpoint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Max

from gonghui.audit import witness
from gonghui.audit.models import AuditCheckpoint, AuditEvent, AuditHead, SignedStreamHead
from gonghui.audit.verifier import (
    GENESIS,
    INTL,
    canonical,
    check_links,
    checkpoint_message,
    event_suite,
    head_digest,
    head_message,
    head_problem,
    key_suite,
    link_hash,
    streams_root,
)

log = logging.getLogger("gonghui.audit")
SIGN_SECONDS = 60  # at most a minute of events is ever unsigned
CHECKPOINT_EVERY = 1000  # a checkpoint once a stream passes each multiple of this many events
ALL = "all"  # head_sign(checkpoints=ALL): a checkpoint for every stream (hourly)


def head_dict(row: AuditHead) -> dict:
    try:
        streams = json.loads(row.streams)
    except ValueError:
        streams = row.streams  # not JSON: the checks report a malformed head
    return {
        "n": row.n,
        "time": row.time,
        "prev": row.prev,
        "root": row.root,
        "streams": streams,
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
        suite = event_suite(json.loads(first["body"]))
        if link_hash(first["prev_hash"], first["body"], suite) != first["hash"]:
            return f"流 {stream} 第 {seq} 条事件内容与其哈希不符（内容被修改）"
    _, last, problem = check_links(stream, events, (seq, head if seq else GENESIS))
    if problem:
        return f"流 {stream}：{problem}"
    if last < now[0]:
        return f"流 {stream} 在签名时发生变化"  # cannot happen under the lock; be safe
    return None


@dataclass
class Keys:
    """The audit keys as the signer uses them (built in services from the environment)."""

    sign: Callable[[bytes], tuple[str, str]]  # message -> (key id, signature hex)
    public: dict[str, str]  # key id -> public key (verifier.public_key)
    check: Callable[[str, bytes, str], bool]  # (key id, message, signature hex) -> valid
    suite: str = INTL  # the signing key's algorithms: a new head's prev and root use its hash


@dataclass
class Signing:
    head: AuditHead | None = None
    checkpoints: dict[str, AuditCheckpoint] = field(default_factory=dict)  # at the signed heads
    signed: int = 0  # checkpoints signed this time (the others were there already)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    witnessed: int = 0  # witness lines written

    def __str__(self) -> str:
        what = f"head #{self.head.n}" if self.head else "no new head"
        return (
            f"{what}; {self.signed} checkpoints signed; {self.witnessed} witness lines; "
            f"problems: {self.problems or 'none'}"
        )


def lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('audit:heads'))")


@dataclass
class Store:
    """One witness store as the signer found it, before signing."""

    path: Path
    last: dict | None = None  # its last head (the database's head of that number)
    problem: str | None = None  # why it is not written this time (the others still are)
    blocking: str | None = None  # why nothing may be signed: the database disagrees with it
    create: bool = False  # no file yet, and no head yet either: the first head starts it
    unreachable: bool = False  # cannot be opened at all (a restart would not help)

    @property
    def healthy(self) -> bool:
        return self.problem is None and self.blocking is None


def _row_line(n: int) -> str | None:
    row = AuditHead.objects.filter(n=n).first()
    return None if row is None else witness.line(head_dict(row))


def check_store(path: Path, heads: int) -> Store:
    """Check one store against the database (``heads``: its number of heads)."""
    try:
        contents = witness.tail(path)
    except witness.Unreachable as exc:
        return Store(path, problem=str(exc), unreachable=True)
    except witness.WitnessError as exc:
        return Store(path, problem=str(exc))
    if contents.empty:
        if heads:
            return Store(path, problem=witness.missing(path, heads, contents.exists))
        return Store(path, create=True)
    tail = contents.last
    n = 0 if tail is None else tail["n"]
    if tail is not None and (not isinstance(n, int) or _row_line(n) != witness.line(tail)):
        return Store(
            path,
            blocking=f"见证文件 {path} 的最后一个平台链头 #{n} 与数据库不符（数据库中的平台链头"
            f"被删除或改写）",
        )
    if contents.torn:
        due = _row_line(n + 1)
        if due is None or not due.encode().startswith(contents.torn):
            return Store(path, problem=witness.torn_problem(path, n + 1))
    return Store(path, last=tail)


def _chain_problem(last: AuditHead, start: int, keys: Keys) -> str | None:
    """The database's heads after head ``start`` up to the last must each be a signed
    successor of the one before: a head someone inserted (the application's role may
    INSERT) is never chained on nor witnessed."""
    row = AuditHead.objects.filter(n=start).first() if start else None
    if start and row is None:
        return f"数据库中缺少平台链头 #{start}（平台链头被删除，或其后的链头是插入的）"
    previous = head_dict(row) if row else None
    for head in heads_from(start):
        problem = head_problem(head, previous, keys.public, keys.check)
        if problem:
            return (
                f"数据库中的平台链头 #{head['n']}：{problem}（不是平台签名的链头，不予接续，"
                f"也不写入见证文件）"
            )
        previous = head
    return None


def _signed_state(last: dict | None, keys: Keys) -> tuple[dict | None, str | None]:
    """Each stream's head as the last platform head signed it: the SignedStreamHead rows if
    their root is the last head's, else rebuilt from the heads themselves (the rows are the
    application's to write; a root is not). Returns (state or None, note or problem)."""
    rows = {s.stream: [s.seq, s.hash] for s in SignedStreamHead.objects.all()}
    root = None if last is None else last["root"]
    suite = INTL if last is None else key_suite(keys.public, last["key_id"])
    if (streams_root(rows, suite) if rows else None) == root and (rows or last is None):
        return rows, None
    rebuilt: dict[str, list] = {}
    try:
        for head in heads_from(0):
            for name, (seq, value) in head["streams"].items():
                rebuilt[name] = [seq, value]
    except (AttributeError, TypeError, ValueError):
        rebuilt = None
    if rebuilt is None or (streams_root(rebuilt, suite) if rebuilt else None) != root:
        return None, (
            f"平台链头 #{last['n']} 的根哈希与数据库中各平台链头所列的流链头不符（平台链头被改动）"
        )
    SignedStreamHead.objects.all().delete()
    SignedStreamHead.objects.bulk_create(
        SignedStreamHead(stream=name, seq=seq, hash=value) for name, (seq, value) in rebuilt.items()
    )
    note = "已签名的流链头与最后一个平台链头不符（被改动），已按平台链头重建"
    log.warning("audit head: %s", note)
    return rebuilt, note


def _strongest(stream: str, signed: list, keys: Keys) -> tuple[int, str]:
    """The later of the stream's signed head and its last checkpoint (when that one is
    validly signed): what the stream must extend."""
    point = (signed[0], signed[1])
    last = AuditCheckpoint.objects.filter(stream=stream, seq__gt=point[0]).order_by("-seq").first()
    if last is not None and keys.check(
        last.key_id, checkpoint_message(stream, last.seq, last.head, last.time), last.signature
    ):
        point = (last.seq, last.head)
    return point


def head_sign(keys: Keys, *, checkpoints=()) -> Signing:
    """Sign a new platform head if any stream moved, sign the checkpoints asked for
    (``checkpoints``: stream names, or ALL) and those of streams past a milestone, then bring
    the witness stores up to date.

    Nothing is signed over a database that disagrees with a witness store or whose last
    heads are not the platform's; a stream is signed only where it extends the strongest
    point signed for it; a checkpoint (what a bundle ends at) only while every store
    confirms the database."""
    result = Signing()
    with transaction.atomic():
        lock()
        last_row = AuditHead.objects.order_by("-n").first()
        count = last_row.n if last_row else 0
        stores = [check_store(path, count) for path in witness.paths()]
        result.problems += [s.problem for s in stores if s.problem]
        blocking = [s.blocking for s in stores if s.blocking]
        if not blocking and last_row is not None:
            start = min([s.last["n"] if s.last else 0 for s in stores if s.healthy] + [count - 1])
            problem = _chain_problem(last_row, start, keys)
            blocking += [problem] if problem else []
        last = head_dict(last_row) if last_row else None
        state, note = (None, None) if blocking else _signed_state(last, keys)
        if state is None and note:
            blocking.append(note)
        elif note:
            result.notes.append(note)
        if blocking:
            result.problems = blocking + result.problems
            _log(result)
            return result
        moved, refused = _moved(state, keys, result)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if moved:
            result.head = _new_head(last, state, moved, now, keys)
        state = state | moved
        _checkpoints(state, moved, refused, checkpoints, stores, now, keys, result)
    # After the commit: a line is never written for a head that was rolled back.
    result.witnessed, problems = witness_sync(
        keys, [s.path for s in stores if s.healthy], create={s.path for s in stores if s.create}
    )
    result.problems += problems
    _log(result)
    return result


def _log(result: Signing) -> None:
    for problem in result.problems:
        log.error("audit head: %s", problem)


def _moved(state: dict, keys: Keys, result: Signing) -> tuple[dict, set]:
    """The streams that moved and extend what was signed for them; (moved, refused)."""
    moved, refused = {}, set()
    current = stream_heads()
    for name, now in current.items():
        before = state.get(name, [0, GENESIS])
        if list(now) == list(before):
            continue
        problem = extension_problem(name, _strongest(name, before, keys), now)
        if problem:
            result.problems.append(problem)
            refused.add(name)
            continue
        moved[name] = list(now)
    for name in sorted(state.keys() - current.keys()):
        result.problems.append(f"流 {name} 已从数据库中消失（已签名到第 {state[name][0]} 条）")
        refused.add(name)
    return moved, refused


def _new_head(last: dict | None, state: dict, moved: dict, now: str, keys: Keys) -> AuditHead:
    head = {
        "n": (last["n"] if last else 0) + 1,
        "time": now,
        "prev": head_digest(last, keys.suite) if last else GENESIS,
        "root": streams_root(state | moved, keys.suite),
        "streams": moved,
    }
    key_id, signature = keys.sign(head_message(head))
    row = AuditHead.objects.create(
        n=head["n"],
        time=head["time"],
        prev=head["prev"],
        root=head["root"],
        streams=canonical(moved),
        key_id=key_id,
        signature=signature,
    )
    for name, (seq, value) in moved.items():
        SignedStreamHead.objects.update_or_create(stream=name, defaults={"seq": seq, "hash": value})
    return row


def _checkpoints(state, moved, refused, wanted, stores, now, keys, result) -> None:
    """Sign, at each stream's signed head, the checkpoints asked for and those of streams
    that passed a milestone (every CHECKPOINT_EVERY events) since their last one."""
    names = set(state) if wanted == ALL else set(wanted) & set(state)
    last = dict(
        AuditCheckpoint.objects.filter(stream__in=set(moved))
        .values("stream")
        .annotate(seq=Max("seq"))
        .values_list("stream", "seq")
    )
    for name, (seq, _) in moved.items():
        if seq // CHECKPOINT_EVERY > last.get(name, 0) // CHECKPOINT_EVERY:
            names.add(name)
    if wanted == ALL:  # hourly: only the streams that moved since their last checkpoint
        names -= {
            name
            for name, seq in AuditCheckpoint.objects.values("stream")
            .annotate(seq=Max("seq"))
            .values_list("stream", "seq")
            if state.get(name, [0])[0] == seq
        }
    names -= refused
    if names and not all(s.healthy for s in stores):
        result.problems.append("见证文件不全可用：本次不签名检查点（数据包只以见证过的链头为终点）")
        return
    for name in sorted(names):
        seq, value = state[name]
        found = AuditCheckpoint.objects.filter(stream=name, seq=seq).first()
        if found is None:
            kid, signature = keys.sign(checkpoint_message(name, seq, value, now))
            result.checkpoints[name] = AuditCheckpoint.objects.create(
                stream=name, seq=seq, head=value, time=now, key_id=kid, signature=signature
            )
            result.signed += 1
        elif found.head == value and keys.check(
            found.key_id, checkpoint_message(name, seq, value, found.time), found.signature
        ):
            result.checkpoints[name] = found
        else:
            result.problems.append(
                f"流 {name} 第 {seq} 条处已有一个与平台链头不符的签名检查点（被插入或改动）"
            )


def witness_sync(keys: Keys, paths=None, create=()) -> tuple[int, list[str]]:
    """Append to the witness stores (``paths``; default every one) the heads each lacks,
    each checked first: a line is written only for a signed successor of the line before.
    Creates only the stores in ``create``."""

    def heads_after(n: int, tail: dict | None):
        if tail is not None and _row_line(n) != witness.line(tail):
            raise witness.WitnessError(
                f"见证文件的最后一个平台链头 #{n} 与数据库不符，未追加新的链头"
            )
        previous = tail
        for head in heads_from(n):
            problem = head_problem(head, previous, keys.public, keys.check)
            if problem:
                raise witness.WitnessError(
                    f"数据库中的平台链头 #{head['n']}：{problem}，未写入见证文件"
                )
            yield head
            previous = head

    written, problems = 0, []
    for path in witness.paths() if paths is None else paths:
        count, problem = witness.catch_up(path, heads_after, create=path in create)
        written += count
        if problem:
            problems.append(problem)
    return written, problems
