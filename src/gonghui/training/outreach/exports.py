"""The talk counts as Excel: one row a district (or a union of one district), then the
total; figures as numbers, names as text (``common.sheets``)."""

from __future__ import annotations

from gonghui.common import sheets


def stats_xlsx(rows, title: str, *, by_unit: bool) -> bytes:
    book, ws = sheets.write_only_book(
        title[:31],
        ["预约工会" if by_unit else "区（产业）", "宣讲场次", "听众人数", "预计人数"],
        {1: 32},
    )
    for row in rows:
        sheets.append(ws, [row.name, row.talks, row.attendance, row.expected])
    sheets.append(
        ws,
        [
            "合计",
            sum(r.talks for r in rows),
            sum(r.attendance for r in rows),
            sum(r.expected for r in rows),
        ],
        font=sheets.BOLD,
    )
    return sheets.book_bytes(book)
