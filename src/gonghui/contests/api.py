"""Contests over JSON (mounted at /api/v1/contests): each feature's router."""

from ninja import Router

router = Router(tags=["工匠选树与技能竞赛"])
# setup
#
# entry
#
from gonghui.contests.entry.api import router as entry_router  # noqa: E402

router.add_router("", entry_router)
# judging
#
# results
#
# jury & appeals
#
# board
#
# notary
#
