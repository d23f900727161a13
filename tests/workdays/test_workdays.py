from datetime import date

import pytest

from parcelwatch.accounts.models import Role
from parcelwatch.notifications.models import Notification
from parcelwatch.workdays import warnings as calendar_warnings
from parcelwatch.workdays.models import CalendarDay
from parcelwatch.workdays.services import add_working_days, is_workday, working_days_between


@pytest.fixture(autouse=True)
def _fresh_warning_memory():
    calendar_warnings._warned.clear()
    yield
    calendar_warnings._warned.clear()


def test_may_day_2019_with_make_up_days(db):
    assert not is_workday(date(2019, 5, 1)) and not is_workday(date(2019, 5, 4))
    assert is_workday(date(2019, 4, 28)) and is_workday(date(2019, 5, 5))  # Sundays worked
    # From Friday 26 April: Sun 28, Mon 29, Tue 30 April, then Sun 5, Mon 6 May.
    assert add_working_days(date(2019, 4, 26), 5) == date(2019, 5, 6)


def test_qingming_2019_is_skipped(db):
    assert add_working_days(date(2019, 4, 2), 5) == date(2019, 4, 10)
    assert working_days_between(date(2019, 4, 2), date(2019, 4, 10)) == 5


def test_the_admin_table_overrides_the_package(db):
    CalendarDay.objects.create(date=date(2019, 4, 8), kind=CalendarDay.Kind.HOLIDAY, name="防汛停工")
    assert add_working_days(date(2019, 4, 2), 5) == date(2019, 4, 11)


@pytest.mark.django_db(transaction=True)
def test_an_unknown_year_falls_back_to_the_statutory_holidays_and_warns_the_admin(cast):
    # 2027 is not in chinese-calendar 1.11: the statutory holidays and weekends, never an error.
    assert add_working_days(date(2027, 1, 1), 5) == date(2027, 1, 8)
    admins = Notification.objects.filter(kind="calendar_missing", recipient__memberships__role=Role.ADMIN)
    assert admins.count() == 1 and "2027" in admins.get().text
    add_working_days(date(2027, 3, 1), 5)
    assert admins.count() == 1  # warned once
    # The admin's entries are used at once, over the statutory holidays.
    CalendarDay.objects.create(date=date(2027, 1, 4), kind=CalendarDay.Kind.HOLIDAY, name="元旦")
    assert add_working_days(date(2027, 1, 1), 5) == date(2027, 1, 11)


def test_new_years_day_2027_is_a_holiday_before_the_schedule_is_entered(db):
    # 1 January 2027 is a Friday; 2 and 3 January the weekend.
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert working_days_between(date(2026, 12, 31), date(2027, 1, 4)) == 1


def test_spring_festival_2027_counts_as_days_off_before_the_schedule_is_entered(db):
    # Thursday 4 February, then 除夕 Fri 5, 初一 Sat 6, 初二 Sun 7, 初三 Mon 8, made up Tue 9 and Wed 10.
    assert add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 11)
    assert [is_workday(date(2027, 2, d)) for d in range(4, 13)] == [
        True, False, False, False, False, False, False, True, True]


def test_negative_days_are_refused(db):
    with pytest.raises(ValueError):
        add_working_days(date(2019, 1, 1), -1)
