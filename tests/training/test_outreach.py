"""Outreach services and selectors against the database: booking a bureau (own union or
above only), reporting attendance (not before the date, never negative), reception-day
problems with working-day deadlines across a holiday and a make-up Saturday, answer by the
assignee only, close only with the enterprise told, the stage order, alliance members of
the alliance's kind (service and database), the talk counts, and scope."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from gonghui.audit.models import AuditEvent
from gonghui.common import workdays
from gonghui.common.demo import at
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.training.models import Alliance, AllianceMember, Problem, Talk, Visit
from gonghui.training.outreach import selectors, services
from tests.factories import make_person, make_user
from tests.training.outreach_world import (  # noqa: F401 (in_2026: autouse)
    active_studio,
    alliance,
    in_2026,
    make_outreach,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def outreach(tree, users, honours):
    return make_outreach(tree, users, honours)


def book(users, tree, team, on=None, **extra):
    return services.talk_book(
        actor=extra.pop("actor", users.cy_grass),
        team=team,
        org_unit=extra.pop("org_unit", tree.cy_grass),
        on=on or workdays.today() + timedelta(days=7),
        topic=extra.pop("topic", "劳模精神进企业"),
        place=extra.pop("place", "公司多功能厅"),
        audience="一线职工",
        expected=extra.pop("expected", 120),
    )


# --- Talks -----------------------------------------------------------------------------------


def test_grassroots_books_its_district_and_the_city_bureau_never_another_district(
    tree, users, outreach
):
    assert book(users, tree, outreach.cy_team).status == Talk.Status.REQUESTED
    assert book(users, tree, outreach.city_team).team == outreach.city_team
    with pytest.raises(ValidationFailed) as refused:
        book(users, tree, outreach.hd_team)
    assert "本级或上级" in refused.value.fields["team"]
    assert Talk.objects.filter(team=outreach.hd_team).count() == 0
    bookable = set(selectors.bookable_teams(users.cy_grass))
    assert bookable == {outreach.cy_team, outreach.city_team}


def test_a_booking_needs_apply_at_the_booking_union(tree, users, outreach):
    with pytest.raises(NotFound):
        book(users, tree, outreach.cy_team, actor=users.cy_grass, org_unit=tree.hd_grass)
    with pytest.raises(NotFound):
        book(users, tree, outreach.cy_team, actor=users.auditor)


def test_bad_booking_names_each_field_and_writes_nothing(tree, users, outreach):
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        book(
            users,
            tree,
            outreach.cy_team,
            on=workdays.today() - timedelta(days=1),
            topic=" ",
            place="",
            expected=-5,
        )
    fields = refused.value.fields
    assert fields["on"] == "宣讲日期不能早于今天"
    assert fields["topic"] == "请填写宣讲题目"
    assert fields["place"] == "请填写地点"
    assert fields["expected"] == "预计人数不能为负数"
    assert Talk.objects.count() == 0 and AuditEvent.objects.count() == events


def test_confirm_report_attendance_only_from_the_date(tree, users, outreach):
    today = workdays.today()
    talk = book(users, tree, outreach.cy_team, on=today + timedelta(days=3))
    with pytest.raises(ValidationFailed):  # a speaker of another bureau
        services.talk_confirm(actor=users.cy, talk=talk, speaker=outreach.hd_speaker)
    with pytest.raises(Forbidden):  # the booking union does not arrange the bureau's talks
        services.talk_confirm(actor=users.cy_grass, talk=talk, speaker=outreach.cy_speaker)
    talk = services.talk_confirm(actor=users.cy, talk=talk, speaker=outreach.cy_speaker)
    assert talk.status == Talk.Status.CONFIRMED and talk.speaker == outreach.cy_speaker

    with pytest.raises(ValidationFailed) as early:
        services.talk_report(actor=users.cy_grass, talk=talk, attendance=100)
    assert "之后才能填报" in early.value.fields["attendance"]
    with time_machine.travel(at(today + timedelta(days=3), 16), tick=False):
        with pytest.raises(ValidationFailed) as negative:
            services.talk_report(actor=users.cy_grass, talk=talk, attendance=-1)
        assert negative.value.fields["attendance"] == "实到人数不能为负数"
        with pytest.raises(NotFound):  # another district's staff
            services.talk_report(actor=users.hd, talk=talk, attendance=100)
        talk = services.talk_report(actor=users.cy_grass, talk=talk, attendance=136)
        with pytest.raises(Conflict):
            services.talk_report(actor=users.cy_grass, talk=talk, attendance=140)
    talk.refresh_from_db()
    assert (talk.status, talk.attendance) == (Talk.Status.DONE, 136)


def test_cancel_needs_a_reason_and_the_database_agrees(tree, users, outreach):
    talk = book(users, tree, outreach.cy_team)
    with pytest.raises(ValidationFailed) as refused:
        services.talk_cancel(actor=users.cy, talk=talk, reason="")
    assert refused.value.fields == {"reason": "请填写取消原因"}
    services.talk_cancel(actor=users.cy_grass, talk=talk, reason="单位生产任务调整")
    with pytest.raises(Conflict):
        services.talk_cancel(actor=users.cy, talk=talk, reason="再取消")
    with pytest.raises(IntegrityError), transaction.atomic():
        Talk.objects.filter(pk=talk.pk).update(cancel_reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Talk.objects.filter(pk=talk.pk).update(status=Talk.Status.DONE)


def test_talk_stats_by_district_and_drill_down_exact(tree, users, outreach):
    today = workdays.today()
    hd_grass = make_user("hd_grass_t", tree.hd_grass, "grassroots_staff")
    given = [
        (users.cy_grass, tree.cy_grass, outreach.cy_team, 120),
        (users.cy_grass, tree.cy_grass, outreach.city_team, 80),
        (users.cy_street, tree.cy_street, outreach.cy_team, 45),
        (hd_grass, tree.hd_grass, outreach.hd_team, 60),
    ]
    for actor, unit, team, came in given:
        talk = book(users, tree, team, actor=actor, org_unit=unit, on=today)
        speaker = outreach.hd_speaker if team == outreach.hd_team else outreach.cy_speaker
        if team == outreach.city_team:
            speaker = services.speaker_add(
                actor=users.admin, team=team, person=outreach.craftsman, topics="航天焊接"
            )
        services.talk_confirm(actor=users.admin, talk=talk, speaker=speaker)
        services.talk_report(actor=actor, talk=talk, attendance=came)
    book(users, tree, outreach.cy_team)  # booked, not given: not counted

    rows = {
        r.name: (r.talks, r.attendance) for r in selectors.talk_stats(users.admin, year=today.year)
    }
    assert rows == {tree.chaoyang.name: (3, 245), tree.haidian.name: (1, 60)}
    drill = selectors.talk_stats(users.admin, year=today.year, district=tree.chaoyang)
    assert {r.name: (r.talks, r.attendance) for r in drill} == {
        tree.cy_street.name: (1, 45),
        tree.cy_grass.name: (2, 200),
    }
    # Chaoyang's staff count only Chaoyang's; another year is empty.
    assert [r.name for r in selectors.talk_stats(users.cy, year=today.year)] == [tree.chaoyang.name]
    assert selectors.talk_stats(users.admin, year=today.year - 1) == []


def test_speakers_hold_an_honour_and_come_from_the_bureaus_union(tree, users, outreach):
    plain = make_person(tree.cy_grass, name="无荣誉")
    with pytest.raises(ValidationFailed) as refused:
        services.speaker_add(actor=users.cy, team=outreach.cy_team, person=plain, topics="x")
    assert "没有有效的荣誉" in refused.value.fields["person"]
    hd_person = outreach.hd_speaker.person
    with pytest.raises(ValidationFailed) as outside:
        services.speaker_add(actor=users.cy, team=outreach.cy_team, person=hd_person, topics="x")
    assert "范围内" in outside.value.fields["person"]
    with pytest.raises(ValidationFailed):
        services.speaker_add(
            actor=users.cy, team=outreach.cy_team, person=outreach.model_worker, topics="又一次"
        )
    found = list(selectors.speaker_candidates(users.cy, outreach.cy_team, "高凤林"))
    assert found == [outreach.craftsman]
    services.speaker_remove(actor=users.cy, speaker=outreach.cy_speaker)
    again = services.speaker_add(
        actor=users.cy, team=outreach.cy_team, person=outreach.model_worker, topics="回来了"
    )
    assert again.pk == outreach.cy_speaker.pk and again.active


# --- Reception days ----------------------------------------------------------------------------


def test_deadline_in_working_days_across_national_day_and_a_make_up_saturday(tree, users, outreach):
    # Raised Monday 2026-09-28: 9-29, 9-30, (10-1..10-7 off), 10-8, 10-9, Saturday 10-10
    # (a make-up working day), 10-12 .. 10-16: the tenth working day is Friday 10-16.
    with time_machine.travel(at(date(2026, 9, 28)), tick=False):
        problem = services.problem_raise(
            actor=users.cy,
            visit=outreach.visit,
            text="职工食堂就餐拥挤",
            raised_by="一线职工代表",
            assignee=tree.cy_grass,
        )
        assert (problem.raised_on, problem.due_on) == (date(2026, 9, 28), date(2026, 10, 16))
        assert selectors.deadline(problem).left == 10
    with time_machine.travel(at(date(2026, 10, 10)), tick=False):  # the make-up Saturday
        assert selectors.deadline(problem).label == "剩余 5 个工作日"
    with time_machine.travel(at(date(2026, 10, 20)), tick=False):
        d = selectors.deadline(problem)
        assert (d.left, d.overdue, d.label) == (0, 2, "已超期 2 个工作日")
        assert list(selectors.problem_list(users.cy, overdue=True)) == [problem]
    with time_machine.travel(at(date(2026, 9, 28)), tick=False):
        short = services.problem_raise(
            actor=users.cy, visit=outreach.visit, text="停车难", assignee=tree.cy_street, days=3
        )
    assert short.due_on == date(2026, 10, 8)  # 9-29, 9-30, then after the holiday


def test_problem_answer_by_the_assignee_only_and_close_needs_the_enterprise_told(
    tree, users, outreach
):
    problem = services.problem_raise(
        actor=users.cy, visit=outreach.visit, text="班车线路少", assignee=tree.cy_street
    )
    with pytest.raises(NotFound):  # the grassroots union below is not the assignee
        services.problem_answer(actor=users.cy_grass, problem=problem, answer="我们来办")
    with pytest.raises(NotFound):
        services.problem_answer(actor=users.hd, problem=problem, answer="我们来办")
    with pytest.raises(Conflict):  # nothing to close before an answer
        services.problem_close(actor=users.cy, problem=problem, told_how="电话告知")
    with pytest.raises(ValidationFailed) as empty:
        services.problem_answer(actor=users.cy_street, problem=problem, answer=" ")
    assert empty.value.fields == {"answer": "请填写答复"}
    problem = services.problem_answer(
        actor=users.cy_street, problem=problem, answer="已协调公交公司增开线路"
    )
    assert problem.status == Problem.Status.ANSWERED and problem.answered_by == users.cy_street
    assert selectors.problems_waiting(users.cy_street) == []

    with pytest.raises(ValidationFailed) as untold:
        services.problem_close(actor=users.cy, problem=problem, told_how="")
    assert untold.value.fields == {"told_how": "请填写告知企业的方式"}
    with pytest.raises(Forbidden):  # the assignee does not close
        services.problem_close(actor=users.cy_street, problem=problem, told_how="电话")
    problem = services.problem_close(actor=users.cy, problem=problem, told_how="座谈会当面反馈")
    assert problem.status == Problem.Status.CLOSED and problem.told_at is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Problem.objects.filter(pk=problem.pk).update(told_how="")


def test_reassign_sets_a_new_deadline_and_the_new_assignee_answers(tree, users, outreach):
    problem = services.problem_raise(
        actor=users.cy, visit=outreach.visit, text="职工书屋缺书", assignee=tree.cy_street
    )
    services.problem_answer(actor=users.cy_street, problem=problem, answer="暂无经费")
    with pytest.raises(ValidationFailed) as outside:
        services.problem_assign(actor=users.cy, problem=problem, assignee=tree.hd_grass)
    assert outside.value.fields["assignee"] == "责任单位应为本工会或其下级工会"
    problem = services.problem_assign(
        actor=users.cy, problem=problem, assignee=tree.cy_grass, days=5, note="由企业工会落实"
    )
    assert problem.status == Problem.Status.OPEN and problem.answer == ""
    assert problem.due_on == workdays.add_workdays(workdays.today() + timedelta(days=1), 5)
    waiting = selectors.problems_waiting(users.cy_grass)
    assert waiting == [problem] and waiting[0].deadline.left is not None
    with pytest.raises(NotFound):
        services.problem_answer(actor=users.hd, problem=problem, answer="x")
    services.problem_answer(actor=users.cy_grass, problem=problem, answer="工会经费购书 300 册")


def test_stages_move_forward_one_at_a_time_and_end_when_every_problem_is_closed(
    tree, users, outreach
):
    visit = outreach.visit
    with pytest.raises(ValidationFailed) as skip:
        services.visit_advance(actor=users.cy, visit=visit, to=Visit.Stage.SOLVE)
    assert skip.value.fields["to"] == "只能从“走访”进入“座谈”"
    services.visit_advance(actor=users.cy, visit=visit, to=Visit.Stage.FORUM, notes="座谈会召开")
    with pytest.raises(ValidationFailed):  # never back
        services.visit_advance(actor=users.cy, visit=visit, to=Visit.Stage.VISIT)
    problem = services.problem_raise(
        actor=users.cy, visit=visit, text="加班费计算", assignee=tree.cy_grass
    )
    services.visit_advance(actor=users.cy, visit=visit, to=Visit.Stage.SOLVE)
    with pytest.raises(ValidationFailed) as open_left:
        services.visit_advance(actor=users.cy, visit=visit, to=Visit.Stage.DONE)
    assert open_left.value.fields["to"] == "还有 1 个问题未办结，不能办结接待日"
    services.problem_answer(actor=users.cy_grass, problem=problem, answer="已按法定标准核算")
    services.problem_close(actor=users.cy, problem=problem, told_how="书面告知")
    visit = services.visit_advance(actor=users.cy, visit=visit, to=Visit.Stage.DONE)
    assert visit.stage == Visit.Stage.DONE and "座谈会召开" in visit.notes
    with pytest.raises(Conflict):
        services.visit_advance(actor=users.cy, visit=visit, to=Visit.Stage.DONE)
    with pytest.raises(ValidationFailed):
        services.problem_raise(actor=users.cy, visit=visit, text="再提", assignee=tree.cy_grass)


def test_visit_bad_input_and_scope(tree, users, outreach):
    with pytest.raises(ValidationFailed) as refused:
        services.visit_create(
            actor=users.cy,
            org_unit=tree.chaoyang,
            enterprise=outreach.hd_company,
            on=None,
            participants="",
        )
    assert set(refused.value.fields) == {"enterprise", "on", "participants"}
    with pytest.raises(NotFound):
        services.visit_create(
            actor=users.cy,
            org_unit=tree.haidian,
            enterprise=outreach.hd_company,
            on=date(2025, 1, 1),
            participants="x",
        )


# --- Alliances -------------------------------------------------------------------------------


def test_alliance_members_are_of_the_alliances_kind(tree, users, outreach):
    workers = alliance(users, tree, Alliance.Kind.MODEL_WORKERS, "朝阳区劳模联盟")
    studios = alliance(users, tree, Alliance.Kind.STUDIOS, "朝阳区创新工作室联盟")
    friends = alliance(users, tree, Alliance.Kind.ENTERPRISES, "朝阳区重点企业工会联谊会")
    studio = active_studio(tree, outreach.company)

    services.alliance_member_add(actor=users.cy, alliance=workers, person=outreach.model_worker)
    with pytest.raises(ValidationFailed) as craftsman:  # a craftsman, not a model worker
        services.alliance_member_add(actor=users.cy, alliance=workers, person=outreach.craftsman)
    assert "劳动模范或先进工作者" in craftsman.value.fields["member"]
    with pytest.raises(ValidationFailed):
        services.alliance_member_add(actor=users.cy, alliance=workers, studio=studio)
    with pytest.raises(ValidationFailed) as twice:
        services.alliance_member_add(actor=users.cy, alliance=workers, person=outreach.model_worker)
    assert twice.value.fields == {"member": "已是本联盟成员"}

    services.alliance_member_add(actor=users.cy, alliance=studios, studio=studio)
    studio.status = "offered"
    studio.save()
    other = active_studio(tree, outreach.company, "另一工作室")
    other.status = "offered"
    other.save()
    with pytest.raises(ValidationFailed) as offered:
        services.alliance_member_add(actor=users.cy, alliance=studios, studio=other)
    assert "尚未挂牌" in offered.value.fields["member"]

    services.alliance_member_add(actor=users.cy, alliance=friends, member_unit=tree.cy_grass)
    with pytest.raises(ValidationFailed):  # a street union is no enterprise union
        services.alliance_member_add(actor=users.cy, alliance=friends, member_unit=tree.cy_street)
    with pytest.raises(ValidationFailed):  # another district's
        services.alliance_member_add(actor=users.cy, alliance=friends, member_unit=tree.hd_grass)

    # The database holds one kind per member row, whatever code writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        AllianceMember.objects.create(
            alliance=friends, member_unit=tree.cy_street, person=outreach.model_worker
        )
    assert AllianceMember.objects.count() == 3


def test_activities_not_in_the_future_of_a_kind_by_year(tree, users, outreach):
    workers = alliance(users, tree, Alliance.Kind.MODEL_WORKERS)
    with pytest.raises(ValidationFailed) as refused:
        services.alliance_activity_add(
            actor=users.cy,
            alliance=workers,
            on=workdays.today() + timedelta(days=1),
            title="",
            kind="聚餐",
            participants=-1,
        )
    assert set(refused.value.fields) == {"on", "title", "kind", "participants"}
    for on in (date(2024, 5, 1), date(2025, 4, 28), date(2025, 10, 9)):
        services.alliance_activity_add(
            actor=users.cy, alliance=workers, on=on, title="劳模座谈", kind="座谈", participants=20
        )
    years = selectors.activities_by_year(workers)
    assert [(y, len(a)) for y, a in years] == [(2025, 2), (2024, 1)]
    with pytest.raises(Forbidden):
        services.alliance_activity_add(
            actor=users.cy_grass, alliance=workers, on=date(2025, 1, 1), title="x", kind="交流"
        )


# --- Scope -----------------------------------------------------------------------------------


def test_chaoyang_staff_find_none_of_haidians_rows(tree, users, outreach):
    hd_grass = make_user("hd_grass_t", tree.hd_grass, "grassroots_staff")
    talk = book(users, tree, outreach.hd_team, actor=hd_grass, org_unit=tree.hd_grass)
    problem = services.problem_raise(
        actor=users.hd, visit=outreach.hd_visit, text="x", assignee=tree.hd_grass
    )
    hd_alliance = services.alliance_create(
        actor=users.hd, org_unit=tree.haidian, name="海淀区劳模联盟", kind="model_workers"
    )
    for get, obj in (
        (selectors.team_get, outreach.hd_team),
        (selectors.talk_get, talk),
        (selectors.visit_get, outreach.hd_visit),
        (selectors.problem_get, problem),
        (selectors.alliance_get, hd_alliance),
    ):
        with pytest.raises(NotFound):
            get(users.cy, obj.pk)
        assert get(users.hd, obj.pk) == obj
    assert outreach.hd_team not in selectors.team_list(users.cy)
    assert talk not in selectors.talk_list(users.cy)
    assert problem not in selectors.problem_list(users.cy)
    assert outreach.hd_visit not in selectors.visit_list(users.cy)
    assert hd_alliance not in selectors.alliance_list(users.cy)
    # A grassroots union sees the bureaus above it (it books them), not its neighbours'.
    assert set(selectors.team_list(users.cy_grass)) == {outreach.city_team, outreach.cy_team}
