"""The import within the importer's post: the template offers only the honours it may
confer, and an employer registered by another district is never linked by its credit code."""

import io

import openpyxl
import pytest

from gonghui.people.models import Person, Unit
from gonghui.registry import excel, services
from gonghui.registry.excel import template
from tests.factories import PASSWORD
from tests.registry.test_excel import ID_A, ID_B, rejected, run

HAIDIAN_CODE = "91110108MA01A1B2C7"


def honour_options(actor) -> list[str]:
    """The honour column's drop-down, read from the template as Excel would: the range its
    data validation names on the hidden sheet."""
    book = openpyxl.load_workbook(io.BytesIO(excel.template_workbook(actor=actor)))
    sheet = book[excel.SHEET]
    column = list(excel.COLUMNS).index("honour") + 1
    letter = openpyxl.utils.get_column_letter(column)
    (rule,) = [
        dv for dv in sheet.data_validations.dataValidation if str(dv.sqref).startswith(f"{letter}2")
    ]
    _, cells = rule.formula1.split("!")
    first, last = cells.replace("$", "").split(":")
    return [c.value for row in book["选项"][first:last] for c in row if c.value]


def notes(actor) -> dict[str, str]:
    book = openpyxl.load_workbook(io.BytesIO(excel.template_workbook(actor=actor)))
    return {label: note for label, note in book["填写说明"].iter_rows(min_row=2, values_only=True)}


def test_the_template_offers_the_honours_the_post_can_confer(registry, users, tree):
    district = honour_options(users.cy)
    assert {"朝阳工匠", "朝阳能手", "朝阳匠心达人"} <= set(district)
    # City honours are the city's to confer; another district's titles are theirs.
    assert not {"北京市劳动模范", "首都劳动奖章", "亦城工匠"} & set(district)
    city = honour_options(users.admin)
    assert {"北京市劳动模范", "朝阳工匠", "亦城工匠"} <= set(city)
    assert "北京市工人先锋号" not in city  # a collective honour: not for people
    # Every honour the district's template offers is accepted from the district's file.
    rows = [
        {"姓名": "李建国", "身份证号": ID_A, "所属工会编码": "CY-G1", "荣誉": name, "年份": 2020}
        for name in district
    ]
    assert run(users.cy, rows).awards_created == len(district)


def test_a_post_that_confers_nothing_gets_an_empty_honour_list(registry, users):
    assert honour_options(users.cy_street) == []
    assert notes(users.cy_street)["荣誉"] == template.NO_HONOURS
    assert notes(users.cy)["荣誉"] == template.NOTES["honour"]


def test_the_template_download_is_the_posts_own(client, registry, users):
    client.login(username=users.cy.username, password=PASSWORD)
    book = openpyxl.load_workbook(io.BytesIO(client.get("/registry/import/template.xlsx").content))
    values = {c.value for col in book["选项"].iter_cols() for c in col}
    assert "朝阳工匠" in values and "北京市劳动模范" not in values


@pytest.fixture
def haidian_unit(users, tree):
    return services.unit_create(
        actor=users.hd, org_unit=tree.hd_grass, name="海淀某科技公司", credit_code=HAIDIAN_CODE
    )


def test_an_employer_of_another_district_is_not_linked_by_its_credit_code(
    registry, users, haidian_unit
):
    row = {
        "姓名": "王芳",
        "身份证号": ID_B,
        "所属工会编码": "CY-G1",
        "工作单位": "某科技公司",
        "统一社会信用代码": HAIDIAN_CODE,
    }
    errors = rejected(users.cy, [row])
    (reason,) = errors.values()
    assert list(errors) == [(2, "统一社会信用代码")]
    assert "管理范围以外" in reason and "不能关联" in reason
    assert "海淀" not in reason and haidian_unit.name not in reason  # nothing of theirs named
    assert not Person.objects.filter(name="王芳").exists()
    assert Unit.objects.filter(credit_code=HAIDIAN_CODE).count() == 1
    # The city, whose scope holds both, links it.
    run(users.admin, [row])
    assert Person.objects.get(name="王芳").employer == haidian_unit


def test_a_person_already_employed_there_keeps_the_link(registry, users, tree, haidian_unit):
    """A record linked earlier (e.g. by the city) re-imports unchanged in Chaoyang."""
    zhao = registry.people["赵郁"]
    Person.objects.filter(pk=zhao.pk).update(employer=haidian_unit)
    row = {
        "记录ID": str(zhao.pk),
        "姓名": "赵郁",
        "所属工会编码": "CY-G1",
        "统一社会信用代码": HAIDIAN_CODE,
    }
    assert run(users.cy, [row]).people_unchanged == 1
