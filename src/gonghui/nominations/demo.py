"""Demo campaigns: last year's 首都劳动奖章, finished (three notices, awards in the registry),
and this year's, in progress — nominated through the services, in its first notice period,
with an open objection."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from gonghui.common.workdays import SHANGHAI, CalendarMissing, end_of_day, today
from gonghui.nominations import services
from gonghui.nominations.models import Campaign, Nomination, Notice, Quota, Rule, Step
from gonghui.nominations.workflow import State
from gonghui.orgs.models import OrgUnit, Post
from gonghui.people.models import Person
from gonghui.people.services import person_create
from gonghui.registry.deeds import deeds_of
from gonghui.registry.models import Honour
from gonghui.registry.services import award_create

FORM = b"%PDF-1.4\n% demo nomination form\n"
BRIEFS = [
    "扎根地铁检修一线二十余年，主持攻克信号系统故障诊断难题，年均排除隐患百余项。",
    "带领班组开展技术革新十余项，获国家发明专利三项，为企业节约成本数百万元。",
    "坚守环卫一线，首创分类收运工作法并在全区推广，多次圆满完成重大活动保障任务。",
    "深耕数控加工领域，带徒二十余名，多人成长为技师、高级技师。",
    "长期奋战在社区服务一线，组建志愿服务队，服务居民万余人次。",
]
OBJECTION = "反映该同志申报材料中所列技术成果的主要完成人另有其人，可调阅项目验收材料核实。"


def build(fake, rng) -> None:
    User = get_user_model()
    admin = User.objects.get(username="admin")
    honour = Honour.objects.get(code="capital-labour-medal")
    posts = {
        p.user.username: p
        for p in Post.objects.select_related("user", "org_unit").filter(
            user__username__in=["chaoyang", "chaoyang_jc", "haidian", "haidian_jc"]
        )
    }
    with transaction.atomic():
        _finished(admin, honour, posts, fake, rng)
    with transaction.atomic():
        _in_progress(admin, honour, posts, fake, rng)


def _person(admin, unit: OrgUnit, fake, rng, **work) -> Person:
    return person_create(
        actor=admin,
        org_unit=unit,
        data={
            "name": fake.name(),
            "gender": rng.choice(["M", "F"]),
            "birth_date": date(
                1965 + rng.randrange(25), 1 + rng.randrange(12), 1 + rng.randrange(28)
            ),
            "no_id_reason": "演示数据",
            "post_title": work.pop("post_title", rng.choice(["班组长", "技师", "工程师", "主任"])),
            **work,
        },
    )


def _finished(admin, honour, posts, fake, rng) -> None:
    """Last year's campaign as its records stand after approval (written directly: its
    dates are past, so the services' clocks would refuse to replay it)."""
    year = today().year - 1
    city = OrgUnit.objects.get(parent__isnull=True)
    campaign = Campaign.objects.create(
        honour=honour,
        year=year,
        name=f"{year}年首都劳动奖章评选",
        org_unit=city,
        status=Campaign.Status.CLOSED,
        nominate_from=date(year, 3, 1),
        nominate_until=date(year, 3, 31),
        notice_fields=["name", "gender", "unit_post", "brief"],
        objection_contact="市总工会劳模工作部  电话 010-6000 0000",
        clearance_departments=["纪检监察", "税务", "审计", "人力社保", "安全生产"],
    )
    days = [
        (date(year, 4, 7), "first"),
        (date(year, 4, 21), "second"),
        (date(year, 4, 28), "final"),
    ]
    approved = []
    for username in ("chaoyang", "haidian"):
        node = posts[username].org_unit
        unit = posts[f"{username}_jc"].org_unit
        quota = Quota.objects.create(
            campaign=campaign, org_unit=node, allowed=3, used=2, submitted_at=_at(date(year, 4, 15))
        )
        for i in range(2):
            person = _person(admin, unit, fake, rng, is_front_line=True)
            nomination = Nomination.objects.create(
                campaign=campaign,
                person=person,
                org_unit=unit,
                quota=quota,
                state=State.APPROVED,
                is_front_line=True,
                post_title=person.post_title,
                categories="|一线职工|",
                brief=BRIEFS[i],
                deeds=deeds_of(rng, person, honour, year),
                meeting_on=date(year, 3, 10),
                meeting_attendance=40 + i,
                meeting_result="全票通过",
            )
            for action, day in (("nominate", date(year, 3, 20)), ("approve", date(year, 5, 8))):
                Step.objects.create(
                    nomination=nomination,
                    action=action,
                    state=nomination.state,
                    actor=admin,
                    at=_at(day),
                )
            approved.append(nomination)
    for starts_on, stage in days:
        ends_on = _period(campaign, starts_on)
        notice = Notice.objects.create(
            campaign=campaign,
            stage=stage,
            org_unit=city,
            title=f"{campaign.name}{Notice.Stage(stage).label}",
            starts_on=starts_on,
            ends_on=ends_on,
            closes_at=end_of_day(ends_on),
            fields=campaign.notice_fields,
            contact=campaign.objection_contact,
            published_by=admin,
        )
        notice.nominations.set(approved)
    for nomination in approved:
        award_create(
            actor=admin, honour=honour, person=nomination.person, year=year, deeds=nomination.deeds
        )


