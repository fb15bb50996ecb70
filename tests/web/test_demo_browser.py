"""The honour wall with the demo's placeholder portraits, in a real browser: the cards of
those who consented show their portrait, the others none."""

import random

import pytest

from gonghui.registry.services import award_create
from gonghui.web.demo import build_portraits
from tests.browser import desktop_context
from tests.factories import make_person

pytestmark = pytest.mark.browser

NAMES = ["王小明", "李桂兰", "欧阳娜娜", "赵郁", "钱学"]


@pytest.fixture
def wall(users, tree, honours, settings, tmp_path):
    """Five honoured people on the wall, the first three consenting to show a portrait."""
    settings.MEDIA_ROOT = tmp_path / "media"
    people = []
    for i, name in enumerate(NAMES):
        person = make_person(tree.cy_grass, name)
        award_create(
            actor=users.admin,
            honour=honours["beijing-model-worker"],
            person=person,
            year=2020,
            deeds=f"{name}扎根一线三十年。",
        )
        person.is_public = True
        person.public_fields = ["name", "gender", "deeds"] + (["portrait"] if i < 3 else [])
        person.save(update_fields=["is_public", "public_fields"])
        people.append(person)
    assert build_portraits(users.admin, random.Random(1), people) == 3
    return people


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_wall_shows_the_consented_portraits(live_server, enforced_csp, wall, browser, shots):
    context, console = desktop_context(browser)
    page = context.new_page()
    page.goto(f"{live_server.url}/wall/")
    cards = page.locator("a.wall-card")
    assert cards.count() == len(NAMES)
    shown = page.locator("img.wall-portrait")
    assert shown.count() == 3
    page.wait_for_function(
        "[...document.querySelectorAll('img.wall-portrait')].every(i => i.complete)"
    )
    widths = shown.evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert widths == [180, 180, 180]  # loaded, not broken
    with_portrait = {img.get_attribute("alt").removesuffix("的照片") for img in shown.all()}
    assert with_portrait == set(NAMES[:3])
    page.screenshot(path=shots / "wall_portraits.png", full_page=True)
    person = page.locator("a.wall-card", has_text="王小明")
    person.click()
    page.locator("img.portrait").wait_for()
    page.screenshot(path=shots / "wall_person_portrait.png", full_page=True)
    context.close()
    assert not console.errors
