"""Registering a person who looks like a record already kept warns of it, even when that
record lies outside the registrar's scope: the registry's page then counts it, never shows
it."""

from datetime import date

from gonghui.people.models import Person
from gonghui.people.services import person_create
from gonghui.registry.services import unit_create
from tests.factories import PASSWORD


def test_a_look_alike_outside_the_scope_is_warned_of_and_not_shown(client, tree, users):
    employer = unit_create(actor=users.cy, org_unit=tree.cy_grass, name="北京地铁运营公司")
    theirs = person_create(
        actor=users.admin,
        org_unit=tree.hd_grass,  # Haidian: outside Chaoyang's scope
        data={
            "name": "新人甲",
            "birth_date": date(1990, 3, 7),
            "employer": employer,
            "no_id_reason": "历史档案",
        },
    )
    client.login(username="cy_staff", password=PASSWORD)
    response = client.post(
        "/people/new/",
        {
            "name": "新人甲",
            "birth_date": "1990-03-07",
            "employer": employer.pk,
            "org_unit": tree.cy_grass.pk,
            "no_id_reason": "历史档案",
        },
        follow=True,
    )
    mine = Person.objects.get(name="新人甲", org_unit=tree.cy_grass)
    assert response.redirect_chain == [(f"/registry/people/{mine.pk}/", 302)]
    page = response.content.decode()
    assert "发现疑似重复档案（姓名、出生日期、工作单位均相同），请核对并合并" in page
    assert "另有 1 条疑似重复档案不在您的管理范围内" in page
    assert all(u.name not in page for u in (tree.hd_grass, tree.hd_street, tree.haidian))
    assert f"档案 {theirs.pk}" not in page and f"/people/{theirs.pk}/" not in page
