"""Seed the working-day calendar from chinese-calendar (2004-2026). Later years are entered
by staff from the State Council's notice; chinese-calendar raises for them."""

from django.db import migrations

# chinese-calendar names holidays in English.
NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed(apps, schema_editor):
    import chinese_calendar

    CalendarYear = apps.get_model("common", "CalendarYear")
    CalendarDay = apps.get_model("common", "CalendarDay")
    days = [
        CalendarDay(date=day, is_workday=False, name=NAMES.get(name, name or ""))
        for day, name in chinese_calendar.holidays.items()
    ] + [
        CalendarDay(date=day, is_workday=True, name=NAMES.get(name, name or ""))
        for day, name in chinese_calendar.workdays.items()
    ]
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True)
    years = sorted({day.date.year for day in days})
    CalendarYear.objects.bulk_create(
        [
            CalendarYear(year=y, source="chinese-calendar", basis="chinese-calendar 数据")
            for y in years
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("common", "0001_calendar")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
