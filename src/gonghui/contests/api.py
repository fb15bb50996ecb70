"""Contests over JSON (mounted at /api/v1/contests): each feature's router."""

from ninja import Router

router = Router(tags=["工匠选树与技能竞赛"])
# setup
#
# entry
#
# judging
from gonghui.contests.judging.api import router as judging_router  # noqa: E402

router.add_router("", judging_router)
#
# results
#
# jury & appeals
#
# board
#
# notary
#
