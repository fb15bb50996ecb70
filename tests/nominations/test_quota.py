"""Quotas and structure rules: maximums refused at submission (also when submissions race),
minimums checked when a node reports its list, exclusions refused outright."""

import threading
import time
from functools import partial

import pytest
from django.db import connections

from gonghui.common.errors import ValidationFailed
from gonghui.nominations import rules, services
from gonghui.nominations.models import Nomination, Objection, Quota, Rule, RuleCounter
from gonghui.people.models import Person
from tests.factories import make_person
from tests.nominations.conftest import at, counted, nominate


def test_quota_page_counts_every_rule_per_node_and_overall(campaign, nominees, tree):
    nodes, overall = rules.quota_status(campaign)
    by_node = {n.quota.org_unit.name: n for n in nodes}
    chaoyang = by_node[tree.chaoyang.name]
    assert (chaoyang.total, chaoyang.quota.allowed) == (2, 4)
    (front_line,) = chaoyang.rules
    assert (front_line.count, front_line.ok) == (1, True)  # 1 of 2 front-line: 50%
    assert [(s.count, s.total, s.ok) for s in overall] == [(0, 3, True)]


def test_a_full_quota_refuses_the_next_submission(campaign, users, tree):
    for name in ("甲一", "甲二", "甲三", "甲四"):
        nominate(users, tree, campaign, name)
    fifth = nominate(users, tree, campaign, "甲五", submit=False)
    with pytest.raises(ValidationFailed, match=r"朝阳区总工会的名额已用完（4/4）"):
        services.nomination_submit(actor=users.cy_grass, nomination=fifth)
    assert Nomination.objects.get(pk=fifth.pk).state == "draft"


def test_at_most_rule_refuses_at_submission(campaign, users, tree):
    nominate(users, tree, campaign, "总经理甲", rank=Person.Rank.ENTERPRISE_HEAD)
    second = nominate(
        users, tree, campaign, "总经理乙", rank=Person.Rank.ENTERPRISE_HEAD, submit=False
    )
    with pytest.raises(ValidationFailed, match="全部名单中企业负责人不高于 20%（最多 1 人）"):
        services.nomination_submit(actor=users.cy_grass, nomination=second)
    # The quota place taken before the rule refused is given back with the transaction.
    assert Quota.objects.get(campaign=campaign, org_unit=tree.chaoyang).used == 1


def test_minimum_share_is_checked_when_the_node_reports(clock, campaign, users, tree):
    a = nominate(users, tree, campaign, "乙一", is_front_line=False)
    b = nominate(users, tree, campaign, "乙二", is_front_line=False)
    c = nominate(users, tree, campaign, "乙三", is_front_line=True)
    services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=[a, b, c]
    )
    clock.move_to(at(2025, 10, 1))
    services.nominations_advance(actor=users.cy, nominations=[a, b], action="first_pass")
    with pytest.raises(ValidationFailed, match="尚有未完成初审的被推荐人：乙三"):
        services.node_list_submit(actor=users.cy, campaign=campaign, org_unit=tree.chaoyang)
    services.nominations_advance(
        actor=users.cy, nominations=[c], action="first_reject", opinion="材料不实"
    )
    with pytest.raises(ValidationFailed, match="一线职工不低于 50%”（现 0/2）"):
        services.node_list_submit(actor=users.cy, campaign=campaign, org_unit=tree.chaoyang)
    assert Quota.objects.get(campaign=campaign, org_unit=tree.chaoyang).submitted_at is None


def exclude_senior_officials(campaign, users) -> None:
    services.rule_add(
        actor=users.admin,
        campaign=campaign,
        kind=Rule.Kind.EXCLUDED,
        attribute=Rule.Attribute.RANK,
        value=Person.Rank.SENIOR_OFFICIAL,
    )


def test_excluded_rank_cannot_be_nominated(campaign, users, tree):
    exclude_senior_officials(campaign, users)
    official = make_person(tree.cy_grass, "局长", rank=Person.Rank.SENIOR_OFFICIAL)
    with pytest.raises(ValidationFailed, match="局级及以上干部不得推荐"):
        services.nomination_create(
            actor=users.cy_grass, campaign=campaign, person_id=official.pk, org_unit=tree.cy_grass
        )


def test_quota_cannot_drop_below_use(campaign, nominees, users, tree):
    with pytest.raises(ValidationFailed, match="已推荐 2 人"):
        services.quota_set(actor=users.admin, campaign=campaign, org_unit=tree.chaoyang, allowed=1)


