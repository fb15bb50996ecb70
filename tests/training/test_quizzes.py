"""题库与现场答题: the bank's checks, a quiz's paper, timing by the server's clock, one
submission per person (the same retry answered the same), attendance, malformed answers,
scoring, the seal on close, the live board's frame and token, Excel, and scope."""

import io
import json
import multiprocessing
from datetime import timedelta

import openpyxl
import pytest
import time_machine
from django.db import IntegrityError, connections, transaction
from django.utils import timezone

from gonghui.audit.models import AuditEvent
from gonghui.audit.services import batch_digest
from gonghui.common.errors import Conflict, ValidationFailed
from gonghui.perks import passes
from gonghui.training.models import Question, QuizItem, Submission
from gonghui.training.quizzes import answers, board, services
from tests.factories import PASSWORD, make_member
from tests.training.quizzes_support import (
    RIGHT,
    attend,
    bank,
    haidian_session,
    quiz_for,
    reset_caches,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches():
    """The answer path and the board cache per process by quiz id; rolled-back tests give
    ids out again."""
    reset_caches()
    yield
    reset_caches()


@pytest.fixture
def world(tree, users, members, lecture):
    session = lecture.sessions.get()
    questions = bank(users.cy, tree.chaoyang)
    attend(session, members.cy1, members.cy2)
    quiz = quiz_for(users.cy, session, questions, time_limit=60)
    return type("W", (), {"session": session, "questions": questions, "quiz": quiz})


def opened(users, quiz):
    return services.quiz_open(actor=users.cy, quiz=quiz)


# --- The bank -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, options, answer, field",
    [
        ("single", ["只有一个"], [0], "options"),
        ("single", ["甲", "乙"], [0, 1], "answer"),
        ("multiple", ["甲", "乙"], [0, 1], "options"),
        ("multiple", ["甲", "乙", "丙"], [], "answer"),
        ("multiple", ["甲", "乙", "丙"], [3], "answer"),
        ("true_false", None, [0, 1], "answer"),
        ("", ["甲", "乙"], [0], "kind"),
    ],
)
def test_a_question_that_does_not_fit_its_kind_is_refused_naming_the_field(
    tree, users, kind, options, answer, field
):
    with pytest.raises(ValidationFailed) as refused:
        services.question_create(
            actor=users.cy,
            org_unit=tree.chaoyang,
            kind=kind,
            text="题干",
            options=options,
            answer=answer,
        )
    assert field in refused.value.fields
    assert not Question.objects.exists()


def test_true_false_options_are_fixed_and_haidian_cannot_file_into_chaoyang(tree, users):
    q = services.question_create(
        actor=users.cy, org_unit=tree.chaoyang, kind="true_false", text="对吗", answer=[1]
    )
    assert q.options == ["正确", "错误"]
    from gonghui.common.errors import NotFound

    with pytest.raises(NotFound):
        services.question_create(
            actor=users.hd, org_unit=tree.chaoyang, kind="true_false", text="对吗", answer=[1]
        )


def test_the_paper_is_a_copy_the_bank_can_change_under(world, users):
    single = world.questions[0]
    services.question_update(
        actor=users.cy,
        question=single,
        kind="single",
        text="改过的题干",
        options=["甲", "乙"],
        answer=[0],
    )
    item = QuizItem.objects.get(quiz=world.quiz, position=1)
    assert item.text.startswith("《中华人民共和国安全生产法》") and item.answer == [1]
    services.question_deactivate(actor=users.cy, question=single)
    with pytest.raises(ValidationFailed) as refused:
        quiz_for(users.cy, world.session, [single])
    assert "questions" in refused.value.fields


def test_a_time_limit_under_ten_seconds_is_refused(world, users):
    with pytest.raises(ValidationFailed) as refused:
        quiz_for(users.cy, world.session, world.questions, time_limit=9)
    assert "time_limit" in refused.value.fields


# --- Timing, single submission, attendance, malformed answers, scoring ----------------------


