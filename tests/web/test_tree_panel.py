"""The union tree panel on the lists: its fragments (children, search) keep to the
viewer's scope for the list's permission, clicking a node filters the list to its subtree
(other parameters kept, the page reset), and a forged or malformed node gives a message and
an empty list, never an error page and never rows outside scope."""

import re

import pytest
from django.urls import reverse

from gonghui.orgs.panel import BAD_ID, OUT_OF_SCOPE
from tests.factories import make_person, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, users):
    def login(user):
        client.force_login(user)
        return client

    return login


def children(client, unit, **params):
    return client.get(reverse("web:tree_children", args=[unit.pk]), params)


def test_children_fragment_keeps_to_scope(staff, users, tree):
    client = staff(users.cy)
    page = children(client, tree.chaoyang, perm="people.view").content.decode()
    assert "建外街道总工会" in page
    assert f"?org={tree.cy_street.pk}" in page
    assert f'hx-get="/tree/{tree.cy_street.pk}/' in page  # it has children: opened on demand
    for forged in (tree.haidian, tree.city):
        response = children(client, forged, perm="people.view")
        assert response.status_code == 200
        assert "中关村街道总工会" not in response.content.decode()
        assert "treeitem" not in response.content.decode()
    assert children(client, tree.chaoyang).status_code == 200  # no perm: the units' own
    assert client.get("/tree/99999999/").status_code == 200


def test_children_fragment_pages_wide_nodes(staff, users, tree, monkeypatch):
    from gonghui.orgs import selectors

    monkeypatch.setattr(selectors, "TREE_PAGE", 1)
    make_unit(tree.cy_street, "grassroots", "CY-W1", "宽节点工会")
    page = children(staff(users.cy), tree.cy_street).content.decode()
    assert page.count('role="treeitem"') == 1
    more = re.search(r'hx-get="([^"]+after=\d+)"', page).group(1).replace("&amp;", "&")
    rest = staff(users.cy).get(more).content.decode()
    assert rest.count('role="treeitem"') == 1 and "更多" not in rest


def test_fragments_reencode_what_they_are_given(staff, users, tree):
    response = children(
        staff(users.cy),
        tree.chaoyang,
        perm="bogus",
        param='x"><script>',
        keep="q=<script>alert(1)</script>&page=9&org=5",
        after="1 OR 1",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<script>" not in page
    assert "?q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E&amp;org=" in page  # page and old org gone
    assert "page=9" not in page


def test_search_fragment_stays_in_scope_with_full_paths(staff, users, tree):
    url = reverse("web:tree_search")
    page = staff(users.cy).get(url, {"q": "某公司工会", "perm": "people.view"}).content.decode()
    assert "北京市总工会 / 朝阳区总工会 / 建外街道总工会 / 朝阳某公司工会" in page
    assert "海淀某公司工会" not in page
    page = staff(users.cy).get(url, {"q": "HD-G1"}).content.decode()
    assert "没有名称或编码为“HD-G1”的组织" in page
    assert staff(users.nopost).get(url, {"q": "工会"}).status_code == 200


def test_the_org_list_filters_by_a_node_and_opens_its_ancestors(staff, users, tree):
    client = staff(users.admin)
    response = client.get(reverse("web:org_list"), {"root": tree.cy_street.pk, "level": ""})
    assert {u.pk for u in response.context["page"]} == {tree.cy_street.pk, tree.cy_grass.pk}
    page = response.content.decode()
    assert "北京市总工会 / 朝阳区总工会 / 建外街道总工会" in page
    assert re.search(
        r'class="selected"[^>]*>\s*<button[^>]*>▾</button><a[^>]*>建外街道总工会', page
    )
    assert "朝阳区总工会" in page and 'aria-expanded="true"' in page


@pytest.mark.parametrize("raw, message", [("abc", BAD_ID), ("-1", BAD_ID), ("0", OUT_OF_SCOPE)])
def test_a_malformed_node_gives_a_message_and_nothing(staff, users, tree, raw, message):
    response = staff(users.cy).get(reverse("web:person_list"), {"org": raw})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(response.context["page"]) == []


@pytest.fixture
def people(tree):
    return {
        "cy": make_person(tree.cy_grass, "朝阳职工"),
        "cy_district": make_person(tree.chaoyang, "朝阳区机关职工"),
        "hd": make_person(tree.hd_grass, "海淀职工"),
    }


def test_the_person_list_filters_by_a_node(staff, users, tree, people):
    client = staff(users.admin)

    def listed(**query):
        return {p.name for p in client.get(reverse("web:person_list"), query).context["page"]}

    assert listed() == {"朝阳职工", "朝阳区机关职工", "海淀职工"}
    assert listed(org=tree.chaoyang.pk) == {"朝阳职工", "朝阳区机关职工"}
    assert listed(org=tree.cy_street.pk) == {"朝阳职工"}
    assert listed(org=tree.cy_street.pk, q="职工") == {"朝阳职工"}  # through the search keys
    assert listed(org=tree.haidian.pk, q="职工") == {"海淀职工"}
    page = client.get(reverse("web:person_list"), {"org": tree.cy_street.pk, "q": "职工"})
    assert f'name="org" value="{tree.cy_street.pk}"' in page.content.decode()  # kept by the form


def test_a_node_outside_scope_lists_nothing(staff, users, tree, people):
    client = staff(users.cy)
    for url, param in (
        (reverse("web:person_list"), "org"),
        (reverse("web:org_list"), "root"),
        (reverse("registry:search"), "org_unit"),
    ):
        response = client.get(url, {param: tree.haidian.pk})
        assert response.status_code == 200, url
        assert OUT_OF_SCOPE in response.content.decode(), url
        assert list(response.context["page"]) == [], url
        assert "中关村街道总工会" not in response.content.decode()


def test_the_registry_search_filters_by_a_node(staff, users, tree, people):
    client = staff(users.admin)

    def listed(**query):
        return {p.name for p in client.get(reverse("registry:search"), query).context["page"]}

    assert listed(org_unit=tree.cy_street.pk) == {"朝阳职工"}
    assert listed(org_unit=tree.haidian.pk) == {"海淀职工"}
    assert listed(org_unit=tree.haidian.pk, q="朝阳") == set()


def test_a_district_sees_only_its_subtree_in_the_panel(staff, users, tree, people):
    page = staff(users.cy).get(reverse("web:person_list")).content.decode()
    assert "朝阳区总工会" in page and "海淀区总工会" not in page
    assert "北京市总工会" not in page.split('class="tree"')[1]


def test_a_selected_node_beyond_the_first_page_is_shown(staff, users, tree, monkeypatch):
    from gonghui.orgs import selectors

    monkeypatch.setattr(selectors, "TREE_PAGE", 1)
    late = make_unit(tree.cy_street, "grassroots", "CY-W9", "靠后的工会")
    response = staff(users.cy).get(reverse("web:org_list"), {"root": late.pk})
    street = response.context["tree_panel"].items[0].children[0]
    assert [(i.node.name, i.selected) for i in street.children] == [
        ("朝阳某公司工会", False),
        ("靠后的工会", True),
    ]
    assert street.more_after  # the rest of the street's children behind "更多"
    assert {u.pk for u in response.context["page"]} == {late.pk}