def test_district_staff_do_not_set_quotas(campaign, users, tree):
    with pytest.raises(Exception):  # noqa: B017 - district staff do not set quotas
        services.quota_set(actor=users.cy, campaign=campaign, org_unit=tree.chaoyang, allowed=9)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_submissions_never_pass_a_limit(campaign, users, tree, hd_grass_user):
    """Haidian has 2 places; six drafts are submitted at once, each on its own connection:
    exactly two pass. Three enterprise heads race for the campaign's one head place."""
    users.hd_grass = hd_grass_user
    drafts = [
        nominate(users, tree, campaign, f"丙{i}", unit=tree.hd_grass, submit=False)
        for i in range(6)
    ]
    heads = [
        nominate(users, tree, campaign, f"丁{i}", rank=Person.Rank.ENTERPRISE_HEAD, submit=False)
        for i in range(3)
    ]
    start = threading.Barrier(len(drafts) + len(heads))
    passed, refused, failed = [], [], []

    def submit(nomination, actor):
        try:
            start.wait()
            services.nomination_submit(actor=actor, nomination=nomination)
            passed.append(nomination.pk)
        except ValidationFailed:
            refused.append(nomination.pk)
        except BaseException as exc:
            failed.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(d, users.hd_grass)) for d in drafts] + [
        threading.Thread(target=submit, args=(h, users.cy_grass)) for h in heads
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failed == []
    assert len(set(passed) & {d.pk for d in drafts}) == 2
    assert len(set(passed) & {h.pk for h in heads}) == 1
    assert len(refused) == 6
    assert Quota.objects.get(campaign=campaign, org_unit=tree.haidian).used == 2
    assert RuleCounter.objects.get(rule__campaign=campaign, rule__kind=Rule.Kind.AT_MOST).used == 1


def test_the_counters_agree_with_a_recount(clock, campaign, nominees, users, tree):
    """The quota page reads the counters the submissions keep; after nominating,
    withdrawing, rejecting and an upheld objection they equal a count of the rows."""
    zhao, wu = nominees["赵郁"], nominees["武润泽"]
    head = nominate(users, tree, campaign, "总经理丙", rank=Person.Rank.ENTERPRISE_HEAD)
    notice = services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=[zhao, head]
    )
    services.nomination_withdraw(actor=users.cy_grass, nomination=wu, reason="本人放弃")
    objection = services.objection_file(
        notice=notice, nomination=head, text="反映其企业存在欠薪问题的具体事实", anonymous=True
    )
    services.objection_triage(actor=users.cy, objection=objection, admissible=True)
    services.objection_resolve(
        actor=users.cy,
        objection=objection,
        verification="经查属实",
        finding=Objection.Finding.UPHELD,
    )
    assert counted(rules.quota_status(campaign)) == counted(rules.quota_recount(campaign))
    nodes, overall = rules.quota_status(campaign)
    assert [n.total for n in nodes] == [1, 1]  # 赵郁 in Chaoyang, 钱学 in Haidian
    assert [s.count for s in overall] == [0]  # the head was removed


def test_a_draft_is_submitted_only_while_nominating_is_open(clock, campaign, users, tree):
    late = nominate(users, tree, campaign, "迟报", submit=False)
    clock.move_to(at(2025, 11, 1, 9))  # the day after the window closed
    with pytest.raises(ValidationFailed, match="推荐时间为 2025年9月1日 至 2025年10月31日"):
        services.nomination_submit(actor=users.cy_grass, nomination=late)
    late.refresh_from_db()
    assert late.state == "draft"
    assert Quota.objects.get(campaign=campaign, org_unit=tree.chaoyang).used == 0


def test_a_reported_list_takes_no_one_more(clock, campaign, users, tree):
    first = nominate(users, tree, campaign, "甲一")
    waiting = nominate(users, tree, campaign, "甲二", submit=False)
    services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=[first]
    )
    clock.move_to(at(2025, 9, 27, 9))
    services.nominations_advance(actor=users.cy, nominations=[first], action="first_pass")
    services.nomination_withdraw(actor=users.cy_grass, nomination=waiting, reason="补充材料")
    services.node_list_submit(actor=users.cy, campaign=campaign, org_unit=tree.chaoyang)
    used = Quota.objects.get(campaign=campaign, org_unit=tree.chaoyang).used
    with pytest.raises(ValidationFailed, match="朝阳区总工会已于 2025年9月27日 报送名单"):
        nominate(users, tree, campaign, "甲三", submit=False)
    assert Quota.objects.get(campaign=campaign, org_unit=tree.chaoyang).used == used


