"""Entering a year's official holiday schedule (the State Council's notice), audited."""

from datetime import date, timedelta

from django.db import transaction

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common.errors import Forbidden, ValidationFailed
from gonghui.common.models import CalendarDay, CalendarYear
from gonghui.orgs import access


@transaction.atomic
def calendar_year_set(
    *,
    actor,
    year: int,
    holidays: list[tuple[date, date, str]],
    workdays: list[tuple[date, str]],
    basis: str,
) -> CalendarYear:
    """Enter (or correct) a year's official schedule: holiday ranges with their names and
    the weekend days worked in exchange. Replaces what the year had; audited. ``actor``
    None: the operator's console (``gonghui holidays``)."""
    if actor is not None and not access.can_citywide(actor, "calendar.manage"):
        raise Forbidden("只有市总工会可以录入节假日安排")
    errors = {}
    days: dict[date, CalendarDay] = {}
    for first, last, name in holidays:
        if last < first:
            errors["holidays"] = f"{name}：结束日期 {last} 早于开始日期 {first}"
            continue
        day = first
        while day <= last:
            days[day] = CalendarDay(date=day, is_workday=False, name=name)
            day += timedelta(days=1)
    for day, name in workdays:
        if day.weekday() < 5:
            errors["workdays"] = f"{day} 是工作日，调休上班日应为周六或周日"
        elif day in days:
            errors["workdays"] = f"{day} 同时被列为放假日和上班日"
        days[day] = CalendarDay(date=day, is_workday=True, name=name)
    if outside := sorted(d for d in days if d.year != year):
        errors["year"] = f"日期 {outside[0]} 不在 {year} 年内（跨年假期请分别录入各年）"
    if not days:
        errors["holidays"] = "请录入放假安排"
    if not (basis or "").strip():
        errors["basis"] = f"请填写依据（如《国务院办公厅关于{year}年部分节假日安排的通知》）"
    if errors:
        raise ValidationFailed(errors)
    before = CalendarDay.objects.filter(date__year=year).count()
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create(days.values())
    entry, _ = CalendarYear.objects.update_or_create(
        year=year, defaults={"source": CalendarYear.Source.STAFF, "basis": basis.strip()[:200]}
    )
    record(
        actor=actor,
        action=Action.CALENDAR_YEAR_SET,
        object_type="common.calendaryear",
        object_id=str(year),
        changes={"days": [before, len(days)], "basis": [None, entry.basis]},
    )
    return entry