def test_on_time_accepted_one_second_after_closes_at_refused(world, users, members):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        quiz = opened(users, world.quiz)
        assert quiz.closes_at == quiz.opened_at + timedelta(seconds=60)
        clock.move_to(quiz.closes_at)
        ack = answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=RIGHT)
        assert (ack.status, ack.code) == (200, "accepted")
        clock.move_to(quiz.closes_at + timedelta(seconds=1))
        late = answers.submit(person_id=members.cy2.pk, quiz_id=quiz.pk, answers=RIGHT)
    assert (late.status, late.message) == (409, "答题时间已到")
    assert Submission.objects.filter(quiz=quiz).count() == 1


def test_one_submission_per_person_the_same_retry_gets_the_same_ack(world, users, members):
    quiz = opened(users, world.quiz)
    first = answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=RIGHT)
    again = answers.submit(
        person_id=members.cy1.pk, quiz_id=quiz.pk, answers={"3": [0], "2": [2, 0], "1": [1]}
    )
    assert first.status == again.status == 200
    assert first.body() == again.body()
    other = answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers={"1": [0]})
    assert (other.status, other.message) == (409, "已提交，不能重复作答")
    assert Submission.objects.filter(quiz=quiz).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(
            quiz=quiz, person=members.cy1, submitted_at=timezone.now(), answers={}
        )


def test_only_attendees_answer_when_the_quiz_says_so(world, tree, users, members):
    quiz = opened(users, world.quiz)
    absent = make_member(tree.cy_grass, "赵敏")  # of the session's audience, not checked in
    for person in (members.hd1, absent):
        refused = answers.submit(person_id=person.pk, quiz_id=quiz.pk, answers=RIGHT)
        assert refused.status == 403 and "仅限签到学员" in refused.message
    assert not Submission.objects.exists()


def test_a_quiz_open_to_all_is_for_the_sessions_audience_only(world, tree, users, members):
    """Not limited to attendees: any member of the session's audience (Chaoyang) answers,
    not a member of another district, nor someone without an active membership."""
    quiz = opened(users, quiz_for(users.cy, world.session, world.questions, attendees_only=False))
    absent = make_member(tree.cy_grass, "赵敏")
    assert answers.submit(person_id=absent.pk, quiz_id=quiz.pk, answers=RIGHT).status == 200
    refused = answers.submit(person_id=members.hd1.pk, quiz_id=quiz.pk, answers=RIGHT)
    assert (refused.status, refused.code) == (403, "not_audience")
    assert refused.message == answers.NOT_AUDIENCE
    members.cy2.memberships.update(status="suspended")
    gone = answers.submit(person_id=members.cy2.pk, quiz_id=quiz.pk, answers=RIGHT)
    assert gone.code == "not_audience"
    assert list(Submission.objects.values_list("person_id", flat=True)) == [absent.pk]
    world.session.audience = None  # open to every member
    world.session.save(update_fields=["audience"])
    assert answers.submit(person_id=members.hd1.pk, quiz_id=quiz.pk, answers=RIGHT).status == 200


def test_before_opening_nothing_is_taken(world, members):
    ack = answers.submit(person_id=members.cy1.pk, quiz_id=world.quiz.pk, answers=RIGHT)
    assert (ack.status, ack.message) == (409, "答题尚未开始")


@pytest.mark.parametrize(
    "given, message",
    [
        ({"4": [0]}, "第4题不在本次试卷中"),
        ({"1": [0, 1]}, "第1题：只能选择一个选项"),
        ({"3": [0, 1]}, "第3题：只能选择一个选项"),
        ({"2": [7]}, "第2题：选项不存在"),
        ({"1": "B"}, "第1题：作答格式不正确"),
        ({"x": [0]}, "第x题不在本次试卷中"),
    ],
)
def test_malformed_answers_are_refused_naming_the_question(world, users, members, given, message):
    quiz = opened(users, world.quiz)
    ack = answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=given)
    assert (ack.status, ack.message) == (422, message)
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    "given, score, correct",
    [
        (RIGHT, 30, [1, 2, 3]),
        ({"1": [1], "2": [0], "3": [0]}, 20, [1, 3]),  # multiple: one right option short
        ({"1": [1], "2": [0, 1, 2], "3": [1]}, 10, [1]),  # multiple: one too many
        ({}, 0, []),
    ],
)
def test_scoring_needs_the_exact_set(world, users, members, given, score, correct):
    quiz = opened(users, world.quiz)
    ack = answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=given)
    assert ack.submission["score"] == score and ack.submission["total"] == 30
    assert Submission.objects.get(quiz=quiz).correct == correct


