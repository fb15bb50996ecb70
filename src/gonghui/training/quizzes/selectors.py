"""题库与现场答题: reads, each limited to the viewer's scope (``orgs.access``): the bank of the
nodes a viewer sees, the quizzes of their sessions, a quiz's results."""

from __future__ import annotations

from django.db.models import Avg, Count, Max, Q, QuerySet
from django.utils import timezone

from gonghui.orgs import access
from gonghui.people.models import Person
from gonghui.training.courses.selectors import covers, member_union
from gonghui.training.models import Attendance, Question, Quiz, QuizItem, Session, Submission

VIEW, MANAGE = "training.view", "training.manage"

QUESTION_SORTS = {
    "kind": ("kind", "-id"),
    "-kind": ("-kind", "-id"),
    "topic": ("topic", "-id"),
    "-topic": ("-topic", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
QUIZ_SORTS = {
    "title": ("title", "-id"),
    "-title": ("-title", "-id"),
    "opened": ("opened_at", "id"),
    "-opened": ("-opened_at", "-id"),
    "status": ("status", "-id"),
    "-status": ("-status", "-id"),
}
RESULT_SORTS = {
    "score": ("score", "elapsed_ms", "id"),
    "-score": ("-score", "elapsed_ms", "id"),
    "elapsed": ("elapsed_ms", "id"),
    "-elapsed": ("-elapsed_ms", "id"),
    "name": ("person__name", "id"),
    "-name": ("-person__name", "-id"),
}


def question_list(
    actor, *, q: str = "", kind: str = "", topic: str = "", active: str = "", sort: str = ""
) -> QuerySet:
    qs = access.restrict(Question.objects.select_related("org_unit"), actor, VIEW)
    if q:
        qs = qs.filter(text__icontains=q)
    if kind:
        qs = qs.filter(kind=kind)
    if topic:
        qs = qs.filter(topic=topic)
    if active in ("1", "0"):
        qs = qs.filter(active=active == "1")
    return qs.order_by(*QUESTION_SORTS.get(sort, ("-created_at", "-id")))


def question_topics(actor) -> list[str]:
    qs = access.restrict(Question.objects.exclude(topic=""), actor, VIEW)
    return list(qs.order_by("topic").values_list("topic", flat=True).distinct())


def question_get(actor, pk, perm: str = VIEW) -> Question:
    return access.get_or_404(Question.objects.select_related("org_unit"), actor, perm, pk=pk)


def bank_for(actor) -> QuerySet:
    """The active questions a quiz may be made of: the bank of the nodes the actor
    manages."""
    return access.restrict(Question.objects.filter(active=True), actor, MANAGE).order_by(
        "topic", "id"
    )


def quiz_list(actor, *, q: str = "", status: str = "", session=None, sort: str = "") -> QuerySet:
    qs = access.restrict(
        Quiz.objects.select_related("session__course", "org_unit").annotate(
            answered=Count("submissions")
        ),
        actor,
        VIEW,
    )
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(session__course__name__icontains=q))
    if status:
        qs = qs.filter(status=status)
    if session:
        qs = qs.filter(session_id=session)
    return qs.order_by(*QUIZ_SORTS.get(sort, ("-created_at", "-id")))


def quiz_get(actor, pk, perm: str = VIEW) -> Quiz:
    return access.get_or_404(
        Quiz.objects.select_related("session__course", "org_unit"), actor, perm, pk=pk
    )


def may_manage(actor, obj) -> bool:
    return access.can_at(actor, MANAGE, obj.org_unit)


def sessions_for(actor) -> QuerySet:
    """Sessions a quiz may be made for: those of the nodes the actor manages, newest first."""
    return access.restrict(
        Session.objects.select_related("course").filter(status=Session.Status.SCHEDULED),
        actor,
        MANAGE,
    ).order_by("-starts_at", "-id")


def items_of(quiz: Quiz) -> list[QuizItem]:
    return list(quiz.items.order_by("position"))


def is_over(quiz: Quiz, now=None) -> bool:
    """Closed, or open past its closes_at (answers are refused by the server's clock)."""
    now = now or timezone.now()
    return quiz.status == Quiz.Status.CLOSED or (
        quiz.status == Quiz.Status.OPEN and quiz.closes_at is not None and now > quiz.closes_at
    )


def results(quiz: Quiz, *, sort: str = "") -> QuerySet:
    """The quiz's submissions with who answered (the caller has checked the quiz's scope)."""
    return quiz.submissions.select_related("person__org_unit", "person__employer").order_by(
        *RESULT_SORTS.get(sort, ("-score", "elapsed_ms", "id"))
    )


def summary(quiz: Quiz) -> dict:
    """Per session: attendees, answered, average, best, and per question the correct rate."""
    figures = quiz.submissions.aggregate(n=Count("id"), avg=Avg("score"), best=Max("score"))
    attendees = (
        Attendance.objects.filter(session_id=quiz.session_id).count() if quiz.session_id else 0
    )
    items = items_of(quiz)
    right = dict.fromkeys((i.position for i in items), 0)
    for correct in quiz.submissions.values_list("correct", flat=True):
        for position in correct:
            if position in right:
                right[position] += 1
    n = figures["n"]
    return {
        "attendees": attendees,
        "answered": n,
        "average": round(figures["avg"], 1) if figures["avg"] is not None else None,
        "best": figures["best"],
        "total": sum(i.points for i in items),
        "questions": [
            {
                "item": i,
                "right": right[i.position],
                "rate": round(100 * right[i.position] / n, 1) if n else None,
            }
            for i in items
        ],
    }


def member_submission(quiz_id: int, person_id: int) -> Submission | None:
    return Submission.objects.filter(quiz_id=quiz_id, person_id=person_id).first()


def member_quiz(pk: int, person: Person) -> Quiz | None:
    """A quiz a member opens by its QR code, if it is theirs to answer: its session's
    audience covers the member (``courses.selectors.covers``), or they attended the session
    (the two rules of the answer path, ``answers._IN_AUDIENCE`` / ``_ATTENDED``); drafts too,
    so the page can say it has not started. None for any other quiz (absent alike)."""
    found = (
        Quiz.objects.select_related("session__course", "session__audience").filter(pk=pk).first()
    )
    if found is None or found.session is None:
        return None
    if covers(found.session, member_union(person)) or attended(found, person.pk):
        return found
    return None


def attended(quiz: Quiz, person_id: int) -> bool:
    return Attendance.objects.filter(session_id=quiz.session_id, person_id=person_id).exists()


def member_paper(items: list[QuizItem], submission: Submission, over: bool) -> list[dict]:
    """What the member sees of their submitted paper: per question the options and which
    they chose; the right options, whether they were right and the explanation only once
    the quiz is over (``over``: others in the room are answering until then)."""
    chosen = {int(k): set(v) for k, v in submission.answers.items()}
    return [
        {
            "item": item,
            "options": [
                {
                    "label": label,
                    "picked": n in chosen.get(item.position, ()),
                    "right": over and n in item.answer,
                }
                for n, label in enumerate(item.options)
            ],
            "right": item.position in submission.correct if over else None,
            "explanation": item.explanation if over else "",
        }
        for item in items
    ]
