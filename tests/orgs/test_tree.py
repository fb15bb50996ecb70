import io
import json

import openpyxl
import pytest
from django.db import connection

from gonghui.audit.models import AuditEvent
from gonghui.audit.selectors import event_list
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.common.imports import ImportRejected
from gonghui.orgs import access, selectors, services
from gonghui.orgs.models import OrgUnit, path_next
from gonghui.treeimport.services import tree_import
from tests.factories import make_user

HEADER = "组织编码,组织名称,级别,上级编码\n"


def csv_bytes(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()


def xlsx_bytes(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["组织编码", "组织名称", "级别", "上级编码"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.django_db
def test_import_builds_subtree_in_any_row_order(tree, users):
    data = csv_bytes(
        "CY-G9,某厂工会,基层工会,CY-S9",  # child before its parent
        "CY-S9,三里屯街道总工会,街乡镇总工会,110105",
        "CY-G8,某店工会,grassroots,CY-S9",
    )
    created = tree_import(actor=users.cy, data=data, filename="tree.csv")
    assert created == 3
    street = OrgUnit.objects.get(code="CY-S9")
    assert street.parent == tree.chaoyang and street.depth == 2
    kids = OrgUnit.objects.filter(parent=street).order_by("path")
    assert [k.code for k in kids] == ["CY-G9", "CY-G8"]
    assert all(k.path.startswith(street.path) and k.depth == 3 for k in kids)
    # The district's subtree (one range) now holds them; one audit event for the file.
    subtree = OrgUnit.objects.filter(
        path__gte=tree.chaoyang.path, path__lt=path_next(tree.chaoyang.path)
    )
    assert {"CY-S9", "CY-G9", "CY-G8"} <= set(subtree.values_list("code", flat=True))
    assert AuditEvent.objects.filter(action="orgs.import").count() == 1


@pytest.mark.django_db
def test_import_from_excel_keeps_numeric_codes(tree, users):
    data = xlsx_bytes([[110105901, "亚运村街道总工会", "街乡镇总工会", 110105]])
    assert tree_import(actor=users.cy, data=data, filename="tree.xlsx") == 1
    assert OrgUnit.objects.get(code="110105901").parent == tree.chaoyang


@pytest.mark.django_db
def test_a_file_with_bad_rows_is_rejected_whole_naming_each_row(tree, users):
    before = OrgUnit.objects.count()
    data = csv_bytes(
        "CY-S7,好街道总工会,街乡镇总工会,110105",  # fine, but must not be written
        "CY-S8,,街乡镇总工会,110105",  # empty name
        "CY-S7,重复,街乡镇总工会,110105",  # duplicate code in file
        "CY-G7,某厂工会,基层工会,NOPE",  # unknown parent
        "CY-G6,某厂工会,村委会,110105",  # unknown level
        "110108,海淀重名,街乡镇总工会,110105",  # code already exists
        "HD-G9,越权工会,基层工会,HD-S1",  # parent out of the importer's scope
        "CY-X1,错层,区总工会,110105",  # a district under a district
    )
    with pytest.raises(ImportRejected) as err:
        tree_import(actor=users.cy, data=data, filename="tree.csv")
    found = {(e.row, e.column) for e in err.value.errors}
    assert {
        (3, "组织名称"),
        (4, "组织编码"),
        (5, "上级编码"),
        (6, "级别"),
        (7, "组织编码"),
        (8, "上级编码"),
        (9, "级别"),
    } <= found
    reasons = " ".join(e.reason for e in err.value.errors)
    assert "名称不能为空" in reasons and "与第 2 行的组织编码重复" in reasons
    assert "上级组织不存在或不在您的管理范围内" in reasons and "已存在" in reasons
    assert OrgUnit.objects.count() == before
    assert not AuditEvent.objects.filter(action="orgs.import").exists()


@pytest.mark.django_db
def test_cycles_and_missing_headers_are_reported(tree, users):
    with pytest.raises(ImportRejected) as err:
        tree_import(
            actor=users.cy,
            data=csv_bytes("A1,甲,基层工会,B1", "B1,乙,基层工会,A1"),
            filename="t.csv",
        )
    assert any("循环" in e.reason for e in err.value.errors)
    with pytest.raises(ImportRejected) as err:
        tree_import(actor=users.cy, data="编码,名称\nA,B\n".encode(), filename="t.csv")
    assert {e.column for e in err.value.errors} >= {"组织编码", "级别", "上级编码"}
    with pytest.raises(ImportRejected):
        tree_import(actor=users.cy, data=b"x", filename="t.txt")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("parents", "root"), [(["CY-S1"], "cy_street"), (["CY-S1", "110105"], "chaoyang")]
)
def test_an_import_is_recorded_where_its_units_hang_for_that_districts_auditors(
    tree, users, parents, root
):
    data = csv_bytes(*(f"CY-N{i},新工会{i},基层工会,{p}" for i, p in enumerate(parents)))
    assert tree_import(actor=users.cy, data=data, filename="tree.csv") == len(parents)

    event = AuditEvent.objects.get(action="orgs.import")
    assert event.org_unit_id == getattr(tree, root).pk
    assert event.post_id == users.cy.posts.get().pk
    ids = sorted(OrgUnit.objects.filter(code__startswith="CY-N").values_list("pk", flat=True))
    changes = json.loads(event.body)["changes"]
    assert changes["created"] == [None, len(parents)]
    assert changes["units"] == [None, [[ids[0], ids[-1]]]]
    cy_auditor = make_user("cy_auditor", tree.chaoyang, "auditor")
    hd_auditor = make_user("hd_auditor", tree.haidian, "auditor")
    assert event_list(actor=cy_auditor, action="orgs.import").get() == event
    assert not event_list(actor=hd_auditor, action="orgs.import").exists()


@pytest.mark.django_db
def test_a_file_with_a_header_and_no_units_is_refused(tree, users):
    with pytest.raises(ImportRejected) as err:
        tree_import(actor=users.cy, data=csv_bytes(), filename="tree.csv")
    assert [e.reason for e in err.value.errors] == ["文件中没有要导入的组织"]
    assert not AuditEvent.objects.filter(action="orgs.import").exists()


@pytest.mark.django_db
def test_a_unit_is_created_under_its_parent(tree, users):
    unit = services.orgunit_create(
        actor=users.cy, parent=tree.cy_street, code="CY-G2", name="新工会", level="grassroots"
    )
    assert unit.path.startswith(tree.cy_street.path)


@pytest.mark.django_db
def test_a_unit_code_is_taken_once(tree, users):
    services.orgunit_create(
        actor=users.cy, parent=tree.cy_street, code="CY-G2", name="新工会", level="grassroots"
    )
    with pytest.raises(ValidationFailed) as err:
        services.orgunit_create(
            actor=users.cy, parent=tree.cy_street, code="CY-G2", name="重复", level="grassroots"
        )
    assert "已存在" in err.value.fields["code"]


@pytest.mark.django_db
def test_a_level_sits_only_where_the_tree_allows_it(tree, users):
    with pytest.raises(ValidationFailed):
        services.orgunit_create(
            actor=users.cy, parent=tree.cy_grass, code="CY-Z", name="错层", level="street"
        )


@pytest.mark.django_db
def test_units_are_created_only_within_scope(tree, users):
    with pytest.raises(NotFound):
        services.orgunit_create(
            actor=users.cy, parent=tree.hd_street, code="CY-Y", name="越权", level="grassroots"
        )
    # Street staff cannot create at the district above them.
    with pytest.raises((NotFound, Forbidden)):
        services.orgunit_create(
            actor=users.cy_street, parent=tree.chaoyang, code="CY-W", name="越级", level="street"
        )


@pytest.mark.django_db
def test_a_move_out_of_scope_is_refused(tree, users):
    with pytest.raises(Forbidden):
        services.orgunit_move(actor=users.cy, unit=tree.cy_street, new_parent=tree.haidian)


@pytest.fixture
def new_street(tree, users):
    """A second Chaoyang street, made by the district's staff."""
    return services.orgunit_create(
        actor=users.cy, parent=tree.chaoyang, code="CY-S2", name="望京街道总工会", level="street"
    )


@pytest.mark.django_db
def test_a_move_within_scope_takes_the_unit_along(tree, users, new_street):
    services.orgunit_move(actor=users.cy, unit=tree.cy_grass, new_parent=new_street)
    tree.cy_grass.refresh_from_db()
    assert tree.cy_grass.parent == new_street and tree.cy_grass.path.startswith(new_street.path)


@pytest.mark.django_db
def test_a_unit_cannot_move_under_itself(tree, users, new_street):
    services.orgunit_move(actor=users.cy, unit=tree.cy_grass, new_parent=new_street)
    with pytest.raises(ValidationFailed, match="自身或其下级"):
        services.orgunit_move(actor=users.cy, unit=new_street, new_parent=tree.cy_grass)


@pytest.mark.django_db
def test_move_carries_descendants(tree, users):
    leaf = services.orgunit_create(
        actor=users.admin, parent=tree.cy_grass, code="CY-B1", name="分会", level="grassroots"
    )
    services.orgunit_move(actor=users.admin, unit=tree.cy_street, new_parent=tree.haidian)
    leaf.refresh_from_db()
    tree.cy_grass.refresh_from_db()
    assert leaf.path.startswith(tree.haidian.path) and leaf.depth == 4
    assert tree.cy_grass.depth == 3
    assert selectors.org_unit_list(actor=users.hd).filter(pk=leaf.pk).exists()
    assert not selectors.org_unit_list(actor=users.cy).filter(pk=leaf.pk).exists()


@pytest.mark.django_db
def test_a_node_post_sees_its_own_unit_only(tree):
    node_only = make_user("node_only", tree.chaoyang, "district_staff", scope="node")
    units = set(access.visible_units(node_only).values_list("code", flat=True))
    assert units == {"110105"}


@pytest.mark.django_db
def test_a_self_post_sees_no_unit(tree):
    self_only = make_user("self_only", tree.chaoyang, "member", scope="self")
    assert not access.visible_units(self_only).exists()


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return " ".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return " ".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_subtree_query_is_a_range_on_the_path_index(tree, users):
    qs = selectors.org_unit_list(actor=users.cy, root=tree.chaoyang)
    sql = str(qs.query)
    assert "LIKE" not in sql.upper()
    plan = _plan(qs)
    if connection.vendor == "sqlite":
        assert "USING INDEX" in plan and "path" in plan, plan
        assert "SCAN orgs_orgunit" not in plan.replace("USING INDEX", ""), plan
    else:
        assert "Index" in plan and "Seq Scan on orgs_orgunit" not in plan, plan
