"""The statutory holidays (2024 amendment, in force since 2025), computed from lunar dates and solar terms."""

from datetime import date, timedelta

import chinese_calendar
import pytest

from parcelwatch.workdays.statutory import is_statutory_workday, statutory_days_off


def test_the_statutory_days_off_in_2027():
    assert statutory_days_off(2027) == {
        date(2027, 1, 1): "元旦",  # Friday
        date(2027, 2, 5): "春节",  # 除夕, Friday
        date(2027, 2, 6): "春节",  # 初一 (Chinese New Year), Saturday
        date(2027, 2, 7): "春节",  # 初二, Sunday
        date(2027, 2, 8): "春节",  # 初三, Monday
        date(2027, 2, 9): "补假（春节）",  # made up for Saturday 6 February
        date(2027, 2, 10): "补假（春节）",  # made up for Sunday 7 February
        date(2027, 4, 5): "清明节",  # the Qingming solar term, Monday
        date(2027, 5, 1): "劳动节",  # Saturday
        date(2027, 5, 2): "劳动节",  # Sunday
        date(2027, 5, 3): "补假（劳动节）",
        date(2027, 5, 4): "补假（劳动节）",
        date(2027, 6, 9): "端午节",  # 5th day of the 5th lunar month, Wednesday
        date(2027, 9, 15): "中秋节",  # 15th day of the 8th lunar month, Wednesday
        date(2027, 10, 1): "国庆节",  # Friday
        date(2027, 10, 2): "国庆节",  # Saturday
        date(2027, 10, 3): "国庆节",  # Sunday
        date(2027, 10, 4): "补假（国庆节）",
        date(2027, 10, 5): "补假（国庆节）",
    }


def test_the_statutory_days_off_in_2028():
    assert statutory_days_off(2028) == {
        date(2028, 1, 1): "元旦",  # Saturday
        date(2028, 1, 3): "补假（元旦）",  # Monday
        date(2028, 1, 25): "春节",  # 除夕, Tuesday
        date(2028, 1, 26): "春节",  # 初一 (Chinese New Year), Wednesday
        date(2028, 1, 27): "春节",  # 初二
        date(2028, 1, 28): "春节",  # 初三, Friday
        date(2028, 4, 4): "清明节",  # Tuesday
        date(2028, 5, 1): "劳动节",  # Monday
        date(2028, 5, 2): "劳动节",
        date(2028, 5, 28): "端午节",  # Sunday
        date(2028, 5, 29): "补假（端午节）",
        date(2028, 10, 1): "国庆节",  # Sunday
        date(2028, 10, 2): "国庆节",
        date(2028, 10, 3): "中秋节、国庆节",  # Mid-Autumn falls on National Day
        date(2028, 10, 4): "补假（国庆节）",  # for Sunday 1 October
        date(2028, 10, 5): "补假（国庆节）",  # for the day the two holidays share
    }


def test_saturdays_sundays_and_holidays_are_not_working_days():
    assert not is_statutory_workday(date(2027, 1, 1))
    assert not is_statutory_workday(date(2027, 1, 2))  # Saturday
    assert is_statutory_workday(date(2027, 1, 4))
    assert not is_statutory_workday(date(2027, 9, 15))


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rule_gives_the_days_off_chinese_calendar_publishes(year):
    """Every statutory day off is off in the State Council's schedule, and on weekdays the rule and the
    schedule agree, except the bridge days the State Council swaps for make-up working days (调休)."""
    days_off = statutory_days_off(year)
    assert all(chinese_calendar.is_holiday(day) for day in days_off)
    year_days = [date(year, 1, 1) + timedelta(days=n) for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
    published = {
        day for day in year_days
        if day.weekday() < 5 and chinese_calendar.is_holiday(day) and not chinese_calendar.is_in_lieu(day)
    }
    assert {day for day in days_off if day.weekday() < 5} == published


def test_years_before_the_2025_rule_have_no_statutory_fallback():
    # chinese-calendar knows 2004 to 2024 with the rules of their time; earlier years count weekends only.
    assert statutory_days_off(2003) == {}
