"""A judge marks on a phone in a real browser (the site's CSP enforced): the venue's Wi-Fi
drops, the marks wait on the device (⏳) and are sent once it is back (✓); an answer lost on
the way is sent again with the same key and stored once; a refusal is shown (✗)."""

import uuid

import pytest
from playwright.sync_api import expect

from gonghui.audit.models import AuditEvent
from gonghui.contests.judging.services import (
    draw_commit,
    mark_submit,
    match_create,
    panel_draw,
    stage_start,
)
from gonghui.contests.models import Mark, Recusal, Seat
from tests.browser import desktop_context, in_thread, login, no_horizontal_scroll, phone_context
from tests.contests.test_judging import build_contest

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(transactional_db, tree, users):
    c = build_contest(tree, users.cy)
    match = match_create(
        actor=users.cy, stage=c.stage, code="A", entrants=[1, 2, 3, 4], panel_size=3
    )
    draw_commit(actor=users.cy, match=match)
    panel_draw(actor=users.cy, match=match)
    stage_start(actor=users.cy, stage=c.stage)
    judge = Seat.objects.filter(match=match).select_related("judge__user").first().judge
    Recusal.objects.create(judge=judge, entrant=c.entrants[3], reason=Recusal.Reason.DECLARED)
    # The recusal came after the draw: the page still lists 004, shows it recused, offers no
    # button; a mark sent anyway (an old page) is refused. Entrant 003's sheet: marked once.
    mark_submit(
        actor=judge.user, stage=c.stage, entrant=3, aspect="M1", value="30", key=str(uuid.uuid4())
    )
    return c, judge


# How many items wait in the phone's queue (the page's CSP forbids wait_for_function's eval).
QUEUED = (
    "Object.keys(localStorage).filter(k => k.endsWith('.queue'))"
    ".map(k => JSON.parse(localStorage[k]).length)"
)


def aspect(page, entrant, code):
    return page.locator(f'.entrant[data-entrant="{entrant}"] .aspect[data-aspect="{code}"]')


