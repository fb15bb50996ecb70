"""The workbench (工作台): for each post kind, what it counts equals a direct count of the
same rows; a district never counts another district's items; each item's link opens a list
showing the counted rows; a member's phone home shows only their own things."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gonghui.common.workbench import CAP, Waiting, capped_count
from gonghui.contests.appeals.services import appeal_file
from gonghui.contests.models import Appeal, Sheet, StageEntry
from gonghui.funds.applications.services import application_submit
from gonghui.funds.models import Application
from gonghui.jobs.models import Job
from gonghui.nominations import services
from gonghui.nominations.models import Nomination, Notice, Objection, Quota
from gonghui.nominations.workflow import State
from gonghui.orgs.access import subtree_q
from gonghui.perks.models import Card, Claim, Giveaway, Location, Merchant
from gonghui.training.models import Course, Enrolment, Session, StudioReport
from gonghui.training.studios.services import studio_report_review
from gonghui.web.workbench import member_home, waiting_for
from tests.contests.test_jury_world import build_contest, lock_results
from tests.factories import make_member, make_user, open_campaign
from tests.funds.conftest import funds  # noqa: F401  (the funds fixture)
from tests.nominations.conftest import SHANGHAI, nominate
from tests.training.test_studios import make_studio, submit

pytestmark = pytest.mark.django_db


def items(user, app=None) -> dict[str, int]:
    return {
        i.waiting.label: i.waiting.count for i in waiting_for(user) if app in (None, i.waiting.app)
    }


def live(campaign, state, unit) -> int:
    """The direct count: nominees of ``campaign`` in ``state`` nominated at or under ``unit``."""
    return Nomination.objects.filter(
        subtree_q(unit, via="org_unit"), campaign=campaign, state=state
    ).count()


# --- Nominations ---------------------------------------------------------------------------


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2025, 9, 22, 10, tzinfo=SHANGHAI), tick=False) as t:
        yield t


@pytest.fixture
def campaign(clock, tree, users, honours):
    return open_campaign(
        users.admin,
        honours["capital-labour-medal"],
        2025,
        {tree.chaoyang: 9, tree.haidian: 9},
        nominate_from=date(2025, 9, 1),
        nominate_until=date(2025, 10, 31),
    )


@pytest.fixture
def nominated(campaign, users, tree):
    """Chaoyang's grassroots union nominates three (two put on its first notice); Haidian's
    nominates two."""
    users.hd_grass = make_user("hd_grass", tree.hd_grass, "grassroots_staff")
    cy = [nominate(users, tree, campaign, n) for n in ("赵郁", "武润泽", "钱学")]
    hd = [nominate(users, tree, campaign, n, unit=tree.hd_grass) for n in ("孙立", "李成")]
    services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage=Notice.Stage.FIRST, nominations=cy[:2]
    )
    return cy, hd


def test_each_post_counts_what_waits_for_it_in_its_scope(nominated, campaign, users, tree):
    first = f"{campaign.name}：待初审"
    publish = f"{campaign.name}：待基层公示"
    # The grassroots unions: their own nominees waiting for their first notice.
    assert (
        items(users.cy_grass, "推荐评选")[publish]
        == live(campaign, State.NOMINATED, tree.cy_grass)
        == 1
    )
    assert (
        items(users.hd_grass, "推荐评选")[publish]
        == live(campaign, State.NOMINATED, tree.hd_grass)
        == 2
    )
    # The districts: the first notice's nominees to review, their own only.
    assert items(users.cy)[first] == live(campaign, State.FIRST_NOTICE, tree.chaoyang) == 2
    assert first not in items(users.hd)
    # The city sees every district's (it reviews too).
    assert items(users.admin)[first] == live(campaign, State.FIRST_NOTICE, tree.city) == 2
    # Lists not yet reported: one per district's own quota, the city's both.
    lists = f"{campaign.name}：推荐名单待报送"
    unreported = Quota.objects.filter(campaign=campaign, submitted_at__isnull=True)
    assert items(users.cy)[lists] == unreported.filter(org_unit=tree.chaoyang).count() == 1
    assert items(users.admin)[lists] == unreported.count() == 2
    # Posts that take no step of the procedure count nothing of it.
    for user in (users.auditor, users.cy_street, users.nopost):
        assert items(user, "推荐评选") == {}


def test_notices_closing_within_three_working_days(nominated, campaign, users, tree, clock):
    notice = Notice.objects.get(campaign=campaign)
    label = f"公示即将截止：{notice.title}"
    assert label not in items(users.cy)  # published today: five working days to run
    clock.move_to(datetime(2025, 9, 24, 10, tzinfo=SHANGHAI))  # Wed; the notice ends Fri 26th
    found = {i.waiting.label: i for i in waiting_for(users.cy)}
    assert found[label].waiting.count == notice.nominations.count() == 2
    assert found[label].days_left == 3
    assert label not in items(users.hd)  # Chaoyang's notice is not Haidian's business


def test_objections_to_triage_are_the_reviewing_levels(nominated, campaign, users, tree):
    notice = Notice.objects.get(campaign=campaign)
    services.objection_file(
        notice=notice,
        nomination=nominated[0][0],
        text="反映其事迹材料中的获奖情况与事实不符，请核查。",
        anonymous=True,
        source="203.0.113.9",
    )
    label = f"{campaign.name}：异议待受理"
    received = Objection.objects.filter(
        nomination__campaign=campaign, status=Objection.Status.RECEIVED
    )
    # The first notice's objections are the quota node's (Chaoyang) to triage.
    assert (
        items(users.cy)[label]
        == received.filter(nomination__quota__org_unit=tree.chaoyang).count()
        == 1
    )
    found = {i.waiting.label: i for i in waiting_for(users.cy)}
    assert found[label].waiting.deadline == notice.ends_on
    assert label not in items(users.hd)
    assert label not in items(users.cy_grass)  # the nominating unit does not triage


def test_the_links_open_lists_of_exactly_the_counted_rows(nominated, campaign, users, client):
    client.force_login(users.cy)
    (item,) = [i for i in waiting_for(users.cy) if i.waiting.label.endswith("待初审")]
    page = client.get(item.href)
    assert page.status_code == 200
    shown = list(page.context["page"])
    assert len(shown) == item.waiting.count
    assert {n.state for n in shown} == {State.FIRST_NOTICE}
    # Every link the workbench shows answers, for every post.
    for user in (users.admin, users.cy, users.hd, users.cy_grass, users.cy_street):
        client.force_login(user)
        for i in waiting_for(user):
            assert client.get(i.href).status_code == 200, (user, i.href)


def test_the_page_shows_counts_shortcuts_feed_and_posts(nominated, campaign, users, client):
    client.force_login(users.cy)
    html = client.get("/").content.decode()
    assert "待办事项" in html and "待初审" in html
    assert reverse("web:person_create") in html  # 登记人员: the district may register people
    assert "最近操作" in html
    client.force_login(users.auditor)
    html = client.get("/").content.decode()
    assert "目前没有等待您处理的事项" in html
    assert reverse("web:person_create") not in html  # the auditor registers nobody
    assert reverse("web:audit_list") in html


def test_the_feed_is_the_users_own_latest_acts_in_chinese(nominated, users, client):
    client.force_login(users.cy_grass)
    feed = client.get("/").context["recent"]
    assert feed and all(not e.action.startswith("nominations.") for e in feed)
    client.force_login(users.hd)
    # Haidian's staff did nothing here but sign in: none of Chaoyang's acts is in its feed.
    assert [e.action for e in client.get("/").context["recent"]] == ["登录"]


# --- Funds ---------------------------------------------------------------------------------


def pdf(name="证书.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 scan", content_type="application/pdf")


@pytest.fixture
def applications(funds, tree, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(datetime(2026, 6, 15, 2, tzinfo=UTC), tick=False):
        for unit, name, username, number in (
            (tree.cy_grass, "赵郁", "zhaoyu", "S0001-2345"),
            (tree.cy_grass, "钱多", "qianduo", "S0002-2345"),
            (tree.hd_grass, "孙立", "sunli", "S0003-2345"),
        ):
            person = make_member(unit, name, username=username)
            application_submit(
                actor=person.user,
                programme=funds.certificate,
                facts={
                    "certificate_no": number,
                    "level": "技师",
                    "trade": "钳工",
                    "issued_on": "2025-05-01",
                },
                documents={"certificate_doc": pdf()},
            )
        yield funds


def test_applications_to_verify_are_counted_in_scope(applications, users, tree):
    label = f"{applications.certificate.name}：待基层核实"
    waiting = Application.objects.filter(programme=applications.certificate, status="submitted")
    cy = waiting.filter(subtree_q(tree.cy_grass, via="org_unit")).count()
    assert items(users.cy_grass, "资金帮扶")[label] == cy == 2
    assert items(users.cy, "资金帮扶")[label] == cy
    assert items(users.hd, "资金帮扶")[label] == 1
    assert items(users.admin, "资金帮扶")[label] == waiting.count() == 3
    assert items(users.auditor, "资金帮扶") == {}  # reads funds, decides nothing


# --- Studio reports -------------------------------------------------------------------------


def test_studio_reports_wait_at_the_level_that_reviews_them(tree, users, client):
    cy = make_studio(tree.cy_grass, "王建国焊接创新工作室")
    submit(users.cy_grass, cy)
    submit(users.cy_grass, make_studio(tree.cy_grass, "李秀英电工创新工作室"))
    hd_studio = make_studio(tree.hd_grass, "张伟数控创新工作室", trade="数控")
    hd_users = make_user("hd_grass", tree.hd_grass, "grassroots_staff")
    submit(hd_users, hd_studio)
    district, city = "创新工作室年度成果：待区级审核", "创新工作室年度成果：待市级审核"
    submitted = StudioReport.objects.filter(status=StudioReport.Status.SUBMITTED)
    assert (
        items(users.cy, "素质建设")[district]
        == submitted.filter(subtree_q(tree.chaoyang, via="org_unit")).count()
        == 2
    )
    assert items(users.hd, "素质建设")[district] == 1
    assert items(users.admin, "素质建设") == {}  # the city reviews after the district
    assert items(users.cy_grass, "素质建设") == {}  # the submitter reviews nothing
    client.force_login(users.cy)
    (item,) = [i for i in waiting_for(users.cy) if i.waiting.label == district]
    assert len(client.get(item.href).context["page"]) == 2

    report = StudioReport.objects.get(studio=cy)
    studio_report_review(actor=users.cy, report=report, decision="approve")
    assert items(users.admin, "素质建设") == {city: 1}
    assert items(users.cy, "素质建设")[district] == 1


# --- Contests -------------------------------------------------------------------------------


def test_sheets_to_lock_then_appeals_to_rule_on(tree, users, client):
    contest = build_contest(tree, users.cy)
    stage = contest.stage
    sheets = f"{stage.competition.name} · {stage.name}：评分表待锁定"
    unlocked = StageEntry.objects.filter(stage=stage).exclude(
        entrant_id__in=Sheet.objects.filter(stage=stage).values("entrant_id")
    )
    assert items(users.cy, "工匠竞赛")[sheets] == unlocked.count() > 0
    assert items(users.admin, "工匠竞赛")[sheets] == unlocked.count()
    assert items(users.hd, "工匠竞赛") == {}  # Haidian's staff referee nothing of Chaoyang's
    assert items(users.cy_grass, "工匠竞赛") == {}  # no referee, no arbiter

    lock_results(contest)
    appeal_file(
        actor=contest.users[1],
        stage=stage,
        entrant=contest.entrants[1],
        text="第二位裁判的实操评分有误，请复核。",
    )
    appeals = f"{stage.competition.name}：申诉待仲裁"
    direct = Appeal.objects.filter(stage__competition=stage.competition, status="open").count()
    assert items(users.cy, "工匠竞赛") == {appeals: direct} == {appeals: 1}
    assert items(users.hd, "工匠竞赛") == {}
    client.force_login(users.cy)
    (item,) = [i for i in waiting_for(users.cy) if i.waiting.label == appeals]
    assert len(client.get(item.href).context["appeals"]) == 1


# --- Giveaways and failed jobs -------------------------------------------------------------


def test_giveaways_opening_today_and_failed_jobs(users, tree, client):
    with time_machine.travel(datetime(2026, 4, 30, 1, tzinfo=UTC), tick=False):  # 9:00 Beijing
        now = timezone.now()
        merchant = Merchant.objects.create(
            name="玫瑰情园",
            category="shopping",
            discount="持卡会员门票八折",
            valid_from=date(2026, 1, 1),
            valid_until=date(2026, 12, 31),
            org_unit=tree.chaoyang,
        )
        venue = Location.objects.create(
            merchant=merchant, name="南门", address="密云区", district=tree.chaoyang
        )

        def giveaway(title, opens_at, status="published", unit=tree.chaoyang):
            return Giveaway.objects.create(
                title=title,
                item="套票",
                org_unit=unit,
                mode="fcfs",
                status=status,
                stock=3,
                opens_at=opens_at,
                closes_at=opens_at + timedelta(days=2),
                pickup_from=opens_at + timedelta(days=3),
                pickup_until=opens_at + timedelta(days=5),
                pickup_location=venue,
                created_by=users.cy,
            )

        today = giveaway("五一游园", now + timedelta(hours=1))
        giveaway("明日游园", now + timedelta(days=1))  # tomorrow: not today's
        giveaway("草稿游园", now + timedelta(hours=2), status="draft")  # not published
        giveaway("海淀游园", now + timedelta(hours=1), unit=tree.haidian)
        opening = {
            i.waiting.label: i.href for i in waiting_for(users.cy) if i.waiting.app == "会员服务"
        }
        direct = Giveaway.objects.filter(
            subtree_q(tree.chaoyang, via="org_unit"),
            status="published",
            opens_at__date=now.date(),
        )
        assert len(opening) == direct.count() == 1
        assert opening == {
            "今日开始：五一游园（10:00）": reverse("perks:giveaway", args=[today.pk])
        }
        assert len([i for i in waiting_for(users.admin) if i.waiting.app == "会员服务"]) == 2
        client.force_login(users.cy)
        assert client.get(opening["今日开始：五一游园（10:00）"]).status_code == 200

        failed = Job.objects.create(
            kind="org_import",
            title="导入组织树",
            status=Job.Status.FAILED,
            created_by=users.cy,
            org_unit=tree.chaoyang,
        )
        Job.objects.create(
            kind="org_import",
            title="已完成",
            status=Job.Status.DONE,
            created_by=users.cy,
            org_unit=tree.chaoyang,
        )
        jobs = [i for i in waiting_for(users.cy) if i.waiting.app == "导入与后台任务"]
        assert [(i.waiting.label, i.href) for i in jobs] == [
            ("任务失败：导入组织树", reverse("web:job_detail", args=[failed.pk]))
        ]
        assert client.get(jobs[0].href).status_code == 200
        # Somebody else's failed job is not on this workbench.
        assert not [i for i in waiting_for(users.hd) if i.waiting.app == "导入与后台任务"]


# --- Counting stops at the cap -------------------------------------------------------------


def test_counts_stop_at_the_cap(users):
    from gonghui.audit.models import AuditEvent

    assert capped_count(AuditEvent.objects.all(), cap=3) <= 3
    assert Waiting("x", "y", CAP, "web:home").shown == f"{CAP - 1}+"
    assert Waiting("x", "y", 7, "web:home").shown == "7"


# --- Members and merchants -----------------------------------------------------------------


def member_things(person, tree, users, programme, n: int) -> dict:
    """A card, a won claim with its pickup code, a seat at a lecture and an application of
    ``person`` (made as the member pages and services leave them); ``n`` keeps numbers apart."""
    now = timezone.now()
    card = Card.objects.create(
        number=f"8610{n:012d}", person=person, org_unit=tree.cy_grass, status="active"
    )
    merchant = Merchant.objects.create(
        name=f"玫瑰情园{n}",
        category="shopping",
        discount="持卡会员门票八折",
        valid_from=now.date(),
        valid_until=now.date() + timedelta(days=90),
        org_unit=tree.chaoyang,
    )
    venue = Location.objects.create(
        merchant=merchant, name="南门售票处", address="密云区巨各庄镇", district=tree.chaoyang
    )
    giveaway = Giveaway.objects.create(
        title=f"五一游园{n}",
        item="玫瑰情园套票",
        org_unit=tree.chaoyang,
        mode="fcfs",
        status="published",
        stock=3,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=1),
        pickup_from=now + timedelta(days=2),
        pickup_until=now + timedelta(days=5),
        pickup_location=venue,
        created_by=users.cy,
    )
    claim = Claim.objects.create(
        giveaway=giveaway,
        person=person,
        card=card,
        status=Claim.Status.WON,
        code=f"{n:06d}",
        idem_key=f"k{n}",
        request_hash=f"h{n}",
        created_at=now,
    )
    course = Course.objects.create(
        name=f"工匠讲堂{n}",
        kind=Course.Kind.LECTURE,
        org_unit=tree.chaoyang,
        partner="首都工匠学院",
        status=Course.Status.PUBLISHED,
        created_by=users.cy,
    )
    session = Session.objects.create(
        course=course,
        org_unit=tree.chaoyang,
        seq=1,
        capacity=30,
        title="第1期",
        place="首都工匠学院实训楼",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=2),
        enrol_opens_at=now - timedelta(days=1),
        enrol_closes_at=now + timedelta(days=1),
    )
    enrolment = Enrolment.objects.create(session=session, person=person, status="seated")
    application = application_submit(
        actor=person.user,
        programme=programme,
        facts={
            "certificate_no": f"S{n:04d}-9876",
            "level": "技师",
            "trade": "钳工",
            "issued_on": "2026-05-01",
        },
        documents={"certificate_doc": pdf()},
    )
    return {"claim": claim, "enrolment": enrolment, "application": application}


def test_a_member_lands_on_their_phone_home_with_only_their_own(applications, tree, users, client):
    with time_machine.travel(datetime(2026, 6, 15, 2, tzinfo=UTC), tick=False):
        zhou = make_member(tree.cy_grass, "周全", username="zhouquan")
        mine = member_things(zhou, tree, users, applications.certificate, 1)
        wu = make_member(tree.cy_grass, "吴用", username="wuyong")
        theirs = member_things(wu, tree, users, applications.certificate, 2)
        client.force_login(zhou.user)
        assert client.get("/").url == reverse("web:member_home")
        home = client.get(reverse("web:member_home")).context["home"]
        assert [c.pk for c in home.claims] == [mine["claim"].pk]
        assert [e.pk for e in home.enrolments] == [mine["enrolment"].pk]
        assert [a.pk for a in home.applications] == [mine["application"].pk]
        html = client.get(reverse("web:member_home")).content.decode()
        assert reverse("perks:member_claim", args=[mine["claim"].pk]) in html
        assert mine["claim"].code in html  # the pickup code, on the phone
        assert reverse("funds:my_application", args=[mine["application"].pk]) in html
        assert reverse("perks:member_claim", args=[theirs["claim"].pk]) not in html
        assert reverse("funds:my_application", args=[theirs["application"].pk]) not in html
        assert theirs["claim"].code not in html
        assert theirs["enrolment"].session.course.name not in html


def test_a_member_without_anything_is_told_so(applications, tree, client):
    zhou = make_member(tree.cy_grass, "周全", username="zhouquan")
    other = Application.objects.filter(person__name="赵郁").get()
    client.force_login(zhou.user)
    page = client.get(reverse("web:member_home"))
    assert page.status_code == 200
    assert member_home(zhou.user).applications == []
    html = page.content.decode()
    assert reverse("funds:my_application", args=[other.pk]) not in html
    assert "还没有参加过普惠活动" in html and "还没有报名课程讲座" in html
    assert "还没有资助或帮扶申请" in html


def test_staff_without_a_member_record_find_no_member_home(users, client):
    client.force_login(users.cy)
    assert client.get(reverse("web:member_home")).status_code == 404
