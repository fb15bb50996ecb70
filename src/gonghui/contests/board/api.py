"""The live board over JSON (under /api/v1/contests): the public board (no login, the same
cached snapshot as /live/<pk>/board.json), the true board for staff, and the chief
referee's freeze, reveal-next and unfreeze."""

from __future__ import annotations

from ninja import Router, Schema

from gonghui.contests.board import selectors, services
from gonghui.contests.board.responses import snapshot_response
from gonghui.contests.records import entrant_key
from gonghui.orgs.auth import TokenAuth, session_auth

router = Router(tags=["工匠选树与技能竞赛·直播榜"])
staff = [TokenAuth(), session_auth]


@router.get("/competitions/{int:pk}/board", auth=None, summary="直播榜（公开；ETag 为版本号）")
def public_board(request, pk: int):
    snapshot = selectors.public_board(pk=pk)
    return snapshot_response(request, snapshot, snapshot.public_json, "no-cache")


@router.get(
    "/competitions/{int:pk}/board/staff", auth=staff, summary="真实榜单（含封榜后待揭晓的成绩）"
)
def staff_board(request, pk: int):
    page = selectors.staff_board(actor=request.user, pk=pk)
    return snapshot_response(request, page.snapshot, page.snapshot.staff_json, "private, no-cache")


class FrozenOut(Schema):
    competition: int
    frozen: bool
    revealed: list[dict]


def _revealed(result) -> dict:
    return {
        "stage": result.stage.name,
        "number": entrant_key(result.entrant.number),
        "place": result.place,
    }


@router.post("/competitions/{int:pk}/board/freeze", auth=staff, response=FrozenOut, summary="封榜")
def freeze(request, pk: int):
    competition = selectors.competition_for_referee(actor=request.user, pk=pk)
    services.board_freeze(actor=request.user, competition=competition)
    return {"competition": pk, "frozen": True, "revealed": []}


@router.post(
    "/competitions/{int:pk}/board/reveal",
    auth=staff,
    response=FrozenOut,
    summary="揭晓下一项成绩（按赛段顺序，每个赛段从最后一名到第一名）",
)
def reveal_next(request, pk: int):
    competition = selectors.competition_for_referee(actor=request.user, pk=pk)
    result = services.board_reveal_next(actor=request.user, competition=competition)
    return {"competition": pk, "frozen": True, "revealed": [_revealed(result)]}


@router.post(
    "/competitions/{int:pk}/board/unfreeze",
    auth=staff,
    response=FrozenOut,
    summary="解除封榜（依次揭晓其余成绩）",
)
def unfreeze(request, pk: int):
    competition = selectors.competition_for_referee(actor=request.user, pk=pk)
    revealed = services.board_unfreeze(actor=request.user, competition=competition)
    return {"competition": pk, "frozen": False, "revealed": [_revealed(r) for r in revealed]}
