"""Every workbook the platform writes goes through ``common.sheets``, the one writer that keeps
a value starting with "=", "+", "-" or "@" text (never a formula), quote-prefixed so that
editing the cell in Excel keeps it text."""

import ast
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

import gonghui
from gonghui.common import sheets
from gonghui.registry import excel, stats
from gonghui.registry.models import Award, Category, Honour
from tests.factories import make_person

SOURCE = Path(gonghui.__file__).parent
FORMULA = '=HYPERLINK("http://evil.example/","点我")'


def _writers(tree: ast.AST) -> list[str]:
    """What in a module builds a workbook or a cell itself, rather than through sheets."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in ("Workbook", "WriteOnlyCell"):
                found.append(f"line {node.lineno}: {name}")
        elif isinstance(node, ast.alias) and node.name in ("Workbook", "WriteOnlyCell"):
            found.append(f"imports {node.name}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "cell"
            and any(k.arg == "value" for k in node.keywords)
        ):
            found.append(f"line {node.lineno}: .cell(value=...)")
    return found


def test_no_module_but_sheets_builds_a_workbook_or_a_cell():
    offenders = {
        str(path.relative_to(SOURCE)): found
        for path in SOURCE.rglob("*.py")
        if path.name != "sheets.py" and "migrations" not in path.parts
        if (found := _writers(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert offenders == {}


def formula_like(data: bytes) -> dict[str, tuple[str, bool]]:
    """Every cell of every sheet whose value starts like a formula: value -> (type, quoted)."""
    book = load_workbook(BytesIO(data))
    return {
        str(cell.value): (cell.data_type, cell.quotePrefix)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value[:1] in "=+-@"
    }


@pytest.fixture
def formula_names(tree, honours):
    """An honour, a batch, a category and a district named like formulas, with an award."""
    honour = honours["beijing-model-worker"]
    Honour.objects.filter(pk=honour.pk).update(name=FORMULA)
    Category.objects.filter(code="front-line").update(name="@类别")
    tree.chaoyang.name = "+朝阳"
    tree.chaoyang.save(update_fields=["name"])
    award = Award.objects.create(
        honour_id=honour.pk,
        person=make_person(tree.cy_grass, "-减号"),
        org_unit=tree.cy_grass,
        year=2020,
        batch="-1批",
    )
    award.categories.set(Category.objects.filter(code="front-line"))
    return award


def test_the_statistics_workbook_keeps_formula_like_names_as_text(formula_names):
    cells = formula_like(stats.stats_workbook(awards_qs=Award.objects.all()))
    expected = {FORMULA, f"{FORMULA} -1批", "@类别", "+朝阳"}
    assert expected <= set(cells)
    assert all(cells[v] == ("s", True) for v in expected), cells


def test_the_import_template_keeps_formula_like_catalogue_names_as_text(formula_names, users):
    cells = formula_like(excel.template_workbook(actor=users.admin))
    assert cells[FORMULA] == ("s", True) and cells["@类别"] == ("s", True)


def test_numbers_stay_numbers_and_everything_else_is_text(db):
    book, ws = sheets.write_only_book("表", ["甲", "乙", "丙", "丁", "戊"])
    sheets.append(ws, [3, 0.25, sheets.Number(0.125, "0.0%"), "-3", "#N/A"])
    sheets.append(ws, ["a\x07b", None, True, "", "@x"])
    rows = list(load_workbook(BytesIO(sheets.book_bytes(book))).worksheets[0].iter_rows())
    assert [c.value for c in rows[1]] == [3, 0.25, 0.125, "-3", "#N/A"]
    assert [c.data_type for c in rows[1]] == ["n", "n", "n", "s", "s"]
    assert rows[1][2].number_format == "0.0%"
    # A control character XML cannot hold is dropped, a bool is words, not a number.
    assert [c.value for c in rows[2]] == ["ab", None, "True", None, "@x"]
    assert rows[2][4].quotePrefix and rows[0][0].font.b  # headers bold
