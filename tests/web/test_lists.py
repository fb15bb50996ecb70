"""Lists behave the same everywhere (issue #20, 3): the pager (total, page numbers, jump,
size), bad page, size and sort parameters, the column choice kept per user and per list,
the export of what is filtered, the empty row, and 请选择 instead of "---------"."""

from __future__ import annotations

import importlib
import inspect
import io
import json
import pkgutil
import re
from pathlib import Path

import openpyxl
import pytest
from django import forms
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import gonghui
from gonghui.audit.models import AuditEvent
from gonghui.common import pagination
from gonghui.orgs.models import OrgUnit
from gonghui.web import middleware
from gonghui.web.models import ListColumns
from gonghui.web.tables import listed_table
from tests.factories import VALID_IDS, make_person, make_unit

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _changes(event: AuditEvent) -> dict:
    return json.loads(event.body)["changes"]


def _hidden(html: str) -> list[str]:
    """The column choice a page hands to web/lists.js."""
    found = re.search(r'<script id="list-columns" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1))


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(book.active.values)


def _units(tree, n: int) -> None:
    for i in range(n):
        make_unit(tree.cy_street, "grassroots", f"CY-X{i:03}", f"朝阳测试工会{i:03}")


# --- The pager -----------------------------------------------------------------------------


def test_the_pager_shows_total_numbers_jump_and_size_keeping_the_filters(client, users, tree):
    _units(tree, 230)
    total = OrgUnit.objects.filter(path__startswith=tree.chaoyang.path, level="grassroots").count()
    client.force_login(users.cy)

    response = client.get("/orgs/?level=grassroots&size=20&page=6")

    page = response.context["page"]
    html = response.content.decode()
    assert page.number == 6 and page.paginator.per_page == 20 and len(page) == 20
    assert page.paginator.count == total and page.paginator.num_pages == 12
    assert f"共 {total} 条，第 6 / 12 页" in html
    pager = html[html.index("data-list-pager") :]
    numbers = re.findall(
        r'<a href="\?level=grassroots&amp;page=(\d+)&amp;size=20">(\d+)</a>', pager
    )
    # The first, two either side of the sixth, the last; the gaps between them.
    assert [n for n, _ in numbers if n == _] == ["1", "4", "5", "7", "8", "12"]
    assert '<span class="current" aria-current="page">6</span>' in pager
    assert pager.count('<span class="gap">…</span>') == 2
    assert 'rel="prev"' in pager and 'rel="next"' in pager
    # The jump box keeps the filter, and offers the sizes with the current one chosen.
    jump = pager[pager.index('<form class="jump"') : pager.index("</form>")]
    assert '<input type="hidden" name="level" value="grassroots">' in jump
    assert 'name="page"' in jump and 'value="6"' in jump
    assert '<option value="20" selected>' in jump and '<option value="200">' in jump
    # Rows of page 6 are the 101st to the 120th of the whole list.
    whole = client.get("/orgs/?level=grassroots&size=200").context["page"]
    assert [u.pk for u in page] == [u.pk for u in whole][100:120]


@pytest.mark.parametrize(
    ("query", "number", "size"),
    [
        ("page=9999", "last", 50),
        ("page=0", "last", 50),  # below the first: Django's get_page gives the last
        ("page=-3", "last", 50),
        ("page=abc", 1, 50),
        ("page=2.5", 1, 50),
        ("page=", 1, 50),
        ("size=100000", 1, 50),
        ("size=0", 1, 50),
        ("size=-20", 1, 50),
        ("size=xx", 1, 50),
        ("size=100&page=99999999999999999999", "last", 100),
        ("size=200", 1, 200),
    ],
)
def test_a_bad_page_or_size_gives_the_nearest_page_in_the_default_size(
    client, users, tree, query, number, size
):
    _units(tree, 120)
    client.force_login(users.cy)

    response = client.get(f"/orgs/?{query}")

    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.per_page == size
    assert page.number == (page.paginator.num_pages if number == "last" else number)


def test_page_size_bounds_and_the_api_page():
    assert [pagination.page_size(v) for v in (20, "50", " 100 ", 200)] == [20, 50, 100, 200]
    assert {pagination.page_size(v) for v in (None, "", 0, 7, 201, 10**9, "1e3", "x")} == {50}
    rows = list(range(75))
    assert len(pagination.page_dict(rows, 1, size=20)["items"]) == 20
    assert len(pagination.page_dict(rows, 1, size=5000)["items"]) == 50  # bounded


def test_the_api_lists_take_a_bounded_size(client, users, tree):
    _units(tree, 60)
    client.force_login(users.cy)
    assert len(client.get("/api/v1/orgs/?size=20").json()["items"]) == 20
    assert len(client.get("/api/v1/orgs/?size=100000").json()["items"]) == 50
    assert len(client.get("/api/v1/orgs/?size=20&page=99").json()["items"]) == 3  # the last
    assert client.get("/api/v1/people/?size=-1").status_code == 200


def test_the_first_page_of_a_short_list_runs_no_count(django_assert_num_queries, users, tree):
    with django_assert_num_queries(1):
        page = pagination.page_of(OrgUnit.objects.filter(code__startswith="CY-"), "1", size=20)
    assert page.paginator.count == 2


# --- Every list page ------------------------------------------------------------------------


def _plain_pages(resolver=None, prefix="", namespace=""):
    """(URL name, path) of every page without path parameters, but the admin's and the API."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("admin", "api")):
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _plain_pages(entry, route, ns)
        elif isinstance(entry, URLPattern) and "<" not in route and entry.name:
            yield f"{namespace}{entry.name}", "/" + route


@pytest.fixture
def list_pages(client, users, tree):
    """The list pages (with a pager) the city's administrator opens without a parameter."""
    make_person(tree.cy_grass, name="钱多", id_number=VALID_IDS[1])
    client.force_login(users.admin)
    found = {}
    for name, path in _plain_pages():
        response = client.get(path)
        if response.status_code == 200 and b"data-list-pager" in response.content:
            found[name] = path
    return found


def test_every_list_page_survives_bad_parameters_and_exports(client, list_pages, monkeypatch):
    monkeypatch.setattr(middleware, "EXPORTS_PER_MINUTE", 1000)  # one export of every list
    assert len(list_pages) >= 20, sorted(list_pages)
    exported = []
    for name, path in sorted(list_pages.items()):
        response = client.get(f"{path}?sort=garbage&page=zz&size=-1&export=csv")
        assert response.status_code == 200, name
        assert b"---------" not in response.content, name  # its filters' empty choice: 请选择
        assert response.context["page"].paginator.per_page == 50, name
        assert client.get(f"{path}?sort=-garbage").status_code == 200, name
        if b'class="btn secondary export"' not in response.content:
            continue  # a list with its own export, or cards rather than a table
        listed = listed_table(client.get(f"{path}?size=200").content.decode())
        before = AuditEvent.objects.filter(action="list.export").count()
        rows = _sheet(client.get(f"{path}?export=xlsx&sort=garbage"))
        assert rows[0] == tuple(h for h in listed.headers if h), name
        assert len(rows) - 1 == len(listed.rows), name
        event = AuditEvent.objects.filter(action="list.export").latest("id")
        assert AuditEvent.objects.filter(action="list.export").count() == before + 1, name
        assert event.object_id == name and _changes(event)["rows"] == [None, len(listed.rows)]
        exported.append(name)
    assert len(exported) >= 15, exported


def test_an_unknown_sort_key_lists_in_the_default_order(client, users, tree):
    _units(tree, 5)
    client.force_login(users.cy)
    default = [u.pk for u in client.get("/orgs/").context["page"]]
    for key in ("garbage", "-garbage", "__class__", "path;drop", "-"):
        assert [u.pk for u in client.get(f"/orgs/?sort={key}").context["page"]] == default


# --- Export of what is filtered -------------------------------------------------------------


@pytest.fixture
def people(tree):
    return [
        make_person(tree.cy_grass, name="张三丰", id_number=VALID_IDS[0]),
        make_person(tree.cy_grass, name="张无忌", id_number=VALID_IDS[1]),
        make_person(tree.cy_grass, name="李四", id_number=VALID_IDS[2]),
        make_person(tree.hd_grass, name="张海淀", id_number=VALID_IDS[3]),
    ]


def test_the_export_is_the_filtered_list_masks_kept_and_recorded(client, users, people):
    client.force_login(users.cy_street)  # no people.view_pii: numbers are masked

    rows = _sheet(client.get("/people/?q=张&export=xlsx&page=2&size=20"))

    assert rows[0] == ("姓名", "性别", "出生日期", "身份证号", "所属工会")
    # The street's people whose name holds 张 (not the district next door's, not 李四).
    assert sorted(r[0] for r in rows[1:]) == ["张三丰", "张无忌"]
    numbers = {r[3] for r in rows[1:]}
    assert numbers == {"11**************2X", "11**************38"}
    assert not numbers & set(VALID_IDS)
    event = AuditEvent.objects.get(action="list.export")
    assert event.actor_id == users.cy_street.pk and event.object_id == "web:person_list"
    assert _changes(event) == {"filters": [None, {"q": "张"}], "rows": [None, 2]}


def test_a_viewer_with_pii_rights_exports_what_the_page_shows_them(client, users, people):
    client.force_login(users.admin)
    page = client.get("/people/?q=张").content.decode()
    rows = _sheet(client.get("/people/?q=张&export=xlsx"))
    assert sorted(r[0] for r in rows[1:]) == ["张三丰", "张无忌", "张海淀"]
    assert all(r[3] in page for r in rows[1:])  # as the page shows them, cell for cell


def test_the_export_leaves_out_the_columns_the_user_hid(client, users, people):
    client.force_login(users.cy)
    ListColumns.objects.create(user=users.cy, list_name="web:person_list", hidden=["身份证号"])

    rows = _sheet(client.get("/people/?export=xlsx"))

    assert rows[0] == ("姓名", "性别", "出生日期", "所属工会")
    assert len(rows) == 4


@pytest.mark.parametrize(
    ("login", "answer"),
    [("nopost", 404), ("anonymous", 302)],
)
def test_the_export_answers_nothing_to_whom_the_list_answers_nothing(
    client, users, people, login, answer
):
    if login != "anonymous":
        client.force_login(getattr(users, login))

    response = client.get("/people/?export=xlsx")

    assert response.status_code == answer and response["Content-Type"] != XLSX
    assert not AuditEvent.objects.filter(action="list.export").exists()


def test_the_export_of_a_district_holds_only_the_district(client, users, people):
    client.force_login(users.hd)
    rows = _sheet(client.get("/people/?export=xlsx"))
    assert [r[0] for r in rows[1:]] == ["张海淀"]


def test_an_export_beyond_the_cap_is_refused_with_a_message(client, users, people, monkeypatch):
    monkeypatch.setattr(pagination, "EXPORT_ROWS", 2)
    monkeypatch.setattr("gonghui.web.middleware.EXPORT_ROWS", 2)
    client.force_login(users.cy)

    response = client.get("/people/?export=xlsx&sort=name", follow=True)  # 3 in the district

    assert response.redirect_chain == [("/people/?sort=name", 302)]
    assert "超过 2 条，无法一次导出" in response.content.decode()
    assert not AuditEvent.objects.filter(action="list.export").exists()
    # At the cap it exports.
    assert len(_sheet(client.get("/people/?export=xlsx&q=张三"))) == 2


def test_a_page_without_a_list_says_so(client, users):
    client.force_login(users.cy)
    response = client.get("/password/?export=xlsx")
    assert response.status_code == 400 and "没有可导出的列表" in response.content.decode()


def test_the_pager_offers_the_export_only_to_signed_in_users_and_lists_without_their_own(
    client, users, people
):
    client.force_login(users.cy)
    assert "导出 Excel" in client.get("/people/").content.decode()
    # The registry's search has its own export (with its own columns and its audit).
    registry = client.get("/registry/").content.decode()
    assert 'class="btn secondary export"' not in registry
    client.logout()
    assert 'class="btn secondary export"' not in client.get("/registry/wall/").content.decode()


def test_the_table_reader_takes_the_list_before_the_pager():
    html = """<title>测试 · 平台</title><table class="data"><thead><tr><th>其他</th></tr></thead>
    <tbody><tr><td>x</td></tr></tbody></table>
    <table class="data"><thead><tr><th><a href="?sort=a">姓名 ▲</a></th><th>号码</th><th></th></tr></thead>
    <tbody><tr><td><a>张三</a></td><td> 11**2X <br>备注</td><td><button>删除</button></td></tr>
    <tr class="empty"><td colspan="3">没有</td></tr></tbody></table>
    <div class="pager" data-list-pager></div><table class="data"><tr><td>后</td></tr></table>"""
    table = listed_table(html)
    assert table.title == "测试"
    assert table.headers == ["姓名", "号码", ""]
    assert table.rows == [["张三", "11**2X 备注", "删除"]]
    assert listed_table("<table class='data'></table>") is None


# --- The column choice ----------------------------------------------------------------------


def test_the_column_choice_is_kept_for_that_user_and_that_list_only(client, users, people):
    client.force_login(users.cy)
    response = client.post(
        "/lists/columns/", {"list": "web:person_list", "hidden": ["身份证号", "性别", "性别"]}
    )
    assert response.status_code == 200 and response.json() == {"hidden": ["身份证号", "性别"]}

    page = client.get("/people/").content.decode()
    assert '<html lang="zh-CN" class="cols-pending">' in page
    assert _hidden(page) == ["身份证号", "性别"]
    # Another list of the same user: untouched.
    assert _hidden(client.get("/orgs/").content.decode()) == []
    # Another user on the same list: untouched.
    client.force_login(users.hd)
    other = client.get("/people/").content.decode()
    assert '<html lang="zh-CN">' in other and _hidden(other) == []
    # Showing every column again.
    client.force_login(users.cy)
    assert client.post("/lists/columns/", {"list": "web:person_list"}).json() == {"hidden": []}
    assert '<html lang="zh-CN">' in client.get("/people/").content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"list": "web:nothing_here"},
        {"list": "../etc"},
        {"list": ""},
        {"list": "web:person_list", "hidden": ["x" * 61]},
        {"list": "web:person_list", "hidden": [f"列{i}" for i in range(41)]},
    ],
)
def test_a_bad_column_choice_is_refused(client, users, data):
    client.force_login(users.cy)
    response = client.post("/lists/columns/", data)
    assert response.status_code == 400 and response.json()["detail"]
    assert not ListColumns.objects.exists()


