"""The registry's sheets name unions by code or by full path, never by bare name: the
template lists the codes and full paths of the unions in the filler's scope, and an import
accepts either (two unions of one name are told apart by their paths)."""

import io

import openpyxl
import pytest

from gonghui.people.models import Person
from gonghui.registry import excel
from tests.factories import make_unit
from tests.registry.test_excel import ID_A, ID_B, rejected, run

pytestmark = pytest.mark.django_db

OURS = "北京市总工会 / 朝阳区总工会 / 建外街道总工会 / 同名公司工会"


@pytest.fixture
def namesakes(tree):
    return (
        make_unit(tree.cy_street, "grassroots", "SAME-1", "同名公司工会"),
        make_unit(tree.hd_street, "grassroots", "SAME-2", "同名公司工会"),
    )


def test_the_template_lists_codes_and_full_paths_in_scope(users, namesakes):
    book = openpyxl.load_workbook(io.BytesIO(excel.template_workbook(actor=users.cy)))
    rows = list(book["组织机构"].iter_rows(values_only=True))
    assert rows[0] == ("组织编码", "完整路径")
    assert ("SAME-1", OURS) in rows
    assert "SAME-2" not in {code for code, _ in rows}  # the other district's namesake
    assert ("110105", "北京市总工会 / 朝阳区总工会") in rows


def test_an_import_accepts_a_full_path_and_tells_namesakes_apart(users, namesakes):
    ours, theirs = namesakes
    run(
        users.cy,
        [
            {"姓名": "李建国", "身份证号": ID_A, "所属工会编码": OURS},
            # Spaces around the slashes as people type them, and a full-width slash.
            {
                "姓名": "王秀英",
                "身份证号": ID_B,
                "所属工会编码": "北京市总工会/朝阳区总工会／建外街道总工会",
            },
        ],
    )
    assert Person.objects.get(name="李建国").org_unit == ours
    assert Person.objects.get(name="王秀英").org_unit.code == "CY-S1"


def test_a_path_out_of_scope_or_unknown_is_refused(users, namesakes):
    errors = rejected(
        users.cy,
        [
            {"姓名": "李建国", "身份证号": ID_A, "所属工会编码": OURS.replace("朝阳区", "海淀区")},
            {
                "姓名": "王秀英",
                "身份证号": ID_B,
                "所属工会编码": "北京市总工会 / 海淀区总工会 / 中关村街道总工会 / 同名公司工会",
            },
        ],
    )
    assert errors[(2, "所属工会编码")] == "组织编码不存在或不在您的管理范围内"
    assert errors[(3, "所属工会编码")] == "组织编码不存在或不在您的管理范围内"
