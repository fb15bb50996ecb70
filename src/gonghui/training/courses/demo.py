"""Demo 工匠讲堂 (seed 003): the Beijing Economic-Technological Development Area's union
(北京经济技术开发区总工会, 亦庄) runs it with 首都工匠学院 — 11 past sessions given by 10
lecturers holding a registry honour, 现场观摩+理论授课+实训操作, capacities summing to about
2,600 and about 2,500 attendances (a member may attend several), certificates issued; and
one upcoming session open for enrolment, full, with a waitlist. A smaller demo (the tests')
is scaled down to its people.

Past enrolments are laid down as rows (their windows closed long ago; one demo event
records them); attendance goes through the bulk sign-in service, certificates through their
service, the upcoming session's enrolments through the enrolment service."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import id_ranges, record
from gonghui.common.formats import SHANGHAI
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Membership, Person
from gonghui.registry.models import Award
from gonghui.training.courses import services
from gonghui.training.models import Enrolment, Session

TITLES = [
    "精密数控加工的误差控制",
    "新能源汽车电池包装配工艺",
    "集成电路封装测试实操",
    "工业机器人示教与维护",
    "生物医药洁净车间管理",
    "高端装备焊接技术",
    "智能产线故障诊断",
    "光刻设备精密调校",
    "质量管理与QC小组活动",
    "技能传承：名师带徒经验谈",
    "安全生产与班组管理",
]
MODES = "现场观摩+理论授课+实训操作"
CAPACITY = 236  # 11 × 236 = 2,596 seats
PRESENT = 0.965  # about 2,500 attendances


def build(world, fake, rng) -> None:
    admin = get_user_model().objects.get(username="admin")
    district = OrgUnit.objects.get(code="JKQ")
    members = list(
        Membership.objects.filter(status=Membership.Status.ACTIVE)
        .order_by("person_id")
        .values_list("person_id", flat=True)
    )
    scale = min(1.0, len(members) / 3000)
    capacity = max(4, round(CAPACITY * scale))
    honoured = list(
        Person.objects.filter(
            pk__in=Award.objects.filter(person__isnull=False).values("person_id")
        ).order_by("pk")[:10]
    )
    course = services.course_create(
        actor=admin,
        org_unit=district,
        name="工匠讲堂",
        kind="lecture",
        partner="首都工匠学院",
        description="由首届“亦城工匠”主讲，现场观摩、理论授课与实训操作相结合，面向全体会员。",
    )
    services.course_publish(actor=admin, course=course)
    sessions = []
    first = datetime(2025, 3, 14, 14, 0, tzinfo=SHANGHAI)
    for n, title in enumerate(TITLES):
        starts = first + timedelta(weeks=3 * n)
        lecturer = honoured[n % len(honoured)] if honoured else None
        session = services.session_create(
            actor=admin,
            course=course,
            title=title,
            modes=MODES,
            place=rng.choice(["首都工匠学院实训基地", "亦庄职工之家报告厅", "经开区技能实训中心"]),
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            capacity=capacity,
            lecturer=lecturer,
            lecturer_name="" if lecturer else "亦城工匠",
            audience=None,
            enrol_opens_at=starts - timedelta(days=14),
            enrol_closes_at=starts - timedelta(days=1),
        )
        sessions.append(session)
        _past_session(session, admin, rng.sample(members, min(capacity, len(members))), rng)
    world.say(
        f"工匠讲堂：{len(sessions)} 期，签到 "
        f"{sum(s.attendances.count() for s in sessions)} 人次，听课证明已出具"
    )
    now = timezone.now()
    starts = (now + timedelta(days=10)).replace(hour=14, minute=0, second=0, microsecond=0)
    upcoming = services.session_create(
        actor=admin,
        course=course,
        title="数字化车间与精益生产",
        modes=MODES,
        place="首都工匠学院实训基地",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        capacity=max(3, round(30 * scale)),
        lecturer=honoured[0] if honoured else None,
        lecturer_name="" if honoured else "亦城工匠",
        audience=None,
        enrol_opens_at=now - timedelta(days=1),
        enrol_closes_at=starts - timedelta(days=1),
    )
    # Full, and a waitlist of five, through the enrolment service (staff on members' behalf).
    latest = set(members[-(upcoming.capacity + 5) :])
    for person in Person.objects.filter(pk__in=latest).order_by("pk"):
        services.enrolment_create(actor=admin, session=upcoming, person=person)
    world.lecture = course
    world.lecture_sessions = [*sessions, upcoming]
    world.open_session = upcoming


def _past_session(session: Session, admin, people: list[int], rng) -> None:
    """The past session's enrolments as rows (seated, arrival order), its attendance by the
    bulk sign-in service, its certificates by theirs."""
    with transaction.atomic():
        rows = Enrolment.objects.bulk_create(
            [
                Enrolment(
                    session=session,
                    person_id=p,
                    status=Enrolment.Status.SEATED,
                    seated_at=session.enrol_opens_at,
                    created_by=admin,
                )
                for p in people
            ]
        )
        Session.objects.filter(pk=session.pk).update(seated=len(rows))
        record(
            actor=None,
            action=Action.DEMO_BUILD,
            obj=session,
            changes={"enrolments": [None, id_ranges(r.pk for r in rows)]},
        )
    present = [p for p in people if rng.random() < PRESENT]
    services.attendance_bulk(
        actor=admin, session=session, people=list(Person.objects.filter(pk__in=present))
    )
    services.certificates_issue(actor=admin, session=session)