def test_the_acknowledgement_gives_the_score_not_which_questions_were_right(world, users, members):
    """Others in the room are still answering: the reply (and its retry) names no question."""
    quiz = opened(users, world.quiz)
    given = {"1": [1], "2": [0], "3": [0]}
    first = answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=given)
    again = answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=given)
    for ack in (first, again):
        assert set(ack.submission) == {"id", "score", "total", "submitted_at"}
        assert "correct" not in json.dumps(ack.body())


# --- A race of processes for one person -----------------------------------------------------


def _press(barrier, results, quiz_id, person_id, given):
    try:
        barrier.wait(timeout=30)
        ack = answers.submit(person_id=person_id, quiz_id=quiz_id, answers=given)
        results.put((ack.status, ack.code, json.dumps(ack.body(), sort_keys=True)))
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_processes_submitting_for_one_person_leave_one_row(tree, users, members, lecture):
    session = lecture.sessions.get()
    attend(session, members.cy1)
    quiz = opened(users, quiz_for(users.cy, session, bank(users.cy, tree.chaoyang)))
    ctx = multiprocessing.get_context("fork")
    n = 6
    barrier, results = ctx.Barrier(n), ctx.Queue()
    connections.close_all()
    # Half send the same answers (retries of one press), half another set.
    workers = [
        ctx.Process(
            target=_press,
            args=(barrier, results, quiz.pk, members.cy1.pk, RIGHT if i % 2 else {"1": [0]}),
        )
        for i in range(n)
    ]
    for w in workers:
        w.start()
    got = [results.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    assert Submission.objects.filter(quiz=quiz).count() == 1
    kept = Submission.objects.get(quiz=quiz)
    accepted = {body for status, code, body in got if status == 200}
    assert len(accepted) == 1  # everyone who sent the kept answers got the same ack
    refused = [code for status, code, _ in got if status != 200]
    assert set(refused) <= {"already_submitted"}
    assert len(got) - len(refused) == 3  # the three presses that sent the kept answers
    assert kept.answers in (RIGHT, {"1": [0]})


# --- Closing seals ---------------------------------------------------------------------------


def test_closing_seals_the_submissions_and_twice_is_harmless(world, users, members):
    quiz = opened(users, world.quiz)
    for person in (members.cy1, members.cy2):
        answers.submit(person_id=person.pk, quiz_id=quiz.pk, answers=RIGHT)
    services.quiz_close(actor=users.cy, quiz=quiz)
    sealed = AuditEvent.objects.get(action="training.quiz.seal")
    rows = services.seal_rows(
        Submission.objects.filter(quiz=quiz)
        .order_by("id")
        .values("id", "person_id", "answers", "score", "submitted_at", "elapsed_ms")
    )
    changes = json.loads(sealed.body)["changes"]
    assert changes["sha256"][1] == batch_digest(rows)[1] and changes["count"][1] == 2
    assert all(Submission.objects.filter(quiz=quiz).values_list("sealed", flat=True))
    events = AuditEvent.objects.count()
    services.quiz_close(actor=users.cy, quiz=quiz)
    assert AuditEvent.objects.count() == events
    late = answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers={"1": [0]})
    assert late.status == 409
    with pytest.raises(Conflict):
        services.quiz_open(actor=users.cy, quiz=quiz)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_an_answer_arriving_while_the_close_seals_is_refused(
    postgres, monkeypatch, tree, users, members, lecture
):
    """Two connections: the close holds the quiz row FOR UPDATE while it seals; an answer
    sent then waits for it (its INSERT … SELECT locks the row FOR KEY SHARE), re-reads the
    row, finds it closed and inserts nothing. Without the lock the insert read the open
    quiz, waited only in the foreign key's check, and committed after the seal."""
    import threading
    import time

    session = lecture.sessions.get()
    attend(session, members.cy1, members.cy2)
    quiz = opened(users, quiz_for(users.cy, session, bank(users.cy, tree.chaoyang)))
    assert answers.submit(person_id=members.cy2.pk, quiz_id=quiz.pk, answers=RIGHT).status == 200
    sealing, done, pid, acks, failed = threading.Event(), threading.Event(), [], [], []
    real_close = services._close

    def close_then_let_the_answer_in(locked, **kwargs):
        real_close(locked, **kwargs)
        sealing.set()
        with connections["default"].cursor() as cursor:
            for _ in range(3000):  # until the answer is done or waits for a lock (30 s)
                if pid:
                    cursor.execute(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", pid
                    )
                    if done.is_set() or cursor.fetchone() == ("Lock",):
                        break
                time.sleep(0.01)

    def answer_while_sealing():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid.append(cursor.fetchone()[0])
            assert sealing.wait(timeout=30)
            acks.append(answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=RIGHT))
        except BaseException as exc:
            failed.append(exc)
        finally:
            done.set()
            connections.close_all()

    monkeypatch.setattr(services, "_close", close_then_let_the_answer_in)
    answering = threading.Thread(target=answer_while_sealing)
    answering.start()
    services.quiz_close(actor=users.cy, quiz=quiz)
    answering.join(timeout=60)
    assert not failed, failed
    assert (acks[0].status, acks[0].code) == (409, "closed")
    kept = Submission.objects.filter(quiz=quiz)
    assert list(kept.values_list("person_id", "sealed")) == [(members.cy2.pk, True)]
    sealed = AuditEvent.objects.get(action="training.quiz.seal")
    assert json.loads(sealed.body)["changes"]["count"][1] == 1


