"""Issue #19's browser flow: a member enrols on a phone, checks in by the venue screen's
rotating QR code (the URL the code encodes), and answers the quiz at the end of the session
while the lecturer's screen (another browser) counts the answer without a reload. (Served by
the test server alone, the screen follows the quiz by polling its frame each second;
``gonghui serve`` adds the stream server, tests/training/test_quizzes.py tests that path.)"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gonghui.training.models import Attendance, Course, Enrolment, Submission
from gonghui.training.quizzes.services import question_create, quiz_create, quiz_open
from tests.browser import desktop_context, in_thread, login, no_horizontal_scroll, phone_context
from tests.training.conftest import make_session


@pytest.fixture
def session_now(tree, users):
    """Chaoyang's 工匠讲堂, a session starting in half an hour (check-in is open from an hour
    before), its enrolment window still open, with two questions in the bank."""
    course = Course.objects.create(
        name="工匠讲堂",
        org_unit=tree.chaoyang,
        partner="首都工匠学院",
        status=Course.Status.PUBLISHED,
        created_by=users.cy,
    )
    now = timezone.now()
    session = make_session(
        course,
        title="数控加工精度控制",
        audience=tree.chaoyang,
        starts_at=now + timedelta(minutes=30),
        ends_at=now + timedelta(hours=2),
        enrol_closes_at=now + timedelta(minutes=20),
    )
    questions = [
        question_create(
            actor=users.cy,
            org_unit=tree.chaoyang,
            kind="single",
            text="工匠精神的核心是什么？",
            options=["精益求精", "差不多就行", "只求速度"],
            answer=[0],
            explanation="精益求精、追求卓越是工匠精神的核心。",
        ),
        question_create(
            actor=users.cy,
            org_unit=tree.chaoyang,
            kind="true_false",
            text="进入车间必须按规定穿戴劳动防护用品。",
            answer=[0],
        ),
    ]
    return session, questions


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_member_enrols_checks_in_by_qr_and_answers_while_the_screen_counts(
    live_server, enforced_csp, users, members, session_now, browser, shots
):
    session, questions = session_now
    base = live_server.url
    phone_ctx, phone_console = phone_context(browser)
    desk_ctx, desk_console = desktop_context(browser)

    # The member enrols on the phone.
    phone = login(phone_ctx, base, "m_cy1")
    phone.goto(f"{base}/m/training/")
    card = phone.locator(".card", has_text="数控加工精度控制")
    card.get_by_role("button", name="报名").click()
    expect(phone.get_by_text("已报名").first).to_be_visible()
    expect(phone.get_by_role("link", name="我的学习")).to_be_visible()
    no_horizontal_scroll(phone)
    phone.screenshot(path=shots / "training_1_enrolled_phone.png", full_page=True)
    assert in_thread(lambda: Enrolment.objects.get(person=members.cy1).status) == "seated"

    # The venue screen shows the rotating code; the phone opens what it encodes.
    desk = login(desk_ctx, base, "cy_staff")
    desk.goto(f"{base}/training/sessions/{session.pk}/screen/")
    code_url = desk.locator("#qr").get_attribute("data-url")
    assert "/m/training/checkin/?t=" in code_url
    desk.screenshot(path=shots / "training_2_venue_screen.png")
    phone.goto(code_url)
    expect(phone.get_by_text("签到成功")).to_be_visible()
    phone.screenshot(path=shots / "training_3_checked_in_phone.png", full_page=True)
    assert in_thread(lambda: Attendance.objects.filter(session=session).count()) == 1
    expect(desk.locator("#present")).to_have_text("1", timeout=15_000)  # the screen's refresh

    # The quiz opens at the end; the lecturer's screen waits at 0.
    quiz = in_thread(
        lambda: quiz_open(
            actor=users.cy,
            quiz=quiz_create(
                actor=users.cy,
                session=session,
                title="工匠讲堂课后测验",
                questions=questions,
                time_limit=300,
            ),
        )
    )
    desk.goto(f"{base}/training/quizzes/{quiz.pk}/screen/")
    expect(desk.locator("#answered")).to_have_text("0")

    # The member answers on the phone; the screen counts it without a reload.
    phone.goto(f"{base}/m/training/quiz/{quiz.pk}/")
    phone.locator('input[name="q1"][value="0"]').check()
    phone.locator('input[name="q2"][value="0"]').check()
    no_horizontal_scroll(phone)
    phone.screenshot(path=shots / "training_4_quiz_phone.png", full_page=True)
    phone.get_by_role("button", name="提交答卷").click()
    expect(phone.locator(".result .big")).to_contain_text("20")
    phone.screenshot(path=shots / "training_5_quiz_result_phone.png", full_page=True)
    expect(desk.locator("#answered")).to_have_text("1", timeout=15_000)
    expect(desk.locator("#questions")).to_contain_text("正确率 100%")
    desk.screenshot(path=shots / "training_6_lecturer_screen.png")
    assert in_thread(lambda: Submission.objects.get(quiz=quiz).score) == 20
    # Without the stream server (gonghui serve starts it) the screen's stream answers 404
    # and the screen polls: that failed load is expected, nothing else.
    assert phone_console.errors == []
    assert [e for e in desk_console.errors if "/live/quiz/" not in e] == []
