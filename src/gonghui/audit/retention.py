"""Audit retention (审计日志保存期限): events stay in the database at least
settings.AUDIT_RETENTION_DAYS (180 or more: 等保 2.0 asks for six months); older ones are
archived, then may be removed. Rules in docs/audit-retention.md.

``archive`` (the worker, daily; ``gonghui audit archive``): per stream, the events after the
stream's last archive up to its last signed checkpoint older than the retention are exported
as a bundle in the export format (``services.export_bundle``: the stream verified first),
written to the archive storage, read back and verified (SHA-256, and the bundle's own
verification with the platform's keys), and only then recorded (``AuditArchive`` and its
event). An archive never ends at the stream's signed head: the signer goes on from that
event, so it stays in the database.

``prune`` (``gonghui audit prune --yes``, by an operator, never the worker): deletes the
events that verified archives cover and that are older than the retention, in one
transaction with its event; the append-only trigger is switched off inside that
transaction only, which on PostgreSQL only the tables' owner may do. The checkpoints of the
removed events stay: they are the chain's anchors, and the archives end at them.
Afterwards ``audit verify`` starts each stream at its last archive (services.archived_start).
"""

from __future__ import annotations

import importlib
import logging
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, connection, transaction
from django.db.models import Min
from django.utils.text import get_valid_filename

from gonghui.audit.actions import Action
from gonghui.audit.models import AuditArchive, AuditCheckpoint, AuditEvent, SignedStreamHead
from gonghui.audit.services import (
    Bundle,
    archive_problem,
    archive_storage,
    crypto_suite_recorded,
    export_bundle,
    file_digest,
    record,
    streams,
    verify_platform,
)
from gonghui.audit.verifier import GENESIS
from gonghui.common.alerts import alert
from gonghui.common.errors import Conflict, DomainError

log = logging.getLogger("gonghui.audit")
DAILY = 24 * 3600
EVENTS = "audit_auditevent"
# The guard SQLite's triggers are made with (and made again with after a prune).
sqlite_guard = importlib.import_module(
    "gonghui.audit.migrations.0004_append_only_everywhere"
).sqlite_guard


def cutoff() -> datetime:
    """Events before this moment are past the online retention."""
    return datetime.now(UTC) - timedelta(days=settings.AUDIT_RETENTION_DAYS)


@dataclass
class Outcome:
    """What a run did, stream by stream: the archives made (or events removed) and the
    streams it could not handle, with why."""

    done: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{len(self.done)} done; problems: {self.problems or 'none'}"


# --- Archive ------------------------------------------------------------------------------


def _young(stream: str) -> int | None:
    """The stream's first event still within the retention (None: none is)."""
    return AuditEvent.objects.filter(stream=stream, created_at__gte=cutoff()).aggregate(
        seq=Min("seq")
    )["seq"]


def _archive_end(stream: str, after: int) -> AuditCheckpoint | None:
    """The checkpoint the stream's next archive ends at: its last one after ``after`` that
    lies before both the retention's cut and the stream's signed head."""
    signed = SignedStreamHead.objects.filter(stream=stream).values_list("seq", flat=True).first()
    limit = min(x for x in (_young(stream), signed or 0) if x is not None)
    return (
        AuditCheckpoint.objects.filter(stream=stream, seq__gt=after, seq__lt=limit)
        .order_by("-seq")
        .first()
    )


def _archive_stream(stream: str, actor) -> AuditArchive | None:
    previous = AuditArchive.objects.filter(stream=stream).order_by("-last_seq").first()
    after = (previous.last_seq, previous.last_hash) if previous else (0, GENESIS)
    end = _archive_end(stream, after[0])
    if end is None:
        return None
    first = after[0] + 1
    storage = archive_storage()
    folder = get_valid_filename(stream.replace(":", "-"))
    with tempfile.TemporaryFile() as bundle:
        export_bundle(stream=stream, out=bundle, end=end, after=after)
        bundle.seek(0)
        sha256, size = file_digest(bundle)
        name = storage.save(f"{folder}/{folder}-{first:012d}-{end.seq:012d}.zip", File(bundle))
    problem = archive_problem(Bundle(name, sha256, size, stream, after, (end.seq, end.head)))
    if problem:
        storage.delete(name)
        raise Conflict(problem)
    with transaction.atomic():
        archive = AuditArchive.objects.create(
            stream=stream,
            first_seq=first,
            last_seq=end.seq,
            last_hash=end.head,
            storage_name=name,
            sha256=sha256,
            size=size,
            created_at=datetime.now(UTC),
        )
        record(
            actor=actor,
            action=Action.AUDIT_ARCHIVE,
            obj=archive,
            changes={
                "stream": [None, stream],
                "seq": [None, f"{first}-{end.seq}"],
                "head": [None, end.head],
                "sha256": [None, sha256],
                "storage": [None, name],
            },
        )
    return archive


def archive(*, actor=None, stream: str | None = None) -> Outcome:
    """Archive every stream's events past the retention (or ``stream``'s): one bundle per
    stream, up to its last signed checkpoint before the cut. A stream that cannot be
    archived (it does not verify, the storage refuses) is named in the problems; the others
    go on."""
    outcome = Outcome()
    for name in [stream] if stream else streams():
        try:
            made = _archive_stream(name, actor)
        except DomainError as exc:
            outcome.problems.append(f"{name}：{exc.message}")
            continue
        except OSError as exc:
            outcome.problems.append(f"{name}：归档存储无法写入或读回（{exc}）")
            continue
        if made is not None:
            outcome.done.append(made)
    return outcome


