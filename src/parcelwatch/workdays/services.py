"""Working days in China: weekends off, public holidays off, make-up working days on.

Sources, in order: the admin's CalendarDay table, then the chinese-calendar
package, then plain weekends for years nobody has entered yet. A deadline in
such a year is still computed (never an error) and the administrator is warned.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

from .models import CalendarDay

logger = logging.getLogger(__name__)


def _overrides(start: date, end: date) -> dict[date, bool]:
    return {
        d.date: d.kind == CalendarDay.Kind.WORKDAY
        for d in CalendarDay.objects.filter(date__gte=start, date__lte=end)
    }


def years_without_calendar(years: set[int]) -> set[int]:
    """Years neither the package nor the admin's table covers."""
    missing = set()
    for year in years:
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            if not CalendarDay.objects.filter(date__year=year).exists():
                missing.add(year)
    return missing


def _is_workday(day: date, overrides: dict[date, bool]) -> bool:
    if day in overrides:
        return overrides[day]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def is_workday(day: date) -> bool:
    return _is_workday(day, _overrides(day, day))


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    horizon = start + timedelta(days=days * 2 + 40)
    overrides = _overrides(start, horizon)
    missing = years_without_calendar({start.year, horizon.year})
    if missing:
        from parcelwatch.workdays.warnings import warn_missing_calendar

        warn_missing_calendar(missing)
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if current > horizon:
            horizon = current + timedelta(days=60)
            overrides.update(_overrides(current, horizon))
        if _is_workday(current, overrides):
            counted += 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative if end is before start)."""
    if end < start:
        return -working_days_between(end, start)
    overrides = _overrides(start, end)
    return sum(1 for n in range(1, (end - start).days + 1) if _is_workday(start + timedelta(days=n), overrides))
