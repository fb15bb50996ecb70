"""Idle sessions end after GONGHUI_SESSION_MINUTES even while a page polls: activity keeps a
session alive, polls (X-Gonghui-Poll: 1) do not, the end is audited, and a poll of an ended
session sends its page to the sign-in page (htmx: HX-Redirect; a fetch: 401 in Chinese)."""

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.sessions.models import Session

import gonghui
from gonghui.audit.models import AuditEvent
from gonghui.jobs.models import Job
from gonghui.perks import passes
from gonghui.web.management.commands.worker import schedules
from gonghui.web.sessions import LAST_ACTIVITY, sessions_purge
from tests.factories import make_member
from tests.nominations.conftest import SHANGHAI

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
POLL = {"HTTP_X_GONGHUI_POLL": "1"}
HTMX_POLL = {**POLL, "HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/jobs/"}


@pytest.fixture
def job(tree, users):
    return Job.objects.create(
        kind="export",
        title="导出人员",
        status=Job.Status.RUNNING,
        created_by=users.cy,
        org_unit=tree.chaoyang,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_activity_keeps_a_session_alive(client, users, settings):
    assert settings.SESSION_IDLE_SECONDS == 30 * 60
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(users.cy)
        for _ in range(4):  # two hours, a page every 25 minutes
            clock.shift(timedelta(minutes=25))
            assert client.get("/").status_code == 200
        assert signed_in(client)


def test_polling_does_not_keep_a_session_alive(client, users, job):
    url = f"/jobs/{job.pk}/"
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(users.cy)
        assert client.get("/").status_code == 200
        for _ in range(29):  # the progress polls every minute (every second in a browser)
            clock.shift(timedelta(minutes=1))
            answer = client.get(url, **HTMX_POLL)
            assert answer.status_code == 200 and "进行中" in answer.content.decode()
        clock.shift(timedelta(minutes=1, seconds=1))
        answer = client.get(url, **HTMX_POLL)

    # The page goes to the sign-in page, and comes back to itself after.
    assert answer.status_code == 401
    assert answer["HX-Redirect"] == "/login/?next=/jobs/"
    assert not signed_in(client)
    ended = AuditEvent.objects.filter(actor_id=users.cy.pk).latest("seq")
    assert ended.action == "auth.idle_logout"


def test_a_fetch_poll_of_an_ended_session_is_told_in_chinese(client, users, job):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(users.cy)
        clock.shift(timedelta(minutes=31))
        answer = client.get(
            f"/jobs/{job.pk}/", HTTP_REFERER="http://testserver/training/s/3/?a=1", **POLL
        )
    assert answer.status_code == 401
    assert answer.json() == {
        "detail": "登录已失效（长时间未操作或已退出），请重新登录。",
        "redirect": "/login/?next=/training/s/3/%3Fa%3D1",
    }


def test_a_page_after_the_timeout_goes_to_sign_in_and_says_why(client, users):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(users.cy)
        clock.shift(timedelta(minutes=31))
        answer = client.get("/people/", follow=True)
    assert answer.redirect_chain[-1][0] == "/login/?next=/people/"
    assert (
        "您已超过 30 分钟未操作，为保护账号安全已自动退出，请重新登录。" in answer.content.decode()
    )
    assert not signed_in(client)


def test_a_poll_does_not_write_the_session(client, users, job):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(users.cy)
        client.get("/")
        first = client.session[LAST_ACTIVITY]
        clock.shift(timedelta(minutes=10))
        answer = client.get(f"/jobs/{job.pk}/", **HTMX_POLL)
        assert answer.status_code == 200 and "sessionid" not in answer.cookies
        assert client.session[LAST_ACTIVITY] == first
        client.get("/")
        assert client.session[LAST_ACTIVITY] == first + 600


def test_a_public_page_polled_after_the_timeout_goes_on_signed_out(client, users):
    """A poll whose view needs no sign-in is answered as to anyone."""
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(users.cy)
        clock.shift(timedelta(minutes=31))
        answer = client.get("/healthz", **POLL)
    assert answer.status_code == 200 and not signed_in(client)


def test_a_session_from_before_the_upgrade_starts_counting(client, users):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(users.cy)
        session = client.session
        del session[LAST_ACTIVITY]
        session.save()
        clock.shift(timedelta(minutes=20))
        assert client.get("/", **POLL).status_code == 200
        clock.shift(timedelta(minutes=20))
        assert client.get("/").status_code == 200 and signed_in(client)


def test_a_member_card_polled_past_the_timeout_goes_to_sign_in_but_the_pass_lasts(client, tree):
    """The card's QR code polls with the member's session and so ends with it; the claim
    pass (X-Member-Pass) is a credential of its own, valid two hours from the page."""
    member = make_member(tree.cy_grass, "周全", username="zhouquan")
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(member.user)
        token = passes.issue(member.pk)
        clock.shift(timedelta(minutes=31))
        answer = client.get(
            "/m/card/qr/", **{**HTMX_POLL, "HTTP_HX_CURRENT_URL": "http://testserver/m/card/"}
        )
        assert answer.status_code == 401 and answer["HX-Redirect"] == "/login/?next=/m/card/"
        assert passes.person_of(token) == member.pk


def test_every_polling_page_marks_its_polls():
    """Each htmx poll in a template is one poll.js marks (hx-trigger "every …"); each
    script that fetches on a timer does so through gonghuiPoll. The exceptions: the judges'
    queue (it sends the marks they entered: activity) and the wall screen (no session: its
    display token)."""
    src = Path(gonghui.__file__).parent
    triggers = [
        m.group(1)
        for path in src.rglob("templates/**/*.html")
        for m in re.finditer(r'hx-trigger="([^"]*every[^"]*)"', path.read_text())
    ]
    assert triggers and all(re.search(r"(^|,)\s*every\s", t) for t in triggers)
    scripts = {path.name: path.read_text() for path in src.rglob("static/**/*.js")}
    timed = {
        name: text
        for name, text in scripts.items()
        if "setInterval" in text and ("fetch(" in text or "gonghuiPoll(" in text)
    }
    assert set(timed) >= {"board.js", "quiz_screen.js", "checkin.js"}
    for name, text in timed.items():
        if name in {"judge.js", "wall.js"}:
            continue
        assert "fetch(" not in text and "gonghuiPoll(" in text, name


def test_the_worker_deletes_sessions_past_their_end(client, users, settings):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(users.cy)
        assert Session.objects.count() == 1
        clock.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        sessions_purge()
        assert Session.objects.count() == 1  # idle, but kept to tell its browser
        clock.shift(timedelta(seconds=120))
        sessions_purge()
        assert Session.objects.count() == 0
    assert any(job is sessions_purge for _, job, _ in schedules())


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_polling_page_in_a_browser_goes_to_sign_in(
    live_server, enforced_csp, tree, users, browser
):
    """The job's progress polls every second with the header; past the idle limit the
    page itself goes to the sign-in page (htmx follows HX-Redirect from the 401)."""
    from tests.browser import desktop_context, in_thread, login

    with time_machine.travel(START, tick=True) as clock:
        job = in_thread(
            lambda: Job.objects.create(
                kind="export",
                title="导出人员",
                status=Job.Status.RUNNING,
                created_by=users.cy,
                org_unit=tree.chaoyang,
            )
        )
        context, console = desktop_context(browser)
        page = login(context, live_server.url, users.cy.username)
        with page.expect_request(
            lambda r: f"/jobs/{job.pk}/" in r.url and r.headers.get("hx-request")
        ) as polled:
            page.goto(f"{live_server.url}/jobs/{job.pk}/")
        assert polled.value.headers.get("x-gonghui-poll") == "1"
        clock.shift(timedelta(minutes=31))
        page.wait_for_url(lambda url: "/login/" in url)
        assert page.url.endswith(f"/login/?next=/jobs/{job.pk}/")
        context.close()
