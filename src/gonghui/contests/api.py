"""Contests over JSON (mounted at /api/v1/contests): each feature's router."""

from ninja import Router

router = Router(tags=["工匠选树与技能竞赛"])
# setup
from gonghui.contests.setup.api import router as setup_router  # noqa: E402

router.add_router("", setup_router)
#
# entry
#
from gonghui.contests.entry.api import router as entry_router  # noqa: E402

router.add_router("", entry_router)
# judging
from gonghui.contests.judging.api import router as judging_router  # noqa: E402

router.add_router("", judging_router)
#
# results
#
from gonghui.contests.results.api import router as results_router  # noqa: E402

router.add_router("", results_router)
# jury & appeals
#
from gonghui.contests.appeals.api import router as appeals_router  # noqa: E402
from gonghui.contests.jury.api import router as jury_router  # noqa: E402

router.add_router("", jury_router)
router.add_router("", appeals_router)
# board
#
from gonghui.contests.board.api import router as board_router  # noqa: E402

router.add_router("", board_router)
# notary
from gonghui.contests.notary.api import router as notary_router  # noqa: E402

router.add_router("", notary_router)
#
