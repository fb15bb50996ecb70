"""题库与现场答题: every write. The bank's questions (checked by kind: a single choice has at
least two options and exactly one right; a multiple choice at least three and one or more
right; true/false the fixed 正确/错误), a quiz made for a session (its questions COPIED into
its paper), opened (the server sets opened_at and closes_at = now + the limit), closed
(its submissions sealed into the audit chain: one ``training.quiz.seal`` event), and the
Excel exports. The members' answers are written by ``answers.submit`` (the hot path)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import PLATFORM, record, seal
from gonghui.common import sheets
from gonghui.common.errors import Conflict, ValidationFailed
from gonghui.common.forms import clean_text
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.training.models import Question, Quiz, QuizItem, Session, Submission
from gonghui.training.quizzes import answers, selectors
from gonghui.training.quizzes.scoring import TRUE_FALSE_OPTIONS

MANAGE = "training.manage"
MIN_TIME_LIMIT, MAX_TIME_LIMIT = 10, 3 * 60 * 60
MAX_OPTIONS = 8
MAX_ITEMS = 50


def _question_fields(*, kind, text, options, answer, explanation, topic) -> dict:
    errors: dict[str, str] = {}
    if kind not in Question.Kind.values:
        errors["kind"] = "请选择题型"
    text = clean_text(text, "text", "题干", 1000, errors)
    explanation = clean_text(explanation, "explanation", "解析", 2000, errors, required=False)
    topic = clean_text(topic, "topic", "知识点", 60, errors, required=False)
    if kind == Question.Kind.TRUE_FALSE:
        options = list(TRUE_FALSE_OPTIONS)
    else:
        options = [str(o).strip() for o in (options or []) if str(o).strip()]
        least = 3 if kind == Question.Kind.MULTIPLE else 2
        if len(options) < least:
            errors["options"] = (
                f"{Question.Kind(kind).label if kind in Question.Kind.values else '此题型'}至少需要 {least} 个选项"
            )
        elif len(options) > MAX_OPTIONS:
            errors["options"] = f"选项不能超过 {MAX_OPTIONS} 个"
        elif any(len(o) > 200 for o in options):
            errors["options"] = "每个选项不能超过 200 个字"
        elif len(set(options)) != len(options):
            errors["options"] = "选项不能重复"
    try:
        answer = sorted({int(a) for a in (answer or [])})
    except (TypeError, ValueError):
        answer = None
    if "options" not in errors and kind in Question.Kind.values:
        if not answer or answer[0] < 0 or answer[-1] >= len(options):
            errors["answer"] = "请选择正确答案（须为已填写的选项）"
        elif kind != Question.Kind.MULTIPLE and len(answer) != 1:
            errors["answer"] = "单选题和判断题只能有一个正确答案"
    if errors:
        raise ValidationFailed(errors)
    return {
        "kind": kind,
        "text": text,
        "options": options,
        "answer": answer,
        "explanation": explanation,
        "topic": topic,
    }


def question_create(
    *,
    actor,
    org_unit: OrgUnit,
    kind: str,
    text: str,
    options: list[str] | None = None,
    answer: list[int] | None = None,
    explanation: str = "",
    topic: str = "",
) -> Question:
    """A question of ``org_unit``'s bank."""
    grant = access.require_at(actor, MANAGE, org_unit)
    fields = _question_fields(
        kind=kind, text=text, options=options, answer=answer, explanation=explanation, topic=topic
    )
    with transaction.atomic():
        question = Question.objects.create(org_unit=org_unit, created_by=actor, **fields)
        record(
            actor=actor,
            action=Action.TRAINING_QUESTION_CREATE,
            obj=question,
            changes={k: [None, v] for k, v in fields.items()},
            post_id=grant.post_id,
        )
    return question


def question_update(
    *,
    actor,
    question: Question,
    kind: str,
    text: str,
    options: list[str] | None = None,
    answer: list[int] | None = None,
    explanation: str = "",
    topic: str = "",
    active: bool = True,
) -> Question:
    """Edit a question of the bank (quizzes already made keep their copy)."""
    grant = access.require_at(actor, MANAGE, question.org_unit)
    fields = _question_fields(
        kind=kind, text=text, options=options, answer=answer, explanation=explanation, topic=topic
    )
    fields["active"] = bool(active)
    with transaction.atomic():
        locked = Question.objects.select_for_update().get(pk=question.pk)
        changes = {k: [getattr(locked, k), v] for k, v in fields.items() if getattr(locked, k) != v}
        if changes:
            Question.objects.filter(pk=locked.pk).update(**fields)
            record(
                actor=actor,
                action=Action.TRAINING_QUESTION_UPDATE,
                obj=locked,
                changes=changes,
                post_id=grant.post_id,
            )
    question.refresh_from_db()
    return question