def test_the_worker_closes_and_seals_a_quiz_whose_time_ran_out(world, users, members):
    quiz = opened(users, world.quiz)
    answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=RIGHT)
    assert services.quizzes_close_due() == 0  # still open
    with time_machine.travel(quiz.closes_at + timedelta(seconds=3)):
        assert services.quizzes_close_due() == 0  # within the grace for answers in flight
    with time_machine.travel(quiz.closes_at + timedelta(minutes=1)):
        assert services.quizzes_close_due() == 1
        assert services.quizzes_close_due() == 0  # once
    quiz.refresh_from_db()
    assert quiz.status == "closed"
    sealed = AuditEvent.objects.get(action="training.quiz.seal")
    assert sealed.actor_id is None and json.loads(sealed.body)["changes"]["count"][1] == 1
    assert Submission.objects.get(quiz=quiz).sealed


# --- The live board --------------------------------------------------------------------------


def test_the_frame_counts_answers_scores_and_options(world, users, members):
    quiz = opened(users, world.quiz)
    first = board.BOARD.frame(quiz.pk)
    assert (first["answered"], first["attendees"], first["status"]) == (0, 2, "open")
    answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=RIGHT)
    answers.submit(person_id=members.cy2.pk, quiz_id=quiz.pk, answers={"1": [0], "2": [0, 2]})
    frame = board.BOARD.frame(quiz.pk)
    assert frame["answered"] == 2 and frame["version"] > first["version"]
    assert frame["average"] == 20.0
    counts = {d["label"]: d["count"] for d in frame["distribution"]}
    assert counts["90–100"] == 1 and counts["0–59"] == 1
    assert [q["correct_rate"] for q in frame["questions"]] == [50.0, 100.0, 50.0]
    assert board.BOARD.versions([quiz.pk]) == {quiz.pk: frame["version"]}
    services.quiz_close(actor=users.cy, quiz=quiz)
    closed = board.BOARD.frame(quiz.pk)
    assert closed["over"] and closed["version"] > frame["version"]
    q1, q2, q3 = closed["questions"]
    assert [o["count"] for o in q1["options"]] == [1, 1, 0]
    assert [o["right"] for o in q1["options"]] == [False, True, False]
    assert [o["count"] for o in q2["options"]] == [2, 0, 2, 0]
    assert [o["right"] for o in q3["options"]] == [True, False]


