"""题库与现场答题: pages. Staff: the bank, quizzes, a quiz (open / close), its QR page, the
lecturer's live screen (updated by the stream server, ``board.py``; polling its JSON
without one) and its results with their Excel export. Members: the answer page on a phone.
Thin: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from gonghui.common.live import stream_origin
from gonghui.common.pagination import request_page
from gonghui.common.qr import qr_svg
from gonghui.common.views import domain_errors, download, form_page, post_action
from gonghui.orgs import access
from gonghui.people.selectors import member_person
from gonghui.perks import passes
from gonghui.training.models import Question, Quiz
from gonghui.training.quizzes import board, forms, selectors, services

VIEW, MANAGE = "training.view", "training.manage"


def _quiz_url(quiz) -> str:
    return reverse("training:quiz", args=[quiz.pk])


# --- The bank -------------------------------------------------------------------------------


def _question_filters(request) -> dict:
    kind = request.GET.get("kind", "")
    active = request.GET.get("active", "")
    return {
        "q": request.GET.get("q", "").strip()[:60],
        "kind": kind if kind in Question.Kind.values else "",
        "topic": request.GET.get("topic", "").strip()[:60],
        "active": active if active in ("1", "0") else "",
    }


@login_required
@domain_errors
def questions(request):
    access.require(request.user, VIEW)
    filters = _question_filters(request)
    rows = selectors.question_list(request.user, **filters, sort=request.GET.get("sort", ""))
    if request.GET.get("format") == "xlsx":
        return download(services.questions_export(actor=request.user, rows=rows), "题库.xlsx")
    return render(
        request,
        "training/quizzes/questions.html",
        {
            "page": request_page(request, rows),
            **filters,
            "kinds": Question.Kind.choices,
            "topics": selectors.question_topics(request.user),
            "may_manage": access.can(request.user, MANAGE),
        },
    )


@login_required
@domain_errors
def question_create(request):
    access.require(request.user, MANAGE)
    return form_page(
        request,
        forms.QuestionForm(request.POST or None, actor=request.user),
        lambda data: services.question_create(actor=request.user, **data),
        "training/quizzes/question_form.html",
        {"creating": True},
        after=lambda q: reverse("training:questions"),
        done=lambda q: "已加入题库",
    )


@login_required
@domain_errors
def question_edit(request, pk):
    access.require(request.user, MANAGE)
    question = selectors.question_get(request.user, pk, MANAGE)
    initial = {
        "kind": question.kind,
        "text": question.text,
        "options": "\n".join(question.options),
        "answer": forms.answer_letters(question.answer),
        "explanation": question.explanation,
        "topic": question.topic,
        "active": question.active,
    }
    return form_page(
        request,
        forms.QuestionForm(request.POST or None, actor=request.user, editing=True, initial=initial),
        lambda data: services.question_update(actor=request.user, question=question, **data),
        "training/quizzes/question_form.html",
        {"question": question},
        after=lambda q: reverse("training:questions"),
        done=lambda q: "已保存试题（已组卷的答题不受影响）",
    )


@login_required
@require_POST
@domain_errors
def question_deactivate(request, pk):
    access.require(request.user, MANAGE)
    question = selectors.question_get(request.user, pk, MANAGE)
    return post_action(
        request,
        None,
        lambda data: services.question_deactivate(actor=request.user, question=question),
        lambda q: "已停用该试题",
        reverse("training:questions"),
    )


# --- Quizzes --------------------------------------------------------------------------------


@login_required
@domain_errors
def quizzes(request):
    access.require(request.user, VIEW)
    status = request.GET.get("status", "")
    status = status if status in Quiz.Status.values else ""
    q = request.GET.get("q", "").strip()[:60]
    rows = selectors.quiz_list(request.user, q=q, status=status, sort=request.GET.get("sort", ""))
    return render(
        request,
        "training/quizzes/quizzes.html",
        {
            "page": request_page(request, rows),
            "q": q,
            "status": status,
            "statuses": Quiz.Status.choices,
            "may_manage": access.can(request.user, MANAGE),
        },
    )


@login_required
@domain_errors
def quiz_create(request):
    access.require(request.user, MANAGE)
    initial = {"time_limit": 300, "points": 10, "attendees_only": True}
    if request.GET.get("session", "").isdigit():
        initial["session"] = int(request.GET["session"])
    return form_page(
        request,
        forms.QuizForm(request.POST or None, actor=request.user, initial=initial),
        lambda data: services.quiz_create(
            actor=request.user, **data | {"questions": _in_order(request, data["questions"])}
        ),
        "training/quizzes/quiz_form.html",
        {},
        after=_quiz_url,
        done=lambda quiz: f"已创建“{quiz.title}”，共 {quiz.items.count()} 题",
    )


def _in_order(request, chosen) -> list:
    """The questions in the order they were ticked (the page lists the bank in order)."""
    order = {pk: n for n, pk in enumerate(request.POST.getlist("questions"))}
    return sorted(chosen, key=lambda q: order.get(str(q.pk), 0))


@login_required
@domain_errors
def quiz(request, pk):
    access.require(request.user, VIEW)
    found = selectors.quiz_get(request.user, pk)
    return render(
        request,
        "training/quizzes/quiz.html",
        {
            "quiz": found,
            "items": selectors.items_of(found),
            "over": selectors.is_over(found),
            "answered": found.submissions.count(),
            "may_manage": selectors.may_manage(request.user, found),
        },
    )


@login_required
@require_POST
@domain_errors
def quiz_open(request, pk):
    access.require(request.user, MANAGE)
    found = selectors.quiz_get(request.user, pk, MANAGE)
    return post_action(
        request,
        None,
        lambda data: services.quiz_open(actor=request.user, quiz=found),
        lambda q: f"答题已开始，{q.time_limit} 秒后截止",
        _quiz_url(found),
    )


@login_required
@require_POST
@domain_errors
def quiz_close(request, pk):
    access.require(request.user, MANAGE)
    found = selectors.quiz_get(request.user, pk, MANAGE)
    return post_action(
        request,
        None,
        lambda data: services.quiz_close(actor=request.user, quiz=found),
        lambda q: "答题已结束，答题记录已封存",
        _quiz_url(found),
    )


def _answer_url(request, quiz) -> str:
    return request.build_absolute_uri(reverse("training:quiz_answer", args=[quiz.pk]))


@login_required
@domain_errors
def quiz_qr(request, pk):
    access.require(request.user, VIEW)
    found = selectors.quiz_get(request.user, pk)
    url = _answer_url(request, found)
    return render(
        request, "training/quizzes/quiz_qr.html", {"quiz": found, "url": url, "qr": qr_svg(url)}
    )


@login_required
@domain_errors
def quiz_screen(request, pk):
    """The lecturer's live screen. For a viewer who manages the quiz's union the stream's URL
    carries a token bound to this quiz (good for its time limit and an hour); others'
    screens poll the frame's JSON (their own login and scope)."""
    access.require(request.user, VIEW)
    found = selectors.quiz_get(request.user, pk)
    frame = board.BOARD.frame(found.pk)
    token = (
        board.screen_token(found.pk, found.time_limit)
        if selectors.may_manage(request.user, found)
        else ""
    )
    origin = stream_origin(request) if token else ""
    response = render(
        request,
        "training/quizzes/quiz_screen.html",
        {
            "quiz": found,
            "frame": frame,
            "stream_url": f"{origin}/live/quiz/{found.pk}/events",
            "token": token,
            "now_ms": int(timezone.now().timestamp() * 1000),
            "qr": qr_svg(_answer_url(request, found)),
        },
    )
    if origin:  # the stream lives at another origin: the page may connect to it
        response._csp_update = response._csp_update_ro = {"connect-src": ["'self'", origin]}
    return response


