"""Demo 宣讲团、工会主席接待日与联盟, in Chaoyang (the seeds' district) and the city, built
through the services as at each day (``common.demo.as_of``): 朝阳区劳模工匠宣讲团 with its
honoured speakers and the city's bureau; talks over 2024–2026 booked by Chaoyang's
grassroots unions (most given with their attendance, a few upcoming, one cancelled);
reception days over three years with their problems (most closed, some answered, a few
overdue); 朝阳区劳模联盟, 朝阳区创新工作室联盟 (the studios demo's studios) and
朝阳区重点企业工会联谊会 with members and activities."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from gonghui.common import workdays
from gonghui.common.demo import as_of, at
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person, Unit
from gonghui.registry.models import Award, Studio
from gonghui.training.models import Alliance, Visit
from gonghui.training.outreach import services
from gonghui.training.outreach.selectors import model_worker_q

TOPICS = [
    "新时代劳模精神与工匠精神",
    "我在一线搞创新",
    "从学徒到大工匠",
    "安全生产从我做起",
    "技能改变命运",
    "班组管理的那些事",
    "匠心筑梦 技能报国",
    "名师带徒传绝技",
]
AUDIENCES = ["一线职工", "新入职青年职工", "班组长", "全体职工", "技术骨干"]
PROBLEMS = [
    ("职工食堂就餐高峰拥挤", "一线职工代表"),
    ("夜班职工通勤班车不足", "车间工会主席"),
    ("职工书屋图书陈旧", "青年职工"),
    ("高温季节防暑降温用品发放不及时", "安全员"),
    ("技能等级认定渠道不清楚", "技术骨干"),
    ("子女入托困难", "女职工委员会"),
    ("加班费计算口径有疑问", "职工代表"),
    ("职工疗休养名额少", "工会小组长"),
    ("园区停车位紧张", "企业工会主席"),
]
ANSWERS = ["已协调解决", "已纳入年度工作计划并落实", "已与企业行政沟通，调整相关安排"]


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _workday(day: date) -> date:
    while not workdays.is_workday(day):
        day += timedelta(days=1)
    return day


def build(world, fake, rng) -> None:
    chaoyang = OrgUnit.objects.get(code="110105")
    city = OrgUnit.objects.get(parent__isnull=True)
    staff, admin = _user("chaoyang"), _user("admin")
    today = workdays.today()
    grassroots = list(
        OrgUnit.objects.filter(access.subtree_q(chaoyang), level=OrgUnit.Level.GRASSROOTS).order_by(
            "path"
        )
    )
    honoured = Exists(Award.objects.filter(person=OuterRef("pk"), status=Award.Status.ACTIVE))
    cy_people = list(
        Person.objects.filter(honoured, access.subtree_q(chaoyang, via="org_unit"))
        .filter(merged_into__isnull=True)
        .order_by("pk")
    )
    city_people = list(
        Person.objects.filter(honoured, merged_into__isnull=True)
        .exclude(pk__in=[p.pk for p in cy_people])
        .order_by("pk")[:6]
    )

    # Bureaus and speakers.
    with as_of(at(date(2023, 3, 1))):
        cy_team = services.team_create(
            actor=staff,
            org_unit=chaoyang,
            name="朝阳区劳模工匠宣讲团",
            founded_on=date(2023, 3, 1),
            description="由朝阳区劳动模范、朝阳工匠组成，深入企业、园区、社区宣讲劳模精神、工匠精神。",
        )
        city_team = services.team_create(
            actor=admin,
            org_unit=city,
            name="北京市劳模工匠宣讲团",
            founded_on=date(2023, 3, 1),
            description="市总工会组建，面向全市基层工会提供预约宣讲。",
        )
        cy_speakers = [
            services.speaker_add(actor=staff, team=cy_team, person=p, topics=TOPICS[i % 8])
            for i, p in enumerate(cy_people[:8])
        ]
        city_speakers = [
            services.speaker_add(actor=admin, team=city_team, person=p, topics=TOPICS[-i % 8])
            for i, p in enumerate(city_people)
        ]

    # Talks over 2024-2026: most given, a few upcoming, one cancelled.
    talks = 0
    for n in range(36):
        team, speakers = (cy_team, cy_speakers) if n % 4 else (city_team, city_speakers)
        if not speakers or not grassroots:
            break
        on = _workday(date(2024, 3, 1) + timedelta(days=n * 29 + rng.randrange(10)))
        upcoming = on > today - timedelta(days=3) or n >= 33
        if upcoming:  # a weekday soon (next year's holidays may not be entered yet)
            on = today + timedelta(days=7 + 5 * (n % 5))
            on += timedelta(days=max(0, 7 - on.weekday()) if on.weekday() >= 5 else 0)
        booked = min(on - timedelta(days=14), today)
        with as_of(at(booked)):
            talk = services.talk_book(
                actor=staff,
                team=team,
                org_unit=rng.choice(grassroots),
                on=on,
                topic=rng.choice(TOPICS),
                place=rng.choice(["职工之家", "公司多功能厅", "园区报告厅", "车间会议室"]),
                audience=rng.choice(AUDIENCES),
                expected=rng.randrange(40, 300, 10),
            )
            if n == 20:
                services.talk_cancel(actor=staff, talk=talk, reason="企业生产任务调整，改期另约")
                continue
            if upcoming and n % 2:
                continue  # still waiting for its speaker
            services.talk_confirm(actor=admin, talk=talk, speaker=rng.choice(speakers))
        if not upcoming:
            with as_of(at(on, 17)):
                services.talk_report(
                    actor=staff, talk=talk, attendance=int(talk.expected * rng.uniform(0.8, 1.1))
                )
        talks += 1

    # Reception days over three years with their problems.
    enterprises = list(
        Unit.objects.filter(
            access.subtree_q(chaoyang, via="org_unit"), kind=Unit.Kind.ENTERPRISE
        ).order_by("pk")[:12]
    )
    problems = 0
    for i, enterprise in enumerate(enterprises):
        recent = i >= len(enterprises) - 3
        day = _workday(
            today - timedelta(days=20 + 9 * i)
            if recent
            else date(2024, 4, 10) + timedelta(days=i * 70)
        )
        with as_of(at(day)):
            visit = services.visit_create(
                actor=staff,
                org_unit=chaoyang,
                enterprise=enterprise,
                on=day,
                participants="区总工会主席、副主席，街道工会主席，企业工会主席及职工代表",
                notes=f"走访{enterprise.name}生产一线，了解职工工作生活情况。",
            )
        with as_of(at(day, 15)):
            services.visit_advance(
                actor=staff,
                visit=visit,
                to=Visit.Stage.FORUM,
                notes="召开职工座谈会，听取意见建议。",
            )
            raised = [
                services.problem_raise(
                    actor=staff,
                    visit=visit,
                    text=text,
                    raised_by=who,
                    assignee=enterprise.org_unit if k % 2 else enterprise.org_unit.parent,
                )
                for k, (text, who) in enumerate(rng.sample(PROBLEMS, rng.randrange(2, 4)))
            ]
            services.visit_advance(actor=staff, visit=visit, to=Visit.Stage.SOLVE)
        problems += len(raised)
        for k, problem in enumerate(raised):
            if recent and k == 0:
                continue  # still open: overdue by now
            answered = _workday(day + timedelta(days=5 + k))
            with as_of(at(answered)):
                services.problem_answer(actor=staff, problem=problem, answer=rng.choice(ANSWERS))
            if recent:
                continue  # answered, the enterprise not told yet
            with as_of(at(answered + timedelta(days=2))):
                services.problem_close(
                    actor=staff,
                    problem=problem,
                    told_how=rng.choice(["电话告知", "书面告知", "回访座谈当面反馈"]),
                )
        if not recent:
            with as_of(at(day + timedelta(days=30))):
                services.visit_advance(actor=staff, visit=visit, to=Visit.Stage.DONE)

    # Alliances.
    founded = date(2021, 12, 20)
    with as_of(at(founded)):
        workers = services.alliance_create(
            actor=staff,
            org_unit=chaoyang,
            name="朝阳区劳模联盟",
            kind=Alliance.Kind.MODEL_WORKERS,
            founded_on=founded,
            description="朝阳区劳动模范、先进工作者的交流协作平台。",
        )
        studios_alliance = services.alliance_create(
            actor=staff,
            org_unit=chaoyang,
            name="朝阳区创新工作室联盟",
            kind=Alliance.Kind.STUDIOS,
            founded_on=founded,
            description="区内劳模、工匠、职工创新工作室跨单位协作攻关。",
        )
        friends = services.alliance_create(
            actor=staff,
            org_unit=chaoyang,
            name="朝阳区重点企业工会联谊会",
            kind=Alliance.Kind.ENTERPRISES,
            founded_on=founded,
            description="区内重点企业工会交流工作经验、共商职工服务。",
        )
    joined = date(2022, 1, 10)
    model_workers = Person.objects.filter(
        model_worker_q(), access.subtree_q(chaoyang, via="org_unit"), merged_into__isnull=True
    ).order_by("pk")[:15]
    studios = [
        s
        for s in getattr(world, "studios", None) or Studio.objects.order_by("pk")
        if s.status == Studio.Status.ACTIVE and chaoyang.contains(s.org_unit)
    ]
    with as_of(at(joined)):
        for person in model_workers:
            services.alliance_member_add(
                actor=staff, alliance=workers, person=person, joined_on=joined
            )
        for studio in studios:
            services.alliance_member_add(
                actor=staff, alliance=studios_alliance, studio=studio, joined_on=joined
            )
        for union in grassroots[:10]:
            services.alliance_member_add(
                actor=staff, alliance=friends, member_unit=union, joined_on=joined
            )
    activities = [
        (workers, "座谈", "劳模座谈会：新时代劳模精神"),
        (workers, "参观", "参观大国工匠展"),
        (studios_alliance, "交流", "创新工作室成果交流会"),
        (studios_alliance, "参观", "走进市级示范创新工作室"),
        (friends, "座谈", "重点企业工会主席座谈会"),
        (friends, "交流", "职工服务工作经验交流"),
    ]
    for year in (2024, 2025, 2026):
        for j, (alliance, kind, title) in enumerate(activities):
            on = _workday(date(year, 3 + j, 12))
            if on > today:
                continue
            with as_of(at(on)):
                services.alliance_activity_add(
                    actor=staff,
                    alliance=alliance,
                    on=on,
                    title=f"{year}年{title}",
                    kind=kind,
                    participants=rng.randrange(15, 80),
                )
    world.speaker_team = cy_team
    world.say(
        f"宣讲与接待：宣讲团 2 个、宣讲 {talks} 场、接待日 {len(enterprises)} 次（问题 {problems} 个）、"
        f"联盟 3 个（工作室 {len(studios)} 家）"
    )