def test_the_projected_frame_gives_no_key_away_until_the_time_is_up(world, users, members):
    """While the room answers, the frame has the count, the distribution and the rates,
    but no right option and no option's count; past closes_at (not yet closed) it has both,
    and the version moves so the stream pushes the breakdown."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        quiz = opened(users, world.quiz)
        answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=RIGHT)
        frame = board.BOARD.frame(quiz.pk)
        text = json.dumps(frame, ensure_ascii=False)
        assert not frame["over"] and '"right"' not in text and '"options"' not in text
        assert "安全第一" not in text and frame["questions"][0]["correct_rate"] == 100.0
        clock.move_to(quiz.closes_at + timedelta(seconds=1))
        over = board.BOARD.frame(quiz.pk)
        assert over["over"] and over["status"] == "open" and over["version"] > frame["version"]
        assert board.BOARD.versions([quiz.pk]) == {quiz.pk: over["version"]}
        assert [o["right"] for o in over["questions"][0]["options"]] == [False, True, False]


def _ask(app, path, query=b""):
    import asyncio

    sent = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "query_string": query, "headers": []}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"]


def test_the_stream_needs_the_screens_token_bound_to_the_quiz(world):
    from gonghui.common.live import Hub, StreamApp

    app = StreamApp([Hub(board.BOARD, source="poll")], origins=[])
    path = f"/live/quiz/{world.quiz.pk}/events"
    assert _ask(app, path) == 403
    other = board.screen_token(world.quiz.pk + 1, 60)
    assert _ask(app, path, f"t={other}".encode()) == 403
    assert board.token_ok(board.screen_token(world.quiz.pk, 60), world.quiz.pk)
    forged = board.screen_token(world.quiz.pk, 60).rpartition(":")[0] + ":x"
    assert _ask(app, path, f"t={forged}".encode()) == 403


def test_the_screen_token_is_for_managers_and_lives_the_time_limit_and_an_hour(
    world, users, client
):
    """The token in the stream's URL is minted only for a viewer who manages the quiz's
    union (a viewer without ``training.manage`` polls the frame), good for the quiz's
    time limit (60 s here) and an hour."""
    import re

    client.login(username="auditor_t", password=PASSWORD)
    url = f"/training/quizzes/{world.quiz.pk}/screen/"
    page = client.get(url)
    assert page.status_code == 200 and "data-token" not in page.content.decode()
    client.login(username="cy_staff", password=PASSWORD)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        token = re.search(r'data-token="([^"]+)"', client.get(url).content.decode())[1]
        assert board.token_ok(token, world.quiz.pk)
        clock.shift(60 + board.TOKEN_SPARE - 1)
        assert board.token_ok(token, world.quiz.pk)
        clock.shift(2)
        assert not board.token_ok(token, world.quiz.pk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_screen_stream_pushes_each_answer(tree, users, members, lecture):
    import asyncio
    import contextlib
    import threading

    from django.db import connection

    from gonghui.common.live import Hub, StreamApp

    session = lecture.sessions.get()
    attend(session, members.cy1)
    quiz = opened(users, quiz_for(users.cy, session, bank(users.cy, tree.chaoyang)))
    token = board.screen_token(quiz.pk, quiz.time_limit)

    def answer_in_thread():
        def run():
            try:
                answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=RIGHT)
            finally:
                connection.close()

        t = threading.Thread(target=run)
        t.start()
        t.join()

    async def scenario():
        hub = Hub(board.BOARD, source="poll", poll_seconds=0.05)
        app = StreamApp([hub], origins=[])
        sent, news, gone = [], asyncio.Event(), asyncio.Event()

        async def receive():
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)
            news.set()

        def frames():
            body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
            return [
                json.loads(line[6:])
                for line in body.decode().splitlines()
                if line.startswith("data: ")
            ]

        async def until(check):
            deadline = asyncio.get_running_loop().time() + 5
            while not check():
                news.clear()
                assert asyncio.get_running_loop().time() < deadline, frames()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(news.wait(), 0.5)

        scope = {
            "type": "http",
            "method": "GET",
            "path": f"/live/quiz/{quiz.pk}/events",
            "query_string": f"t={token}".encode(),
            "headers": [],
        }
        task = asyncio.ensure_future(app(scope, receive, send))
        try:
            await until(lambda: frames())
            assert frames()[-1]["answered"] == 0
            await asyncio.get_running_loop().run_in_executor(None, answer_in_thread)
            await until(lambda: frames()[-1]["answered"] == 1)
            assert frames()[-1]["questions"][0]["correct_rate"] == 100.0
        finally:
            gone.set()
            await asyncio.wait_for(task, 5)
            await hub.stop()
            await asyncio.get_running_loop().run_in_executor(
                hub._executor, lambda: connection.close()
            )

    asyncio.run(scenario())


# --- Pages, the API, Excel, scope -------------------------------------------------------------


def test_the_answer_api_takes_the_member_pass(world, users, members, client):
    quiz = opened(users, world.quiz)
    url = f"/api/v1/training/quizzes/{quiz.pk}/answer"
    body = json.dumps({"answers": RIGHT})
    assert client.post(url, body, content_type="application/json").status_code == 401
    header = {"HTTP_X_MEMBER_PASS": passes.issue(members.cy1.pk)}
    first = client.post(url, body, content_type="application/json", **header)
    again = client.post(url, body, content_type="application/json", **header)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.json()["submission"]["score"] == 30
    bad = client.post(url, "{", content_type="application/json", **header)
    assert bad.status_code == 422


def test_the_member_page_before_during_and_after(world, tree, users, members, client):
    client.login(username="m_cy1", password=PASSWORD)
    url = f"/m/training/quiz/{world.quiz.pk}/"
    draft = client.get(url).content.decode()
    assert "答题尚未开始" in draft
    assert world.quiz.title not in draft and "工匠讲堂" not in draft  # nothing more
    quiz = opened(users, world.quiz)
    page = client.get(url).content.decode()
    assert "提交答卷" in page and "X-Member-Pass" in page
    answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers={"1": [0], "2": [0, 2]})
    services.quiz_close(actor=users.cy, quiz=quiz)
    page = client.get(url).content.decode()
    assert "10" in page and "安全生产法第三条" in page and "✓" in page and "答错" in page
    assert "答对 1 / 3 题" in page and "（您的选择）" in page
    make_member(tree.cy_grass, "赵敏", username="m_cy3")  # the audience, not checked in
    client.login(username="m_cy3", password=PASSWORD)
    assert "仅限签到学员" in client.get(url).content.decode()


def test_before_the_quiz_is_over_a_submitter_sees_their_choices_and_score_only(
    world, users, members, client
):
    """Others in the room are still answering: no right option, no 答对/答错, no
    explanation on the page of someone who submitted early; all of it once time is up."""
    quiz = opened(users, world.quiz)
    answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers={"1": [0], "2": [0, 2]})
    client.login(username="m_cy1", password=PASSWORD)
    url = f"/m/training/quiz/{quiz.pk}/"
    page = client.get(url).content.decode()
    assert '<div class="big">10 <span class="muted">/ 30 分' in page  # the score
    assert page.count("（您的选择）") == 3  # 1: A; 2: A and C
    for key in ("✓", "答对", "答错", "解析：", "安全生产法第三条", 'class="right'):
        assert key not in page, key
    assert 'id="await-key"' in page  # reloads itself when the time is up
    with time_machine.travel(quiz.closes_at + timedelta(seconds=1)):
        over = client.get(url).content.decode()
    assert "✓" in over and "安全生产法第三条" in over and 'id="await-key"' not in over


def test_a_member_outside_the_sessions_audience_gets_404(world, tree, users, members, client):
    """The page of a quiz of Chaoyang's session (for Chaoyang's members) is not a Haidian
    member's, draft or open, attendees only or not; a huge id is absent alike."""
    client.login(username="m_hd1", password=PASSWORD)
    open_to_all = quiz_for(users.cy, world.session, world.questions, attendees_only=False)
    for quiz in (world.quiz, open_to_all):
        assert client.get(f"/m/training/quiz/{quiz.pk}/").status_code == 404
        opened(users, quiz)
        assert client.get(f"/m/training/quiz/{quiz.pk}/").status_code == 404
    assert client.get("/m/training/quiz/99999999999999999999999/").status_code == 404
    attend(world.session, members.hd1)  # checked in all the same: the quiz is theirs
    assert client.get(f"/m/training/quiz/{world.quiz.pk}/").status_code == 200


