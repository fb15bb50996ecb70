"""The applications part of the funds demo, on a small world laid out as the programmes
part and the web demo leave it (the programmes by code, the demo staff logins, members in
Chaoyang and Haidian, the member ``huiyuan``, Chaoyang's studios with last year's reports): the 2018
critical-illness aid of the seed (41 members, 528,000元, decided in 2018), every apply
programme in every state, the studio grants, huiyuan's two applications."""

import random
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import time_machine
from faker import Faker

from gonghui.funds.applications import demo
from gonghui.funds.models import Application, Budget, Entitlement
from gonghui.people.models import Unit
from gonghui.registry.models import Studio
from gonghui.training.models import StudioReport
from tests.factories import make_member, make_user
from tests.funds.conftest import CERTIFICATE_RULE, ILLNESS_RULE, STUDIO_RULE, YEAR, make_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    for username, unit, role in (
        ("admin", tree.city, "city_admin"),
        ("laomo", tree.city, "dept_staff"),
        ("chaoyang", tree.chaoyang, "district_staff"),
        ("chaoyang_street", tree.cy_street, "street_staff"),
        ("chaoyang_jc", tree.cy_grass, "grassroots_staff"),
        ("haidian", tree.haidian, "district_staff"),
        ("haidian_street", tree.hd_street, "street_staff"),
        ("haidian_jc", tree.hd_grass, "grassroots_staff"),
    ):
        make_user(username, unit, role)
    factory = Unit.objects.create(name="北京某机床厂", org_unit=tree.cy_grass)
    for n in range(30):
        make_member(tree.cy_grass, f"朝阳会员{n:02d}", employer=factory if n == 29 else None)
        make_member(tree.hd_grass, f"海淀会员{n:02d}")
    make_member(tree.cy_grass, "陈慧远", username="huiyuan")
    # Three Chaoyang studios with last year's report approved (as the training demo leaves
    # them), and one whose report is still under review (no grant for it).
    reviewer = make_user("report_maker", tree.cy_grass, "grassroots_staff")
    for n, status in enumerate(["approved", "approved", "approved", "district_ok"]):
        studio = Studio.objects.create(
            name=f"周工{n}工匠创新工作室",
            employer=Unit.objects.create(name=f"北京某汽车{n}厂", org_unit=tree.chaoyang),
            leader=make_member(tree.cy_grass, f"周工{n}"),
            org_unit=tree.chaoyang,
            status="active",
        )
        StudioReport.objects.create(
            studio=studio,
            org_unit=studio.org_unit,
            year=YEAR - 1,
            status=status,
            submitted_by=reviewer,
            submitted_at=datetime(YEAR, 3, 1, tzinfo=UTC),
        )
    programmes = {
        "cert": make_programme(
            "cert",
            "技能等级证书补贴",
            "certificate",
            tree.city,
            CERTIFICATE_RULE,
            levels=3,
            budget=10**8,
        ),
        "illness": make_programme(
            "illness", "大病救助", "illness", tree.city, ILLNESS_RULE, budget=10**8
        ),
        "studio": make_programme(
            "studio", "创新工作室资助", "studio", tree.city, STUDIO_RULE, budget=10**8
        ),
        "studio_topup": make_programme(
            "studio_topup",
            "创新工作室区级配套",
            "studio",
            tree.chaoyang,
            {"kind": "fixed", "amount": 3000000},
            budget=10**8,
        ),
    }
    Budget.objects.create(
        programme=programmes["illness"], org_unit=tree.city, year=2018, amount=60_000_000
    )
    for code, unit in (("studio", tree.city), ("studio_topup", tree.chaoyang)):
        Budget.objects.create(
            programme=programmes[code], org_unit=unit, year=YEAR - 1, amount=10**8
        )
    said = []
    return SimpleNamespace(programmes=programmes, say=said.append, said=said)


def test_the_demo_leaves_every_state_and_the_seeds_2018_figures(world):
    fake = Faker("zh_CN")
    fake.seed_instance(1)
    with time_machine.travel(datetime(YEAR, 6, 15, 2, 0, tzinfo=UTC), tick=False):
        demo.build(world, fake, random.Random(7))

    seed = world.illness_2018
    assert len(seed) == 41 and sum(e.amount for e in seed) == 52_800_000
    assert {e.year for e in seed} == {2018} and {e.status for e in seed} == {"owed"}
    assert all(e.application.status == "approved" for e in seed)
    assert all(r.decided_at.year == 2018 for e in seed for r in e.application.reviews.all())
    assert (
        Budget.objects.get(programme=world.programmes["illness"], year=2018).committed == 52_800_000
    )
    assert any("52.8万元" in line for line in world.said), world.said

    for code, programme in world.programmes.items():
        states = set(
            Application.objects.filter(programme=programme).values_list("status", flat=True)
        )
        wanted = {"submitted", "verified", "approved", "rejected", "withdrawn"}
        wanted |= {"reviewed"} if programme.levels == 3 else set()
        assert states >= wanted, (code, states)
    assert all(a.reason for a in Application.objects.filter(status="rejected"))
    assert world.approved and {e.year for e in world.approved} == {YEAR, YEAR - 1}
    # The studio grants: last year's, against the approved reports only.
    studio_grants = Entitlement.objects.filter(studio__isnull=False)
    assert sorted(e.amount for e in studio_grants) == [3000000, 7000000]
    assert {e.year for e in studio_grants} == {YEAR - 1}
    applied = Application.objects.filter(studio__isnull=False).values_list("studio", flat=True)
    assert not StudioReport.objects.filter(studio__in=applied).exclude(status="approved").exists()

    mine = Application.objects.filter(person__user__username="huiyuan")
    assert {"approved", "submitted"} <= set(mine.values_list("status", flat=True))
    # Maker-checker held throughout: no decision by the maker or the applicant.
    for app in Application.objects.prefetch_related("reviews"):
        assert all(
            r.reviewer_id not in (app.created_by_id, app.applicant_user_id)
            for r in app.reviews.all()
        )


def test_without_approved_reports_the_demo_applies_for_no_studio_grant(world):
    StudioReport.objects.update(status="returned")
    with time_machine.travel(datetime(YEAR, 6, 15, 2, 0, tzinfo=UTC), tick=False):
        demo.build(world, None, random.Random(7))
    assert not Application.objects.filter(studio__isnull=False).exists()
    assert any("审核通过的成果报告" in line for line in world.said), world.said


def test_a_mix_of_amounts_adds_up_exactly_or_says_it_cannot():
    rng = random.Random(3)
    picked = demo.mix([200000, 500000, 1000000, 2000000], 41, 52_800_000, rng)
    assert len(picked) == 41 and sum(picked) == 52_800_000
    assert demo.mix([200000], 3, 700000, rng) == []


def test_without_programmes_the_part_is_skipped(db):
    world = SimpleNamespace(say=lambda text: None)
    demo.build(world, None, random.Random(1))
    assert world.illness_2018 == [] and world.approved == []