def test_an_exclusion_added_after_a_draft_stops_its_submission(campaign, users, tree):
    draft = nominate(users, tree, campaign, "处长", submit=False, rank=Person.Rank.SENIOR_OFFICIAL)
    exclude_senior_officials(campaign, users)
    with pytest.raises(ValidationFailed, match="局级及以上干部不得推荐"):
        services.nomination_submit(actor=users.cy_grass, nomination=draft)
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_the_services_bound_quotas_for_the_api_too(campaign, users, tree):
    for allowed in (-1, services.QUOTA_MAX + 1, 2**31, 10**20):
        with pytest.raises(ValidationFailed) as caught:
            services.quota_set(
                actor=users.admin, campaign=campaign, org_unit=tree.chaoyang, allowed=allowed
            )
        assert caught.value.fields == {"allowed": "名额应为0至10000"}


def test_the_services_bound_attendance_for_the_api_too(campaign, users, tree):
    person = make_person(tree.cy_grass, "孙明")
    for attendance in (0, services.ATTENDANCE_MAX + 1, 10**20):
        with pytest.raises(ValidationFailed) as caught:
            services.nomination_create(
                actor=users.cy_grass,
                campaign=campaign,
                person_id=person.pk,
                org_unit=tree.cy_grass,
                meeting_attendance=attendance,
            )
        assert caught.value.fields == {"meeting_attendance": "参会人数应为1至100000"}
    assert not Nomination.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("edit", "other"), [("quota_set", "submit"), ("rule_add", "submit"), ("quota_set", "triage")]
)
def test_a_rebuild_never_writes_over_a_write_in_between(
    postgres, monkeypatch, campaign, users, tree, hd_grass_user, edit, other
):
    """A quota or rule edited in Chaoyang rebuilds every counter. A Haidian enterprise head
    submitted between its recount and its writes waits for it (the counters are locked),
    so neither Haidian's place nor the head place is written back to the old number; it
    and an objection's triage there lock only their own rows, so neither deadlocks it."""
    users.hd_grass = hd_grass_user
    head = nominate(
        users,
        tree,
        campaign,
        "戊",
        unit=tree.hd_grass,
        rank=Person.Rank.ENTERPRISE_HEAD,
        submit=other == "triage",
    )
    if other == "triage":
        notice = services.notice_publish(
            actor=users.hd_grass, campaign=campaign, stage="first", nominations=[head]
        )
        objection = services.objection_file(
            notice=notice, nomination=head, text="反映其企业存在欠薪问题的具体事实", anonymous=True
        )
        write = partial(
            services.objection_triage, actor=users.hd, objection=objection, admissible=True
        )
    else:
        write = partial(services.nomination_submit, actor=users.hd_grass, nomination=head)
    connected, recounted, written = threading.Event(), threading.Event(), threading.Event()
    writer_pid, failed = [], []
    real_recount = rules.quota_recount

    def recount_then_let_the_write_in(campaign):
        numbers = real_recount(campaign)
        recounted.set()
        with connections["default"].cursor() as cursor:
            for _ in range(3000):  # until the write is done or waits for a lock (30 s)
                cursor.execute(
                    "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", writer_pid
                )
                if written.is_set() or cursor.fetchone() == ("Lock",):
                    break
                time.sleep(0.01)
        return numbers

    def write_in_between():
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                writer_pid.append(cursor.fetchone()[0])
            connected.set()
            recounted.wait(timeout=30)
            write()
        except BaseException as exc:
            failed.append(exc)
        finally:
            written.set()
            connections.close_all()

    monkeypatch.setattr(rules, "quota_recount", recount_then_let_the_write_in)
    writer = threading.Thread(target=write_in_between)
    writer.start()
    assert connected.wait(timeout=30)
    if edit == "quota_set":
        services.quota_set(actor=users.admin, campaign=campaign, org_unit=tree.chaoyang, allowed=5)
    else:
        services.rule_add(
            actor=users.admin,
            campaign=campaign,
            kind=Rule.Kind.AT_MOST,
            attribute=Rule.Attribute.FRONT_LINE,
            percent=100,
        )
    writer.join(timeout=60)
    assert failed == []
    assert Quota.objects.get(campaign=campaign, org_unit=tree.haidian).used == 1
    heads = RuleCounter.objects.get(rule__campaign=campaign, rule__attribute=Rule.Attribute.RANK)
    assert heads.used == 1
    assert counted(rules.quota_status(campaign)) == counted(real_recount(campaign))
