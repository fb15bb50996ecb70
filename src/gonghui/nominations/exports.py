"""A campaign's papers in the formats offices use: the nomination form (推荐表) as Word, the
notice list (公示名单) as Word and Excel, and the final list (表彰名单) as Excel.

Nothing here checks permissions: the caller (a view, a command) decides who may have which
paper. Nothing here prints the resident ID number or the phone. Word documents follow the
model-worker dictionary's conventions (``registry.dictionary``: 宋体/黑体 as the East Asian
fonts, Times New Roman for Latin text, A4 with 25 mm margins); Excel cells are all text
(``common.sheets.text_cell``), so a brief starting with "=" stays words, never a formula.

A notice shows the fields its campaign chose (``Notice.fields``, keys of ``NOTICE_FIELDS``, in
the order chosen); ``notice_headers`` and ``notice_row`` turn them into a header and a row,
the same for Word, Excel and the public notice page.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

from django.db.models import QuerySet
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_ALIGN_VERTICAL, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from gonghui.common.formats import cn_date
from gonghui.common.sheets import book_bytes, text_cell, write_only_book
from gonghui.nominations.models import NOTICE_FIELDS, Campaign, Nomination, Notice
from gonghui.nominations.workflow import State
from gonghui.people.models import Person
from gonghui.registry.dictionary import BODY_FONT, HEADING_FONT, LATIN_FONT, _set_fonts

__all__ = [
    "FINAL_HEADERS",
    "NOTICE_VALUES",
    "final_list_xlsx",
    "nomination_form_docx",
    "notice_headers",
    "notice_list_docx",
    "notice_list_xlsx",
    "notice_nominations",
    "notice_row",
]

RANKS = {value: str(label) for value, label in Person.Rank.choices}
YES, NO = "是", "否"
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 210, 297, 25  # A4 portrait, mm
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN  # 160 mm


# --- Values --------------------------------------------------------------------------------


def _clean(value) -> str:
    """Text as Word and Excel can hold it: control characters XML refuses are dropped."""
    if value is None:
        return ""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value)).strip()


def unit_post(nomination: Nomination) -> str:
    """工作单位及职务 as recorded when nominated: employer and post, joined by a space."""
    parts = (nomination.employer_name, nomination.post_title)
    return " ".join(p.strip() for p in parts if p and p.strip())


def rank_label(nomination: Nomination) -> str:
    return RANKS.get(nomination.rank, "")


def _birth_year(nomination: Nomination) -> str:
    birth = nomination.person.birth_date
    return str(birth.year) if birth else ""


# The value of each notice field (keys of NOTICE_FIELDS): the one place that says what a
# notice shows of a nominee.
NOTICE_VALUES: dict[str, Callable[[Nomination], str]] = {
    "name": lambda n: n.person.name,
    "gender": lambda n: n.person.get_gender_display(),
    "birth_year": _birth_year,
    "unit_post": unit_post,
    "rank": rank_label,
    "brief": lambda n: n.brief,
}


def notice_headers(fields: Iterable[str]) -> list[str]:
    """The column headers of a notice showing ``fields`` (unknown keys are left out, as in
    ``notice_row``, so headers and rows always line up)."""
    return [NOTICE_FIELDS[f] for f in fields if f in NOTICE_VALUES]


def notice_row(nomination: Nomination, fields: Iterable[str]) -> list[str]:
    """One nominee's row of a notice: the value of each of ``fields``, in that order."""
    return [_clean(NOTICE_VALUES[f](nomination)) for f in fields if f in NOTICE_VALUES]


def notice_nominations(notice: Notice) -> QuerySet[Nomination]:
    """The nominees a notice lists, in the pinyin order of their names (then by person)."""
    return notice.nominations.select_related("person").order_by("person__name_sort", "person_id")


# --- Word ----------------------------------------------------------------------------------


def _document(*, title: str, author: str, body_size: float):
    """An A4 document with the dictionary's fonts (body 宋体, headings 黑体)."""
    document = Document()
    normal = document.styles["Normal"]
    _set_fonts(normal, east_asian=BODY_FONT)
    normal.font.size = Pt(body_size)
    normal.paragraph_format.space_after = Pt(2)
    normal.paragraph_format.line_spacing = 1.25
    page = document.sections[0]
    page.orientation = WD_ORIENT.PORTRAIT
    page.page_width, page.page_height = Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT)
    page.left_margin = page.right_margin = Mm(MARGIN)
    page.top_margin = page.bottom_margin = Mm(MARGIN)
    properties = document.core_properties
    properties.title = title
    properties.author = properties.last_modified_by = author
    properties.comments = ""
    return document