@login_required
@domain_errors
def quiz_frame(request, pk):
    """The screen's frame as JSON: what the screen polls when no stream reaches it."""
    access.require(request.user, VIEW)
    found = selectors.quiz_get(request.user, pk)
    return JsonResponse(board.BOARD.frame(found.pk), json_dumps_params={"ensure_ascii": False})


@login_required
@domain_errors
def quiz_results(request, pk):
    access.require(request.user, VIEW)
    found = selectors.quiz_get(request.user, pk)
    if request.GET.get("format") == "xlsx":
        content = services.results_export(actor=request.user, quiz=found)
        return download(content, f"{found.title}-成绩.xlsx")
    return render(
        request,
        "training/quizzes/quiz_results.html",
        {
            "quiz": found,
            "summary": selectors.summary(found),
            "page": request_page(
                request, selectors.results(found, sort=request.GET.get("sort", ""))
            ),
        },
    )


# --- Members --------------------------------------------------------------------------------


@login_required
def quiz_answer(request, pk):
    """A member's answer page (opened by the room's QR code), for a quiz of a session whose
    audience they belong to or that they attended (404 otherwise): not started yet (nothing
    more: no title, no course), the questions with the countdown, or their choices and
    score; the right options and the explanations once the quiz is over."""
    person = member_person(request.user)
    found = selectors.member_quiz(pk, person) if person is not None else None
    if found is None:
        raise Http404("没有这项答题")
    if found.status == Quiz.Status.DRAFT:
        return render(request, "training/quizzes/answer.html", {"quiz": found, "draft": True})
    submission = selectors.member_submission(found.pk, person.pk)
    items = selectors.items_of(found)
    attended = not found.attendees_only or selectors.attended(found, person.pk)
    over = selectors.is_over(found)
    context = {
        "quiz": found,
        "person": person,
        "submission": submission,
        "items": items,
        "attended": attended,
        "over": over,
        "total": sum(i.points for i in items),
        "now_ms": int(timezone.now().timestamp() * 1000),
    }
    if submission is not None:
        context["paper"] = selectors.member_paper(items, submission, over)
        if not over:  # the page reloads itself when the time is up, to show the key
            context["closes_ms"] = int(found.closes_at.timestamp() * 1000)
    elif found.status == Quiz.Status.OPEN and attended and not over:
        context |= {
            "pass": passes.issue(person.pk),
            "pass_header": passes.HEADER,
            "answer_api": f"/api/v1/training/quizzes/{found.pk}/answer",
            "closes_ms": int(found.closes_at.timestamp() * 1000),
        }
    return render(request, "training/quizzes/answer.html", context)
