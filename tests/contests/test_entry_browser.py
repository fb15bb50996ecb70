"""Registration on a phone in a real browser (the site's CSP enforced): anyone fills the
short form and gets their number; a wrong field is named next to it; the member sees their
entry in "my entries"."""

import pytest
from django.contrib.auth import get_user_model

from gonghui.contests.models import Entrant
from gonghui.people.models import Person, Unit
from tests.browser import in_thread, login, no_horizontal_scroll, phone_context
from tests.contests.test_entry import make_competition
from tests.factories import PASSWORD, VALID_IDS, make_person

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(tree, users):
    """A competition open now, and a member with an account (made before the browser
    starts: the ORM refuses Playwright's loop)."""
    contest = make_competition(users.cy, tree.chaoyang)
    employer = Unit.objects.create(name="朝阳某公司", org_unit=tree.cy_grass)
    person = make_person(tree.cy_grass, "王建国", VALID_IDS[1], employer=employer)
    user = get_user_model().objects.create_user(username="wangjg", password=PASSWORD)
    Person.objects.filter(pk=person.pk).update(user=user)
    return contest


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_registering_on_a_phone(live_server, enforced_csp, scene, browser, shots):
    contest = scene
    base = live_server.url
    context, console = phone_context(browser)
    page = context.new_page()
    page.goto(f"{base}/contests/c/{contest.pk}/join/")
    page.get_by_label("姓名").fill("李师傅")
    page.get_by_label("手机号").fill("1380013")  # too short
    page.get_by_label("年龄").fill("84")
    page.get_by_label("工作单位").fill("朝阳机械厂")
    no_horizontal_scroll(page)
    page.get_by_role("button", name="提交报名").click()
    page.locator(".field.error").first.wait_for()
    assert "手机" in page.locator(".field.error").inner_text()
    assert page.get_by_label("姓名").input_value() == "李师傅"  # kept
    box = page.get_by_role("button", name="提交报名").bounding_box()
    assert box["height"] >= 44  # a large target
    page.screenshot(path=shots / "contests_join_error.png", full_page=True)

    page.get_by_label("手机号").fill("13800138000")
    page.get_by_role("button", name="提交报名").click()
    page.get_by_text("报名成功").wait_for()
    assert page.locator(".number").inner_text() == "001"
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "contests_join_done.png", full_page=True)
    assert in_thread(lambda: Entrant.objects.get().age) == 84
    context.close()

    # A member: one tap, then their entries.
    member, member_console = phone_context(browser)
    page = login(member, base, "wangjg")
    page.goto(f"{base}/contests/c/{contest.pk}/join/")
    page.screenshot(path=shots / "contests_join_member.png", full_page=True)
    page.get_by_role("button", name="一键报名").click()
    page.get_by_text("报名成功").wait_for()
    assert page.locator(".number").inner_text() == "002"
    page.get_by_role("main").get_by_role("link", name="我的参赛").click()  # the menu has one too
    page.get_by_text(contest.name).wait_for()
    no_horizontal_scroll(page)
    page.screenshot(path=shots / "contests_my_entries.png", full_page=True)
    assert console.errors == [] and member_console.errors == []
