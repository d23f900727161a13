"""Tell the administrators when a deadline falls in a year whose holiday schedule is not complete.

A year stays pending until an administrator marks its schedule complete (CalendarYear): entering some of
its days does not end the warning. Each administrator is notified once per year (the dedupe key), an
administrator added later too. To spare the database, this process then skips the year for an hour; it
remembers a year only once the notification is committed, so one rolled back with its transaction is
sent again next time.
"""

from __future__ import annotations

import logging
import time

from django.urls import NoReverseMatch, reverse

logger = logging.getLogger(__name__)


WARN_AGAIN_AFTER = 3600  # seconds
_warned: dict[int, float] = {}  # year -> when this process last warned about it (monotonic)


def warn_missing_calendar(years: set[int]) -> None:
    now = time.monotonic()
    new = {year for year in years if year not in _warned or now - _warned[year] >= WARN_AGAIN_AFTER}
    if not new:
        return
    from parcelwatch.notifications.services import notify_admins_once, on_commit

    from .models import CalendarYear

    logger.warning("No complete holiday schedule for %s: counting the statutory holidays, without make-up "
                   "working days.", sorted(new))
    try:
        url = reverse("admin:workdays_calendaryear_changelist")
    except NoReverseMatch:
        url = ""
    for year in sorted(new):
        # A row the administrator sees in the list of calendar years, to tick once the schedule is in.
        CalendarYear.objects.get_or_create(year=year)
        notify_admins_once(key=f"calendar-missing-{year}", kind="calendar_missing", years=[year], url=url)
    on_commit(lambda: _warned.update(dict.fromkeys(new, now)))
