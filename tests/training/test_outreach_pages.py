"""Outreach pages through the Django test client: every page renders for its staff, the
actions work and say so, bad input is refused next to its field, Chaoyang's staff get 404
for Haidian's bureau, talk, reception day, problem and alliance, and buttons show only
where the viewer may act."""

from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse

from gonghui.common import workdays
from gonghui.training.models import Problem, Talk
from gonghui.training.outreach import services
from tests.factories import PASSWORD, make_user
from tests.training.outreach_world import in_2026, make_outreach  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture
def outreach(tree, users, honours):
    return make_outreach(tree, users, honours)


@pytest.fixture
def hd_rows(tree, users, outreach):
    hd_grass = make_user("hd_grass_t", tree.hd_grass, "grassroots_staff")
    talk = services.talk_book(
        actor=hd_grass,
        team=outreach.hd_team,
        org_unit=tree.hd_grass,
        on=workdays.today() + timedelta(days=3),
        topic="海淀宣讲",
        place="礼堂",
    )
    problem = services.problem_raise(
        actor=users.hd, visit=outreach.hd_visit, text="海淀的问题", assignee=tree.hd_grass
    )
    alliance = services.alliance_create(
        actor=users.hd, org_unit=tree.haidian, name="海淀区劳模联盟", kind="model_workers"
    )
    return {
        "team": outreach.hd_team.pk,
        "talk": talk.pk,
        "visit": outreach.hd_visit.pk,
        "problem": problem.pk,
        "alliance": alliance.pk,
    }


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_every_page_renders_for_district_staff(client, tree, users, outreach):
    login(client, users.cy)
    problem = services.problem_raise(
        actor=users.cy, visit=outreach.visit, text="食堂", assignee=tree.cy_grass
    )
    alliance = services.alliance_create(
        actor=users.cy, org_unit=tree.chaoyang, name="朝阳区劳模联盟", kind="model_workers"
    )
    talk = services.talk_book(
        actor=users.cy_grass,
        team=outreach.cy_team,
        org_unit=tree.cy_grass,
        on=workdays.today() + timedelta(days=3),
        topic="劳模精神",
        place="礼堂",
    )
    pages = [
        ("training:outreach", []),
        ("training:teams", []),
        ("training:team_create", []),
        ("training:team", [outreach.cy_team.pk]),
        ("training:team_edit", [outreach.cy_team.pk]),
        ("training:talk_book", [outreach.cy_team.pk]),
        ("training:talks", []),
        ("training:talk", [talk.pk]),
        ("training:talk_stats", []),
        ("training:visits", []),
        ("training:visit_create", []),
        ("training:visit", [outreach.visit.pk]),
        ("training:problem_raise", [outreach.visit.pk]),
        ("training:problems", []),
        ("training:problem", [problem.pk]),
        ("training:alliances", []),
        ("training:alliance_create", []),
        ("training:alliance", [alliance.pk]),
        ("training:alliance_edit", [alliance.pk]),
        ("training:alliance_activity_add", [alliance.pk]),
    ]
    for name, args in pages:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 200, name
    assert "朝阳区劳模工匠宣讲团" in client.get(reverse("training:teams")).content.decode()
    page = client.get(reverse("training:team", args=[outreach.cy_team.pk]), {"q": "高凤林"})
    assert "高凤林" in page.content.decode() and "加入" in page.content.decode()
    search = client.get(reverse("training:visit_create"), {"q": "朝阳某"})
    assert "朝阳某公司" in search.content.decode()


@pytest.mark.parametrize("user", ["cy", "cy_grass"])
def test_chaoyang_gets_404_for_haidians_rows(client, users, hd_rows, user):
    login(client, getattr(users, user))
    for name, pk in [
        ("training:team", hd_rows["team"]),
        ("training:team_edit", hd_rows["team"]),
        ("training:talk_book", hd_rows["team"]),
        ("training:talk", hd_rows["talk"]),
        ("training:visit", hd_rows["visit"]),
        ("training:problem_raise", hd_rows["visit"]),
        ("training:problem", hd_rows["problem"]),
        ("training:alliance", hd_rows["alliance"]),
        ("training:alliance_edit", hd_rows["alliance"]),
    ]:
        assert client.get(reverse(name, args=[pk])).status_code == 404, name
    for name, pk, data in [
        ("training:talk_cancel", hd_rows["talk"], {"reason": "x"}),
        ("training:talk_report", hd_rows["talk"], {"attendance": "1"}),
        ("training:problem_answer", hd_rows["problem"], {"answer": "x"}),
        ("training:problem_close", hd_rows["problem"], {"told_how": "x"}),
        ("training:visit_advance", hd_rows["visit"], {"to": "forum"}),
        ("training:alliance_member_add", hd_rows["alliance"], {"member": "1"}),
    ]:
        assert client.post(reverse(name, args=[pk]), data).status_code == 404, name
    for name in ("training:talks", "training:problems", "training:visits", "training:alliances"):
        body = client.get(reverse(name)).content.decode()
        assert "海淀" not in body, name
    assert Problem.objects.get(pk=hd_rows["problem"]).status == Problem.Status.OPEN


