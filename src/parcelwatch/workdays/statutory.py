"""The public holidays a year must have by law, before the State Council publishes its schedule.

《全国年节及纪念日放假办法》 as amended in 2024, in force since 2025:

- Article 2: New Year's Day (1 Jan), Spring Festival (New Year's Eve and the 1st to 3rd day of the
  first lunar month), Qingming (the day of the Qingming solar term), Labour Day (1–2 May), Dragon
  Boat (5th day of the 5th lunar month), Mid-Autumn (15th day of the 8th lunar month), National Day
  (1–3 October).
- Article 6: a holiday that falls on a Saturday or Sunday is made up on a working day (补假).

Where a made-up day goes is the State Council's choice; it puts it next to its holiday, usually right
after it, so the rule puts it on the first weekday after that is not already a day off. (From 2008 to
2024 the exceptions were mostly made-up days put on 除夕, a holiday in its own right since 2025.) A day
two holidays share (Mid-Autumn on 1–3 October, as in 2020 and 2028) is made up the same way.
Checked against the chinese-calendar package for 2025 and 2026: the days off here are exactly its
days off, less the bridge days it swaps for make-up working days (调休).

The make-up working days themselves (调休) are a choice of the State Council, not a rule: they are
never invented here, so until the schedule is entered a swapped bridge day counts as a working day.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from lunar_python import Lunar

# Before 2025 the holidays were different (no 除夕, one day for Labour Day); chinese-calendar knows
# those years, so this rule is only for years from its entry into force.
RULE_SINCE = 2025

NEW_YEAR = "元旦"
SPRING_FESTIVAL = "春节"
QINGMING = "清明节"
LABOUR_DAY = "劳动节"
DRAGON_BOAT = "端午节"
MID_AUTUMN = "中秋节"
NATIONAL_DAY = "国庆节"
MADE_UP = "补假"


def _solar(lunar: Lunar) -> date:
    solar = lunar.getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _lunar_date(year: int, month: int, day: int) -> date:
    return _solar(Lunar.fromYmd(year, month, day))


def _qingming(year: int) -> date:
    # The solar terms of lunar year `year`, which starts in January or February: Qingming is in its April.
    term = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    return date(term.getYear(), term.getMonth(), term.getDay())


def _holidays_by_name(year: int) -> list[tuple[str, list[date]]]:
    spring = _lunar_date(year, 1, 1)
    return [
        (NEW_YEAR, [date(year, 1, 1)]),
        (SPRING_FESTIVAL, [spring + timedelta(days=n) for n in (-1, 0, 1, 2)]),
        (QINGMING, [_qingming(year)]),
        (LABOUR_DAY, [date(year, 5, 1), date(year, 5, 2)]),
        (DRAGON_BOAT, [_lunar_date(year, 5, 5)]),
        (MID_AUTUMN, [_lunar_date(year, 8, 15)]),
        (NATIONAL_DAY, [date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)]),
    ]


def statutory_days_off(year: int) -> dict[date, str]:
    """Every day off the law gives in `year`, in date order and named: the holidays, and the days that
    make up for a holiday on a weekend or shared with another holiday ("补假（端午节）").
    Empty for years before the rule."""
    return dict(_days_off(year))


@lru_cache(maxsize=64)
def _days_off(year: int) -> dict[date, str]:
    if year < RULE_SINCE:
        return {}
    days_off: dict[date, str] = {}
    to_make_up: list[tuple[date, str]] = []
    for name, days in _holidays_by_name(year):
        for day in days:
            if day.weekday() >= 5 or day in days_off:
                to_make_up.append((day, name))
            days_off[day] = f"{days_off[day]}、{name}" if day in days_off else name
    for day, name in sorted(to_make_up):
        made_up = day + timedelta(days=1)
        while made_up.weekday() >= 5 or made_up in days_off:
            made_up += timedelta(days=1)
        days_off[made_up] = f"{MADE_UP}（{name}）"
    return dict(sorted(days_off.items()))


def is_statutory_workday(day: date) -> bool:
    """Monday to Friday, except the statutory days off (the fallback for years without a schedule)."""
    return day.weekday() < 5 and day not in _days_off(day.year)
