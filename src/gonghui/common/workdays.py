"""Working days (工作日) under the official holiday and make-up-workday calendar.

``add_workdays`` is the one place where notice periods and other working-day deadlines are
counted. The calendar is data (``CalendarYear``/``CalendarDay``): seeded from chinese-calendar
(2004-2026), extended by staff when the State Council publishes a new year's schedule.
Counting into a year with no schedule is refused with ``CalendarMissing`` naming that year.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from gonghui.common.errors import DomainError
from gonghui.common.models import CalendarDay, CalendarYear

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_DAYS = 366  # the longest period counted (a year of working days is never asked for)


class CalendarMissing(DomainError):
    """The count runs into a year whose official schedule has not been entered."""

    def __init__(self, year: int):
        super().__init__(
            f"{year} 年的法定节假日安排尚未录入，无法计算工作日；"
            f"请先在“节假日安排”中录入 {year} 年的放假与调休安排",
            code="calendar_missing",
        )
        self.year = year


class _Calendar:
    """The exceptions of the years a count touches, read once per year."""

    def __init__(self):
        self.years: dict[int, dict[date, bool]] = {}

    def is_workday(self, day: date) -> bool:
        exceptions = self.years.get(day.year)
        if exceptions is None:
            if not CalendarYear.objects.filter(year=day.year).exists():
                raise CalendarMissing(day.year)
            exceptions = self.years[day.year] = dict(
                CalendarDay.objects.filter(date__year=day.year).values_list("date", "is_workday")
            )
        return exceptions.get(day, day.weekday() < 5)


def add_workdays(start: date, n: int) -> date:
    """The n-th working day on or after ``start``: the last day of a notice of ``n``
    working days published on ``start`` (n >= 1)."""
    if not 1 <= n <= MAX_DAYS:
        raise ValueError(f"n must be between 1 and {MAX_DAYS}, not {n}")
    calendar, day, counted = _Calendar(), start, 0
    while True:
        if calendar.is_workday(day):
            counted += 1
            if counted == n:
                return day
        day += timedelta(days=1)


def workdays_left(today: date, deadline: date) -> int | None:
    """Working days from ``today`` to ``deadline``, both counted (0: past); None when the
    calendar does not know a year in between."""
    if deadline < today:
        return 0
    years = set(range(today.year, deadline.year + 1))
    if CalendarYear.objects.filter(year__in=years).count() != len(years):
        return None
    exceptions = dict(
        CalendarDay.objects.filter(date__gte=today, date__lte=deadline).values_list(
            "date", "is_workday"
        )
    )
    n, day = 0, today
    while day <= deadline:
        n += exceptions.get(day, day.weekday() < 5)
        day += timedelta(days=1)
    return n


def is_workday(day: date) -> bool:
    return _Calendar().is_workday(day)


def today() -> date:
    """Today in Beijing (the server clock, whatever its own zone)."""
    return timezone.now().astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """The moment ``day`` ends in Beijing time: a period's last day runs to midnight."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=SHANGHAI)
