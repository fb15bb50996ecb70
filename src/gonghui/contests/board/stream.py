"""The contests' live board as the stream server carries it (``/live/<pk>/events``): which
snapshot is current and the latest versions, announced on ``CHANNEL``. The server itself
(one hub per board kind, one listener, the same bytes to every client) is
``gonghui.common.live``; ``gonghui.web.streams`` builds it. docs/live-board.md tells the
whole design."""

from __future__ import annotations

import re

from gonghui.common import live
from gonghui.common.live import Board

PATH = re.compile(r"^/live/(\d{1,12})/events/?$")
CHANNEL = "contests_board"  # services.CHANNEL (not imported: this module loads before Django)


# --- The database side (run in the hub's one thread) ---------------------------------------


def _load(competition_id: int) -> tuple[int, str] | None:
    """The competition's current public board: the latest snapshot, or before the first one
    the board as it stands (version 0); None if there is no such competition or it is still
    in preparation."""
    from gonghui.contests.board import snapshots

    row = snapshots.latest_public(competition_id)
    if row is None:
        initial = snapshots.initial(competition_id)
        row = (0, initial.public_json) if initial is not None else None
    return row if row is not None and snapshots.published(row[1]) else None


def _versions(competition_ids: list[int]) -> dict[int, int]:
    """The latest version of each competition (one query)."""
    from django.db.models import Max

    from gonghui.contests.models import BoardSnapshot

    return dict(
        BoardSnapshot.objects.filter(competition_id__in=competition_ids)
        .values("competition_id")
        .annotate(v=Max("version"))
        .values_list("competition_id", "v")
    )


# --- The board as the stream server carries it ---------------------------------------------


class ContestsBoard(Board):
    """A competition's public board: its snapshots' versions, announced on ``CHANNEL``."""

    name = "competitions"
    path = PATH
    channel = CHANNEL

    def load(self, board_id: int) -> tuple[int, str] | None:
        return _load(board_id)

    def versions(self, board_ids: list[int]) -> dict[int, int]:
        return _versions(board_ids)


BOARD = ContestsBoard()


class Hub(live.Hub):
    """The hub of the contests' live boards."""

    def __init__(self, source: str = "auto", poll_seconds: float = live.POLL_SECONDS):
        super().__init__(BOARD, source=source, poll_seconds=poll_seconds)
