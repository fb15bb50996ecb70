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
from gonghui.contests.results.api import router as results_router  # noqa: E402

router.add_router("", results_router)
# jury & appeals
#
# board
#
# notary
#
