"""Writing workbooks as union offices open them: every cell text, so an ID number never
becomes 1.1E+17 and a value starting with "=", "+", "-" or "@" never becomes a formula
(reading them: ``imports``).

The one writer of the platform: every workbook it makes is opened here (``write_only_book``,
``form_book``) and every value goes into a cell through ``text_cell`` or ``row_cells``; no
other module builds an openpyxl workbook or cell (``tests/common/test_sheets.py`` holds it).
Numbers a sheet is meant to add up stay numbers only when passed as ``int``/``float`` (or a
``Number`` with its format); anything else is text."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

BOLD = Font(bold=True)
FORMULA_STARTS = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Number:
    """A numeric cell with Excel's number format (``"0.0%"``); ``None`` an empty cell."""

    value: int | float | None
    number_format: str = "General"


def _formula_like(text: str) -> bool:
    """Whether Excel would take ``text`` for a formula or an error, typed or edited."""
    return text[:1] in FORMULA_STARTS or text in ERROR_CODES


def text_cell(ws, value, *, font: Font | None = None) -> str | WriteOnlyCell | None:
    """``value`` as a text cell. openpyxl turns a string starting with '=' into a formula and
    '#N/A' into an error; such values get a cell forced to text (and Excel's quote prefix, so
    editing the cell in Excel keeps it text). Characters XML cannot hold are dropped."""
    if value is None or value == "":
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    plain = not _formula_like(text)
    if plain and font is None:
        return text
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    if not plain:
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    return cell


def _cell(ws, value, font: Font | None):
    if isinstance(value, Number):
        cell = WriteOnlyCell(ws, value=None if value.value is None else value.value)
        cell.number_format = value.number_format
        return cell
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return text_cell(ws, value, font=font)


def row_cells(ws, values: Iterable, *, font: Font | None = None) -> list:
    """A row's cells: ``int``/``float``/``Number`` as numbers, every other value as text."""
    return [_cell(ws, v, font) for v in values]


def append(ws, values: Iterable, *, font: Font | None = None) -> None:
    ws.append(row_cells(ws, values, font=font))


def add_sheet(book, title: str, headers: Iterable[str], widths: dict[int, int] | None = None):
    """A sheet of ``book`` with its header row (bold text) and column widths."""
    ws = book.create_sheet(title)
    for index, width in (widths or {}).items():
        ws.column_dimensions[get_column_letter(index)].width = width
    append(ws, headers, font=BOLD)
    return ws


def write_only_book(title: str, headers: Iterable[str], widths: dict[int, int] | None = None):
    """A streaming workbook with one sheet and its header row: (book, sheet). Rows go to a
    temporary file as they are appended, so memory does not grow with them."""
    book = empty_book()
    return book, add_sheet(book, title, headers, widths)


def empty_book():
    """A streaming workbook without sheets (``add_sheet`` adds them)."""
    return openpyxl.Workbook(write_only=True)


def form_book():
    """A workbook to be filled in by hand (an import template: styles, drop-down lists,
    hidden sheets): openpyxl's ordinary workbook, its cells written through ``put``."""
    return openpyxl.Workbook()


def put(ws, row: int, column: int, value, *, font: Font | None = None):
    """Write ``value`` as text into a cell of an ordinary (not write-only) sheet."""
    cell = ws.cell(row=row, column=column)
    if value is not None and value != "":
        cell.value = text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        cell.data_type = "s"  # openpyxl took "=..." for a formula, "#N/A" for an error
        if _formula_like(text):
            cell.quotePrefix = True
    if font is not None:
        cell.font = font
    return cell


def book_bytes(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