def _in_progress(admin, honour, posts, fake, rng) -> None:
    """This year's campaign through the services: nominated, in its first notice, objected."""
    now = today()
    campaign = services.campaign_create(
        actor=admin,
        honour=honour,
        year=now.year,
        nominate_from=now - timedelta(days=20),
        nominate_until=now + timedelta(days=40),
        objection_contact="市总工会劳模工作部  电话 010-6000 0000  电子邮箱 laomo@example.org",
    )
    for username in ("chaoyang", "haidian"):
        services.quota_set(
            actor=admin, campaign=campaign, org_unit=posts[username].org_unit, allowed=4
        )
    services.rule_add(
        actor=admin,
        campaign=campaign,
        kind=Rule.Kind.AT_LEAST,
        attribute=Rule.Attribute.FRONT_LINE,
        percent=45,
        per_node=True,
    )
    services.rule_add(
        actor=admin,
        campaign=campaign,
        kind=Rule.Kind.AT_MOST,
        attribute=Rule.Attribute.RANK,
        value=Person.Rank.ENTERPRISE_HEAD,
        percent=10,
    )
    services.rule_add(
        actor=admin,
        campaign=campaign,
        kind=Rule.Kind.EXCLUDED,
        attribute=Rule.Attribute.RANK,
        value=Person.Rank.SENIOR_OFFICIAL,
    )
    services.campaign_open(actor=admin, campaign=campaign)
    for username in ("chaoyang", "haidian"):
        grassroots = posts[f"{username}_jc"]
        nominated = []
        for i, front_line in enumerate((True, True, False)):
            person = _person(
                admin,
                grassroots.org_unit,
                fake,
                rng,
                is_front_line=front_line,
                rank=Person.Rank.WORKER if front_line else Person.Rank.TECHNICIAN,
            )
            nominated.append(
                services.nomination_save(
                    actor=grassroots.user,
                    campaign=campaign,
                    person_id=person.pk,
                    brief=BRIEFS[i + 2 * (username == "haidian")],
                    deeds=deeds_of(rng, person, honour, now.year, given=False),
                    categories=["一线职工"] if front_line else [],
                    meeting_on=now - timedelta(days=10),
                    meeting_attendance=36 + i,
                    meeting_result=f"赞成{33 + i}票，反对0票，弃权{3 - i}票",
                    document=SimpleUploadedFile("推荐表.pdf", FORM),
                    submit=True,
                )
            )
        _period(campaign, now)
        notice = services.notice_publish(
            actor=grassroots.user, campaign=campaign, stage="first", nominations=nominated
        )
        if username == "chaoyang":
            services.objection_file(
                notice=notice,
                nomination=nominated[0],
                text=OBJECTION,
                name="王先生",
                contact="13800138000",
                source="demo",
            )
            services.objection_file(
                notice=notice,
                nomination=nominated[1],
                text="反映其所在班组考勤记录与事迹材料不符，请核实。",
                anonymous=True,
                source="demo",
            )


def _period(campaign: Campaign, starts_on: date) -> date:
    """A notice's last day; the demo may run in a year whose holiday schedule nobody has
    entered yet, and then counts that campaign's notices in calendar days instead."""
    try:
        return services.notice_period(campaign, starts_on)
    except CalendarMissing:
        campaign.notice_calendar_days = True
        campaign.save(update_fields=["notice_calendar_days"])
        return services.notice_period(campaign, starts_on)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=SHANGHAI)
