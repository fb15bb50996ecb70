"""The shared organisation chooser: every choice is labelled with its full path (read in
one query for the whole list), so that two units of one name are told apart, and each form
keeps its own queryset (scope)."""

import re

import pytest
from django.urls import reverse

from gonghui.orgs.fields import OrgUnitChoiceField, OrgUnitPicker
from gonghui.orgs.models import OrgUnit
from gonghui.web.forms import PersonForm
from tests.factories import make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def namesakes(tree):
    return (
        make_unit(tree.cy_street, "grassroots", "SAME-1", "同名公司工会"),
        make_unit(tree.hd_street, "grassroots", "SAME-2", "同名公司工会"),
    )


def options(html: str) -> dict[str, str]:
    return dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', html))


def test_a_same_name_pair_is_told_apart(tree, namesakes, django_assert_num_queries):
    field = OrgUnitChoiceField(queryset=OrgUnit.objects.filter(name="同名公司工会"))
    with django_assert_num_queries(2):  # the units, then every label in one query
        choices = list(iter(field.choices))
    assert [str(label) for _, label in choices] == [
        "请选择",
        "北京市总工会 / 朝阳区总工会 / 建外街道总工会 / 同名公司工会",
        "北京市总工会 / 海淀区总工会 / 中关村街道总工会 / 同名公司工会",
    ]
    html = field.widget.render("org", None)
    assert 'class="org-filter"' in html
    assert 'data-code="SAME-1"' in html and 'data-code="SAME-2"' in html
    a, _ = namesakes
    assert field.clean(str(a.pk)) == a
    assert field.label_from_instance(a).endswith("建外街道总工会 / 同名公司工会")


def test_the_person_form_offers_only_its_scope_by_full_path(client, users, tree, namesakes):
    client.force_login(users.cy)
    page = client.get(reverse("web:person_create")).content.decode()
    chosen = options(page.split('name="org_unit"')[1].split("</select>")[0])
    assert chosen[str(namesakes[0].pk)] == (
        "北京市总工会 / 朝阳区总工会 / 建外街道总工会 / 同名公司工会"
    )
    assert str(namesakes[1].pk) not in chosen  # the other district's namesake: out of scope
    assert str(tree.haidian.pk) not in chosen
    assert isinstance(PersonForm.base_fields["org_unit"].widget, OrgUnitPicker)


def test_a_large_choice_set_searches_the_server(client, users, tree, namesakes, monkeypatch):
    from gonghui.orgs import fields

    monkeypatch.setattr(fields, "PICKER_LIMIT", 2)
    client.force_login(users.cy)
    url = reverse("web:org_move", args=[tree.cy_grass.pk])
    page = client.get(url).content.decode()
    picker = page.split('class="org-picker"')[1].split("</select>")[0]
    assert 'class="org-search"' in picker and "perm=orgs.change" in picker
    assert options(picker) == {}  # no unit on the page until searched
    found = client.get(reverse("web:tree_search"), {"pick": 1, "perm": "orgs.change", "q": "同名"})
    assert options(found.content.decode()) == {str(namesakes[0].pk): OURS_PATH}
    # The form's own queryset decides: a forged unit outside scope is refused, by name.
    refused = client.post(url, {"parent": namesakes[1].pk})
    assert "目标组织不存在或不在您的管理范围内" in refused.content.decode()
    moved = client.post(url, {"parent": namesakes[0].pk})
    assert moved.status_code == 302
    tree.cy_grass.refresh_from_db()
    assert tree.cy_grass.parent_id == namesakes[0].pk
    # A chosen unit (a form shown again) is the one option the page carries.
    field = OrgUnitChoiceField(queryset=OrgUnit.objects.all())
    assert options(field.widget.render("parent", namesakes[0].pk)) == {
        str(namesakes[0].pk): OURS_PATH
    }


OURS_PATH = "北京市总工会 / 朝阳区总工会 / 建外街道总工会 / 同名公司工会"
