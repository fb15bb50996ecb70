"""Issue #17's browser flow: a judge marks on a phone-sized page while the public live board
(a big screen, no login) is open; the chief referee locks the sheets and the stage's
results, and the board shows them without a reload. (Served by the test server alone, the
board follows its snapshot by polling board.json each second; ``gonghui serve`` adds the
stream server, tests/contests/test_board.py tests that path.)"""

import uuid

import pytest
from playwright.sync_api import expect

from gonghui.contests.judging.services import (
    draw_commit,
    mark_submit,
    match_create,
    panel_draw,
    sheet_lock,
    stage_start,
)
from gonghui.contests.models import Mark, Seat
from gonghui.contests.results.services import results_lock
from tests.browser import desktop_context, in_thread, login, no_horizontal_scroll, phone_context
from tests.contests.test_judging import build_contest

pytestmark = pytest.mark.browser

# (entrant, M1, J1) by judge: the phone judge's J1 marks are typed on the page.
J1 = {1: ("27", "26", "28"), 2: ("20", "21", "19"), 3: ("24", "25", "24")}
M1 = {1: "38.5", 2: "31", 3: "35"}


@pytest.fixture
def scene(transactional_db, tree, users):
    c = build_contest(tree, users.cy)
    match = match_create(actor=users.cy, stage=c.stage, code="A", entrants=[1, 2, 3], panel_size=3)
    draw_commit(actor=users.cy, match=match)
    panel_draw(actor=users.cy, match=match)
    stage_start(actor=users.cy, stage=c.stage)
    phone_judge, *others = [
        s.judge for s in Seat.objects.filter(match=match).select_related("judge__user")
    ]
    for n, judge in enumerate(others, start=1):
        for entrant, marks in J1.items():
            mark_submit(
                actor=judge.user,
                stage=c.stage,
                entrant=entrant,
                aspect="J1",
                value=marks[n],
                key=str(uuid.uuid4()),
            )
    for entrant in (2, 3):  # the phone judge types entrant 001's marks on the page
        for aspect, value in (("M1", M1[entrant]), ("J1", J1[entrant][0])):
            mark_submit(
                actor=phone_judge.user,
                stage=c.stage,
                entrant=entrant,
                aspect=aspect,
                value=value,
                key=str(uuid.uuid4()),
            )
    return c, phone_judge


def type_mark(page, entrant, aspect, value):
    page.locator(
        f'.entrant[data-entrant="{entrant}"] .aspect[data-aspect="{aspect}"] button[data-open]'
    ).click()
    for ch in value:
        page.locator(f'#pad button[data-key="{ch}"]').click()
    page.locator("#pad button[data-send]").click()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_judge_marks_on_a_phone_while_the_public_board_updates(
    live_server, enforced_csp, scene, browser, users, shots
):
    c, judge = scene
    base = live_server.url

    screen, _ = desktop_context(browser)  # the venue's big screen: anonymous
    board = screen.new_page()
    board.goto(f"{base}/live/{c.competition.pk}/")
    expect(board.locator("td.score")).to_have_count(0)  # nothing locked yet

    phone, _ = phone_context(browser)
    page = login(phone, base, judge.user.username)
    page.goto(f"{base}/judge/stages/{c.stage.pk}/")
    no_horizontal_scroll(page)
    type_mark(page, 1, "M1", M1[1])
    type_mark(page, 1, "J1", J1[1][0])
    expect(page.locator('.entrant[data-entrant="1"]').get_by_text("✓ 已发送")).to_have_count(2)
    page.screenshot(path=shots / "contests_live_judge_phone.png", full_page=True)
    assert in_thread(lambda: Mark.objects.filter(judge=judge).count()) == 6

    def lock_everything():
        for entrant in (1, 2, 3):
            sheet_lock(actor=users.cy, stage=c.stage, entrant=entrant)
        results_lock(actor=users.cy, stage=c.stage)

    in_thread(lock_everything)
    # 001: M1 38.5 + J1 mean(27, 26, 28) = 27 -> 65.5, first; the board shows it unreloaded.
    first = board.locator("tr", has=board.locator("td.place", has_text="1")).first
    expect(first.locator("td.score")).to_have_text("65.50", timeout=5000)
    expect(board.locator("td.score")).to_have_count(3)
    board.screenshot(path=shots / "contests_live_board.png", full_page=True)