def question_deactivate(*, actor, question: Question) -> Question:
    """Take a question out of use (停用): no new quiz picks it; quizzes made keep their copy."""
    grant = access.require_at(actor, MANAGE, question.org_unit)
    with transaction.atomic():
        if Question.objects.filter(pk=question.pk, active=True).update(active=False) != 1:
            raise Conflict("该试题已停用")
        record(
            actor=actor,
            action=Action.TRAINING_QUESTION_DEACTIVATE,
            obj=question,
            changes={"active": [True, False]},
            post_id=grant.post_id,
        )
    question.active = False
    return question


def questions_export(*, actor, rows) -> bytes:
    """The bank (``rows``: the viewer's filtered list) as Excel, recorded."""
    grant = access.home_grant(actor, "training.view")
    book, ws = sheets.write_only_book(
        "题库", ["编号", "题型", "题干", "选项", "正确答案", "解析", "知识点", "所属工会", "状态"]
    )
    n = 0
    for question in rows:
        letters = "".join(chr(65 + i) for i in question.answer)
        options = "\n".join(f"{chr(65 + i)}. {o}" for i, o in enumerate(question.options))
        sheets.append(
            ws,
            [
                question.pk,
                question.get_kind_display(),
                question.text,
                options,
                letters,
                question.explanation,
                question.topic,
                question.org_unit.name,
                "启用" if question.active else "停用",
            ],
        )
        n += 1
    record(
        actor=actor,
        action=Action.TRAINING_QUESTIONS_EXPORT,
        object_type="training.question",
        changes={"rows": [None, n]},
        org_unit_id=grant.unit_id if grant else None,
        post_id=grant.post_id if grant else None,
    )
    return sheets.book_bytes(book)


# --- Quizzes -------------------------------------------------------------------------------


def quiz_create(
    *,
    actor,
    session: Session,
    title: str,
    questions: list[Question],
    time_limit: int = 300,
    attendees_only: bool = True,
    points: int = 10,
) -> Quiz:
    """A quiz for ``session``: the chosen questions copied into its paper, in order."""
    grant = access.require_at(actor, MANAGE, session.org_unit)
    errors: dict[str, str] = {}
    title = clean_text(title, "title", "名称", 120, errors)
    if (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int)
        or not (MIN_TIME_LIMIT <= time_limit <= MAX_TIME_LIMIT)
    ):
        errors["time_limit"] = f"答题时限应为 {MIN_TIME_LIMIT}–{MAX_TIME_LIMIT} 秒"
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= 100:
        errors["points"] = "每题分值应为 1–100 的整数"
    chosen = list(dict.fromkeys(questions or []))
    bank = {q.pk for q in selectors.bank_for(actor).filter(pk__in=[q.pk for q in chosen])}
    if not chosen:
        errors["questions"] = "请至少选择一道试题"
    elif len(chosen) > MAX_ITEMS:
        errors["questions"] = f"一次答题最多 {MAX_ITEMS} 道题"
    elif any(q.pk not in bank for q in chosen):
        errors["questions"] = "所选试题不在您管理的题库中或已停用"
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        quiz = Quiz.objects.create(
            session=session,
            org_unit=session.org_unit,
            title=title,
            time_limit=time_limit,
            attendees_only=bool(attendees_only),
            created_by=actor,
        )
        QuizItem.objects.bulk_create(
            QuizItem(
                quiz=quiz,
                position=n,
                question=q,
                kind=q.kind,
                text=q.text,
                options=q.options,
                answer=q.answer,
                explanation=q.explanation,
                points=points,
            )
            for n, q in enumerate(chosen, start=1)
        )
        record(
            actor=actor,
            action=Action.TRAINING_QUIZ_CREATE,
            obj=quiz,
            changes={
                "session": [None, session.pk],
                "title": [None, title],
                "questions": [None, [q.pk for q in chosen]],
                "time_limit": [None, time_limit],
                "attendees_only": [None, bool(attendees_only)],
                "points": [None, points],
            },
            post_id=grant.post_id,
        )
    return quiz


def quiz_open(*, actor, quiz: Quiz) -> Quiz:
    """Open the quiz now: the server sets opened_at and closes_at = now + the time limit."""
    grant = access.require_at(actor, MANAGE, quiz.org_unit)
    now = timezone.now()
    closes_at = now + timedelta(seconds=quiz.time_limit)
    with transaction.atomic():
        opened = Quiz.objects.filter(pk=quiz.pk, status=Quiz.Status.DRAFT).update(
            status=Quiz.Status.OPEN, opened_at=now, closes_at=closes_at
        )
        if opened != 1:
            raise Conflict("该答题已开始或已结束，不能再次开始")
        record(
            actor=actor,
            action=Action.TRAINING_QUIZ_OPEN,
            obj=quiz,
            changes={
                "status": [Quiz.Status.DRAFT, Quiz.Status.OPEN],
                "opened_at": [None, now.isoformat()],
                "closes_at": [None, closes_at.isoformat()],
            },
            post_id=grant.post_id,
        )
    answers.forget(quiz.pk)
    quiz.refresh_from_db()
    return quiz


