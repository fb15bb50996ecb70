"""一报告两审核三公示, end to end, and each refusal on the way."""

from datetime import date

import pytest

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.common.models import CalendarYear
from gonghui.nominations import selectors, services
from gonghui.nominations.models import Nomination, Notice, Quota
from gonghui.nominations.workflow import TRANSITIONS, State, refusal
from gonghui.people.models import Person
from gonghui.registry.models import Award
from gonghui.registry.services import award_create
from tests.factories import make_person
from tests.nominations.conftest import MATERIALS, at, nominate


def reload(n: Nomination) -> Nomination:
    return Nomination.objects.get(pk=n.pk)


def first_notice_closed(clock, users, campaign, nomination) -> None:
    """The unit puts ``nomination`` on its first notice, and the clock moves past its close
    (2025-10-01): the first review may start."""
    services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=[nomination]
    )
    clock.move_to(at(2025, 10, 1))


def test_the_whole_procedure_writes_the_awards(clock, campaign, nominees, users, tree):
    zhao, wu, qian = nominees["赵郁"], nominees["武润泽"], nominees["钱学"]
    assert reload(zhao).state == State.NOMINATED
    # First notice at the unit: 5 working days from Mon 2025-09-22 end on Fri 09-26.
    first = services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=[zhao, wu]
    )
    assert (first.starts_on, first.ends_on) == (date(2025, 9, 22), date(2025, 9, 26))
    services.notice_publish(
        actor=users.hd_grass, campaign=campaign, stage="first", nominations=[qian]
    )
    # The review waits for the notice to close at midnight after its last day.
    clock.move_to(at(2025, 9, 26, 23, 59))
    with pytest.raises(Conflict, match="公示期满后"):
        services.nominations_advance(actor=users.cy, nominations=[zhao], action="first_pass")
    clock.move_to(at(2025, 9, 27, 0, 0))
    services.nominations_advance(
        actor=users.cy, nominations=[zhao, wu], action="first_pass", opinion="同意"
    )
    services.nominations_advance(actor=users.hd, nominations=[qian], action="first_pass")
    services.node_list_submit(actor=users.cy, campaign=campaign, org_unit=tree.chaoyang)
    services.node_list_submit(actor=users.hd, campaign=campaign, org_unit=tree.haidian)
    # Second notice by the city: published Sunday 09-28 (a make-up workday), it skips the
    # National Day holiday and ends on 2025-10-10.
    clock.move_to(at(2025, 9, 28, 9))
    second = services.notice_publish(
        actor=users.admin, campaign=campaign, stage="second", nominations=[zhao, wu, qian]
    )
    assert second.ends_on == date(2025, 10, 10)
    clock.move_to(at(2025, 10, 11, 8))
    services.nominations_advance(
        actor=users.admin, nominations=[zhao, qian], action="second_pass", opinion="评委会通过"
    )
    services.nominations_advance(
        actor=users.admin, nominations=[wu], action="second_reject", opinion="事迹不够突出"
    )
    final = services.notice_publish(
        actor=users.admin, campaign=campaign, stage="final", nominations=[zhao, qian]
    )
    clock.move_to(at(2025, 10, 20, 9))
    services.nominations_advance(
        actor=users.admin, nominations=[zhao, qian], action="approve", opinion="批准"
    )
    assert final.ends_on == date(2025, 10, 16)  # from Saturday 10-11, a make-up workday
    awards = Award.objects.filter(honour=campaign.honour, year=2025)
    assert sorted(a.person.name for a in awards) == ["赵郁", "钱学"]
    assert reload(wu).state == State.REJECTED and reload(wu).reason == "事迹不够突出"
    # The public follows a nominee through the notices that listed them, to the outcome.
    _, listed, outcome = selectors.public_nominee(final, zhao.pk)
    assert (len(listed), outcome) == (3, "已批准表彰")
    assert selectors.public_nominee(second, wu.pk)[2] == "未通过"
    assert [s.action for s in reload(zhao).steps.all()] == [
        "create",
        "nominate",
        "first_notice",
        "first_pass",
        "second_notice",
        "second_pass",
        "final_notice",
        "approve",
    ]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"nominations.approve", "registry.award_create", "nominations.notice_publish"} <= (
        actions
    )


