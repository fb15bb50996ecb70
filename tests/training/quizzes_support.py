"""What the quiz tests share: a small bank, a quiz for the 工匠讲堂's session with its
attendees (Attendance rows made directly), and helpers to open it and answer."""

from __future__ import annotations

from gonghui.training.models import Attendance, Course
from gonghui.training.quizzes import answers, board, services
from tests.training.conftest import make_session


def bank(actor, unit):
    """Three questions: single (B right), multiple (A and C right), true/false (正确)."""
    return [
        services.question_create(
            actor=actor,
            org_unit=unit,
            kind="single",
            text="《中华人民共和国安全生产法》规定安全生产工作坚持什么方针？",
            options=["效益优先", "安全第一、预防为主、综合治理", "先生产后安全"],
            answer=[1],
            explanation="安全生产法第三条：安全第一、预防为主、综合治理。",
            topic="安全生产",
        ),
        services.question_create(
            actor=actor,
            org_unit=unit,
            kind="multiple",
            text="工匠精神包括哪些内涵？",
            options=["执着专注", "投机取巧", "精益求精", "敷衍了事"],
            answer=[0, 2],
            explanation="执着专注、精益求精、一丝不苟、追求卓越。",
            topic="工匠精神",
        ),
        services.question_create(
            actor=actor,
            org_unit=unit,
            kind="true_false",
            text="工会会员有权对工会工作提出批评和建议。",
            answer=[0],
            topic="工会知识",
        ),
    ]


def quiz_for(actor, session, questions, **extra):
    return services.quiz_create(
        actor=actor, session=session, title="第1期课后答题", questions=questions, **extra
    )


def attend(session, *people):
    for person in people:
        Attendance.objects.create(session=session, person=person, method="staff")


def haidian_session(tree, users):
    course = Course.objects.create(
        name="海淀讲堂", org_unit=tree.haidian, status="published", created_by=users.hd
    )
    return make_session(course)


RIGHT = {"1": [1], "2": [0, 2], "3": [0]}


def reset_caches():
    answers._ITEMS.clear()
    answers._STATE.clear()
    board.BOARD.tallies.clear()
