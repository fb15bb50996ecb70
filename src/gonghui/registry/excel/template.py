"""The registry's import template: the sheet's header, drop-down lists for the catalogue
columns, notes on filling it in, and ID and code columns formatted as text."""

from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from gonghui.common.sheets import append, book_bytes, form_book, put
from gonghui.orgs import access
from gonghui.orgs.selectors import labelled_units
from gonghui.people.models import Person, Trade
from gonghui.registry.excel.columns import (
    COLUMNS,
    GENDERS,
    NO,
    REQUIRED,
    SHEET,
    YES,
    column_width,
)
from gonghui.registry.models import Category, Honour

TEXT_KEYS = ("record_id", "id_number", "phone", "org_unit", "credit_code")  # '@' in Excel
TEMPLATE_ROWS = 5000  # rows the template's drop-down lists cover


def conferrable(actor) -> list[Honour]:
    """The honours to people that ``actor`` may confer (at the honour's conferring level),
    in the catalogue's order: what an import by them accepts."""
    honours = Honour.objects.filter(subject=Honour.Subject.INDIVIDUAL).select_related(
        "conferring_unit"
    )
    return [
        h
        for h in honours.order_by("sort", "pk")
        if access.can_at(actor, "registry.award", h.conferring_unit)
    ]


def _choice_lists(actor) -> dict[str, list[str]]:
    """The catalogue columns' drop-down values: what the import by ``actor`` accepts."""
    return {
        "gender": list(GENDERS),
        "rank": list(Person.Rank.labels),
        "is_front_line": [YES, NO],
        "trade": list(Trade.objects.order_by("code").values_list("name", flat=True)),
        "skill_level": list(Person.SkillLevel.labels),
        "status": list(Person.Status.labels),
        "honour": [h.name for h in conferrable(actor)],
        "categories": list(Category.objects.order_by("pk").values_list("name", flat=True)),
    }


NOTES = {
    "record_id": "导出文件自带，勿改；新登记的人员留空",
    "name": "必填",
    "birth_date": "如 1980-01-01；填了身份证号可不填",
    "id_number": "文本格式；15位旧号自动转为18位；没有时填写“无身份证号原因”",
    "no_id_reason": "无身份证号时必填，如“历史档案无记录”",
    "org_unit": "必填：人员所属工会的组织编码（见“组织机构”表），也可填完整路径"
    "（如 北京市总工会 / 朝阳区总工会 / 某街道总工会 / 某公司工会），须在您的管理范围内",
    "employer": "单位名称；同名单位较多时请同时填写统一社会信用代码",
    "honour": "从下拉列表选择；不填则只登记人员。一人多项荣誉写多行",
    "year": "授予年份，如 2015",
    "batch": "如 第13批",
    "categories": "可多项，用“、”分隔",
    "deeds": "事迹简介，最长5000字",
}


NO_HONOURS = "您的岗位不授予荣誉：荣誉、年份等列留空，只登记人员"


def template_workbook(*, actor) -> bytes:
    """The import template for ``actor``: the header, drop-down lists for catalogue columns
    (values on a hidden sheet, so long catalogues fit; honours only those the actor may
    confer, as the import refuses the others), ID and code columns formatted as text."""
    book = form_book()
    ws = book.active
    ws.title = SHEET
    keys = list(COLUMNS)
    append(ws, COLUMNS.values())
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")
    for index, key in enumerate(keys, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font = bold
        if key in REQUIRED:
            cell.fill = fill
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column_width(key)
        if key in TEXT_KEYS:
            ws.column_dimensions[letter].number_format = "@"
        elif key == "birth_date":
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
    ws.freeze_panes = "C2"
    options = book.create_sheet("选项")
    options.sheet_state = "hidden"
    lists = _choice_lists(actor)
    for index, (key, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(index)
        put(options, 1, index, COLUMNS[key])
        for row, value in enumerate(values, start=2):
            put(options, row, index, value)
        target = get_column_letter(keys.index(key) + 1)
        validation = DataValidation(
            type="list",
            formula1=f"'选项'!${letter}$2:${letter}${max(len(values), 1) + 1}",
            allow_blank=True,
            showErrorMessage=key != "categories",  # several categories need free text
            errorTitle=COLUMNS[key],
            error="请从下拉列表中选择",
        )
        validation.add(f"{target}2:{target}{TEMPLATE_ROWS}")
        ws.add_data_validation(validation)
    year = keys.index("year") + 1
    years = DataValidation(
        type="whole", operator="between", formula1="1949", formula2="2100", allow_blank=True
    )
    years.error, years.showErrorMessage = "年份应为四位数字，如 2015", True
    years.add(f"{get_column_letter(year)}2:{get_column_letter(year)}{TEMPLATE_ROWS}")
    ws.add_data_validation(years)
    _units_sheet(book, actor)
    notes = book.create_sheet("填写说明")
    append(notes, ["列", "说明"])
    notes_of = NOTES | ({} if lists["honour"] else {"honour": NO_HONOURS})
    for key, label in COLUMNS.items():
        append(notes, [label, notes_of.get(key, "")])
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 16, 70
    return book_bytes(book)


def _units_sheet(book, actor) -> None:
    """The unions the actor may register people at, by code and full path: where a filler
    looks up the code for the 所属工会 column (two unions of one name differ here)."""
    units = access.visible_units(actor, "registry.change").order_by("path")
    sheet = book.create_sheet("组织机构")
    append(sheet, ["组织编码", "完整路径"])
    for unit, label in labelled_units(units[:TEMPLATE_ROWS]):
        append(sheet, [unit.code, label])
    if units[TEMPLATE_ROWS : TEMPLATE_ROWS + 1].exists():
        append(sheet, ["", f"仅列出前 {TEMPLATE_ROWS} 个，其余请在“组织机构”页面查询编码"])
    sheet.column_dimensions["A"].number_format = "@"
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 18, 80