def test_results_export_is_an_excel_with_its_event(world, users, members, client):
    quiz = opened(users, world.quiz)
    answers.submit(person_id=members.cy1.pk, quiz_id=quiz.pk, answers=RIGHT)
    client.login(username="cy_staff", password=PASSWORD)
    response = client.get(f"/training/quizzes/{quiz.pk}/results/?format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book["成绩"].iter_rows(values_only=True))
    assert rows[1][1] == "王建国" and rows[1][4] == 30
    assert AuditEvent.objects.filter(action="training.quiz_export").count() == 1
    assert client.get(f"/training/quizzes/{quiz.pk}/results/").status_code == 200
    bank_xlsx = client.get("/training/questions/?format=xlsx")
    assert bank_xlsx.status_code == 200


def test_staff_pages_render_and_forms_name_the_field(world, users, client):
    client.login(username="cy_staff", password=PASSWORD)
    pk = world.quiz.pk
    for url in [
        "/training/questions/",
        "/training/questions/new/",
        f"/training/questions/{world.questions[0].pk}/edit/",
        "/training/quizzes/",
        "/training/quizzes/new/",
        f"/training/quizzes/{pk}/",
        f"/training/quizzes/{pk}/qr/",
        f"/training/quizzes/{pk}/screen/",
        f"/training/quizzes/{pk}/screen.json",
    ]:
        assert client.get(url).status_code == 200, url
    response = client.post(
        "/training/questions/new/",
        {
            "org_unit": world.session.org_unit_id,
            "kind": "single",
            "text": "题",
            "options": "甲",
            "answer": "A",
        },
    )
    assert response.status_code == 200 and "单选题至少需要 2 个选项" in response.content.decode()
    response = client.post(f"/training/quizzes/{pk}/open/")
    assert response.status_code == 302
    world.quiz.refresh_from_db()
    assert world.quiz.status == "open"


def test_chaoyang_staff_get_404_on_haidians_bank_and_quizzes(tree, users, world, client):
    session = haidian_session(tree, users)
    questions = bank(users.hd, tree.haidian)
    quiz = quiz_for(users.hd, session, questions)
    client.login(username="cy_staff", password=PASSWORD)
    for url in [
        f"/training/questions/{questions[0].pk}/edit/",
        f"/training/quizzes/{quiz.pk}/",
        f"/training/quizzes/{quiz.pk}/qr/",
        f"/training/quizzes/{quiz.pk}/screen/",
        f"/training/quizzes/{quiz.pk}/screen.json",
        f"/training/quizzes/{quiz.pk}/results/",
        f"/training/quizzes/{quiz.pk}/results/?format=xlsx",
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        f"/training/questions/{questions[0].pk}/deactivate/",
        f"/training/quizzes/{quiz.pk}/open/",
        f"/training/quizzes/{quiz.pk}/close/",
    ]:
        assert client.post(url).status_code == 404, url
    listed = client.get("/training/quizzes/").content.decode()
    assert "海淀讲堂" not in listed
    assert tree.haidian.name not in client.get("/training/questions/").content.decode()


def test_the_demo_builds_a_bank_a_sealed_quiz_and_a_draft(tree, users, lecture):
    import random
    from types import SimpleNamespace

    from gonghui.training.quizzes import demo
    from tests.training.conftest import make_session

    now = timezone.now()
    past = make_session(
        lecture,
        2,
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=3) + timedelta(hours=2),
    )
    attend(past, *[make_member(tree.cy_grass, f"学员{i}") for i in range(8)])
    world = SimpleNamespace(lecture_sessions=[past], open_session=lecture.sessions.get(seq=1))
    demo.build(world, None, random.Random(3))
    assert len(world.quiz_questions) == 20
    assert world.quiz.status == "closed" and world.quiz.submissions.count() == 7
    assert AuditEvent.objects.filter(action="training.quiz.seal").exists()
    assert world.draft_quiz.status == "draft" and world.draft_quiz.items.count() == 5
