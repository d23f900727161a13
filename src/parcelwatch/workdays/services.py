"""Working days in China: weekends off, public holidays off, make-up working days on.

For each day, the first source that knows it:
1. the admin's CalendarDay table (the State Council's schedule as entered, or a local correction);
2. the chinese-calendar package, for the years it knows (2004–2026 in 1.11);
3. for a year the administrator marked complete (CalendarYear): weekends, as the table then holds the
   whole published schedule;
4. otherwise the statutory holidays (statutory.py) and weekends. Such a year is "pending": its deadlines
   are still computed (never an error), and the administrators are warned until they mark it complete.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import chinese_calendar
from django.db import transaction
from django.utils import timezone

from .models import CalendarDay, CalendarYear
from .statutory import is_statutory_workday

if TYPE_CHECKING:
    from parcelwatch.accounts.models import User

logger = logging.getLogger(__name__)


@lru_cache(maxsize=256)
def package_knows(year: int) -> bool:
    """Whether the installed chinese-calendar package has the State Council's schedule for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def years_pending_schedule(years: Iterable[int]) -> set[int]:
    """The years neither the package knows nor an administrator has marked complete."""
    unknown = {year for year in years if not package_knows(year)}
    if not unknown:
        return set()
    complete = CalendarYear.objects.filter(year__in=unknown, complete=True).values_list("year", flat=True)
    return unknown - set(complete)


# The old name; a year with some CalendarDay entries but not marked complete is still without a calendar.
years_without_calendar = years_pending_schedule


class WorkingCalendar:
    """Working days over any span, reading the admin's entries one year at a time.

    One instance answers many questions with a few queries; make a new one to see new entries.
    """

    def __init__(self) -> None:
        self._overrides: dict[date, bool] = {}
        self._loaded: set[int] = set()
        self._complete: set[int] = set()
        self.pending: set[int] = set()  # years consulted whose schedule is not complete

    def _load(self, year: int) -> None:
        self._loaded.add(year)
        self._overrides.update(
            (d.date, d.kind == CalendarDay.Kind.WORKDAY) for d in CalendarDay.objects.filter(date__year=year)
        )
        if not package_knows(year):
            if CalendarYear.objects.filter(year=year, complete=True).exists():
                self._complete.add(year)
            else:
                self.pending.add(year)

    def is_workday(self, day: date) -> bool:
        if day.year not in self._loaded:
            self._load(day.year)
        if day in self._overrides:
            return self._overrides[day]
        if package_knows(day.year):
            return chinese_calendar.is_workday(day)
        if day.year in self._complete:
            return day.weekday() < 5
        return is_statutory_workday(day)

    def add_working_days(self, start: date, days: int) -> date:
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        counted = 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_workday(current):
                counted += 1
        return current

    def warn_if_pending(self) -> None:
        """Warn the administrators about the pending years this calendar was asked about."""
        if self.pending:
            from .warnings import warn_missing_calendar

            warn_missing_calendar(self.pending)


def is_workday(day: date) -> bool:
    return WorkingCalendar().is_workday(day)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself does not count)."""
    calendar = WorkingCalendar()
    deadline = calendar.add_working_days(start, days)
    calendar.warn_if_pending()
    return deadline


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative if end is before start)."""
    if end < start:
        return -working_days_between(end, start)
    calendar = WorkingCalendar()
    count = sum(1 for n in range(1, (end - start).days + 1) if calendar.is_workday(start + timedelta(days=n)))
    calendar.warn_if_pending()
    return count


@transaction.atomic
def set_schedule_complete(year: int, *, actor: User, complete: bool = True) -> CalendarYear:
    """Record that `year`'s published schedule is (or is no longer) fully entered in the CalendarDay table.

    Marking it complete ends the warning for that year; its deadlines then follow the table alone.
    """
    calendar_year, created = CalendarYear.objects.select_for_update().get_or_create(year=year)
    if created or calendar_year.complete != complete:
        calendar_year.complete = complete
        calendar_year.marked_by = actor
        calendar_year.marked_at = timezone.now()
        calendar_year.save(update_fields=["complete", "marked_by", "marked_at"])
        logger.info("%s marked the %s schedule %s.", actor, year, "complete" if complete else "incomplete")
    return calendar_year
