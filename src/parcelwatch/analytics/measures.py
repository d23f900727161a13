"""What the statistics count, as one vector of integers per event.

Every figure on the statistics pages is a sum of these columns (over events, or over the
monthly rollups that hold the same sums), divided where it is a rate. Keeping the definitions
here, as one pure function of an event, is what makes the pages, the rollups, the rebuild and
the tests agree.

Definitions (all for events reported in the chosen period):
- acceptance rate = accepted / (accepted + not accepted): rejected and merged duplicates are not accepted;
- on-time rectification rate = rectified by the deadline / rectifications due, where a rectification is due
  once a letter was issued and the enterprise submitted or the event was escalated;
- closure rate = closed / accepted;
- on-time closure rate = closed without escalation and without a missed deadline / closed;
- district closure share = closed at district level / closed;
- rework rate = events sent back at least once (failed check or disputed on site) / events with a fix submitted;
- stage times: report → acceptance decision; first letter → last rectification; last rectification →
  passed check; awaiting confirmation → closed; at district level report → escalation (or closure);
  at city level escalation → closure; overall report → closure;
- repeat: the same site had a report of the same category in the 365 days before.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

STATES = ("reported", "accepted", "rectifying", "rectification_submitted", "escalated", "under_enforcement",
          "awaiting_confirmation", "closed", "rejected", "merged")
OPEN_STATES = STATES[:7]

# Stage durations, in minutes: (sum column, count column).
STAGES = ("accept", "rectify", "verify", "confirm", "district", "city", "total")

COUNTS = ("reported", "accepted", "not_accepted", "escalated", "letters", "rect_due", "rect_on_time", "fixes",
          "reworked", "closed_district", "closed_city", "closed_on_time", "repeat")
STATE_COUNTS = tuple(f"st_{s}" for s in STATES)
DURATIONS = tuple(c for s in STAGES for c in (f"{s}_minutes", f"{s}_n"))
MEASURES = COUNTS + STATE_COUNTS + DURATIONS

# Flags an event list can be narrowed to (drill-down from a figure to the events behind it).
LIST_FLAGS = ("accepted", "not_accepted", "escalated", "letters", "rect_due", "rect_on_time", "fixes", "reworked",
              "closed_district", "closed_city", "closed_on_time", "repeat")


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None or end < start:
        return None
    return int((end - start).total_seconds() // 60)


def event_measures(event, *, repeat: bool) -> dict[str, int]:
    """The event's contribution to every measure, from its own columns (no queries)."""
    state = event.state
    closed = state == "closed"
    m = dict.fromkeys(MEASURES, 0)
    m["reported"] = 1
    m[f"st_{state}"] = 1
    m["accepted"] = int(state not in ("reported", "rejected", "merged"))
    m["not_accepted"] = int(state in ("rejected", "merged"))
    m["escalated"] = int(event.escalated_at is not None)
    m["letters"] = int(event.letter_at is not None)
    m["rect_due"] = int(event.letter_at is not None and (event.rectified_at is not None or event.escalated_at is not None))
    m["rect_on_time"] = int(bool(m["rect_due"]) and not event.missed_deadline)
    m["fixes"] = int(event.rectified_at is not None or event.awaiting_since is not None)
    m["reworked"] = int(event.rework_count > 0 and bool(m["fixes"]))
    m["closed_district"] = int(closed and event.closure_level == "district")
    m["closed_city"] = int(closed and event.closure_level == "city")
    m["closed_on_time"] = int(closed and event.escalated_at is None and not event.missed_deadline)
    m["repeat"] = int(repeat and state not in ("rejected", "merged"))
    closed_at = event.closed_at if closed else None
    spans = {
        "accept": _minutes(event.reported_at, event.decided_at),
        "rectify": _minutes(event.letter_at, event.rectified_at),
        "verify": _minutes(event.rectified_at, event.awaiting_since) if event.letter_at else None,
        "confirm": _minutes(event.awaiting_since, closed_at),
        "district": _minutes(event.reported_at, event.escalated_at or closed_at),
        "city": _minutes(event.escalated_at, closed_at) if event.closure_level == "city" else None,
        "total": _minutes(event.reported_at, closed_at),
    }
    for stage, minutes in spans.items():
        if minutes is not None:
            m[f"{stage}_minutes"] = minutes
            m[f"{stage}_n"] = 1
    return m


def month_of(when: datetime) -> int:
    local = timezone.localtime(when)
    return local.year * 100 + local.month


def rates(row: dict) -> dict[str, float | None]:
    """The rates and averages of a row of summed measures (None where the denominator is zero)."""

    def ratio(num: str, den: int) -> float | None:
        return row[num] / den if den else None

    closed = row["st_closed"]
    decided = row["accepted"] + row["not_accepted"]
    out = {
        "acceptance_rate": ratio("accepted", decided),
        "on_time_rectification_rate": ratio("rect_on_time", row["rect_due"]),
        "closure_rate": ratio("st_closed", row["accepted"]),
        "on_time_closure_rate": ratio("closed_on_time", closed),
        "district_closure_share": ratio("closed_district", closed),
        "rework_rate": ratio("reworked", row["fixes"]),
        "repeat_share": ratio("repeat", row["reported"]),
    }
    for stage in STAGES:
        n = row[f"{stage}_n"]
        out[f"{stage}_days"] = row[f"{stage}_minutes"] / n / 1440 if n else None
    return out


def totals(row: dict) -> dict[str, int]:
    """Counts derived from the state columns."""
    return {"open": sum(row[f"st_{s}"] for s in OPEN_STATES), "closed": row["st_closed"],
            "pending": row["st_reported"]}