def key_in(page, value):
    for ch in value:
        page.locator(f'#pad button[data-key="{ch}"]').click()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_judge_marks_offline_and_each_mark_is_stored_once(
    live_server, enforced_csp, scene, browser, shots
):
    c, judge = scene
    base = live_server.url
    phone, console = phone_context(browser)
    console.expected.add(f"{base}/api/v1/contests/marks")  # sent offline, or answer dropped
    page = login(phone, base, judge.user.username)
    page.goto(f"{base}/judge/")
    page.get_by_text("挑战者选拔赛").click()
    page.wait_for_url(f"{base}/judge/stages/{c.stage.pk}/")
    no_horizontal_scroll(page)
    assert aspect(page, 4, "M1").locator("button[data-open]").count() == 0  # recused

    # The Wi-Fi drops: two marks wait on the phone.
    phone.set_offline(True)
    aspect(page, 1, "M1").locator("button[data-open]").click()
    key_in(page, "38.5")
    page.locator("#pad button[data-send]").click()
    aspect(page, 1, "J1").locator("button[data-open]").click()
    key_in(page, "22")
    page.locator("#pad button[data-send]").click()
    assert "⏳" in aspect(page, 1, "M1").locator(".a-state").inner_text()
    page.get_by_text("2 条评分保存在本机").wait_for()
    page.screenshot(path=shots / "contests_judge_offline.png", full_page=True)
    assert in_thread(lambda: Mark.objects.filter(entrant__number=1).count()) == 0

    # A reload while offline keeps them (they live in localStorage, not in the page).
    phone.set_offline(False)
    page.reload()
    page.get_by_text("✓ 已发送").first.wait_for()
    expect(page.locator(".a-state.queued")).to_have_count(0)
    assert in_thread(lambda: Mark.objects.filter(entrant__number=1).count()) == 2

    # An answer lost on the way: the server stored the mark, the phone never heard back.
    lost = {"n": 0}

    def drop_first_answer(route):
        if lost["n"] == 0:
            lost["n"] += 1
            route.fetch()  # reaches the server...
            route.abort()  # ...but the answer is lost
        else:
            route.continue_()

    page.route("**/api/v1/contests/marks", drop_first_answer)
    aspect(page, 2, "M1").locator("button[data-open]").click()
    key_in(page, "35")
    page.locator("#pad button[data-send]").click()
    expect(page.locator(".a-state.queued")).to_have_count(1)
    page.wait_for_timeout(300)  # the failed send settles: still queued
    assert "⏳" in aspect(page, 2, "M1").locator(".a-state").inner_text()
    assert lost["n"] == 1
    assert in_thread(lambda: Mark.objects.filter(entrant__number=2).count()) == 1
    page.evaluate("window.dispatchEvent(new Event('online'))")  # the retry
    aspect(page, 2, "M1").get_by_text("此前已收到").wait_for()
    assert in_thread(lambda: Mark.objects.filter(entrant__number=2).count()) == 1
    assert (
        in_thread(lambda: AuditEvent.objects.filter(action="contests.mark").count()) == 4
    )  # 003's, 001's two, 002's one
    page.unroute("**/api/v1/contests/marks")

    # A correction needs its reason; the refused one is shown with the server's reason.
    aspect(page, 3, "M1").locator("button[data-open]").click()
    key_in(page, "41")
    page.locator("#pad-reason").fill("看错刻度")
    page.locator("#pad button[data-send]").click()
    assert "0–40" in page.locator("#pad-error").inner_text()  # checked on the phone first
    page.locator('#pad button[data-key="back"]').click()
    page.locator("#pad button[data-send]").click()
    aspect(page, 3, "M1").get_by_text("✓ 已发送").wait_for()
    assert (
        in_thread(lambda: Mark.objects.filter(entrant__number=3, replaces__isnull=False).count())
        == 1
    )

    # A refusal is definitive: shown with the server's reason, and not sent again.
    in_thread(
        lambda: Recusal.objects.create(
            judge=judge, entrant=c.entrants[1], reason=Recusal.Reason.DECLARED
        )
    )
    aspect(page, 2, "J1").locator("button[data-open]").click()
    key_in(page, "20")
    page.locator("#pad button[data-send]").click()
    aspect(page, 2, "J1").get_by_text("✗ 未被接受：回避").wait_for()
    assert aspect(page, 2, "J1").locator(".a-value").inner_text() == "—"
    assert page.evaluate(QUEUED) == [0]

    # Two corrections of one cell made before the first is confirmed (offline): the
    # second chains on the first (it corrects the latest mark) and neither is lost.
    sent = in_thread(lambda: Mark.objects.get(entrant__number=1, aspect="J1").pk)
    console.expected.add(f"{base}/api/v1/contests/marks/{sent}/correct")  # sent offline
    phone.set_offline(True)
    for value, reason in (("23", "复看录像"), ("24", "再次复看")):
        aspect(page, 1, "J1").locator("button[data-open]").click()
        key_in(page, value)
        page.locator("#pad-reason").fill(reason)
        page.locator("#pad button[data-send]").click()
    page.get_by_text("2 条评分保存在本机").wait_for()
    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    for _ in range(150):  # both answered: the queue on the phone is empty
        if page.evaluate(QUEUED) == [0]:
            break
        page.wait_for_timeout(100)
    expect(aspect(page, 1, "J1").locator(".a-value")).to_have_text("24")
    expect(aspect(page, 1, "J1").locator(".a-state")).to_have_text("✓ 已发送")
    chain = in_thread(
        lambda: list(
            Mark.objects.filter(entrant__number=1, aspect="J1")
            .order_by("id")
            .values_list("id", "value", "replaces_id")
        )
    )
    assert [(v, r) for _, v, r in chain] == [
        ("22", None),
        ("23", chain[0][0]),
        ("24", chain[1][0]),
    ]
    expect(page.locator(".a-state.refused")).to_have_count(1)  # 002's J1 (回避) only
    page.screenshot(path=shots / "contests_judge_marked.png", full_page=True)
    assert console.errors == []

    # The chief referee's grid: each judge's current mark, what each sheet still lacks.
    desk, desk_console = desktop_context(browser)
    staff = login(desk, base, "cy_staff")
    staff.goto(f"{base}/contests/stages/{c.stage.pk}/marking/")
    staff.get_by_role("button", name="锁定评分表").first.wait_for()
    assert "38.5" in staff.locator("table.grid-marks").inner_text()
    staff.screenshot(path=shots / "contests_marking_grid.png", full_page=True)
    staff.get_by_role("link", name="场次 A").click()
    staff.get_by_text("抽签种子").wait_for()
    staff.screenshot(path=shots / "contests_match.png", full_page=True)
    assert desk_console.errors == []
