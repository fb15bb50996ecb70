"""Writing workbooks as union offices open them: every cell text, so an ID number never
becomes 1.1E+17 and a value starting with "=", "+", "-" or "@" never becomes a formula
(reading them: ``imports``)."""

from __future__ import annotations

import io
from collections.abc import Iterable

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter


def text_cell(ws, value) -> str | WriteOnlyCell | None:
    """``value`` as a text cell. openpyxl turns a string starting with '=' into a formula and
    '#N/A' into an error; such values get a cell forced to text (and Excel's quote prefix, so
    editing the cell in Excel keeps it text). Characters XML cannot hold are dropped."""
    if value is None or value == "":
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if text[:1] not in ("=", "+", "-", "@") and text not in ERROR_CODES:
        return text
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def write_only_book(title: str, headers: Iterable[str], widths: dict[int, int] | None = None):
    """A streaming workbook with one sheet and its header row: (book, sheet)."""
    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet(title)
    for index, width in (widths or {}).items():
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.append([text_cell(ws, h) for h in headers])
    return book, ws


def book_bytes(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
