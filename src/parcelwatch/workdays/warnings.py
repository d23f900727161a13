"""Tell the administrators when a deadline falls in a year without a holiday calendar."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


_warned: set[int] = set()


def warn_missing_calendar(years: set[int]) -> None:
    if years <= _warned:
        return
    _warned.update(years)
    logger.warning("No holiday calendar for %s: counting weekends only.", sorted(years))
    from parcelwatch.notifications.services import notify_admins_once

    notify_admins_once(
        key=f"calendar-missing-{min(years)}",
        kind="calendar_missing",
        years=sorted(years),
    )
