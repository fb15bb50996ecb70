"""The live board's writes: its snapshot after every change (``snapshot_refresh``, run on
``signals.board_changed``), and the chief referee's freeze before the final reveal, the
reveal of one result at a time and the unfreeze that reveals the rest in order. When a
stage's last hidden result is revealed, its results became public: ``Stage.results_at`` is
set then (the appeal window opens at the reveal, not at the lock).

Snapshots are derived data (a picture of audited results) and record no event of their
own; the freeze, each reveal and the unfreeze are events of the competition's stream."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.common.errors import Conflict
from gonghui.contests import events
from gonghui.contests.board import snapshots
from gonghui.contests.board.snapshots import Snapshot, canonical, with_version
from gonghui.contests.models import BoardSnapshot, Competition, Result, Stage
from gonghui.contests.records import entrant_key

log = logging.getLogger(__name__)

CHANNEL = "contests_board"  # PostgreSQL NOTIFY channel and Redis PUBLISH channel
RETRIES = 8  # concurrent refreshes of one competition: the loser of a version takes the next


# --- Snapshots ---------------------------------------------------------------------------


def _unchanged(last: Snapshot, public: dict, staff: dict) -> bool:
    return with_version(public, last.version) == last.public and (
        with_version(staff, last.version) == last.staff
    )


def snapshot_refresh(competition_id: int) -> Snapshot | None:
    """Build the competition's board as it stands and store it as the next version (unless
    nothing a viewer or the staff board shows changed: then the latest stays); tell the
    stream servers. None if there is no such competition.

    Versions only increase: two refreshes at once both read the latest version, one stores
    the next and the other, refused by the unique (competition, version), builds again."""
    for _ in range(RETRIES):
        try:
            with transaction.atomic():
                boards = snapshots.build(competition_id)
                if boards is None:
                    return None
                public, staff = boards
                last = snapshots.latest(competition_id)
                if last is not None and _unchanged(last, public, staff):
                    return last
                version = (last.version if last is not None else 0) + 1
                snapshot = Snapshot.of(
                    competition_id,
                    version,
                    canonical(with_version(public, version)),
                    canonical(with_version(staff, version)),
                )
                BoardSnapshot.objects.create(
                    competition_id=competition_id,
                    version=version,
                    public=snapshot.public_json,
                    staff=snapshot.staff_json,
                )
                if connection.vendor == "postgresql":
                    # Delivered to every LISTENing stream server when this commits.
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT pg_notify(%s, %s)", [CHANNEL, f"{competition_id}:{version}"]
                        )
                transaction.on_commit(lambda made=snapshot: _published(made))
            return snapshot
        except IntegrityError:
            continue
    raise Conflict("直播榜快照并发更新过多，请稍后重试")


def _published(snapshot: Snapshot) -> None:
    """After the commit: the caches hold the new version; Redis subscribers hear of it."""
    snapshots.remember(snapshot)
    if settings.REDIS_URL:
        try:
            _redis().publish(CHANNEL, f"{snapshot.competition_id}:{snapshot.version}")
        except Exception:  # the stream servers also poll now and then: late, never lost
            log.exception("board: Redis PUBLISH failed")


_client = None


def _redis():
    global _client
    if _client is None:
        import redis

        _client = redis.Redis.from_url(settings.REDIS_URL)
    return _client


def _on_board_changed(sender, competition_id: int, **kwargs) -> None:
    """``signals.board_changed`` (after the change committed): the next snapshot. A failure
    here must not fail the write that already committed: logged; the next change (or the
    refresh command) builds a complete snapshot again."""
    try:
        snapshot_refresh(competition_id)
    except Exception:
        log.exception("board: snapshot of competition %s failed", competition_id)


# --- Freeze, reveal, unfreeze ------------------------------------------------------------


def _hidden(competition: Competition):
    """Locked current results the public does not see yet, in reveal order: the stages in
    order; within a stage from the last place up to the first."""
    return (
        Result.objects.filter(
            stage__competition=competition,
            locked_at__isnull=False,
            revealed_at__isnull=True,
            superseded_by__isnull=True,
        )
        .select_related("stage", "entrant")
        .order_by("stage__order", "-place", "-entrant__number")
    )


def _revealed(result: Result) -> list:
    return [result.stage_id, entrant_key(result.entrant.number), result.place]


def board_freeze(*, actor, competition: Competition) -> Competition:
    """封榜: from now on results locked are shown to staff only until revealed."""
    grant = events.allowed(actor, competition, "contests.referee")
    with transaction.atomic():
        competition = events.locked(competition)
        if competition.frozen_at is not None:
            raise Conflict("直播榜已经封榜")
        now = timezone.now()
        Competition.objects.filter(pk=competition.pk).update(frozen_at=now)
        competition.frozen_at = now
        events.event(
            actor,
            competition,
            Action.CONTESTS_BOARD_FREEZE,
            changes={"frozen_at": [None, now.isoformat()]},
            post_id=grant.post_id,
        )
        events.board_changed(competition)
    return competition


def board_reveal_next(*, actor, competition: Competition) -> Result:
    """揭晓下一项: the next hidden result in order (the stages in order; within a stage from
    the last place up to the first) becomes public."""
    grant = events.allowed(actor, competition, "contests.referee")
    with transaction.atomic():
        competition = events.locked(competition)
        if competition.frozen_at is None:
            raise Conflict("直播榜未封榜，成绩锁定即公布，没有待揭晓的成绩")
        result = _hidden(competition).first()
        if result is None:
            raise Conflict("没有待揭晓的成绩，可以解除封榜")
        now = timezone.now()
        Result.objects.filter(pk=result.pk).update(revealed_at=now)
        result.revealed_at = now
        changes = {
            "stage": [None, result.stage_id],
            "entrant": [None, entrant_key(result.entrant.number)],
            "revealed_at": [None, now.isoformat()],
        }
        if not _hidden(competition).filter(stage_id=result.stage_id).exists():
            # The stage's last hidden result: its results are public from now on.
            Stage.objects.filter(pk=result.stage_id).update(results_at=now)
            result.stage.results_at = now
            changes["results_at"] = [None, now.isoformat()]
        events.event(
            actor,
            competition,
            Action.CONTESTS_BOARD_REVEAL,
            obj=result,
            changes=changes,
            post_id=grant.post_id,
        )
        events.board_changed(competition)
    return result


def board_unfreeze(*, actor, competition: Competition) -> list[Result]:
    """解除封榜: every result still hidden is revealed, in the reveal order (each a
    microsecond after the one before, so the order stays on record), and the board shows
    results as they are locked again."""
    grant = events.allowed(actor, competition, "contests.referee")
    with transaction.atomic():
        competition = events.locked(competition)
        if competition.frozen_at is None:
            raise Conflict("直播榜未封榜")
        now = timezone.now()
        hidden = list(_hidden(competition))
        public_at = {}  # stage -> when its last hidden result was revealed
        for i, result in enumerate(hidden):
            result.revealed_at = now + timedelta(microseconds=i)
            public_at[result.stage_id] = result.revealed_at
        Result.objects.bulk_update(hidden, ["revealed_at"])
        for stage_id, at in public_at.items():
            Stage.objects.filter(pk=stage_id).update(results_at=at)
        frozen_at = competition.frozen_at
        Competition.objects.filter(pk=competition.pk).update(frozen_at=None)
        competition.frozen_at = None
        events.event(
            actor,
            competition,
            Action.CONTESTS_BOARD_UNFREEZE,
            changes={
                "frozen_at": [frozen_at.isoformat(), None],
                "revealed": [None, [_revealed(r) for r in hidden]],
                "results_at": [
                    None,
                    {str(stage): at.isoformat() for stage, at in public_at.items()},
                ],
            },
            post_id=grant.post_id,
        )
        events.board_changed(competition)
    return hidden
