"""Enrolment by rule (按规则纳入): who a run enrols, the deadline before the Spring Festival,
idempotent re-enrolment, the budget, cancelling an entitlement."""

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import NotFound, ValidationFailed
from gonghui.funds.enrolment import criteria
from gonghui.funds.enrolment.deadlines import spring_festival_deadline
from gonghui.funds.enrolment.services import entitlement_cancel, run_create, run_enrol
from gonghui.funds.ledger import payment_id
from gonghui.funds.models import Budget, Entitlement, Hardship, LedgerEntry, RuleVersion, Run
from gonghui.people.models import Membership, Person
from gonghui.registry.models import Award, Honour
from tests.factories import make_member, make_person

pytestmark = pytest.mark.django_db

JANUARY = datetime(2026, 1, 12, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
MODEL_WORKER = "beijing-model-worker"
SPRING_RULE = {
    "kind": "fixed",
    "amount": 300000,
    "enrol": {
        "honours": [MODEL_WORKER, "national-model-worker"],
        "hardship": ["一般困难", "特别困难"],
        "min_age": 0,
        "amounts_by_grade": {"一般困难": 500000, "特别困难": 1200000},
    },
}


@pytest.fixture
def clock():
    with time_machine.travel(JANUARY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def spring(funds, clock):
    """Chaoyang's Spring Festival condolence money with its enrolment rule (v2)."""
    RuleVersion.objects.create(programme=funds.condolence, version=2, rule=SPRING_RULE)
    return funds.condolence


def model_worker(unit, name, grade="特别困难", *, honour=MODEL_WORKER, member=True, **extra):
    """A person with an active award of ``honour`` and an open hardship of ``grade``."""
    person = make_member(unit, name, **extra) if member else make_person(unit, name, **extra)
    Award.objects.create(
        honour=Honour.objects.get(code=honour), person=person, org_unit=unit, year=2010
    )
    if grade:
        Hardship.objects.create(person=person, org_unit=unit, grade=grade, since=date(2024, 1, 1))
    return person


def new_run(actor, programme, unit, **more):
    return run_create(
        actor=actor, programme=programme, org_unit=unit, name="2026年春节慰问", year=2026, **more
    )


def changes(event) -> dict:
    return json.loads(event.body)["changes"]


def enrolled(run) -> dict[str, int]:
    return {
        e.person.name: e.amount
        for e in Entitlement.objects.filter(run=run).select_related("person")
    }


# --- The deadline ----------------------------------------------------------------------------


def test_the_deadline_is_the_last_working_day_before_the_spring_festival(db):
    # 2026: the holiday runs 15-23 February (春节 17 Feb); Saturday 14 February is worked.
    assert spring_festival_deadline(2026) == date(2026, 2, 14)
    # 2025: 春节 29 January, the holiday from Tuesday the 28th: Monday the 27th.
    assert spring_festival_deadline(2025) == date(2025, 1, 27)
    # 2024: holiday 10-17 February; Sunday 4 February worked, Friday the 9th a workday.
    assert spring_festival_deadline(2024) == date(2024, 2, 9)


def test_a_year_the_calendar_does_not_know_is_refused_naming_the_deadline(db):
    with pytest.raises(ValidationFailed) as refused:
        spring_festival_deadline(2031)
    assert "2031 年的法定节假日安排尚未录入" in refused.value.fields["deadline"]


def test_run_create_computes_the_deadline_and_records_its_event(spring, tree, users):
    run = new_run(users.cy, spring, tree.chaoyang)
    assert run.deadline == date(2026, 2, 14)
    assert run.status == "open"
    event = AuditEvent.objects.get(action="funds.run_create")
    assert event.stream == spring.stream


def test_run_create_refuses_an_apply_programme_a_foreign_unit_and_a_past_deadline(
    spring, funds, tree, users
):
    with pytest.raises(ValidationFailed) as refused:
        new_run(users.admin, funds.illness, tree.city)
    assert "申请类项目" in refused.value.fields["programme"]
    with pytest.raises(ValidationFailed) as refused:
        new_run(users.admin, spring, tree.haidian)
    assert "朝阳" in refused.value.fields["org_unit"]
    with pytest.raises(ValidationFailed) as refused:
        new_run(users.cy, spring, tree.chaoyang, deadline=date(2026, 1, 5))
    assert "已过" in refused.value.fields["deadline"]
    assert not AuditEvent.objects.filter(action="funds.run_create").exists()


def test_run_create_needs_funds_manage_at_the_unit(spring, tree, users):
    with pytest.raises(NotFound):  # Haidian's staff cannot see Chaoyang at all
        new_run(users.hd, spring, tree.chaoyang)
    with pytest.raises(NotFound):  # a grassroots post sees nothing above it
        new_run(users.cy_grass, spring, tree.chaoyang)


def test_a_programme_without_an_enrolment_rule_cannot_have_a_run(funds, clock, tree, users):
    with pytest.raises(ValidationFailed) as refused:
        new_run(users.cy, funds.condolence, tree.chaoyang)
    assert "enrol" in refused.value.fields["programme"]


# --- Who is enrolled -------------------------------------------------------------------------


def test_enrolment_follows_honour_grade_age_subtree_and_dates(spring, tree, users):
    RuleVersion.objects.create(
        programme=spring,
        version=3,
        rule=SPRING_RULE | {"enrol": SPRING_RULE["enrol"] | {"min_age": 60}},
    )
    run = new_run(users.cy, spring, tree.chaoyang)  # deadline 2026-02-14
    model_worker(tree.cy_grass, "严秀兰", "特别困难", birth_date=date(1942, 3, 1))
    model_worker(tree.cy_grass, "一般", "一般困难", birth_date=date(1966, 2, 14))  # 60 that day
    model_worker(tree.cy_grass, "差一天", birth_date=date(1966, 2, 15))  # 60 the day after
    model_worker(
        tree.cy_grass, "全国劳模", honour="national-model-worker", birth_date=date(1950, 1, 1)
    )
    model_worker(tree.hd_grass, "海淀劳模", birth_date=date(1950, 1, 1))  # outside the subtree
    model_worker(
        tree.cy_grass, "先进", honour="beijing-advanced-worker", birth_date=date(1950, 1, 1)
    )
    model_worker(tree.cy_grass, "不困难", grade=None, birth_date=date(1950, 1, 1))
    ended = model_worker(tree.cy_grass, "已脱困", birth_date=date(1950, 1, 1))
    Hardship.objects.filter(person=ended).update(until=date(2026, 2, 13))  # ended before
    still = model_worker(tree.cy_grass, "截止日脱困", birth_date=date(1950, 1, 1))
    Hardship.objects.filter(person=still).update(until=date(2026, 2, 14))  # open that day
    revoked = model_worker(tree.cy_grass, "已撤销", birth_date=date(1950, 1, 1))
    Award.objects.filter(person=revoked).update(status="revoked", revoked_on=date(2020, 1, 1))
    later = model_worker(tree.cy_grass, "未认定", birth_date=date(1950, 1, 1))
    Hardship.objects.filter(person=later).update(since=date(2026, 2, 15))  # not yet
    left = model_worker(tree.cy_grass, "已离会", birth_date=date(1950, 1, 1))
    Membership.objects.filter(person=left).update(status="left", left_on=date(2021, 1, 1))
    retired = model_worker(tree.cy_grass, "退休劳模", birth_date=date(1940, 1, 1))
    Membership.objects.filter(person=retired).update(status="left", left_on=date(2021, 1, 1))
    Person.objects.filter(pk=retired.pk).update(status="retired")
    gone = model_worker(tree.cy_grass, "已故劳模", birth_date=date(1940, 1, 1))
    Person.objects.filter(pk=gone.pk).update(status="deceased")
    model_worker(tree.cy_grass, "无生日", no_id_reason="历史档案", birth_date=None)

    run = run_enrol(actor=users.cy, run=run)

    assert enrolled(run) == {
        "严秀兰": 1200000,
        "一般": 500000,
        "全国劳模": 1200000,
        "截止日脱困": 1200000,
        "退休劳模": 1200000,
    }
    assert run.enrolled == 5 and run.status == "enrolled" and run.rule_version.version == 3
    e = Entitlement.objects.get(run=run, person__name="严秀兰")
    assert e.payment_id == payment_id(run_id=run.pk, person_id=e.person_id)
    assert e.org_unit == tree.cy_grass and e.year == 2026 and e.status == "owed"
    assert e.budget == Budget.objects.get(programme=spring, year=2026)


def test_the_default_amount_and_the_retired_switch(spring, tree, users):
    RuleVersion.objects.create(
        programme=spring,
        version=3,
        rule={
            "kind": "fixed",
            "amount": 200000,
            "enrol": {"honours": [MODEL_WORKER], "retired": False},
        },
    )
    run = new_run(users.cy, spring, tree.chaoyang)
    model_worker(tree.cy_grass, "在会劳模", grade=None)
    retired = model_worker(tree.cy_grass, "退休劳模", grade=None)
    Membership.objects.filter(person=retired).update(status="left", left_on=date(2021, 1, 1))
    Person.objects.filter(pk=retired.pk).update(status="retired")

    assert enrolled(run_enrol(actor=users.cy, run=run)) == {"在会劳模": 200000}


def test_criteria_problems_name_the_field():
    assert criteria.problems(SPRING_RULE) == {}
    assert "enrol" in criteria.problems({"kind": "fixed", "amount": 1})
    bad = {"kind": "fixed", "enrol": {"hardship": ["一般困难"], "min_age": -1, "colour": 1}}
    found = criteria.problems(bad)
    assert set(found) == {"enrol", "enrol.min_age", "amount"}
    assert "一般困难" in found["amount"]
    assert criteria.born_by(date(2026, 2, 28), 2) == date(2024, 2, 28)
    assert criteria.born_by(date(2024, 2, 29), 1) == date(2023, 2, 28)


# --- Budget, idempotence, cancelling ---------------------------------------------------------


def test_one_ledger_row_for_the_total_and_one_event(spring, tree, users):
    run = new_run(users.cy, spring, tree.chaoyang)
    model_worker(tree.cy_grass, "甲", "特别困难")
    model_worker(tree.cy_street, "乙", "一般困难")

    run_enrol(actor=users.cy, run=run)

    (row,) = LedgerEntry.objects.filter(programme=spring)
    assert (row.kind, row.amount, row.entitlement) == ("commit", 1700000, None)
    assert run.name in row.note
    assert Budget.objects.get(programme=spring).committed == 1700000
    (event,) = AuditEvent.objects.filter(action="funds.run_enrol")
    assert changes(event)["enrolled"] == [0, 2]
    assert changes(event)["total"] == [None, 1700000]
    assert changes(event)["rule_version"] == [None, 2]


def test_enrolling_again_adds_only_the_newly_eligible(spring, tree, users):
    run = new_run(users.cy, spring, tree.chaoyang)
    model_worker(tree.cy_grass, "甲", "特别困难")
    run_enrol(actor=users.cy, run=run)
    run_enrol(actor=users.cy, run=run)  # nothing new: nothing doubled
    assert Entitlement.objects.filter(run=run).count() == 1
    assert LedgerEntry.objects.filter(programme=spring).count() == 1

    model_worker(tree.cy_grass, "乙", "一般困难")
    run = run_enrol(actor=users.cy, run=run)

    assert enrolled(run) == {"甲": 1200000, "乙": 500000}
    assert run.enrolled == 2
    assert list(LedgerEntry.objects.filter(programme=spring).values_list("amount", flat=True)) == [
        1200000,
        500000,
    ]
    assert Budget.objects.get(programme=spring).committed == 1700000


def test_over_budget_is_refused_and_nothing_is_enrolled(spring, tree, users):
    Budget.objects.filter(programme=spring).update(amount=1500000)
    run = new_run(users.cy, spring, tree.chaoyang)
    model_worker(tree.cy_grass, "甲", "特别困难")
    model_worker(tree.cy_grass, "乙", "一般困难")

    with pytest.raises(ValidationFailed) as refused:
        run_enrol(actor=users.cy, run=run)

    assert "超出预算" in refused.value.fields["amount"]
    run.refresh_from_db()
    assert (run.status, run.enrolled) == ("open", 0)
    assert not Entitlement.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert Budget.objects.get(programme=spring).committed == 0
    assert not AuditEvent.objects.filter(action="funds.run_enrol").exists()


def test_no_budget_is_refused_naming_the_budget(spring, tree, users):
    run = new_run(users.cy, spring, tree.chaoyang)
    Budget.objects.filter(programme=spring).delete()
    with pytest.raises(ValidationFailed) as refused:
        run_enrol(actor=users.cy, run=run)
    assert "未设2026年" in refused.value.fields["budget"]


def test_cancel_releases_the_commitment(spring, tree, users):
    run = new_run(users.cy, spring, tree.chaoyang)
    model_worker(tree.cy_grass, "甲", "特别困难")
    run_enrol(actor=users.cy, run=run)
    e = Entitlement.objects.get(run=run)

    with pytest.raises(ValidationFailed) as refused:
        entitlement_cancel(actor=users.cy, entitlement=e, reason=" ")
    assert "原因" in refused.value.fields["reason"]
    with pytest.raises(NotFound):
        entitlement_cancel(actor=users.hd, entitlement=e, reason="重复")

    entitlement_cancel(actor=users.cy, entitlement=e, reason="本人已故")

    e.refresh_from_db()
    assert e.status == "cancelled"
    release = LedgerEntry.objects.get(kind="release")
    assert (release.amount, release.entitlement) == (-1200000, e)
    assert Budget.objects.get(programme=spring).committed == 0
    event = AuditEvent.objects.get(action="funds.entitlement_cancel")
    assert changes(event)["reason"] == [None, "本人已故"]
    with pytest.raises(ValidationFailed) as refused:
        entitlement_cancel(actor=users.cy, entitlement=e, reason="再取消")
    assert "已取消" in refused.value.fields["entitlement"]
    # Enrolling again does not bring the cancelled person back.
    run_enrol(actor=users.cy, run=run)
    assert Entitlement.objects.filter(run=run).count() == 1


# --- Two enrolments of one run at once ---------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_enrolments_at_once_enrol_each_person_once(spring, tree, users):
    import threading

    from django.db import connection

    run = new_run(users.cy, spring, tree.chaoyang)
    model_worker(tree.cy_grass, "甲", "特别困难")
    model_worker(tree.cy_street, "乙", "一般困难")
    barrier, failures = threading.Barrier(2), []

    def enrol():
        try:
            barrier.wait()
            run_enrol(actor=users.cy, run=Run.objects.get(pk=run.pk))
        except Exception as exc:  # noqa: BLE001  (reported below)
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(enrolled(run).values()) == [500000, 1200000]
    commits = LedgerEntry.objects.filter(programme=spring, kind="commit")
    assert list(commits.values_list("amount", flat=True)) == [1700000]
    assert Budget.objects.get(programme=spring, year=2026).committed == 1700000
    assert Run.objects.get(pk=run.pk).enrolled == 2
