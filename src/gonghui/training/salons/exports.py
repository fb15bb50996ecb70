"""读书沙龙: the yearly counts by district as a workbook (amounts in yuan, two decimals)."""

from __future__ import annotations

from decimal import Decimal

from gonghui.common import money
from gonghui.common.sheets import Number, append, book_bytes, write_only_book
from gonghui.training.salons.selectors import Stats

HEADERS = ["单位", "批准沙龙数", "成员人数", "活动次数", "参加人次", "资助金额（元）"]


def _yuan(fen: int) -> Number:
    """Exact: the cell holds the yuan as a decimal, never a binary float."""
    return Number(Decimal(money.yuan(fen)), "#,##0.00")


def stats_book(stats: Stats) -> bytes:
    book, ws = write_only_book(
        f"{stats.year}年读书沙龙", HEADERS, widths={1: 28, 2: 12, 3: 12, 4: 12, 5: 12, 6: 16}
    )
    for row in [*stats.rows, stats.total]:
        name = "合计" if row is stats.total else row.unit.name
        append(
            ws, [name, row.salons, row.members, row.meetings, row.attendance, _yuan(row.grant_fen)]
        )
    return book_bytes(book)
