"""Reading the State Council's notice of a year's holidays (国务院办公厅关于某年部分节假日安排的
通知) as it is published: one numbered line per holiday, e.g.

    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。
    2月14日（周六）、2月28日（周六）上班。

The result is what ``calendar_year_set`` takes: holiday ranges with their names and the
weekend days worked in exchange, within the notice's year. A holiday that starts the year
before (the 2023 notice: 元旦 "2022年12月31日至2023年1月2日") or runs into the next is cut at
the year's edge; the days outside are listed apart (``elsewhere``) for the operator to check
against that year's schedule, never entered into this one. Whatever the text says that
cannot be read is refused with the line it is on: a deadline is never counted on a guess.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from gonghui.common.errors import ValidationFailed

TITLE = re.compile(r"关于\s*(\d{4})\s*年\s*(?:部分)?节假日安排的通知")
ITEM = re.compile(r"^[一二三四五六七八九十]+、\s*(?P<name>[^：:]+)[：:](?P<body>.*)$")
# 1月28日 / 2027年1月1日, each optionally followed by a bracketed remark (weekday, lunar day)
DAY = r"(?:(?P<{p}y>\d{{4}})年)?(?:(?P<{p}m>\d{{1,2}})月)?(?P<{p}d>\d{{1,2}})日(?:（[^）]*）)?"
RANGE = re.compile(DAY.format(p="a") + r"(?:\s*至\s*" + DAY.format(p="b") + ")?")
KIND = re.compile(r"放假|休息|上班")


@dataclass
class Schedule:
    year: int
    holidays: list[tuple[date, date, str]] = field(default_factory=list)
    workdays: list[tuple[date, str]] = field(default_factory=list)
    basis: str = ""  # the notice's title and document number ('' without a title)
    # What the notice says of days in another year: (first, last, name), not entered
    elsewhere: list[tuple[date, date, str]] = field(default_factory=list)

    def keep_to_the_year(self) -> None:
        """Cut the holidays that cross the year's edges to the year, and set apart the
        make-up days of the December before or the January after (``_sentence`` refused
        anything further): what falls outside goes to ``elsewhere``."""
        start, end = date(self.year, 1, 1), date(self.year, 12, 31)
        holidays, self.holidays = self.holidays, []
        for first, last, name in holidays:
            if first < start:
                self.elsewhere.append((first, min(last, start - timedelta(days=1)), name))
            if last > end:
                self.elsewhere.append((max(first, end + timedelta(days=1)), last, name))
            self.holidays.append((max(first, start), min(last, end), name))
        workdays, self.workdays = self.workdays, []
        for day, name in workdays:
            if day.year == self.year:
                self.workdays.append((day, name))
            else:
                self.elsewhere.append((day, day, name))


def elsewhere_notes(schedule: Schedule) -> list[str]:
    """What the operator is told of the days the notice gives to another year."""
    return [
        f"{name} {first}{'' if first == last else f' 至 {last}'} 不在 {schedule.year} 年内，"
        f"未录入，请在 {first.year} 年的安排中核对"
        for first, last, name in schedule.elsewhere
    ]


def notice_year(text: str) -> int | None:
    """The year the notice's title names, if it has its title."""
    match = TITLE.search(_normal(text))
    return int(match.group(1)) if match else None


def parse_notice(text: str, year: int | None = None) -> Schedule:
    """The schedule in ``text`` (the notice, its title optional) within its year.
    ``year``: the year the dates without one belong to (default: the title's); a date of
    the next January in a December holiday is read as such (and cut off, to
    ``elsewhere``)."""
    text = _normal(text)
    titled = notice_year(text)
    if year is None:
        year = titled
    if year is None:
        raise ValidationFailed(
            {"year": "通知中没有“关于××××年部分节假日安排的通知”标题，请指明年份"}
        )
    if titled is not None and titled != year:
        raise ValidationFailed(
            {"year": f"通知标题是 {titled} 年的安排，与所填年份 {year} 年不一致"}
        )
    schedule = Schedule(year=year, basis=_basis(text))
    problems: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        item = ITEM.match(line.strip())
        if not item:
            continue
        name, body = item.group("name").strip(), item.group("body")
        for sentence in filter(None, (s.strip() for s in re.split(r"[。；;]", body))):
            try:
                _sentence(schedule, name, sentence)
            except ValueError as exc:
                problems.append(f"第 {n} 行（{name}）：{exc}")
    if problems:
        raise ValidationFailed({"notice": "；".join(problems)})
    schedule.keep_to_the_year()
    if not schedule.holidays:
        raise ValidationFailed({"notice": f"通知中没有读到任何 {year} 年“一、节日：…放假”的条目"})
    return schedule


