from datetime import date

import pytest

from gonghui.calendar.services import calendar_year_set
from gonghui.common.errors import Forbidden, ValidationFailed
from gonghui.common.models import CalendarDay, CalendarYear
from gonghui.common.workdays import CalendarMissing, add_workdays, end_of_day, is_workday


@pytest.mark.parametrize(
    "start, n, end",
    [
        # A Sunday that is a make-up workday, then the National Day holiday (Oct 1-8).
        (date(2025, 9, 28), 5, date(2025, 10, 10)),
        (date(2025, 9, 30), 2, date(2025, 10, 9)),
        (date(2025, 10, 1), 1, date(2025, 10, 9)),  # published on a holiday: starts after
        (date(2025, 10, 10), 2, date(2025, 10, 11)),  # Saturday Oct 11 is a make-up workday
        # Spring Festival 2026: Feb 15-23 off, Saturday Feb 14 and Feb 28 worked.
        (date(2026, 2, 13), 3, date(2026, 2, 24)),
        (date(2026, 2, 13), 5, date(2026, 2, 26)),
        (date(2026, 2, 27), 2, date(2026, 2, 28)),
        # An ordinary week: weekends skipped.
        (date(2025, 11, 14), 5, date(2025, 11, 20)),
        (date(2025, 11, 15), 1, date(2025, 11, 17)),
        # Across New Year: Jan 1-3 2026 off, Sunday Jan 4 worked.
        (date(2025, 12, 29), 5, date(2026, 1, 5)),
    ],
)
def test_add_workdays(db, start, n, end):
    assert add_workdays(start, n) == end


def test_missing_year_is_named(db):
    with pytest.raises(CalendarMissing) as caught:
        add_workdays(date(2026, 12, 28), 5)
    assert caught.value.year == 2027
    assert "2027 年" in caught.value.message


def test_staff_entered_year_extends_the_calendar(db):
    CalendarYear.objects.create(year=2027, source=CalendarYear.Source.STAFF)
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, name="元旦")
    assert add_workdays(date(2026, 12, 31), 2) == date(2027, 1, 4)
    assert not is_workday(date(2027, 1, 1))


def test_bad_counts_are_refused(db):
    for n in (0, -1, 400):
        with pytest.raises(ValueError):
            add_workdays(date(2025, 1, 2), n)


def test_a_day_ends_at_midnight_beijing_time():
    end = end_of_day(date(2025, 10, 10))
    assert end.isoformat() == "2025-10-11T00:00:00+08:00"


SPRING_2027 = (date(2027, 2, 6), date(2027, 2, 14), "春节")


def test_only_the_city_enters_a_years_schedule(users):
    with pytest.raises(Forbidden):
        calendar_year_set(actor=users.cy, year=2027, holidays=[SPRING_2027], workdays=[], basis="x")


def test_a_schedule_is_refused_by_each_field_it_gets_wrong(users):
    with pytest.raises(ValidationFailed) as caught:
        calendar_year_set(
            actor=users.admin,
            year=2027,
            holidays=[SPRING_2027, (date(2026, 12, 31), date(2027, 1, 1), "元旦")],
            workdays=[(date(2027, 2, 3), "春节调休")],  # a Wednesday
            basis="",
        )
    assert set(caught.value.fields) == {"year", "workdays", "basis"}
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_a_schedule_entered_by_staff_counts_the_working_days(users):
    calendar_year_set(
        actor=users.admin,
        year=2027,
        holidays=[SPRING_2027],
        workdays=[(date(2027, 2, 20), "春节调休")],  # a Saturday
        basis="国务院办公厅通知（测试）",
    )
    # Friday Feb 5, then the holiday, then Monday Feb 15.
    assert add_workdays(date(2027, 2, 5), 2) == date(2027, 2, 15)
    assert is_workday(date(2027, 2, 20))
