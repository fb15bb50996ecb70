"""Dates and money as Chinese offices write them: 2025年10月10日, ¥1,234.50 / 1,234.50元."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def cn_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(SHANGHAI).date()
    return f"{value.year}年{value.month}月{value.day}日"


def cn_datetime(value: datetime | None, *, seconds: bool = False) -> str:
    if value is None:
        return ""
    local = value.astimezone(SHANGHAI)
    return f"{cn_date(local)} {local:%H:%M:%S}" if seconds else f"{cn_date(local)} {local:%H:%M}"


def yuan(fen: int | None) -> str:
    """Integer fen to yuan text with thousands separators; never through float."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}元"
