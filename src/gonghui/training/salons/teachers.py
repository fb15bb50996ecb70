"""Demo 寻找职工好讲师教学基本功竞赛: the city's teaching-skills competition of the 市总工会职工大学
(首都职工素质建设工程), run on the contests engine through its own services and the contests
demo's one-round builders (``contests.demo.contest_open``, ``contest_experts``, ``run_stage``,
``confirm``), as the district skills contest is.

The entrants are the people who lecture the training's sessions, then people holding a
craftsman title or a model-worker honour, to ``ENTRANTS``: each nominated by their district's
staff (else the organiser). Two stages suited to teaching: 初赛 (教案与说课, two heats, the best
``FINALISTS`` go on) and 决赛 (现场授课 with 现场答辩), each marked by panels of teaching
experts drawn from the pool, its sheets and results locked and published, the advance
confirmed. No titles: the programme confers no honour (the engine gives titles only as
registry honours), so the published places are what the lecturers' page shows."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q

from gonghui.common import workdays
from gonghui.common.demo import at
from gonghui.contests.demo import (
    HEAT_PANEL,
    Clock,
    confirm,
    contest_experts,
    contest_open,
    district_staff,
    nominator,
    run_stage,
    stages_of,
)
from gonghui.contests.entry.services import entrant_nominate, registration_close
from gonghui.contests.models import Entrant
from gonghui.contests.setup.defaults import judgement, measurement
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person, Trade, Unit
from gonghui.registry.models import Award
from gonghui.training.models import Session

ORGANISER = "laomo"  # the city's staff with contests.manage and contests.referee
CITY = "110000"
TRADE = "企业培训师"
ENTRANTS = 20
MIN_ENTRANTS = 6  # fewer: no competition (two heats and a final need them)
FINALISTS = 8
EXPERTS = 5  # the final's panel of five (a trimmed mean drops 1 of 5); heats draw 3
MODEL_WORKER_HONOURS = ("beijing-model-worker", "national-model-worker")

# 初赛：教案与说课 — the lesson plan checked against its required parts, then the teaching
# design and the talk about it judged by every judge of the heat's panel.
PREPARATION = {
    "aspects": [
        measurement("M1", "教案规范", "20"),
        judgement(
            "J1",
            "教学设计",
            "40",
            spread="8",
            descriptors="33–40 目标明确、内容取舍得当、环节设计合理；20–32 基本合理；0–19 设计欠缺",
        ),
        judgement(
            "J2",
            "说课表达",
            "40",
            spread="8",
            descriptors="33–40 思路清晰、语言准确生动、把经验讲成方法；20–32 基本清楚；0–19 表达不清",
        ),
    ],
    "tie_chain": [["score", "desc"], ["J1", "desc"], ["M1", "desc"]],
}
# 决赛：现场授课 — a 20-minute lesson to a class of workers, then questions from the panel.
LESSON = {
    "aspects": [
        measurement("M1", "课时把控", "10"),
        judgement(
            "J1",
            "教学内容",
            "30",
            spread="6",
            descriptors="26–30 内容准确、贴近岗位、经验提炼到位；15–25 基本准确；0–14 有错误",
        ),
        judgement(
            "J2",
            "教学方法与互动",
            "30",
            spread="6",
            descriptors="26–30 方法得当、示范规范、学员参与充分；15–25 基本得当；0–14 照本宣科",
        ),
        judgement(
            "J3",
            "教学效果",
            "30",
            spread="6",
            descriptors="26–30 学员掌握要点、能独立操作；15–25 基本掌握；0–14 效果不明显",
        ),
        judgement(
            "D1",
            "现场答辩",
            "100",
            part="defence",
            spread="15",
            descriptors="85–100 回答准确、见解深入；60–84 基本准确；0–59 回答有误",
        ),
    ],
    "weights": {"practical": 80, "defence": 20},
    "tie_chain": [["score", "desc"], ["practical", "desc"], ["defence", "desc"]],
}


def entrants(limit: int, rng) -> list[Person]:
    """Who enters, each once, as far as the engine takes them (an employer and a birth date
    on record, not merged): the lecturers of the training's sessions not cancelled, most
    sessions first, then holders of an active craftsman title or model-worker honour in an
    order drawn from ``rng``; the first ``limit``."""
    eligible = Person.objects.filter(
        employer__isnull=False, birth_date__isnull=False, merged_into__isnull=True
    )
    sessions = Counter(
        Session.objects.filter(lecturer__in=eligible)
        .exclude(status=Session.Status.CANCELLED)
        .values_list("lecturer_id", flat=True)
    )
    lecturers = sorted(sessions, key=lambda pk: (-sessions[pk], pk))
    holders = sorted(
        set(
            Award.objects.filter(status=Award.Status.ACTIVE, person__in=eligible)
            .filter(Q(honour__is_title=True) | Q(honour__code__in=MODEL_WORKER_HONOURS))
            .values_list("person_id", flat=True)
        )
        - set(lecturers)
    )
    rng.shuffle(holders)
    chosen = (lecturers + holders)[:limit]
    people = Person.objects.in_bulk(chosen)
    return [people[pk] for pk in chosen]


def build(world, fake, rng) -> None:
    """The competition, finished and published; ``world.teachers`` its competition (None
    when the demo has no organiser or too few people to enter)."""
    world.teachers = None
    organiser = get_user_model().objects.filter(username=ORGANISER).first()
    people = entrants(ENTRANTS, rng)
    if organiser is None or len(people) < MIN_ENTRANTS:
        world.say(f"寻找职工好讲师：没有组织者或参赛人不足 {MIN_ENTRANTS} 人，跳过")
        return
    today = workdays.today()
    opens, closes = at(today - timedelta(days=100), 9), at(today - timedelta(days=70), 17)
    ed = contest_open(
        Clock(),
        fake,
        rng,
        organiser=organiser,
        org_unit=OrgUnit.objects.get(code=CITY),
        name=f"{opens.year}年寻找职工好讲师教学基本功竞赛",
        year=opens.year,
        edition=2,
        description="市总工会职工大学首都职工素质建设工程主办，连续第二年举办。以赛促训：帮助"
        "劳模、工匠、首席技师等职工讲师把知识和技能转化为培训课程，把个人经验变为组织经验。",
        trade=Trade.objects.get(name=TRADE),
        competition_name="寻找职工好讲师教学基本功竞赛（职工讲师组）",
        opens=opens,
        closes=closes,
        venue="北京市总工会职工大学",
        timetable="组织推荐（30 天）→ 初赛：教案与说课（两组）→ 决赛：现场授课与现场答辩",
        stages={
            "contest": ("初赛：教案与说课", PREPARATION, {"kind": "top", "n": FINALISTS}),
            "review": ("决赛：现场授课", LESSON, {"kind": "none"}),
        },
        say=world.say,
    )
    competition = ed.competitions[0]
    staff = district_staff()
    span = (closes - opens).total_seconds()
    moments = sorted(opens + timedelta(seconds=span * rng.random()) for _ in people)
    for person, moment in zip(people, moments, strict=True):
        with ed.clock.at(moment):
            entrant = entrant_nominate(
                actor=nominator(person, staff, organiser), competition=competition, person=person
            )
        ed.quality[entrant.pk] = rng.uniform(0.45, 0.95)
    with ed.clock.at(closes):
        registration_close(actor=organiser, competition=competition)
    units = list(Unit.objects.filter(org_unit__isnull=False).order_by("pk"))
    rng.shuffle(units)  # the experts' employers: none an entrant works for (contest_experts)
    contest_experts(
        ed,
        units,
        usernames=[f"teacher-expert{n}" for n in range(1, EXPERTS + 1)],
        moment=at(closes.date() + timedelta(days=1), 10),
    )
    stages = stages_of(competition)
    entered = list(Entrant.objects.filter(competition=competition).order_by("number"))
    heats = [("A1", entered[0::2], None), ("A2", entered[1::2], None)]
    first_day = closes.date() + timedelta(days=10)
    locked_at = run_stage(ed, stages["contest"], first_day, heats, panel_size=HEAT_PANEL)
    confirm(ed, stages["contest"], locked_at + timedelta(hours=3))
    locked_at = run_stage(ed, stages["review"], first_day + timedelta(days=30))
    confirm(ed, stages["review"], locked_at + timedelta(hours=3))
    world.teachers = competition
    world.say(f"寻找职工好讲师：{len(entered)} 名职工讲师参赛，初赛、决赛成绩已公布")
