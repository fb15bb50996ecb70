"""The dashboards' pages: who may open them, the viewer's scope on every chart, drill-down
and export, and bad input answered with a message or nothing (never a 500)."""

import io
import json

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gonghui.dashboards.charts import PAGES
from gonghui.dashboards.refresh import refresh
from gonghui.orgs import access
from tests.factories import make_member, make_user

PAGE_URLS = ["/dashboards/", *(f"/dashboards/{p}/" for p in PAGES if p != "leader")]


def options(response) -> dict:
    """The ECharts options a page carries, by chart id."""
    return {c["id"]: c["option"] for c in response.context["charts"]}


def bar_names(response, chart_id) -> list[str]:
    return options(response)[chart_id]["xAxis"]["data"]


@pytest.fixture
def built(honoured):
    refresh()
    return honoured


@pytest.mark.parametrize("who", ["admin", "cy", "cy_street", "cy_grass", "auditor"])
def test_staff_and_auditor_open_every_dashboard_of_a_programme_they_see(client, built, users, who):
    user = getattr(users, who)
    client.force_login(user)
    tabs = client.get("/dashboards/").context["tabs"]
    for page in PAGES:
        url = "/dashboards/" if page == "leader" else f"/dashboards/{page}/"
        # The overview for every viewer; a programme's page for its viewers, as its tab.
        allowed = page == "leader" or access.can(user, f"{page}.view")
        assert client.get(url).status_code == (200 if allowed else 404), url
        assert (page in tabs) == allowed, page


def test_members_and_people_without_posts_find_no_dashboard(client, built, users, tree):
    member = make_member(tree.cy_grass, "会员甲", username="member_a")
    for user in (users.nopost, member.user):
        client.force_login(user)
        for url in PAGE_URLS:
            assert client.get(url).status_code == 404, url
        assert "数据看板" not in client.get("/").content.decode()


def test_a_post_limited_to_its_own_node_sees_no_subtree_aggregate(client, built, tree):
    client.force_login(make_user("cy_node", tree.chaoyang, "district_staff", scope="node"))
    assert client.get("/dashboards/").status_code == 404


def test_a_districts_staff_start_at_and_never_leave_their_subtree(client, built, users, tree):
    client.force_login(users.cy)
    page = client.get("/dashboards/registry/")
    assert page.context["node"] == tree.chaoyang
    assert bar_names(page, "awards_child") == ["建外街道总工会", "本级"]
    tiles = {t["label"]: t["value"] for t in client.get("/dashboards/").context["tiles"]}
    assert tiles["荣誉授予"] == "4 人次"  # Chaoyang's four, not the city's seven
    # Drill down: the street, then its grassroots union.
    page = client.get(f"/dashboards/registry/?node={tree.cy_street.pk}")
    assert bar_names(page, "awards_child") == ["朝阳某公司工会"]
    assert [u.name for u in page.context["trail"]] == ["朝阳区总工会", "建外街道总工会"]
    # Up to the city, across to Haidian, or a forged id: nothing.
    for node in (tree.city.pk, tree.haidian.pk, tree.hd_grass.pk, 999999):
        assert client.get(f"/dashboards/registry/?node={node}").status_code == 404
        assert client.get(f"/dashboards/registry/awards_child.xlsx?node={node}").status_code == 404
    # The drill-down's bars carry the child's id.
    data = options(client.get("/dashboards/registry/"))["awards_child"]["series"][0]["data"]
    assert data[0]["node"] == tree.cy_street.pk


def test_the_city_sees_every_district(client, built, users, tree):
    client.force_login(users.admin)
    names = bar_names(client.get("/dashboards/registry/"), "awards_child")
    assert {"朝阳区总工会", "海淀区总工会", "本级"} <= set(names)
    assert client.get(f"/dashboards/registry/?node={tree.haidian.pk}").status_code == 200


def test_the_export_holds_the_charts_figures_in_scope(client, built, users, tree):
    client.force_login(users.cy)
    response = client.get(f"/dashboards/registry/awards_child.xlsx?node={tree.chaoyang.pk}")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "单位"
    body = {r[0]: r[1:] for r in rows[1:] if r[0] and r[0] not in ("单位",) and r[1] is not None}
    assert set(body) == {"建外街道总工会", "本级"}
    assert "海淀区总工会" not in json.dumps(rows, ensure_ascii=False)


@pytest.mark.parametrize(
    "query, message",
    [
        ("year_from=1800", "年份须在 1949—2100 之间"),
        ("year_to=99999", "年份须在 1949—2100 之间"),
        ("year_from=abc", "请填写四位数的年份"),
        ("year_from=2020&year_to=2010", "起始年份不能晚于截止年份"),
        ("node=abc", "组织不存在"),
    ],
)
def test_bad_filters_get_a_message_and_no_charts(client, built, users, query, message):
    client.force_login(users.admin)
    response = client.get(f"/dashboards/registry/?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "charts" not in response.context
    export = client.get(f"/dashboards/registry/awards_year.xlsx?{query}")
    assert export.status_code == 400
    assert message in export.content.decode()


def test_unknown_pages_and_charts_are_absent(client, built, users):
    client.force_login(users.admin)
    for url in (
        "/dashboards/nosuch/",
        "/dashboards/registry/nosuch.xlsx",
        "/dashboards/funds/awards_year.xlsx",  # a chart of another page
    ):
        assert client.get(url).status_code == 404, url


def test_an_empty_year_range_says_so(client, built, users):
    client.force_login(users.admin)
    page = client.get("/dashboards/registry/?year_from=1990&year_to=1991")
    assert "所选范围与年份内暂无数据" in page.content.decode()


def test_before_the_first_build_the_page_says_how(client, honoured, users):
    client.force_login(users.admin)
    assert "gonghui dashboards_refresh" in client.get("/dashboards/").content.decode()


BASE_APPS = ("registry_", "people_", "nominations_", "contests_", "funds_", "perks_", "training_")


def test_a_render_reads_the_facts_not_the_programmes_tables(client, built, users):
    client.force_login(users.admin)
    client.get("/dashboards/")  # the session and grants warmed
    for url in PAGE_URLS:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        # The menu's look-ups of the viewer themself (their member record, their judge or
        # counter account: by their user id, one index row each) are not the figures.
        own = f'."user_id" = {users.admin.pk}'
        touched = [
            q["sql"]
            for q in queries
            if any(f'"{a}' in q["sql"] for a in BASE_APPS) and own not in q["sql"]
        ]
        assert touched == [], url
        assert any("dashboards_fact" in q["sql"] for q in queries)
