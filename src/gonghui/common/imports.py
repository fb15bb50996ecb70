"""All-or-nothing file imports: the error type every importer reports, and reading rows
from .xlsx or .csv as the office sees them (row 1 is the header)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import openpyxl


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str


class ImportRejected(Exception):
    """The file was refused as a whole; ``errors`` lists every bad cell."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} 处错误，文件未导入")
        self.errors = errors


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, tuple]]:
    """(row number as the office sees it, cell values) for each data row after the header."""
    if filename.lower().endswith(".xlsx"):
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
    elif filename.lower().endswith(".csv"):
        text = data.decode("utf-8-sig") if not data.startswith(b"\xff\xfe") else data.decode()
        rows = csv.reader(io.StringIO(text))
    else:
        raise ImportRejected([RowError(0, "文件", filename, "只接受 .xlsx 或 .csv 文件")])
    yield from enumerate(rows, start=1)


@contextmanager
def refusing_unreadable(filename: str):
    """Inside: reading the file. A damaged or foreign file (openpyxl, zipfile and csv each
    raise their own errors) is refused as a whole, in one line the office understands."""
    try:
        yield
    except ImportRejected:
        raise
    except Exception:
        raise ImportRejected(
            [RowError(0, "文件", filename[-100:], "无法读取文件，请用模板另存为 .xlsx 后重试")]
        ) from None


def chunks(items: list, size: int) -> Iterator[list]:
    """``items`` in slices of ``size``: look-ups and inserts of a large file in batches."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
