"""Contests over JSON (mounted at /api/v1/contests): each feature's router."""

from ninja import Router

router = Router(tags=["工匠选树与技能竞赛"])
# setup
#
# entry
#
# judging
#
# results
#
# jury & appeals
#
# board
#
from gonghui.contests.board.api import router as board_router  # noqa: E402

router.add_router("", board_router)
# notary
#