def test_members_and_no_post_users_find_no_outreach_pages(client, users, members, outreach):
    for user in (members.cy1.user, users.nopost):
        client.force_login(user)
        assert client.get(reverse("training:outreach")).status_code == 404
        assert client.get(reverse("training:team", args=[outreach.cy_team.pk])).status_code == 404


def test_book_confirm_and_report_through_the_pages(client, tree, users, outreach):
    login(client, users.cy_grass)
    url = reverse("training:talk_book", args=[outreach.cy_team.pk])
    bad = client.post(
        url,
        {
            "org_unit": tree.cy_grass.pk,
            "on": "2000-01-01",
            "topic": "",
            "place": "礼堂",
            "expected": "-3",
        },
    )
    body = bad.content.decode()
    assert bad.status_code == 200 and "请填写宣讲题目" in body
    assert Talk.objects.count() == 0
    bad = client.post(
        url,
        {
            "org_unit": tree.cy_grass.pk,
            "on": "2000-01-01",
            "topic": "劳模精神",
            "place": "礼堂",
            "expected": "-3",
        },
    )
    body = bad.content.decode()
    assert "宣讲日期不能早于今天" in body and "预计人数不能为负数" in body
    on = workdays.today()
    response = client.post(
        url,
        {
            "org_unit": tree.cy_grass.pk,
            "on": on.isoformat(),
            "topic": "劳模精神",
            "place": "礼堂",
            "expected": "80",
        },
        follow=True,
    )
    talk = Talk.objects.get()
    assert "已预约" in response.content.decode()
    # The grassroots union sees no arranging form; the bureau's union does.
    assert "安排宣讲员" not in client.get(reverse("training:talk", args=[talk.pk])).content.decode()
    login(client, users.cy)
    assert "安排宣讲员" in client.get(reverse("training:talk", args=[talk.pk])).content.decode()
    done = client.post(
        reverse("training:talk_confirm", args=[talk.pk]),
        {"speaker": outreach.cy_speaker.pk},
        follow=True,
    )
    assert "已安排宣讲员 张秉贵" in done.content.decode()
    login(client, users.cy_grass)
    refused = client.post(
        reverse("training:talk_report", args=[talk.pk]), {"attendance": "-1"}, follow=True
    )
    assert "实到人数不能为负数" in refused.content.decode()
    client.post(reverse("training:talk_report", args=[talk.pk]), {"attendance": "75"})
    talk.refresh_from_db()
    assert (talk.status, talk.attendance) == (Talk.Status.DONE, 75)

    login(client, users.cy)
    stats = client.get(reverse("training:talk_stats"), {"year": on.year})
    assert tree.chaoyang.name in stats.content.decode()
    xlsx = client.get(reverse("training:talk_stats"), {"year": on.year, "format": "xlsx"})
    rows = list(openpyxl.load_workbook(__import__("io").BytesIO(xlsx.content)).active.values)
    assert rows[1] == (tree.chaoyang.name, 1, 75, 80) and rows[-1][0] == "合计"


def test_problem_answer_and_close_through_the_pages(client, tree, users, outreach):
    login(client, users.cy)
    response = client.post(
        reverse("training:problem_raise", args=[outreach.visit.pk]),
        {"text": "", "assignee": tree.cy_grass.pk, "days": "0"},
    )
    assert "请填写问题" in response.content.decode()
    response = client.post(
        reverse("training:problem_raise", args=[outreach.visit.pk]),
        {"text": "班车少", "assignee": tree.cy_grass.pk, "days": "0"},
    )
    assert "办理时限应为 1 至 60 个工作日" in response.content.decode()
    assert Problem.objects.count() == 0
    client.post(
        reverse("training:problem_raise", args=[outreach.visit.pk]),
        {"text": "班车少", "raised_by": "职工代表", "assignee": tree.cy_grass.pk, "days": "10"},
    )
    problem = Problem.objects.get()
    page = client.get(reverse("training:problem", args=[problem.pk])).content.decode()
    assert "改派" in page  # the organiser; district staff may also answer for a union below

    login(client, users.cy_grass)
    page = client.get(reverse("training:problem", args=[problem.pk])).content.decode()
    assert "提交答复" in page and "剩余" in page
    assert "班车少" in client.get(reverse("training:outreach")).content.decode()
    client.post(reverse("training:problem_answer", args=[problem.pk]), {"answer": "已增开"})

    login(client, users.cy)
    refused = client.post(
        reverse("training:problem_close", args=[problem.pk]), {"told_how": ""}, follow=True
    )
    assert "请填写告知企业的方式" in refused.content.decode()
    client.post(reverse("training:problem_close", args=[problem.pk]), {"told_how": "电话告知"})
    problem.refresh_from_db()
    assert problem.status == Problem.Status.CLOSED
    for stage in ("forum", "solve", "done"):
        client.post(reverse("training:visit_advance", args=[outreach.visit.pk]), {"to": stage})
    outreach.visit.refresh_from_db()
    assert outreach.visit.stage == "done"