def archive_due() -> Outcome:
    """The worker's daily archive: an alert for each stream it could not archive."""
    outcome = archive()
    for problem in outcome.problems:
        alert("audit.archive_failed", f"审计归档失败：{problem}")
    return outcome


# --- Prune --------------------------------------------------------------------------------


@dataclass
class Pruned:
    stream: str
    first: int
    last: int
    archives: list[int]


def _prune_plan(stream: str, outcome: Outcome) -> tuple[int, int, list[AuditArchive]] | None:
    """(first, last, archives): the events to remove (a run from the first in the database)
    and the archives covering them, each read back and verified; None if there are none."""
    first = AuditEvent.objects.filter(stream=stream).aggregate(seq=Min("seq"))["seq"]
    young = _young(stream)
    archives = list(AuditArchive.objects.filter(stream=stream).order_by("first_seq"))
    covering = [
        (archive, previous)
        for previous, archive in zip([None, *archives], archives, strict=False)
        if archive.last_seq >= (first or 0) and (young is None or archive.last_seq < young)
    ]
    if first is None or not covering:
        return None
    for archive, previous in covering:
        try:
            problem = archive_problem(Bundle.of(archive, previous))
        except Exception as exc:  # whatever a storage backend raises when it cannot answer
            problem = (
                f"归档数据包 {archive.storage_name} 无法从归档存储读回（{type(exc).__name__}）"
            )
        if problem:
            outcome.problems.append(f"{stream}：{problem}，不删除其事件")
            return None
    return first, covering[-1][0].last_seq, [archive for archive, _ in covering]


def _guard_off() -> None:
    """Switch the events' append-only trigger off, inside the current transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            try:
                cursor.execute(f"ALTER TABLE {EVENTS} DISABLE TRIGGER {EVENTS}_no_change")
            except DatabaseError:
                raise Conflict(
                    "只有审计表的所有者角色可以删除已归档的事件：以所有者角色（gonghui audit "
                    "pg-roles 的 --owner，如 gonghui_owner）的 GONGHUI_DATABASE_URL 运行本命令"
                ) from None
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {EVENTS}_no_delete")


def _guard_on() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {EVENTS} ENABLE TRIGGER {EVENTS}_no_change")
        else:
            for sql in sqlite_guard(EVENTS):
                cursor.execute(sql)


def prune(*, actor=None, stream: str | None = None) -> Outcome:
    """Delete the events archives cover that are past the retention (every stream's, or
    ``stream``'s). Refused unless every stream concerned verifies (archives included) and
    each covering archive reads back and verifies; all in one transaction, with an event
    per stream; the append-only trigger is off only inside it."""
    outcome = Outcome()
    report = verify_platform(only=stream)
    if not report.ok:
        raise Conflict(f"审计日志校验未通过，拒绝删除任何事件：{report.first_problem}")
    plans = {}
    for r in report.streams:
        plan = _prune_plan(r.stream, outcome)
        if plan is not None:
            plans[r.stream] = plan
    if not plans:
        return outcome
    with transaction.atomic():
        suite = crypto_suite_recorded()  # carried forward: the switch may be pruned now
        _guard_off()
        removed = {}
        with connection.cursor() as cursor:
            for name, (_, last, _) in plans.items():
                cursor.execute(
                    f"DELETE FROM {EVENTS} WHERE stream = %s AND seq <= %s AND created_at < %s",  # noqa: S608
                    [name, last, connection.ops.adapt_datetimefield_value(cutoff())],
                )
                removed[name] = cursor.rowcount
        _guard_on()
        for name, (first, last, covering) in plans.items():
            if removed[name] != last - first + 1:  # an event not yet past the retention
                raise Conflict(f"{name}：第 {first}–{last} 条中有未超过保存期限的事件，未删除")
            ids = [a.pk for a in covering]
            record(
                actor=actor,
                action=Action.AUDIT_PRUNE,
                object_type="audit.stream",
                object_id=name,
                changes={
                    "seq": [None, f"{first}-{last}"],
                    "archives": [None, ids],
                    "algorithm": [suite, suite],
                },
            )
            outcome.done.append(Pruned(name, first, last, ids))
    log.info("audit prune: %s", outcome)
    return outcome


# --- Scheduled verification ---------------------------------------------------------------


def verify_scheduled():
    """The worker's ``audit verify``: an alert when it fails, a warning for what it could
    not check (the archive storage down)."""
    report = verify_platform()
    if not report.ok:
        failed = [r.stream for r in report.streams if r.problems]
        alert(
            "audit.verify_failed",
            f"审计日志校验未通过：{report.first_problem}（运行 gonghui audit verify 查看全部，"
            f"处置见 docs/audit-retention.md）",
            streams=failed,
            heads=len(report.proof.problems),
        )
    for r in report.streams:
        for note in r.notes:
            log.warning("audit verify: %s: %s", r.stream, note)
    return "ok" if report.ok else f"FAILED: {report.first_problem}"
