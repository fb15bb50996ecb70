"""What the security review of issue #20 found, held shut: a list with an export of its own
(and its own permission) is not exported by ``?export=xlsx``; a too-long export is refused
before its rows are read; exports are throttled per user and name the acting post; ids
beyond a 64-bit integer or with non-ASCII digits are answered, not 500; the dashboards are
offered only to whom they open, a programme's only to its viewers."""

from __future__ import annotations

import pytest

from gonghui.audit.models import AuditEvent
from gonghui.common import pagination
from gonghui.orgs.models import Post, Role
from gonghui.web import middleware
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_list_with_its_own_export_is_not_exported_by_the_address(client, users, tree):
    make_person(tree.cy_grass, name="张三丰")
    client.force_login(users.cy_street)  # registry.view without registry.export
    response = client.get("/registry/?export=xlsx")
    assert response.status_code == 400 and response["Content-Type"] != XLSX
    assert "自带的导出功能" in response.content.decode()
    assert not AuditEvent.objects.filter(action="list.export").exists()


def test_a_too_long_export_is_refused_before_its_rows_are_read(client, users, tree, monkeypatch):
    for n in range(3):
        make_person(tree.cy_grass, name=f"王{n}")
    monkeypatch.setattr(pagination, "EXPORT_ROWS", 2)
    monkeypatch.setattr(middleware, "EXPORT_ROWS", 2)
    client.force_login(users.cy)
    pages = []
    page_of = pagination.page_of
    monkeypatch.setattr(pagination, "page_of", lambda *a, **k: pages.append(1) or page_of(*a, **k))
    response = client.get("/people/?export=xlsx")
    assert response.status_code == 302 and not pages  # no page of rows was read
    assert "超过 2 条，无法一次导出" in client.get(response.url).content.decode()


def test_exports_are_throttled_per_user_and_name_the_acting_post(client, users, tree):
    make_person(tree.cy_grass, name="张三丰")
    client.force_login(users.cy)
    answers = [client.get("/people/?export=xlsx") for _ in range(middleware.EXPORTS_PER_MINUTE)]
    assert all(a["Content-Type"] == XLSX for a in answers)
    refused = client.get("/people/?export=xlsx", follow=True)
    assert refused.redirect_chain == [("/people/?", 302)]
    assert "导出过于频繁" in refused.content.decode()
    events = AuditEvent.objects.filter(action="list.export")
    assert events.count() == middleware.EXPORTS_PER_MINUTE
    assert {e.post_id for e in events} == {Post.objects.get(user=users.cy).pk}


@pytest.mark.parametrize("pk", ["99999999999999999999999", "9223372036854775808"])
def test_a_tree_node_beyond_any_id_is_an_empty_fragment(client, users, pk):
    client.force_login(users.admin)
    response = client.get(f"/tree/{pk}/")
    assert response.status_code == 200 and "treeitem" not in response.content.decode()


@pytest.mark.parametrize("value", ["²", "99999999999999999999999", "-1"])
def test_a_picker_with_a_strange_value_says_what_is_wrong(client, users, tree, value):
    client.force_login(users.admin)  # over the whole tree: the server-search picker
    response = client.post(f"/orgs/{tree.cy_street.pk}/move/", {"parent": value})
    assert response.status_code == 200
    assert response.context["form"].errors["parent"]


def test_the_dashboards_are_offered_to_whom_they_open(client, users, tree):
    node_post = make_user("cy_node", tree.chaoyang, "district_staff", scope="node")
    client.force_login(node_post)  # dashboards.view on its node only: no dashboard opens
    assert client.get("/dashboards/").status_code == 404
    assert "数据看板" not in client.get("/").content.decode()
    client.force_login(users.cy)
    assert "数据看板" in client.get("/").content.decode()


def test_a_programme_dashboard_is_for_that_programmes_viewers(client, tree):
    role = Role.objects.create(
        code="registry-dash", name="档案看板", permissions=["dashboards.view", "registry.view"]
    )
    viewer = make_user("dash_reg", tree.chaoyang, role.code)
    client.force_login(viewer)
    page = client.get("/dashboards/")
    assert page.status_code == 200
    tabs = page.context["tabs"]
    assert set(tabs) == {"leader", "registry"}
    assert client.get("/dashboards/registry/").status_code == 200
    assert client.get("/dashboards/funds/").status_code == 404
    assert client.get("/dashboards/funds/funds_child.xlsx").status_code == 404
