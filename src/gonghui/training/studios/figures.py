"""A studio's yearly output figures, checked field by field before anything is written: the
year (not in the future), the patents (each with a number in a Chinese patent number form),
the counts (whole, not negative) and the money (yuan text → fen: no negatives, no fractions
of a fen). Standard library and ``common.money`` only. Every refusal names the field and
the reason; a patent's says which row.

Patent numbers are accepted in the two forms an output report carries:

* the application (patent) number, with or without its ``ZL`` prefix: 12 digits since 2003
  (year, type, serial: ``ZL202310123456.7``) or 8 before (``ZL98123456.X``), a dot and
  the check character (a digit or X);
* the publication or grant number: ``CN`` + 6–9 digits + the kind code (A/B/C invention,
  U utility model, S design) and an optional digit (``CN116123456A``, ``CN218765432U``).

The form is checked, not the check character's arithmetic: reports copy numbers from
certificates, and a refusal there would send people hunting for a typo that may be the
office's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from gonghui.common import money

PATENT_NUMBER = re.compile(r"(?:ZL)?(?:\d{12}|\d{8})\.[0-9X]|CN\d{6,9}[ABCUS]\d?")
MAX_PATENTS = 500
MAX_COUNT = 1_000_000  # people trained in a year by one studio: far above any real figure
MAX_FEN = 10**14  # 1万亿元: beyond any studio; a slip of extra zeros is refused
FIRST_YEAR = 1950

COUNTS = {
    "innovations": "创新成果采纳数",
    "apprentices": "带徒人数",
    "trained": "培训人次",
}
AMOUNTS = {"benefit": "创造经济效益", "saved": "节约资金"}


@dataclass
class Figures:
    """A report's checked figures, ready to be stored."""

    year: int
    patents: list[dict] = field(default_factory=list)
    innovations: int = 0
    apprentices: int = 0
    trained: int = 0
    benefit_fen: int = 0
    saved_fen: int = 0
    summary: str = ""

    def fields(self) -> dict:
        return {
            "year": self.year,
            "patents": self.patents,
            "patent_count": len(self.patents),
            "innovations": self.innovations,
            "apprentices": self.apprentices,
            "trained": self.trained,
            "benefit_fen": self.benefit_fen,
            "saved_fen": self.saved_fen,
            "summary": self.summary,
        }


def normal_number(text: str) -> str:
    """A patent number as written on certificates: no spaces, upper case, ASCII dot."""
    return re.sub(r"\s+", "", str(text or "")).upper().replace("．", ".").replace("。", ".")


def patent_rows(lines: str) -> list[dict]:
    """The form's text, one patent a line ("专利号 名称"), as rows {number, title}; blank
    lines skipped. A line whose first word is no patent number is a title without a number
    (``check`` refuses it, naming the row)."""
    rows = []
    for line in str(lines or "").replace("\u3000", " ").splitlines():
        parts = line.strip().split(None, 1)
        if not parts:
            continue
        if re.match(r"(ZL|CN)?[0-9]", parts[0], re.IGNORECASE):
            rows.append({"number": parts[0], "title": parts[1] if len(parts) > 1 else ""})
        else:
            rows.append({"number": "", "title": line.strip()})
    return rows


def patents_text(patents: list[dict]) -> str:
    """Rows back as the form's text (to correct a returned report)."""
    return "\n".join(f"{p.get('number', '')} {p.get('title', '')}".strip() for p in patents)


def _count(value, label: str) -> tuple[int | None, str | None]:
    text = str(value if value is not None else "").strip()
    if text == "":
        return 0, None
    if text.startswith("-") and text[1:].isdigit():
        return None, f"{label}不能为负数"
    if not (text.isascii() and text.isdigit()):
        return None, f"{label}应为整数"
    number = int(text)
    if number > MAX_COUNT:
        return None, f"{label}超出合理范围（不超过 {MAX_COUNT:,}）"
    return number, None


def _amount(value, label: str) -> tuple[int | None, str | None]:
    text = str(value if value is not None else "").strip()
    if text == "":
        return 0, None
    try:
        amount = money.fen(text)
    except money.MoneyError as exc:
        reason = str(exc)
        if "精确到分" in reason:
            return None, f"{label}最多精确到分（两位小数），不能有不足一分的金额"
        return None, f"{label}格式不正确，请填写金额（元），如 2000000 或 2,000,000.00"
    if amount < 0:
        return None, f"{label}不能为负数"
    if amount > MAX_FEN:
        return None, f"{label}超出合理范围，请核对单位（元）"
    return amount, None


def check(data: dict, *, today: date) -> Figures:
    """The report's ``data`` (year, patents as rows {number, title}, innovations,
    apprentices, trained, benefit and saved in yuan text, summary) checked: ``Figures``, or
    ``ValueError`` subclass ``Refusals`` with every field's reason."""
    errors: dict[str, str] = {}
    year_text = str(data.get("year") or "").strip()
    year = 0
    if not (year_text.isascii() and year_text.isdigit()):
        errors["year"] = "请填写年度（四位数字）"
    else:
        year = int(year_text)
        if year > today.year:
            errors["year"] = f"年度不能晚于今年（{today.year}年）：未来年度的成果尚未产生"
        elif year < FIRST_YEAR:
            errors["year"] = f"年度不能早于 {FIRST_YEAR} 年"
    patents = []
    seen: dict[str, int] = {}
    rows = list(data.get("patents") or [])
    if len(rows) > MAX_PATENTS:
        errors["patents"] = f"专利最多填写 {MAX_PATENTS} 项"
        rows = []
    for n, row in enumerate(rows, start=1):
        number = normal_number(row.get("number", ""))
        title = str(row.get("title") or "").strip()[:200]
        if not number:
            errors["patents"] = f"第 {n} 行专利缺少专利号：每项专利须填写专利号"
            break
        if not PATENT_NUMBER.fullmatch(number):
            errors["patents"] = (
                f"第 {n} 行专利号“{number[:30]}”格式不正确，应如 ZL202310123456.7（专利号）"
                "或 CN116123456A（公告号）"
            )
            break
        if number in seen:
            errors["patents"] = f"第 {n} 行专利号与第 {seen[number]} 行重复"
            break
        seen[number] = n
        patents.append({"number": number, "title": title})
    counts = {}
    for key, label in COUNTS.items():
        counts[key], problem = _count(data.get(key), label)
        if problem:
            errors[key] = problem
    amounts = {}
    for key, label in AMOUNTS.items():
        amounts[key], problem = _amount(data.get(key), label)
        if problem:
            errors[key] = problem
    summary = str(data.get("summary") or "").strip()
    if len(summary) > 5000:
        errors["summary"] = "工作总结最多 5000 字"
    if errors:
        raise Refusals(errors)
    return Figures(
        year=year,
        patents=patents,
        benefit_fen=amounts["benefit"],
        saved_fen=amounts["saved"],
        summary=summary,
        **counts,
    )


class Refusals(ValueError):
    """Figures that cannot be stored: {field: reason}."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("；".join(fields.values()))
        self.fields = fields
