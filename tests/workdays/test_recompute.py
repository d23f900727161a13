"""Deadlines counted while 2027 was pending are listed, and applied or kept, once its schedule is entered."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import TransitionError, perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.timeline import entries_for, verify
from parcelwatch.workdays import warnings as calendar_warnings
from parcelwatch.workdays.models import CalendarDay, CalendarYear
from parcelwatch.workdays.recompute import (
    DEADLINE_RECOMPUTED,
    apply_recomputed_deadline,
    deadlines_affected_by_schedule,
)
from parcelwatch.workdays.services import set_schedule_complete
from tests.conftest import login
from tests.evidence_files import jpeg

SH = ZoneInfo("Asia/Shanghai")
S = Event.State


@pytest.fixture(autouse=True)
def _fresh_warning_memory():
    calendar_warnings._warned.clear()
    yield
    calendar_warnings._warned.clear()


def photo(user, colour=(200, 30, 30)):
    return store_attachment(jpeg(colour), name="现场照片.jpg", actor=user)


def letter(cast, days: int) -> Event:
    event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, category=EventCategory.objects.get(
        code="BA02"), description="备案地址与实际经营地址不符", photos=[photo(cast.hanjiang_grid)])
    perform(event, "accept", actor=cast.hanjiang_officer)
    return perform(event, "issue_letter", actor=cast.hanjiang_officer, deadline_days=days)


def enter_spring_festival_2027(cast) -> None:
    """The schedule as the State Council might publish it: 5 to 13 February off, 31 January and 20 February worked."""
    for day in range(5, 14):
        CalendarDay.objects.create(date=date(2027, 2, day), kind=CalendarDay.Kind.HOLIDAY, name="春节")
    for day in (date(2027, 1, 31), date(2027, 2, 20)):
        CalendarDay.objects.create(date=day, kind=CalendarDay.Kind.WORKDAY, name="春节调休")


@pytest.fixture
def letters_before_spring_festival_2027(cast):
    """Three letters on Monday 1 February 2027, before the 2027 schedule was entered."""
    with time_machine.travel(datetime(2027, 2, 1, 9, 30, tzinfo=SH), tick=False):
        # 10 working days over the statutory Spring Festival (5 to 10 February off): Friday 19 February.
        long = letter(cast, 10)
        # 3 working days end before the holiday: Thursday 4 February, whatever the schedule.
        short = letter(cast, 3)
        # Also 19 February, but fixed and closed since.
        closed = letter(cast, 10)
        perform(closed, "submit_rectification", actor=cast.zto_safety, attachments=[photo(cast.zto_safety, (1, 1, 1))])
        perform(closed, "verify_pass", actor=cast.hanjiang_officer)
        perform(closed, "confirm", actor=cast.hanjiang_grid, attachments=[photo(cast.hanjiang_grid, (2, 2, 2))])
    assert (long.deadline, short.deadline) == (date(2027, 2, 19), date(2027, 2, 4))
    return long, short, closed


def test_deadlines_the_schedule_moves_are_listed_with_their_new_date(cast, letters_before_spring_festival_2027):
    long, short, closed = letters_before_spring_festival_2027
    enter_spring_festival_2027(cast)
    set_schedule_complete(2027, actor=cast.sysadmin)

    rows = deadlines_affected_by_schedule(2027)
    assert [(r.event, r.old_deadline, r.new_deadline) for r in rows] == [(long, date(2027, 2, 19), date(2027, 2, 22))]
    assert rows[0].start == date(2027, 2, 1) and rows[0].working_days == 10 and not rows[0].is_earlier
    assert deadlines_affected_by_schedule(2028) == []


def test_applying_a_recomputed_deadline_is_recorded_in_the_timeline(client, cast, letters_before_spring_festival_2027):
    long, _short, _closed = letters_before_spring_festival_2027
    enter_spring_festival_2027(cast)
    set_schedule_complete(2027, actor=cast.sysadmin)
    [row] = deadlines_affected_by_schedule(2027)
    version = row.event.version

    with time_machine.travel(datetime(2027, 2, 3, 10, 0, tzinfo=SH), tick=False):
        event = apply_recomputed_deadline(row.event, actor=cast.sysadmin, new_deadline=row.new_deadline, year=2027)

    event.refresh_from_db()
    assert event.deadline == date(2027, 2, 22) and event.version == version + 1 and event.state == S.RECTIFYING
    entry = entries_for(event).last()
    assert entry.action == DEADLINE_RECOMPUTED
    assert (entry.actor, entry.actor_role, entry.from_state, entry.to_state) == (
        cast.sysadmin, "admin", S.RECTIFYING, S.RECTIFYING)
    assert entry.deadline == date(2027, 2, 22)
    assert entry.data == {"deadline_was": "2027-02-19", "reason": "holiday schedule for 2027 entered"}
    checked, broken = verify()
    assert broken is None and checked > 0
    assert deadlines_affected_by_schedule(2027) == []

    # The event page shows the new entry (its label falls back to the action's name until it has one).
    response = login(client, cast.hanjiang_officer).get(f"/events/{event.pk}/")
    assert response.status_code == 200 and DEADLINE_RECOMPUTED.encode() in response.content


def test_a_deadline_changed_since_the_list_or_a_closed_event_is_kept(cast, letters_before_spring_festival_2027):
    long, _short, closed = letters_before_spring_festival_2027
    enter_spring_festival_2027(cast)
    set_schedule_complete(2027, actor=cast.sysadmin)
    apply_recomputed_deadline(long, actor=cast.sysadmin, new_deadline=date(2027, 2, 22))

    # A second administrator working from the same list: the deadline is no longer the one they saw.
    with pytest.raises(TransitionError) as refused:
        apply_recomputed_deadline(long, actor=cast.sysadmin, new_deadline=date(2027, 2, 23),
                                  old_deadline=date(2027, 2, 19))
    assert refused.value.code == "conflict"
    with pytest.raises(TransitionError) as refused:
        apply_recomputed_deadline(closed, actor=cast.sysadmin, new_deadline=date(2027, 2, 22))
    assert refused.value.code == "conflict"
    long.refresh_from_db()
    closed.refresh_from_db()
    assert long.deadline == date(2027, 2, 22) and closed.deadline == date(2027, 2, 19)
    assert not entries_for(closed).filter(action=DEADLINE_RECOMPUTED).exists()


def test_only_an_administrator_recomputes_deadlines(cast, letters_before_spring_festival_2027):
    long, _short, _closed = letters_before_spring_festival_2027
    with pytest.raises(TransitionError) as refused:
        apply_recomputed_deadline(long, actor=cast.hanjiang_officer, new_deadline=date(2027, 2, 22))
    assert refused.value.code == "forbidden"
    long.refresh_from_db()
    assert long.deadline == date(2027, 2, 19)


@pytest.fixture
def admin_client(client, cast):
    cast.sysadmin.is_staff = cast.sysadmin.is_superuser = True
    cast.sysadmin.save(update_fields=["is_staff", "is_superuser"])
    return login(client, cast.sysadmin)


def test_the_admin_marks_the_year_complete_then_applies_the_ticked_deadlines(
        admin_client, cast, letters_before_spring_festival_2027):
    long, short, _closed = letters_before_spring_festival_2027
    enter_spring_festival_2027(cast)
    # The year is listed as pending by the warning; the administrator ticks "schedule complete".
    year = CalendarYear.objects.get(year=2027)
    response = admin_client.post(f"/admin/workdays/calendaryear/{year.pk}/change/", {"complete": "on"})
    recompute_url = "/admin/workdays/calendaryear/2027/recompute/"
    assert response.status_code == 302 and response["Location"] == recompute_url
    year.refresh_from_db()
    assert year.complete and year.marked_by == cast.sysadmin

    page = admin_client.get(recompute_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert long.number in html and cast.hanjiang_outlet.name in html
    assert "2027-02-19" in html and "2027-02-22" in html and short.number not in html

    # A stale tick (another date than the list now shows) changes nothing; the right one applies.
    page = admin_client.post(recompute_url, {"apply": [f"{long.pk}:2027-02-19:2027-02-25"]}, follow=True)
    assert [m.level_tag for m in page.context["messages"]] == ["warning"]
    long.refresh_from_db()
    assert long.deadline == date(2027, 2, 19)
    page = admin_client.post(recompute_url, {"apply": [f"{long.pk}:2027-02-19:2027-02-22"]}, follow=True)
    assert [m.level_tag for m in page.context["messages"]] == ["success"]
    long.refresh_from_db()
    assert long.deadline == date(2027, 2, 22)
    assert entries_for(long).last().actor == cast.sysadmin
    assert 'name="apply"' not in page.content.decode()  # nothing left to recompute
    assert verify()[1] is None


def test_the_admin_action_marks_years_complete(admin_client, cast):
    CalendarYear.objects.create(year=2027)
    response = admin_client.post("/admin/workdays/calendaryear/", {
        "action": "mark_complete", "_selected_action": [CalendarYear.objects.get(year=2027).pk]})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).complete


def test_the_recompute_page_needs_the_admin_site(client, cast):
    response = login(client, cast.hanjiang_officer).get("/admin/workdays/calendaryear/2027/recompute/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