def test_the_column_choice_needs_a_signed_in_post_with_its_csrf_token(users):
    assert Client().post("/lists/columns/", {"list": "web:person_list"}).status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(users.cy)
    assert strict.post("/lists/columns/", {"list": "web:person_list"}).status_code == 403
    assert strict.get("/lists/columns/").status_code == 405
    assert not ListColumns.objects.exists()


# --- Empty rows -----------------------------------------------------------------------------


def test_an_empty_list_says_what_to_do_next(client, users, tree):
    client.force_login(users.cy)
    filtered = client.get("/people/?q=不存在的人").content.decode()
    assert '可<a href="/people/">清除筛选条件</a>，或<a href="/people/new/">登记人员</a>。' in (
        filtered
    )
    unfiltered = client.get("/people/").content.decode()
    assert '暂无记录。可<a href="/people/new/">登记人员</a>。' in unfiltered
    # A viewer who may not register people is not offered to.
    client.force_login(users.auditor)
    assert "暂无记录。</td>" in client.get("/people/").content.decode()


# --- 请选择 -----------------------------------------------------------------------------------


def _form_classes() -> list[type[forms.BaseForm]]:
    found = {}
    for info in pkgutil.walk_packages(gonghui.__path__, "gonghui."):
        if not info.name.endswith("forms") or ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, forms.BaseForm)
                and value.__module__ == module.__name__
            ):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[k] for k in sorted(found)]