def seal_rows(rows) -> list[dict]:
    """What a submission's seal covers: who, what they answered, the score, when — every
    fact of the row (``rows``: submissions as ``values()``, in id order)."""
    return [
        {
            "id": s["id"],
            "person": s["person_id"],
            "answers": s["answers"],
            "score": s["score"],
            "submitted_at": s["submitted_at"].isoformat(),
            "elapsed_ms": s["elapsed_ms"],
        }
        for s in rows
    ]


def quiz_close(*, actor, quiz: Quiz) -> Quiz:
    """Close the quiz (no answer is taken after this, nor after closes_at anyway) and seal
    its submissions: one ``training.quiz.seal`` event (count, id range, digest) in the
    audit chain; a quiz closed with no submission records its closing. Closing a closed
    quiz changes nothing and records nothing."""
    grant = access.require_at(actor, MANAGE, quiz.org_unit)
    with transaction.atomic():
        locked = Quiz.objects.select_for_update().get(pk=quiz.pk)
        if locked.status == Quiz.Status.DRAFT:
            raise Conflict("该答题尚未开始")
        _close(locked, actor=actor, post_id=grant.post_id)
    answers.forget(quiz.pk)
    quiz.refresh_from_db()
    return quiz


def quizzes_close_due(*, grace_seconds: int = 5) -> int:
    """Close every open quiz whose time ran out more than ``grace_seconds`` ago, sealing its
    submissions as ``quiz_close`` does (by the platform, no acting user): the worker's
    schedule runs this each minute, so a quiz nobody closed is sealed all the same. How
    many it closed."""
    due = Quiz.objects.filter(
        status=Quiz.Status.OPEN, closes_at__lt=timezone.now() - timedelta(seconds=grace_seconds)
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(due):
        with transaction.atomic():
            locked = Quiz.objects.select_for_update().get(pk=pk)
            if locked.status == Quiz.Status.OPEN:
                _close(locked, actor=None, post_id=None)
                closed += 1
        answers.forget(pk)
    return closed


def _close(locked: Quiz, *, actor, post_id) -> None:
    """Inside the caller's transaction, ``locked`` held: closed and its submissions sealed
    (nothing when it is closed already)."""
    if locked.status == Quiz.Status.CLOSED:
        return
    Quiz.objects.filter(pk=locked.pk).update(status=Quiz.Status.CLOSED, closed_at=timezone.now())
    rows = seal_rows(
        Submission.objects.filter(quiz_id=locked.pk)
        .order_by("id")
        .values("id", "person_id", "answers", "score", "submitted_at", "elapsed_ms")
    )
    if rows:
        seal(stream=PLATFORM, kind="training.quiz", rows=rows, actor=actor)
        Submission.objects.filter(quiz_id=locked.pk).update(sealed=True)
    else:
        record(
            actor=actor,
            action=Action.TRAINING_QUIZ_CLOSE,
            obj=locked,
            changes={"status": [locked.status, Quiz.Status.CLOSED]},
            post_id=post_id,
        )


def results_export(*, actor, quiz: Quiz) -> bytes:
    """The quiz's results as Excel: one sheet per person, one per question; recorded."""
    grant = access.require_at(actor, "training.view", quiz.org_unit)
    book = sheets.empty_book()
    ws = sheets.add_sheet(
        book,
        "成绩",
        ["名次", "姓名", "所属工会", "工作单位", "得分", "满分", "用时（秒）", "提交时间"],
    )
    figures = selectors.summary(quiz)
    n = 0
    for n, s in enumerate(selectors.results(quiz), start=1):
        sheets.append(
            ws,
            [
                n,
                s.person.name,
                s.person.org_unit.name if s.person.org_unit_id else "",
                s.person.employer.name if s.person.employer_id else "",
                sheets.Number(s.score),
                sheets.Number(figures["total"]),
                sheets.Number(round(s.elapsed_ms / 1000, 1), "0.0"),
                timezone.localtime(s.submitted_at).strftime("%Y-%m-%d %H:%M:%S"),
            ],
        )
    per_question = sheets.add_sheet(book, "各题", ["题号", "题型", "题干", "答对人数", "正确率"])
    for q in figures["questions"]:
        sheets.append(
            per_question,
            [
                sheets.Number(q["item"].position),
                q["item"].get_kind_display(),
                q["item"].text,
                sheets.Number(q["right"]),
                sheets.Number(None if q["rate"] is None else q["rate"] / 100, "0.0%"),
            ],
        )
    record(
        actor=actor,
        action=Action.TRAINING_QUIZ_EXPORT,
        obj=quiz,
        changes={"rows": [None, n]},
        post_id=grant.post_id,
    )
    return sheets.book_bytes(book)
