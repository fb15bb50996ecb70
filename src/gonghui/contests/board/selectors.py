"""Reads of the live board. The public board is the latest snapshot's public half, through
the caches (``snapshots.recall``): a warm view makes no query. The true board (staff) is
the same snapshot's staff half, behind the competition's scope check."""

from __future__ import annotations

from dataclasses import dataclass

from gonghui.common.errors import NotFound
from gonghui.contests import events
from gonghui.contests.board import snapshots
from gonghui.contests.board.snapshots import Snapshot
from gonghui.contests.models import Competition
from gonghui.orgs import access


def public_board(*, pk: int) -> Snapshot:
    """The competition's public board (anyone, no login); NotFound if there is none."""
    snapshot = snapshots.recall(pk)  # None for an id no competition can have
    if snapshot is None or not snapshot.public.get("published", True):
        raise NotFound()  # none, or still in preparation
    return snapshot


def _competition(pk: int, *related: str) -> Competition:
    """The competition (NotFound for none, and for an id no competition can have)."""
    if not snapshots.valid_id(pk):
        raise NotFound()
    competition = Competition.objects.select_related(*related).filter(pk=pk).first()
    if competition is None:
        raise NotFound()
    return competition


@dataclass(frozen=True)
class StaffBoard:
    competition: Competition
    snapshot: Snapshot
    may_referee: bool  # freeze, reveal, unfreeze


def staff_board(*, actor, pk: int) -> StaffBoard:
    """The true board of a competition the actor may view (``contests.view`` at its
    organiser); NotFound to anyone else."""
    competition = _competition(pk, "org_unit", "programme", "trade")
    events.allowed(actor, competition, "contests.view")
    snapshot = snapshots.recall(pk)
    if snapshot is None:  # deleted in between
        raise NotFound()
    return StaffBoard(
        competition=competition,
        snapshot=snapshot,
        may_referee=access.can_at(actor, "contests.referee", competition.org_unit),
    )


def competition_for_referee(*, actor, pk: int) -> Competition:
    """The competition a freeze, reveal or unfreeze acts on: NotFound to whoever cannot
    view it (the service then checks ``contests.referee``)."""
    competition = _competition(pk, "org_unit")
    events.allowed(actor, competition, "contests.view")
    return competition