# No official holiday has run longer than nine days: a longer range is a slip in the text
# (a wrong year or month), refused rather than entered.
LONGEST_HOLIDAY = 15


def _sentence(schedule: Schedule, name: str, sentence: str) -> None:
    """Each date (or range) is what the first 放假 or 上班 after it says of it. A date
    without a year or month takes the last one written before it in the sentence (the
    notice's year at first). A holiday must lie in the notice's year or cross one of its
    edges; a make-up day may fall in the December before or the January after (both are
    cut off to ``elsewhere`` later)."""
    if not KIND.search(sentence):
        return  # e.g. "共8天", "不调休", a remark
    ranges = list(RANGE.finditer(sentence))
    if not ranges:
        raise ValueError(f"“{sentence}”中没有日期")
    year, known = schedule.year, (schedule.year, None)
    for match in ranges:
        first = _day(match, "a", known)
        last = (
            _day(match, "b", (first.year, first.month), after=first) if match.group("bd") else first
        )
        known = (last.year, last.month)
        kind = KIND.search(sentence, match.end())
        if kind is None:
            raise ValueError(f"“{match.group(0)}”之后没有说明放假还是上班")
        if kind.group(0) == "上班":
            if last != first:
                raise ValueError(f"上班日应逐日列出，不是区间：“{match.group(0)}”")
            if first.year != year and (first.year, first.month) not in (
                (year - 1, 12),
                (year + 1, 1),
            ):
                raise ValueError(f"上班日 {first} 不在 {year} 年内，请核对年份")
            schedule.workdays.append((first, f"{name}调休"))
        elif last < first:
            raise ValueError(f"{last} 早于 {first}")
        elif (last - first).days + 1 > LONGEST_HOLIDAY:
            raise ValueError(
                f"{first} 至 {last} 长达 {(last - first).days + 1} 天，请核对年份与日期"
            )
        elif last.year < year or first.year > year:
            raise ValueError(f"{first} 至 {last} 不在 {year} 年内，请核对年份")
        else:
            schedule.holidays.append((first, last, name))


def _day(match, p: str, known: tuple[int, int | None], after: date | None = None) -> date:
    """The date of group ``p`` (a: a range's start, b: its end); ``known``: the (year,
    month) a date that omits them takes. A range's end earlier in the year than its start
    ("12月31日至1月2日") falls in the next year."""
    y, m = match.group(f"{p}y"), match.group(f"{p}m")
    if m is None and known[1] is None:
        raise ValueError(f"“{match.group(0)}”缺少月份")
    m = int(m) if m else known[1]
    if y:
        y = int(y)
    elif after is not None and m < after.month:
        y = after.year + 1
    else:
        y = known[0]
    try:
        return date(y, m, int(match.group(f"{p}d")))
    except ValueError:
        raise ValueError(f"日期 {y}年{m}月{match.group(f'{p}d')}日 不存在") from None


def _normal(text: str) -> str:
    """Full-width digits and brackets as the notice is typeset; NFKC keeps the Chinese."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace("(", "（").replace(")", "）")


def _basis(text: str) -> str:
    """The notice's title and document number (文号), as the entry's basis; '' without a title."""
    title = TITLE.search(text)
    if not title:
        return ""
    start = text.rfind("\n", 0, title.start()) + 1
    end = text.find("\n", title.end())
    basis = text[start : end if end >= 0 else len(text)].strip()
    if number := re.search(r"国办发明电〔\d{4}〕\d+号", text):
        basis = f"{basis}（{number.group(0)}）"
    return basis[:200]
