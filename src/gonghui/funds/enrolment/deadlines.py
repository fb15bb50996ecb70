"""The deadline of a run: the last working day before the Spring Festival (春节前最后一个
工作日), from the platform's holiday calendar (``common.models.CalendarDay``, seeded from
chinese-calendar, extended by staff for later years)."""

from __future__ import annotations

from datetime import date, timedelta

from gonghui.common import workdays
from gonghui.common.errors import ValidationFailed
from gonghui.common.models import CalendarDay, CalendarYear

SPRING_FESTIVAL = "春节"


def spring_festival_deadline(year: int) -> date:
    """The last working day before the Spring Festival holiday of ``year`` (春节前最后一个
    工作日), from the platform's holiday calendar: a make-up Saturday counts (2026: the
    holiday runs 15–23 February, 14 February is worked, so 2026-02-14). Refused, naming the
    field, when the calendar does not know the year."""
    if not CalendarYear.objects.filter(year=year).exists():
        raise ValidationFailed(
            {
                "deadline": f"{year} 年的法定节假日安排尚未录入，无法推算春节前最后一个工作日；"
                f"请先录入 {year} 年的节假日安排，或直接填写发放截止日期"
            }
        )
    first = (
        CalendarDay.objects.filter(date__year=year, is_workday=False, name=SPRING_FESTIVAL)
        .order_by("date")
        .values_list("date", flat=True)
        .first()
    )
    if first is None:
        raise ValidationFailed(
            {"deadline": f"{year} 年的节假日安排中没有春节假期，请直接填写发放截止日期"}
        )
    day = first - timedelta(days=1)
    try:
        while not workdays.is_workday(day):
            day -= timedelta(days=1)
    except workdays.CalendarMissing as exc:
        raise ValidationFailed({"deadline": exc.message}) from None
    return day
