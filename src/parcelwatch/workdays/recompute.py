"""Deadlines set while a year's holiday schedule was pending, recomputed once the schedule is entered.

A deadline counted in a pending year used the statutory holidays without the State Council's make-up
working days (调休), so it may be a few days off. Nothing changes by itself: the administrator sees
each open event whose deadline would move and applies or keeps it. Applying is a change of the event
like any other: under its row lock, with a new version and an entry in its timeline (the legal record).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.models import Role, User
from parcelwatch.accounts.permissions import CONFIG_MANAGE
from parcelwatch.events.models import Event
from parcelwatch.events.services import TransitionError
from parcelwatch.evidence import timeline
from parcelwatch.evidence.models import TimelineEntry

from .services import WorkingCalendar

DEADLINE_RECOMPUTED = "deadline_recomputed"


@dataclass(frozen=True)
class AffectedDeadline:
    event: Event
    old_deadline: date
    new_deadline: date
    start: date  # the local date the deadline was set on
    working_days: int

    @property
    def is_earlier(self) -> bool:
        """The new date comes before the one the enterprise was given."""
        return self.new_deadline < self.old_deadline


def _deadline_entries(events: Iterable[Event]) -> dict[int, TimelineEntry]:
    """For each event, its latest timeline entry that set a deadline by counting working days.

    Entries of a recomputation carry a deadline but no working days: the count stays that of the
    original action, so a deadline can be recomputed again after a later correction of the schedule.
    """
    entries = (
        TimelineEntry.objects.filter(subject_type=Event._meta.model_name, subject_id__in=[e.pk for e in events],
                                     deadline__isnull=False)
        .only("subject_id", "seq", "data", "created_at", "deadline")
        .order_by("subject_id", "seq")
    )
    found: dict[int, TimelineEntry] = {}
    for entry in entries:
        if isinstance(entry.data, dict) and isinstance(entry.data.get("working_days"), int):
            found[entry.subject_id] = entry
    return found


def deadlines_affected_by_schedule(year: int) -> list[AffectedDeadline]:
    """Open events whose deadline, counted again with today's calendar, falls on another date.

    Candidates are the open events whose deadline is in `year`, or later but counted from a day in or
    before `year` (a count that crossed it). Each is counted again from the day its deadline was set,
    with the working days recorded then.
    """
    events = list(
        Event.objects.filter(state__in=Event.OPEN_STATES, deadline__gte=date(year, 1, 1))
        .select_related("site")
        .order_by("deadline", "number")
    )
    entries = _deadline_entries(events)
    calendar = WorkingCalendar()
    rows = []
    for event in events:
        entry = entries.get(event.pk)
        if entry is None:
            continue
        start = timezone.localdate(entry.created_at)
        if start.year > year:
            continue
        days = entry.data["working_days"]
        new_deadline = calendar.add_working_days(start, days)
        if new_deadline != event.deadline:
            rows.append(AffectedDeadline(event=event, old_deadline=event.deadline, new_deadline=new_deadline,
                                         start=start, working_days=days))
    calendar.warn_if_pending()
    return rows


def apply_recomputed_deadline(
    event: Event,
    *,
    actor: User,
    new_deadline: date,
    old_deadline: date | None = None,
    year: int | None = None,
) -> Event:
    """Move the event's deadline to `new_deadline` and record it in its timeline.

    `old_deadline` is the deadline the administrator saw (by default that of the `event` given): if the
    event's deadline has changed since, or the event is no longer open, nothing is changed and a
    TransitionError with code "conflict" is raised. `year` is the schedule that caused the change (by
    default the year of the old deadline), recorded as the reason.
    """
    if not has_permission(actor, CONFIG_MANAGE):
        raise TransitionError(_("Only a system administrator may recompute deadlines."), code="forbidden")
    expected = old_deadline if old_deadline is not None else event.deadline
    if expected is None:
        raise TransitionError(_("Event %(number)s has no deadline.") % {"number": event.number})
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        if not event.is_open:
            raise TransitionError(
                _("Event %(number)s is now “%(state)s”: its deadline was kept.")
                % {"number": event.number, "state": event.get_state_display()},
                code="conflict",
            )
        if event.deadline != expected:
            raise TransitionError(
                _("The deadline of event %(number)s was changed by someone else: it was kept. Reload and check.")
                % {"number": event.number},
                code="conflict",
            )
        if new_deadline == expected:
            return event
        event.deadline = new_deadline
        event.version += 1
        event.save(update_fields=["deadline", "version", "updated_at"])
        timeline.append(
            event, action=DEADLINE_RECOMPUTED, actor=actor, actor_role=Role.ADMIN.value, from_state=event.state,
            to_state=event.state, deadline=new_deadline,
            data={"deadline_was": expected.isoformat(),
                  "reason": f"holiday schedule for {year or expected.year} entered"},
        )
    return event