def _run_fonts(run, *, east_asian: str, size: float | None = None, bold: bool = False):
    run.font.name = LATIN_FONT
    run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)
    if size:
        run.font.size = Pt(size)
    if bold:
        run.bold = True
    return run


def _heading(document, text: str, *, size: float, center: bool = True, before: float = 0):
    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_before = Pt(before)
    paragraph.paragraph_format.space_after = Pt(12)
    paragraph.paragraph_format.keep_with_next = True
    _run_fonts(paragraph.add_run(_clean(text)), east_asian=HEADING_FONT, size=size, bold=True)
    return paragraph


def _fill(cell, text, *, bold: bool = False, center: bool = False) -> None:
    """Write ``text`` into a table cell, a paragraph per line."""
    lines = _clean(text).splitlines() or [""]
    for index, line in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if line.strip():
            run = paragraph.add_run(line.strip())
            if bold:
                run.bold = True
    cell.vertical_alignment = WD_ALIGN_VERTICAL.CENTER


def _table(document, widths: list[float]):
    """A bordered table (Word's "Table Grid") of fixed column widths in mm, centred."""
    table = document.add_table(rows=0, cols=len(widths))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    return table


def _add_row(table, widths: list[float]):
    row = table.add_row()
    for cell, width in zip(row.cells, widths, strict=True):
        cell.width = Mm(width)  # Word reads the cells' widths, LibreOffice the grid's
    return row


def _repeat_as_header(row) -> None:
    """The row is repeated at the top of every page the table runs onto."""
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _to_docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _meeting_text(nomination: Nomination) -> str:
    attendance = nomination.meeting_attendance
    return "\n".join(
        (
            f"日期：{cn_date(nomination.meeting_on)}",
            f"参会人数：{f'{attendance}人' if attendance is not None else ''}",
            f"民主评议结果：{nomination.meeting_result}",
        )
    )


def _clearances_text(nomination: Nomination) -> str:
    """部门意见, in the campaign's order of departments (then any others)."""
    opinions = dict(nomination.clearances or {})
    order = [d for d in nomination.campaign.clearance_departments if d in opinions]
    order += [d for d in opinions if d not in order]
    return "\n".join(f"{d}：{opinions[d]}" for d in order)


FORM_LABEL_WIDTH = 42  # mm; the value column takes the rest of the 160 mm


def nomination_form_docx(nomination: Nomination) -> bytes:
    """推荐表 of one nominee as Word: the title (e.g. "2025年首都劳动奖章推荐表"), a bordered
    table of the facts, the deeds report meeting, the brief and the departments' opinions,
    then the detailed deeds as paragraphs. The resident ID number is never printed."""
    campaign = nomination.campaign
    person = nomination.person
    title = f"{campaign.year}年{campaign.honour.name}推荐表"
    document = _document(
        title=f"{title}（{person.name}）", author=nomination.org_unit.name, body_size=12
    )
    _heading(document, title, size=18)
    birth = person.birth_date
    rows = [
        ("姓名", person.name),
        ("性别", person.get_gender_display()),
        ("出生年月", f"{birth.year}年{birth.month}月" if birth else ""),
        ("工作单位及职务", unit_post(nomination)),
        ("岗位类别", rank_label(nomination)),
        ("是否一线职工", YES if nomination.is_front_line else NO),
        ("类别", "、".join(nomination.category_list)),
        ("推荐单位", nomination.org_unit.name),
        ("事迹报告会（日期、参会人数、民主评议结果）", _meeting_text(nomination)),
        ("简要事迹", nomination.brief),
    ]
    if clearances := _clearances_text(nomination):
        rows.append(("部门意见", clearances))
    widths = [FORM_LABEL_WIDTH, TEXT_WIDTH - FORM_LABEL_WIDTH]
    table = _table(document, widths)
    for label, value in rows:
        row = _add_row(table, widths)
        _fill(row.cells[0], label, bold=True, center=True)
        _fill(row.cells[1], value)
    _heading(document, "主要事迹", size=14, before=18)
    for line in _clean(nomination.deeds).splitlines():
        if line.strip():
            paragraph = document.add_paragraph(line.strip())
            paragraph.paragraph_format.first_line_indent = Pt(24)  # two characters at 12 pt
    return _to_docx_bytes(document)


