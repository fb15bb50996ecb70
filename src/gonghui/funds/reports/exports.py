"""A programme report's figures as ECharts options (bar by node, line by month; the page
shows the same figures as tables beneath, so nothing is lost without script) and as an Excel
workbook. Amounts go to both as exact yuan from integer fen (``money.yuan`` text for the
charts, ``Decimal`` cells for Excel): never through a float.

The workbook holds figures by node and month only, no person: it is a plain download, not
an audited export."""

from __future__ import annotations

from decimal import Decimal

from gonghui.common import money
from gonghui.common.sheets import Number, add_sheet, append, book_bytes, write_only_book
from gonghui.funds.models import Application
from gonghui.funds.reports.selectors import STATUSES

YUAN = "#,##0.00"
STATUS_LABELS = [Application.Status(s).label for s in STATUSES]


def _yuan(fen: int) -> str:
    return money.yuan(fen or 0)


def node_chart(rows) -> dict:
    """Bars by node: approved amounts and paid (元), applications on the right axis."""
    return {
        "tooltip": {"trigger": "axis", "renderMode": "richText"},  # no inline style (CSP)
        "legend": {"top": 0},
        "grid": {"left": 64, "right": 56, "top": 40, "bottom": 64, "containLabel": True},
        "xAxis": {
            "type": "category",
            "data": [r.label for r in rows],
            "axisLabel": {"interval": 0, "rotate": 30 if len(rows) > 6 else 0},
        },
        "yAxis": [
            {"type": "value", "name": "元"},
            {"type": "value", "name": "件", "minInterval": 1},
        ],
        "series": [
            {
                "name": "应发金额",
                "type": "bar",
                "barMaxWidth": 32,
                "data": [_yuan(r.amount) for r in rows],
            },
            {
                "name": "已发放",
                "type": "bar",
                "barMaxWidth": 32,
                "data": [_yuan(r.paid) for r in rows],
            },
            {
                "name": "申请",
                "type": "line",
                "yAxisIndex": 1,
                "data": [r.applications for r in rows],
            },
        ],
    }


def month_chart(months) -> dict:
    """Lines by month: applications and approvals (件), approved amounts and paid (元)."""
    return {
        "tooltip": {"trigger": "axis", "renderMode": "richText"},  # no inline style (CSP)
        "legend": {"top": 0},
        "grid": {"left": 64, "right": 56, "top": 40, "bottom": 40, "containLabel": True},
        "xAxis": {"type": "category", "data": [m.label for m in months]},
        "yAxis": [
            {"type": "value", "name": "件", "minInterval": 1},
            {"type": "value", "name": "元"},
        ],
        "series": [
            {"name": "申请", "type": "line", "data": [m.applications for m in months]},
            {"name": "批准", "type": "line", "data": [m.approved for m in months]},
            {
                "name": "应发金额",
                "type": "line",
                "yAxisIndex": 1,
                "data": [_yuan(m.amount) for m in months],
            },
            {
                "name": "已发放",
                "type": "line",
                "yAxisIndex": 1,
                "data": [_yuan(m.paid) for m in months],
            },
        ],
    }


def _money(fen: int) -> Number:
    return Number(Decimal(money.yuan(fen or 0)), YUAN)


NODE_HEADERS = [
    "单位",
    "申请",
    *STATUS_LABELS,
    "应发笔数",
    "人数",
    "应发金额（元）",
    "已承诺（元）",
    "已发放（元）",
]
MONTH_HEADERS = [
    "月份",
    "申请",
    "批准",
    "应发笔数",
    "应发金额（元）",
    "已承诺（元）",
    "已发放（元）",
]


def report_xlsx(*, programme, year: int, node, sentence: str, nodes: dict, months) -> bytes:
    """概况, 按单位, 按月份: the page's figures, amounts as numbers Excel adds up."""
    book, ws = write_only_book("概况", ["项目", "内容"], {1: 16, 2: 48})
    for label, value in (
        ("项目", programme.name),
        ("年度", f"{year}年"),
        ("统计范围", node.name),
        ("概述", sentence),
    ):
        append(ws, [label, value])
    sheet = add_sheet(book, "按单位", NODE_HEADERS, {1: 28})
    for row in [*nodes["rows"], nodes["total"]]:
        append(
            sheet,
            [
                row.label,
                row.applications,
                *row.statuses,
                row.entitlements,
                row.people,
                _money(row.amount),
                _money(row.committed),
                _money(row.paid),
            ],
        )
    sheet = add_sheet(book, "按月份", MONTH_HEADERS, {1: 12})
    for m in months:
        append(
            sheet,
            [
                m.label,
                m.applications,
                m.approved,
                m.entitlements,
                _money(m.amount),
                _money(m.committed),
                _money(m.paid),
            ],
        )
    return book_bytes(book)
