"""Bank files (银行代发文件与回盘文件): what goes to the bank and what comes back. Standard
library only, no float anywhere: amounts leave as yuan text with two decimals made from fen
(``money.yuan``) and come back through ``money.fen``.

Both layouts are configuration (each bank has its own), e.g.::

    EXPORT = {"encoding": "gbk", "columns": [["payment", "业务编号"], ["name", "户名"],
              ["account", "账号"], ["amount", "金额"], ["memo", "用途"]]}
    RETURNS = {"columns": {"payment": "业务编号", "result": "处理结果", "reason": "失败原因",
               "amount": "金额"}, "success": ["成功", "0000"]}

A payment keeps ONE identity (``payment``) in every file it ever appears in: a return line
names it, and a re-issue after a failure is a new payment that supersedes the failed one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from gonghui.common import money
from gonghui.common.money import MoneyError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell
ENCODINGS = ("utf-8-sig", "gbk")


class BankFileError(ValueError):
    """A file that cannot be read as the layout says (the message says where and why)."""


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export(layout: Mapping, lines: Iterable[Mapping]) -> bytes:
    """The bank's payout file: a header row of the layout's titles, then one row a line
    (``amount`` in fen, written as yuan with two decimals)."""
    columns = layout["columns"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title for _, title in columns])
    cells = [(field, money.yuan if field == "amount" else _cell) for field, _ in columns]
    writer.writerows([cell(line.get(field)) for field, cell in cells] for line in lines)
    return out.getvalue().encode(layout.get("encoding", "utf-8"))


# The plain form banks write ("2000.00"): read without the general parser.
PLAIN_AMOUNT = re.compile(r"([0-9]{1,13})\.([0-9]{2})")


class ReturnLine(NamedTuple):
    line: int  # the row in the file (the header is row 1)
    payment: str
    paid: bool
    reason: str
    amount: int | None  # fen, where the bank states it


def _text(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BankFileError("回盘文件的编码无法识别（应为 UTF-8 或 GBK）")


def returns(layout: Mapping, data: bytes) -> list[ReturnLine]:
    """The bank's return file, read whole or refused whole: every problem (a missing
    column, a line without a payment id, the same payment twice, an amount that is not an
    exact number of fen) is reported with its row, and nothing is returned."""
    reader = csv.reader(io.StringIO(_text(data)))
    header = next(reader, None)
    if not header:
        raise BankFileError("回盘文件是空的")
    header = [h.strip() for h in header]
    wanted = layout["columns"]
    missing = [
        title for field, title in wanted.items() if field != "amount" and title not in header
    ]
    if missing:
        raise BankFileError(f"回盘文件缺少列：{'、'.join(missing)}")
    at = {field: header.index(title) for field, title in wanted.items() if title in header}
    success = {s.strip() for s in layout.get("success", ["成功"])}
    problems: list[str] = []
    seen: dict[str, int] = {}
    lines: list[ReturnLine] = []
    width = max(at.values()) + 1
    payment_at, result_at = at["payment"], at["result"]
    reason_at, amount_at = at.get("reason"), at.get("amount")
    for row_number, row in enumerate(reader, start=2):
        if len(row) < width:
            if not "".join(row).strip():
                continue  # a blank line
            row = row + [""] * (width - len(row))
        payment = row[payment_at].strip()
        if not payment:
            if not "".join(row).strip():
                continue
            problems.append(f"第 {row_number} 行：缺少{wanted['payment']}")
            continue
        if payment in seen:
            problems.append(
                f"第 {row_number} 行：{wanted['payment']} {payment} 与第 {seen[payment]} 行重复"
            )
            continue
        seen[payment] = row_number
        amount = None
        if amount_at is not None and (text := row[amount_at].strip()):
            if plain := PLAIN_AMOUNT.fullmatch(text):
                amount = int(plain[1]) * money.FEN_PER_YUAN + int(plain[2])
            else:
                try:
                    amount = money.fen(text)
                except MoneyError as exc:
                    problems.append(f"第 {row_number} 行：金额 {exc}")
                    continue
        paid = row[result_at].strip() in success
        reason = "" if paid or reason_at is None else row[reason_at].strip()
        lines.append(ReturnLine(row_number, payment, paid, reason, amount))
    if problems:
        raise BankFileError(
            "；".join(problems[:20]) + (f" 等 {len(problems)} 处" if len(problems) > 20 else "")
        )
    return lines