def test_steps_out_of_order_are_refused(campaign, nominees, users):
    zhao = nominees["赵郁"]
    with pytest.raises(Conflict, match="“已推荐（待基层公示）”状态下不能初审通过"):
        services.nominations_advance(actor=users.cy, nominations=[zhao], action="first_pass")
    with pytest.raises(Conflict, match="不能批准表彰"):
        services.nominations_advance(actor=users.admin, nominations=[zhao], action="approve")


def test_a_step_at_the_wrong_level_is_refused(clock, campaign, nominees, users):
    zhao = nominees["赵郁"]
    # The unit cannot review; Haidian cannot even see Chaoyang's nominee.
    first_notice_closed(clock, users, campaign, zhao)
    with pytest.raises(Forbidden, match="须由朝阳区总工会办理"):
        services.nominations_advance(actor=users.cy_grass, nominations=[zhao], action="first_pass")
    with pytest.raises(NotFound):
        services.nominations_advance(actor=users.hd, nominations=[zhao], action="first_pass")


def test_a_rejection_needs_a_reason(clock, campaign, nominees, users):
    zhao = nominees["赵郁"]
    first_notice_closed(clock, users, campaign, zhao)
    with pytest.raises(ValidationFailed, match="不通过须写明理由"):
        services.nominations_advance(actor=users.cy, nominations=[zhao], action="first_reject")


def test_a_failed_batch_changes_nothing(clock, campaign, nominees, users):
    zhao, wu = nominees["赵郁"], nominees["武润泽"]
    first_notice_closed(clock, users, campaign, zhao)
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict, match="武润泽"):
        services.nominations_advance(actor=users.cy, nominations=[zhao, wu], action="first_pass")
    assert reload(zhao).state == State.FIRST_NOTICE
    assert AuditEvent.objects.count() == events


def test_a_submission_needs_the_materials_the_report_meeting_and_the_form(campaign, users, tree):
    person = make_person(tree.cy_grass, "孙明", is_front_line=True)
    draft = services.nomination_create(
        actor=users.cy_grass, campaign=campaign, person_id=person.pk, org_unit=tree.cy_grass
    )
    with pytest.raises(ValidationFailed) as caught:
        services.nomination_submit(actor=users.cy_grass, nomination=draft)
    assert set(caught.value.fields) == {
        "brief",
        "deeds",
        "meeting_on",
        "meeting_attendance",
        "meeting_result",
        "attachments",
    }


def test_a_brief_over_500_characters_is_refused(campaign, users, tree):
    with pytest.raises(ValidationFailed, match="不超过 500 字"):
        services.nomination_create(
            actor=users.cy_grass,
            campaign=campaign,
            person_id=make_person(tree.cy_grass, "周强").pk,
            org_unit=tree.cy_grass,
            **{**MATERIALS, "brief": "字" * 501},
        )


def test_a_unit_nominates_only_its_own_people(campaign, users, tree):
    elsewhere = make_person(tree.hd_grass, "李海")
    with pytest.raises(ValidationFailed, match="不是本单位"):
        services.nomination_create(
            actor=users.cy_grass, campaign=campaign, person_id=elsewhere.pk, org_unit=tree.cy_grass
        )


def test_no_one_is_nominated_twice_in_a_campaign(campaign, users, tree, nominees):
    with pytest.raises(Conflict, match="已被推荐"):
        services.nomination_create(
            actor=users.cy_grass,
            campaign=campaign,
            person_id=nominees["赵郁"].person.pk,
            org_unit=tree.cy_grass,
        )


def test_a_holder_of_the_honour_in_its_cycle_is_not_nominated(campaign, users, tree):
    # Yearly: the same year.
    holder = make_person(tree.cy_grass, "王芳")
    award_create(actor=users.admin, honour=campaign.honour, person=holder, year=2025)
    with pytest.raises(ValidationFailed, match="2025 年获得“首都劳动奖章”"):
        services.nomination_create(
            actor=users.cy_grass, campaign=campaign, person_id=holder.pk, org_unit=tree.cy_grass
        )


def test_a_national_honour_needs_its_prerequisite(clock, users, tree, honours):
    national = honours["national-model-worker"]
    if not national.prerequisites.exists():
        pytest.skip("catalogue without prerequisites")
    campaign = services.campaign_create(
        actor=users.admin,
        honour=national,
        year=2025,
        nominate_from=date(2025, 9, 1),
        nominate_until=date(2025, 12, 31),
    )
    services.quota_set(actor=users.admin, campaign=campaign, org_unit=tree.chaoyang, allowed=2)
    services.campaign_open(actor=users.admin, campaign=campaign)
    person = make_person(tree.cy_grass, "冯军")
    with pytest.raises(ValidationFailed, match="须已获得"):
        services.nomination_create(
            actor=users.cy_grass, campaign=campaign, person_id=person.pk, org_unit=tree.cy_grass
        )


