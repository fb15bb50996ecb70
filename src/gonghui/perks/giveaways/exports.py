"""A giveaway's report (claims over time, uptake by district, pickup rate) for the page and
as Excel, and the venue's list of winners. Every cell is written as text
(``common.sheets.text_cell``): a name starting with "=" stays a name."""

from __future__ import annotations

from django.utils import timezone

from gonghui.common.sheets import add_sheet, append, book_bytes, text_cell, write_only_book
from gonghui.perks.giveaways import selectors
from gonghui.perks.models import Giveaway


def report_data(giveaway: Giveaway) -> dict:
    counts = selectors.giveaway_counts(giveaway)
    over_time = selectors.claims_over_time(giveaway)
    districts = selectors.uptake_by_district(giveaway)
    held = counts["claimed"] + counts["released"]
    rate = round(100 * counts["picked_up"] / held, 1) if held else 0.0
    chart = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 16, "top": 40, "bottom": 48},
        "xAxis": {"type": "category", "data": [label for label, _ in over_time]},
        "yAxis": {"type": "value", "name": "人次", "minInterval": 1},
        "series": [
            {
                "name": "抢到/登记",
                "type": "bar",
                "barMaxWidth": 48,
                "data": [n for _, n in over_time],
            },
        ],
    }
    return {
        "counts": counts,
        "over_time": over_time,
        "districts": districts,
        "pickup_rate": rate,
        "chart": chart,
    }


def report_xlsx(giveaway: Giveaway, report: dict) -> bytes:
    book, ws = write_only_book("概况", ["项目", "数值"], {1: 20, 2: 16})
    counts = report["counts"]
    for label, value in (
        ("活动", giveaway.title),
        ("物品", giveaway.item),
        ("数量", counts["stock"]),
        ("已抢到（含已核销）", counts["claimed"]),
        ("已核销领取", counts["picked_up"]),
        ("已取消", counts["cancelled"]),
        ("逾期释放", counts["released"]),
        ("剩余", counts["remaining"]),
        ("候补人数", counts["waiting"]),
        ("领取率（%）", report["pickup_rate"]),
    ):
        ws.append([text_cell(ws, label), text_cell(ws, value)])
    times = add_sheet(book, "按时间", ["时间（分钟）", "人次"])
    for label, n in report["over_time"]:
        append(times, [label, n])
    districts = add_sheet(book, "按区", ["区（产业）", "获得", "已领取", "领取率（%）"])
    for row in report["districts"]:
        append(districts, [row["district"], row["held"], row["picked"], row["rate"]])
    return book_bytes(book)


def winners_xlsx(giveaway: Giveaway) -> tuple[bytes, int]:
    """The venue's list and how many rows it holds."""
    headers = ["序号", "姓名", "所属工会", "数量", "领取码", "状态", "领取时间"]
    book, ws = write_only_book("领取名单", headers, {2: 12, 3: 28, 5: 14, 7: 20})
    rows = 0
    for claim in selectors.winners(giveaway).iterator():
        rows += 1
        picked = (
            timezone.localtime(claim.picked_up_at).strftime("%Y-%m-%d %H:%M")
            if claim.picked_up_at
            else ""
        )
        ws.append(
            [
                rows,
                text_cell(ws, claim.person.name),
                text_cell(ws, claim.card.org_unit.name),
                claim.quantity,
                text_cell(ws, claim.code),
                text_cell(ws, claim.get_status_display()),
                text_cell(ws, picked),
            ]
        )
    return book_bytes(book), rows
