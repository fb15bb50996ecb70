"""Demo 读书沙龙: reading salons of 2024–2026 in three districts, each filed by its
grassroots union's staff with a mentor and 25–40 members, decided by the district (most
approved, with meetings on real books and a photo each; one left pending, one rejected with
its reason), all through the services, replayed at their dates (``as_of``); then the city's
寻找职工好讲师 competition of the lecturers on the contests engine (``teachers.py``)."""

from __future__ import annotations

import base64
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.common import workdays
from gonghui.common.demo import DISTRICT_USERS, as_of, at
from gonghui.orgs.models import Post
from gonghui.people.services import membership_join, person_create
from gonghui.training.salons import selectors, teachers
from gonghui.training.salons.services import salon_apply, salon_decide, salon_meeting_report

BOOKS = [
    "《大国工匠》",
    "《平凡的世界》",
    "《人生》",
    "《活着》",
    "《钢铁是怎样炼成的》",
    "《红岩》",
    "《苦难辉煌》",
    "《乡土中国》",
    "《围城》",
    "《白鹿原》",
    "《许三观卖血记》",
    "《工匠精神》",
]
THEMES = ["工匠精神与职业成长", "经典文学共读", "劳模故事分享", "读史明智", "技能与创新"]
NAMES = ["书香{}读书会", "{}职工读书沙龙", "匠心{}书友会", "{}青工读书会"]
# A one-pixel PNG: the meeting's photo (the demo has no camera).
PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
# (district username, year, outcome): approved with meetings unless said.
PLAN = [
    ("chaoyang", 2024, "approved"),
    ("chaoyang", 2025, "approved"),
    ("chaoyang", 2026, "approved"),
    ("haidian", 2025, "approved"),
    ("haidian", 2026, "pending"),
    ("dongcheng", 2025, "rejected"),
    ("dongcheng", 2026, "approved"),
]


def _filer(username: str, fake):
    """Who files the district's salon: the deepest of its demo unions (the company union,
    the street's, the district's own) with enough members, with its staff, its members, and
    who decides: the district's staff, or the city's for a salon of the district itself. In
    a demo too small for any (the test suite's), the company union's staff register the
    members it lacks, as a union does when a salon recruits."""
    for suffix in ("_jc", "_street", ""):
        staff, unit = _posted(username + suffix)
        if staff is None:
            continue
        people = list(selectors.unit_members(unit)[:80])
        if len(people) >= 26:
            return staff, unit, people, _posted(username if suffix else "admin")[0]
    staff, unit = _posted(f"{username}_jc")
    if staff is None:
        return None
    people = list(selectors.unit_members(unit)[:80])
    for _ in range(30 - len(people)):
        person = person_create(
            actor=staff,
            org_unit=unit,
            data={
                "name": fake.name(),
                "no_id_reason": "新入会职工，身份证号待补录",
                "birth_date": fake.date_of_birth(minimum_age=22, maximum_age=58),
            },
        )
        membership_join(actor=staff, person=person, org_unit=unit, joined_on=date(2023, 1, 9))
        people.append(person)
    return staff, unit, people, _posted(username)[0]


def _posted(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return None, None
    post = Post.objects.filter(user=user).select_related("org_unit").first()
    return user, post.org_unit if post else None


def build(world, fake, rng) -> None:
    """A few salons, their decisions and meetings, then the 好讲师 competition;
    ``world.salons`` and ``world.teachers`` for later parts."""
    world.salons = []
    today = workdays.today()
    for username, year, outcome in PLAN:
        if username not in DISTRICT_USERS.values() or year > today.year:
            continue
        found = _filer(username, fake)
        if found is None:
            world.say(f"读书沙龙：{username} 辖区在会会员不足 26 人，跳过")
            continue
        staff, unit, people, district_staff = found
        rng.shuffle(people)
        mentor, members = people[0], people[1 : 1 + rng.randint(25, min(40, len(people) - 1))]
        filed = date(year, 3, rng.randint(1, 20))
        with as_of(at(filed)):
            salon = salon_apply(
                actor=staff,
                org_unit=unit,
                name=rng.choice(NAMES).format(unit.name[:4]),
                year=year,
                theme=rng.choice(THEMES),
                mentor=mentor,
                members=members,
                requested=str(rng.choice([3000, 5000, 6000, 8000])),
            )
        world.salons.append(salon)
        if outcome == "pending":
            continue
        with as_of(at(filed + timedelta(days=7))):
            if outcome == "rejected":
                salon_decide(
                    actor=district_staff,
                    salon=salon,
                    decision="reject",
                    note="读书导师须具备相应的阅读指导经历，请补充导师情况后重新申报",
                )
                continue
            granted = salon.requested_fen // 100 - rng.choice([0, 0, 1000])
            salon_decide(
                actor=district_staff, salon=salon, decision="approve", granted=str(granted)
            )
        last = min(date(year, 12, 20), today - timedelta(days=1))
        day = date(year, 4, 10)
        while day <= last:
            with as_of(at(day, 19)):
                salon_meeting_report(
                    actor=staff,
                    salon=salon,
                    held_on=day,
                    book=rng.choice(BOOKS),
                    summary=f"读书导师{mentor.name}领读，成员分享读书感悟，交流工作中的体会。",
                    attendance=rng.randint(len(members) * 2 // 3, len(members) + 1),
                    photos=[SimpleUploadedFile("活动合影.png", PHOTO, content_type="image/png")],
                )
            day += timedelta(days=rng.randint(40, 70))
    world.say(f"读书沙龙：{len(world.salons)} 个")
    teachers.build(world, fake, rng)  # 寻找职工好讲师教学基本功竞赛 on the contests engine
