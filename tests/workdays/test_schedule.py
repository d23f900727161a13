"""A year's schedule stays pending, and the administrators warned, until an administrator marks it complete."""

from datetime import date

import pytest

from parcelwatch.accounts.models import Role
from parcelwatch.notifications.models import Notification
from parcelwatch.workdays import warnings as calendar_warnings
from parcelwatch.workdays.models import CalendarDay, CalendarYear
from parcelwatch.workdays.services import (
    add_working_days,
    is_workday,
    set_schedule_complete,
    years_pending_schedule,
    years_without_calendar,
)
from tests import factories as f


@pytest.fixture(autouse=True)
def _fresh_warning_memory():
    calendar_warnings._warned.clear()
    yield
    calendar_warnings._warned.clear()


def warnings_to(user):
    return Notification.objects.filter(recipient=user, kind="calendar_missing")


def another_admin(cast, username):
    return f.user(username, (Role.ADMIN, cast.city))


@pytest.mark.django_db(transaction=True)
def test_entering_one_holiday_neither_ends_the_warning_nor_makes_spring_festival_working_days(cast):
    add_working_days(date(2027, 1, 1), 5)
    assert warnings_to(cast.sysadmin).get().params == {"years": [2027]}
    assert warnings_to(cast.sysadmin).get().url == "/admin/workdays/calendaryear/"
    assert CalendarYear.objects.get(year=2027).complete is False  # listed for the administrator to tick

    CalendarDay.objects.create(date=date(2027, 1, 4), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    assert years_pending_schedule({2026, 2027}) == {2027}
    assert years_without_calendar({2027}) == {2027}
    # The one entered day counts, and so do the statutory holidays the table does not have yet.
    assert add_working_days(date(2027, 1, 1), 1) == date(2027, 1, 5)
    assert not any(is_workday(date(2027, 2, d)) for d in range(5, 11))
    assert add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 11)

    # Still warning: an administrator who joins later (or another process, an hour later) is told too,
    # each administrator once.
    newcomer = another_admin(cast, "new_admin")
    calendar_warnings._warned.clear()
    add_working_days(date(2027, 3, 1), 5)
    assert warnings_to(newcomer).count() == 1
    assert warnings_to(cast.sysadmin).count() == 1


@pytest.mark.django_db(transaction=True)
def test_marking_the_year_complete_ends_the_warning(cast):
    add_working_days(date(2027, 1, 1), 5)
    assert warnings_to(cast.sysadmin).count() == 1

    year = set_schedule_complete(2027, actor=cast.sysadmin)
    assert year.complete and year.marked_by == cast.sysadmin and year.marked_at is not None
    assert years_pending_schedule({2027}) == set()

    newcomer = another_admin(cast, "new_admin")
    calendar_warnings._warned.clear()
    add_working_days(date(2027, 3, 1), 5)
    assert not warnings_to(newcomer).exists()

    # Taking the mark back makes the year pending again.
    set_schedule_complete(2027, actor=cast.sysadmin, complete=False)
    assert years_pending_schedule({2027}) == {2027}
    add_working_days(date(2027, 3, 1), 5)
    assert warnings_to(newcomer).count() == 1


def test_a_complete_year_follows_the_entered_schedule_alone(cast):
    # A schedule as the State Council might publish it: 5 to 13 February off, Sunday 31 January and
    # Saturday 20 February worked.
    for day in range(5, 14):
        CalendarDay.objects.create(date=date(2027, 2, day), kind=CalendarDay.Kind.HOLIDAY, name="春节")
    for day in (date(2027, 1, 31), date(2027, 2, 20)):
        CalendarDay.objects.create(date=day, kind=CalendarDay.Kind.WORKDAY, name="春节调休")
    # Pending: the entered days, and the statutory days the table lacks (none here), without invention.
    assert add_working_days(date(2027, 2, 1), 10) == date(2027, 2, 22)
    assert not is_workday(date(2027, 6, 9))  # 端午节, not entered yet
    set_schedule_complete(2027, actor=cast.sysadmin)
    assert add_working_days(date(2027, 2, 1), 10) == date(2027, 2, 22)
    # Complete: a statutory day the administrator did not enter is a working day (the table is the schedule).
    assert is_workday(date(2027, 6, 9))
    assert not is_workday(date(2027, 1, 30)) and is_workday(date(2027, 1, 31))


def test_the_packages_years_never_wait_for_a_mark(db):
    assert years_pending_schedule({2019, 2026}) == set()
    assert not CalendarYear.objects.exists()
