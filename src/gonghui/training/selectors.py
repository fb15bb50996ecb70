"""The training home's figures: each part's count in the viewer's scope, read through that
part's own selectors, and what waits for the viewer (studio reports at a level they decide,
reception-day problems they must answer, salons awaiting their approval)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from gonghui.common import workdays
from gonghui.training.courses import selectors as courses
from gonghui.training.models import Salon, Session, StudioReport
from gonghui.training.outreach import selectors as outreach
from gonghui.training.quizzes import selectors as quizzes
from gonghui.training.salons import selectors as salons
from gonghui.training.studios import selectors as studios


@dataclass(frozen=True)
class Home:
    courses: int
    upcoming: int
    questions: int
    quizzes: int
    salons: int
    studios: int
    talks: int
    problems: list
    reports: list
    salons_to_decide: list


def home(actor) -> Home:
    now, year = timezone.now(), workdays.today().year
    course_qs = courses.course_list(actor)
    waiting = studios.report_list(actor=actor).filter(
        status__in=[StudioReport.Status.SUBMITTED, StudioReport.Status.DISTRICT_OK]
    )
    applied = salons.salon_list(actor=actor, status=Salon.Status.APPLIED)
    return Home(
        courses=course_qs.count(),
        upcoming=Session.objects.filter(
            course__in=course_qs, starts_at__gte=now, status=Session.Status.SCHEDULED
        ).count(),
        questions=quizzes.question_list(actor).count(),
        quizzes=quizzes.quiz_list(actor).count(),
        salons=salons.salon_list(actor=actor, year=year).count(),
        studios=studios.studio_list(actor=actor).count(),
        talks=outreach.talk_list(actor, year=year).count(),
        problems=outreach.problems_waiting(actor, limit=10),
        reports=[r for r in waiting[:50] if studios.may_review(actor, r)][:10],
        salons_to_decide=[s for s in applied[:50] if salons.may_decide(actor, s)][:10],
    )
