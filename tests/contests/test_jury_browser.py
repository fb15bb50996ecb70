"""The public juror's phone page in a real browser (strict CSP): the juror opens the pass
link, votes on an entrant with the large number field, sees the vote's state; the page does
not scroll sideways."""

import pytest

from gonghui.contests.jury.services import juror_register, juror_seat
from gonghui.contests.models import Vote
from tests.browser import in_thread, no_horizontal_scroll, phone_context
from tests.contests.test_jury_world import build_contest
from tests.factories import VALID_IDS

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(transactional_db, tree, users):
    contest = build_contest(tree, users.cy)
    juror = juror_register(
        actor=users.cy,
        programme=contest.programme,
        name="王大众",
        id_number=VALID_IDS[0],
        employer_name="北京第一机床厂",  # recused from entrant 002
    )
    return contest, juror_seat(actor=users.cy, juror=juror)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_juror_votes_on_a_phone(live_server, enforced_csp, scene, browser, shots):
    contest, token = scene
    context, console = phone_context(browser)
    page = context.new_page()
    page.goto(f"{live_server.url}/vote/?pass={token}")
    assert "王大众" in page.locator("body").inner_text()
    ballots = page.locator("li.ballot")
    assert ballots.count() == 3
    assert "回避" in ballots.nth(1).inner_text()
    field = ballots.nth(0).locator("input[name=value]")
    box = field.bounding_box()
    assert box["height"] >= 44  # a finger's target
    field.fill("85")
    ballots.nth(0).get_by_role("button", name="提交").click()
    page.wait_for_url(f"**/vote/?pass={token}")
    page.locator("li.ballot.done").first.wait_for()
    assert "已投 85 分" in page.locator("li.ballot").nth(0).inner_text()
    assert "投票成功" in page.locator("ul.messages").inner_text()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "contests_juror_vote_phone.png", full_page=True)
    assert console.errors == []
    assert in_thread(lambda: list(Vote.objects.values_list("value", flat=True))) == ["85"]
    context.close()


@pytest.fixture
def appeal_scene(transactional_db, tree, users):
    from gonghui.contests.appeals.services import appeal_file, appeal_rule, rescore_preview
    from tests.contests.test_jury_world import lock_results

    contest = build_contest(tree, users.cy)
    lock_results(contest)
    appeal = appeal_file(
        actor=contest.users[1],
        stage=contest.stage,
        entrant=contest.entrants[1],
        text="第二位裁判的实操评分有误，请复核。",
    )
    appeal_rule(actor=users.cy, appeal=appeal, upheld=True, ruling="复核录像，评分有误")
    changes = [
        {"judge": j.pk, "entrant": contest.entrants[1].pk, "aspect": "M1", "value": "95"}
        for j in contest.experts
    ]
    rescore_preview(actor=users.cy, appeal=appeal, changes=changes)
    return appeal


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_arbiter_applies_a_previewed_rescore(
    live_server, enforced_csp, appeal_scene, browser, shots
):
    from tests.browser import desktop_context, login

    context, console = desktop_context(browser)
    page = login(context, live_server.url, "cy_staff")
    page.goto(f"{live_server.url}/contests/appeals/{appeal_scene.pk}/")
    preview = page.locator("table.data").first.inner_text()
    assert "66.5" in preview and "↑" in preview
    page.screenshot(path=shots / "contests_appeal_preview.png", full_page=True)
    page.get_by_role("button", name="确认生效").click()
    page.locator("ul.messages").wait_for()
    assert "重评已生效" in page.locator("ul.messages").inner_text()
    assert console.errors == []
    context.close()
