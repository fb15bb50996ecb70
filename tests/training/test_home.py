"""The training home: each part's figures in the viewer's scope, and what waits for them."""

import pytest
import time_machine

from gonghui.training.models import Problem, Salon, Visit
from gonghui.training.outreach.services import problem_raise
from tests.factories import PASSWORD


@pytest.mark.django_db
@time_machine.travel("2026-11-02 10:00 +0800", tick=False)
def test_home_counts_in_scope_and_lists_what_waits(client, tree, users, members, lecture):
    from gonghui.people.models import Unit

    enterprise = Unit.objects.create(name="朝阳某科技公司", org_unit=tree.cy_grass)
    visit = Visit.objects.create(
        org_unit=tree.chaoyang, enterprise=enterprise, on="2026-11-02", created_by=users.cy
    )
    problem = problem_raise(
        actor=users.cy,
        visit=visit,
        text="职工食堂就餐拥挤",
        raised_by="职工代表",
        assignee=tree.cy_grass,
    )
    Salon.objects.create(
        name="朝阳读书会",
        org_unit=tree.cy_grass,
        year=2026,
        mentor=members.cy1,
        applied_by=users.cy_grass,
    )
    client.login(username="cy_staff", password=PASSWORD)
    page = client.get("/training/").content.decode()
    assert "1 个课程或讲堂系列，1 场即将开讲" in page
    assert "朝阳读书会" in page  # Chaoyang's staff decide the grassroots union's salon
    client.login(username="cy_grass", password=PASSWORD)
    page = client.get("/training/").content.decode()
    assert problem.text in page and "朝阳读书会" not in page  # answers; does not decide
    client.login(username="hd_staff", password=PASSWORD)
    page = client.get("/training/").content.decode()
    assert "0 个课程或讲堂系列" in page and problem.text not in page
    assert Problem.objects.count() == 1
