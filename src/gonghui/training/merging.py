"""What a merge of two records of one person (registry.merging) does with training's rows:
every row of the loser goes to the record kept. Where the database holds one row a person
(an enrolment or attendance of a session, a quiz's submission, a salon's, studio's,
bureau's or alliance's membership), a merge of two records that both hold one is refused
until staff cancel or remove one of them."""

from __future__ import annotations

from gonghui.registry.merging import simple_carrier
from gonghui.registry.models import Studio
from gonghui.training.models import (
    AllianceMember,
    Attendance,
    Enrolment,
    Salon,
    SalonMember,
    Session,
    Speaker,
    StudioMember,
    Submission,
)


def _both_in(model, parent: str, message: str, **live):
    """A blocker: both records hold a row of the same ``parent`` (one a person there)."""

    def blockers(*, survivor, loser, actor) -> list[str]:
        rows = model.objects.filter(**live)
        theirs = rows.filter(person=survivor).values(parent)
        both = rows.filter(person=loser, **{f"{parent}__in": theirs}).count()
        return [message.format(n=both)] if both else []

    return blockers


simple_carrier(
    key="training_enrolments",
    label="课程报名",
    model=Enrolment,
    blockers=_both_in(
        Enrolment,
        "session",
        "两份档案同时报名了 {n} 个相同的课程场次，请先取消其中一份的报名",
        status__in=[Enrolment.Status.SEATED, Enrolment.Status.WAITLISTED],
    ),
)
simple_carrier(
    key="training_attendances",
    label="课程签到",
    model=Attendance,
    blockers=_both_in(Attendance, "session", "两份档案在 {n} 个相同的课程场次都有签到记录"),
)
simple_carrier(
    key="training_submissions",
    label="现场答题记录",
    model=Submission,
    blockers=_both_in(Submission, "quiz", "两份档案在 {n} 场相同的现场答题中都有答题记录"),
)
simple_carrier(key="training_lectures", label="主讲的课程场次", model=Session, field="lecturer")
simple_carrier(key="training_mentored", label="担任读书导师的沙龙", model=Salon, field="mentor")
simple_carrier(
    key="training_salon_members",
    label="读书沙龙成员",
    model=SalonMember,
    blockers=_both_in(SalonMember, "salon", "两份档案同在 {n} 个读书沙龙中，请先移除其中一份"),
)
simple_carrier(
    key="training_studio_members",
    label="创新工作室成员",
    model=StudioMember,
    blockers=_both_in(StudioMember, "studio", "两份档案同在 {n} 个创新工作室中，请先移除其中一份"),
)
simple_carrier(
    key="training_studios_named",
    label="以其命名的创新工作室",
    model=Studio,
    field="named_after",
)
simple_carrier(
    key="training_speakers",
    label="宣讲团成员",
    model=Speaker,
    blockers=_both_in(Speaker, "team", "两份档案同在 {n} 个宣讲团中，请先移除其中一份"),
)
simple_carrier(
    key="training_alliance_members",
    label="联盟成员",
    model=AllianceMember,
    blockers=_both_in(AllianceMember, "alliance", "两份档案同在 {n} 个联盟中，请先移除其中一份"),
)