def test_a_withdrawal_needs_a_reason(campaign, nominees, users):
    with pytest.raises(ValidationFailed, match="撤回原因"):
        services.nomination_withdraw(
            actor=users.cy_grass, nomination=nominees["武润泽"], reason=" "
        )


def test_a_replacement_withdraws_the_nominee_and_returns_the_place(campaign, nominees, users, tree):
    wu = nominees["武润泽"]
    new = services.nomination_save(
        actor=users.cy_grass,
        campaign=campaign,
        replaces=wu,
        reason="本人身体原因",
        person_id=make_person(tree.cy_grass, "郑丽", is_front_line=True).pk,
        **MATERIALS,
    )
    assert reload(wu).state == State.WITHDRAWN and new.replaces_id == wu.pk
    assert Quota.objects.get(campaign=campaign, org_unit=tree.chaoyang).used == 1


def test_no_withdrawal_after_the_first_review(clock, campaign, nominees, users):
    zhao = nominees["赵郁"]
    first_notice_closed(clock, users, campaign, zhao)
    services.nominations_advance(actor=users.cy, nominations=[zhao], action="first_pass")
    with pytest.raises(Conflict, match="不能撤回推荐"):
        services.nomination_withdraw(actor=users.cy_grass, nomination=zhao, reason="改变主意")


def test_managers_need_every_clearance(clock, campaign, users, tree, hd_grass_user):
    users.hd_grass = hd_grass_user
    boss = nominate(users, tree, campaign, "韩冰", rank=Person.Rank.MANAGER, is_front_line=False)
    first_notice_closed(clock, users, campaign, boss)
    with pytest.raises(ValidationFailed, match="尚缺纪检监察、税务、审计、人力社保、安全生产"):
        services.nominations_advance(actor=users.cy, nominations=[boss], action="first_pass")
    for department in campaign.clearance_departments:
        services.clearance_record(
            actor=users.cy, nomination=boss, department=department, opinion="无不良记录"
        )
    services.nominations_advance(actor=users.cy, nominations=[boss], action="first_pass")
    assert reload(boss).state == State.FIRST_PASSED


def test_notice_into_a_year_without_a_schedule_is_refused(clock, campaign, nominees, users):
    clock.move_to(at(2025, 10, 20))
    CalendarYear.objects.filter(year=2026).delete()
    with pytest.raises(Exception, match="2026 年的法定节假日安排尚未录入"):
        services.notice_publish(
            actor=users.cy_grass,
            campaign=campaign,
            stage="first",
            nominations=[nominees["赵郁"]],
            starts_on=date(2025, 12, 29),
        )
    assert Notice.objects.count() == 0
    assert reload(nominees["赵郁"]).state == State.NOMINATED


def test_a_nominee_listed_twice_in_a_batch_counts_once(clock, campaign, nominees, users, tree):
    wu = nominees["武润泽"]
    first_notice_closed(clock, users, campaign, wu)
    done = services.nominations_advance(
        actor=users.cy, nominations=[wu, wu], action="first_reject", opinion="事迹不实"
    )
    assert len(done) == 1 and reload(wu).steps.filter(action="first_reject").count() == 1
    assert Quota.objects.get(campaign=campaign, org_unit=tree.chaoyang).used == 1


def test_clearances_are_recorded_only_before_the_first_review(clock, campaign, nominees, users):
    wu = nominees["武润泽"]
    first_notice_closed(clock, users, campaign, wu)
    services.nominations_advance(
        actor=users.cy, nominations=[wu], action="first_reject", opinion="事迹不实"
    )
    with pytest.raises(Conflict, match="初审前征求"):
        services.clearance_record(actor=users.cy, nomination=wu, department="税务", opinion="无")


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_illegal_transition_is_refused_by_name(action):
    transition = TRANSITIONS[action]
    for state in State:
        message = refusal(action, state)
        if state in transition.sources:
            assert message is None
        else:
            assert f"“{state.label}”状态下不能{transition.label}" in message
