"""The demo's 寻找职工好讲师教学基本功竞赛 on a small world: the lecturers of the training's
sessions and the holders of a craftsman or model-worker honour entered through the contests'
services, judged over 初赛 and 决赛, the results published; the lecturers' page shows them."""

import random
from types import SimpleNamespace

import pytest
from django.urls import reverse
from faker import Faker

from gonghui.contests.models import Competition, Entrant, Programme, Result, Stage
from gonghui.contests.visibility import public_results
from gonghui.people.models import Unit
from gonghui.registry.models import Honour
from gonghui.registry.services import award_create
from gonghui.training.models import Session
from gonghui.training.salons import teachers
from tests.factories import PASSWORD, make_user
from tests.training.conftest import make_session
from tests.training.salons_helpers import crowd


@pytest.fixture
def world(tree, users, lecture, settings, tmp_path):
    """Chaoyang's 工匠讲堂 with three lecturers over four sessions (one cancelled, whose
    lecturer lectures nothing else), nine honour holders, one holder without an employer,
    units enough for the experts, and the city's organiser."""
    settings.MEDIA_ROOT = tmp_path / "media"
    make_user(teachers.ORGANISER, tree.city, "dept_staff")
    employers = [
        Unit.objects.create(name=f"朝阳职工单位{n}", org_unit=tree.cy_grass) for n in range(3)
    ]
    for n in range(teachers.EXPERTS + 1):
        Unit.objects.create(name=f"海淀评审单位{n}", org_unit=tree.hd_grass)
    people = crowd(tree.cy_grass, 14, start=800)
    for n, person in enumerate(people[:13]):
        person.employer = employers[n % len(employers)]
        person.save(update_fields=["employer"])
    lecturers, holders, unemployed = people[:3], people[3:12], people[13]
    first = lecture.sessions.get()
    first.lecturer = lecturers[0]
    first.save(update_fields=["lecturer"])
    make_session(lecture, 2, lecturer=lecturers[0])
    make_session(lecture, 3, lecturer=lecturers[1])
    make_session(lecture, 4, lecturer=lecturers[2])
    make_session(lecture, 5, lecturer=people[12], status=Session.Status.CANCELLED)
    honours = [
        Honour.objects.get(code=code)
        for code in ("beijing-model-worker", "beijing-master-craftsman")
    ]
    for n, person in enumerate([*holders, unemployed]):
        award_create(actor=users.admin, honour=honours[n % 2], person=person, year=2020)
    built = SimpleNamespace(say=lambda text: None)
    fake = Faker("zh_CN")
    fake.seed_instance(19)
    teachers.build(built, fake, random.Random(19))
    return SimpleNamespace(
        built=built, lecturers=lecturers, holders=holders, others=[people[12], unemployed]
    )


def test_the_competition_is_judged_and_published_for_its_entrants(world, tree):
    competition = world.built.teachers
    assert competition == Competition.objects.get()
    programme = competition.programme
    assert programme.org_unit == tree.city and programme.kind == Programme.Kind.CONTEST
    assert "寻找职工好讲师" in programme.name and competition.trade.name == "企业培训师"
    entrants = list(Entrant.objects.filter(competition=competition).order_by("number"))
    entered = {e.person_id for e in entrants}
    # the lecturers (most sessions first) then the honour holders; nobody else
    assert entered == {p.pk for p in world.lecturers + world.holders}
    assert not entered & {p.pk for p in world.others}
    assert all(e.route == Entrant.Route.UNION for e in entrants)
    first, final = Stage.objects.filter(competition=competition).order_by("order")
    assert (first.name, final.name) == ("初赛：教案与说课", "决赛：现场授课")
    assert first.status == final.status == Stage.Status.CONFIRMED
    shown = public_results().filter(stage=first)
    assert {r.entrant_id for r in shown} == {e.pk for e in entrants}
    finalists = public_results().filter(stage=final)
    assert finalists.count() == teachers.FINALISTS
    assert sorted(r.place for r in finalists) == list(range(1, teachers.FINALISTS + 1))
    assert not Result.objects.filter(stage__competition=competition, revealed_at__isnull=True)
    # no honour conferred: no titles
    assert not Entrant.objects.filter(competition=competition, status=Entrant.Status.TITLED)


def test_the_lecturers_page_shows_their_results(world, client, users):
    assert client.login(username=users.cy.username, password=PASSWORD)
    page = client.get(reverse("training:lecturers"))
    assert page.status_code == 200
    competition = world.built.teachers
    for lecturer in world.lecturers:
        row = page.text[page.text.index(lecturer.name) :].split("</tr>")[0]
        assert competition.name in row
        assert "初赛：教案与说课 第 " in row or "决赛：现场授课 第 " in row
    # The city's competition is not Chaoyang's to open: named, not linked (a link would 404).
    link = reverse("contests:competition", args=[competition.pk])
    assert link not in page.text
    assert client.login(username=users.admin.username, password=PASSWORD)
    assert link in client.get(reverse("training:lecturers")).text


def test_no_organiser_no_competition(tree, lecture):
    built = SimpleNamespace(say=lambda text: None)
    teachers.build(built, Faker("zh_CN"), random.Random(1))
    assert built.teachers is None and not Competition.objects.exists()