def test_no_form_of_the_project_offers_dashes_for_no_choice(users, rf):
    rendered = []
    for form_class in _form_classes():
        try:
            form = form_class()
        except TypeError:  # a form that needs its record or actor: tried with the admin's
            try:
                form = form_class(actor=users.admin)
            except TypeError:
                continue
        html = str(form)
        assert "---------" not in html, form_class
        rendered.append(html)
    assert len(rendered) >= 40
    assert sum("请选择" in html for html in rendered) >= 5


def test_a_model_choice_offers_please_choose(users):
    class Pick(forms.Form):
        unit = forms.ModelChoiceField(OrgUnit.objects.all())
        level = forms.ChoiceField(choices=[("", "---------"), ("a", "甲")], required=False)

    html = str(Pick())
    assert html.count('<option value="" selected>请选择</option>') == 2
    assert "---------" not in html


# --- Confirmation messages ------------------------------------------------------------------


def test_every_form_page_and_posted_action_must_say_what_it_did():
    """``form_page`` and ``post_action`` (common/views.py), which carry the pages' actions,
    take the success message as a required argument: an action cannot forget it."""
    from gonghui.common.views import form_page, post_action

    for helper, name in ((form_page, "done"), (post_action, "done")):
        assert inspect.signature(helper).parameters[name].default is inspect.Parameter.empty


def test_an_upload_says_it_was_received(client, users):
    book = openpyxl.Workbook()
    book.active.append(["组织编码", "名称"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "组织树.xlsx"
    client.force_login(users.cy)

    response = client.post("/orgs/import/", {"file": data}, follow=True)

    assert response.redirect_chain and "/jobs/" in response.redirect_chain[-1][0]
    assert "已上传“组织树.xlsx”，正在后台导入" in response.content.decode()


def test_no_pager_sits_inside_a_form():
    """The pager holds a form of its own (jump, size): inside another form, its end would
    close the outer one, and the outer form's buttons below it would submit nothing."""
    root = Path(gonghui.__file__).parent
    inside = []
    for template in root.glob("**/templates/**/*.html"):
        text = template.read_text()
        for found in re.finditer(r"\{% pager\b", text):
            before = text[: found.start()]
            if len(re.findall(r"<form\b", before)) > len(re.findall(r"</form>", before)):
                inside.append(str(template.relative_to(root)))
    assert not inside, inside