# Relative column widths of a notice list; the columns shown share the text width.
NOTICE_WEIGHTS = {"name": 2, "gender": 1.2, "birth_year": 1.8, "unit_post": 5, "rank": 2.6}
BRIEF_WEIGHT = 7


def _notice_widths(fields: list[str]) -> list[float]:
    weights = [NOTICE_WEIGHTS.get(f, BRIEF_WEIGHT) for f in fields]
    return [TEXT_WIDTH * w / sum(weights) for w in weights]


def _notice_fields(notice: Notice) -> list[str]:
    return [f for f in notice.fields or [] if f in NOTICE_VALUES]


def notice_list_docx(notice: Notice) -> bytes:
    """公示名单 as Word: the notice's title, the period ("公示期：2025年9月22日 至 2025年9月26日"),
    a bordered table of the notice's fields (header repeated on every page), one row per
    nominee in pinyin order, the objection contact, and the publishing union with the date."""
    fields = _notice_fields(notice)
    document = _document(title=notice.title, author=notice.org_unit.name, body_size=10.5)
    _heading(document, notice.title, size=16)
    document.add_paragraph(f"公示期：{cn_date(notice.starts_on)} 至 {cn_date(notice.ends_on)}")
    if fields:
        widths = _notice_widths(fields)
        table = _table(document, widths)
        header = _add_row(table, widths)
        _repeat_as_header(header)
        for cell, label in zip(header.cells, notice_headers(fields), strict=True):
            _fill(cell, label, bold=True, center=True)
        short = {"name", "gender", "birth_year", "rank"}
        for nomination in notice_nominations(notice):
            row = _add_row(table, widths)
            values = notice_row(nomination, fields)
            for cell, field, value in zip(row.cells, fields, values, strict=True):
                _fill(cell, value, center=field in short)
    if contact := _clean(notice.contact):
        paragraph = document.add_paragraph(f"异议受理方式：{contact}")
        paragraph.paragraph_format.space_before = Pt(12)
    for text in (notice.org_unit.name, cn_date(notice.starts_on)):
        line = document.add_paragraph(_clean(text))
        line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return _to_docx_bytes(document)


# --- Excel ---------------------------------------------------------------------------------

NOTICE_COLUMN_WIDTHS = {
    "name": 12,
    "gender": 6,
    "birth_year": 10,
    "unit_post": 36,
    "rank": 16,
    "brief": 60,
}


def notice_list_xlsx(notice: Notice) -> bytes:
    """公示名单 as Excel: a header of the notice's fields, then one row per nominee in pinyin
    order; every cell text."""
    fields = _notice_fields(notice)
    widths = {i: NOTICE_COLUMN_WIDTHS[f] for i, f in enumerate(fields, start=1)}
    book, ws = write_only_book("公示名单", notice_headers(fields), widths)
    for nomination in notice_nominations(notice):
        ws.append([text_cell(ws, v) for v in notice_row(nomination, fields)])
    return book_bytes(book)


FINAL_HEADERS = [
    "序号",
    "姓名",
    "性别",
    "工作单位及职务",
    "推荐单位",
    "所属区（产业）工会",
    "类别",
]


def final_list_xlsx(campaign: Campaign) -> bytes:
    """表彰名单 as Excel: the approved nominees, grouped by their district (industry) union
    in the tree's order, then in pinyin order; numbered 1, 2, ...; every cell text."""
    approved = (
        Nomination.objects.filter(campaign=campaign, state=State.APPROVED)
        .select_related("person", "org_unit", "quota__org_unit")
        .order_by("quota__org_unit__path", "person__name_sort", "person_id")
    )
    widths = {1: 6, 2: 12, 3: 6, 4: 40, 5: 28, 6: 24, 7: 24}
    book, ws = write_only_book("表彰名单", FINAL_HEADERS, widths)
    for number, n in enumerate(approved, start=1):
        values = [
            str(number),
            n.person.name,
            n.person.get_gender_display(),
            unit_post(n),
            n.org_unit.name,
            n.quota.org_unit.name,
            "、".join(n.category_list),
        ]
        ws.append([text_cell(ws, _clean(v)) for v in values])
    return book_bytes(book)
