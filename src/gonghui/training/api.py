"""Training over JSON (mounted at /api/v1/training): each feature's router."""

from ninja import Router

from gonghui.training.courses.api import router as courses_router
from gonghui.training.outreach.api import router as outreach_router
from gonghui.training.quizzes.api import router as quizzes_router
from gonghui.training.salons.api import router as salons_router
from gonghui.training.studios.api import router as studios_router

router = Router(tags=["职工素质建设"])
router.add_router("", courses_router)
router.add_router("", quizzes_router)
router.add_router("", salons_router)
router.add_router("", studios_router)
router.add_router("", outreach_router)
