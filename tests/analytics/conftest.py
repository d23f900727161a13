"""The analytics tests' shared history: a handful of events with outcomes counted by hand."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from tests.evidence_files import jpeg

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _in_2026(clock_2026):
    """The shared history is of March 2026, and the pages count this year's events: run on a day of 2026."""


def at(day, hour=9):
    return datetime(2026, 3, day, hour, tzinfo=SH)


_colour = [0]


def photo(user):
    _colour[0] += 1
    return [store_attachment(jpeg((_colour[0] % 250, 20, 40)), name="现场.jpg", actor=user)]


@pytest.fixture
def history(cast):
    """Seven events in 涵江 (March 2026) and one in 荔城, each with a known outcome:

    E1 rectified on time, closed · E2 failed its first check (rework), fixed in time, closed ·
    E3 rectified after the deadline, closed · E4 escalated, returned, fixed, closed at district level ·
    E5 rejected · E6 not yet accepted · E7 same site and category as E1 (a repeat), resolved on the spot,
    awaiting confirmation · L1 in 荔城, accepted.
    """
    ba02 = EventCategory.objects.get(code="BA02")
    grid, officer, ent, city = cast.hanjiang_grid, cast.hanjiang_officer, cast.zto_safety, cast.city_officer

    def report(day, hour=9, site=None, actor=None):
        actor = actor or grid
        return report_event(actor=actor, site=site or cast.hanjiang_outlet, category=ba02, description="地址不符",
                            photos=photo(actor), when=at(day, hour))

    def step(event, action, day, hour, actor, **kw):
        return perform(event, action, actor=actor, when=at(day, hour), render_documents=False, **kw)

    def letter(event):
        step(event, "accept", 2, 10, officer)
        return step(event, "issue_letter", 2, 11, officer, deadline_days=5)  # deadline 9 March

    e1 = report(2)
    letter(e1)
    step(e1, "submit_rectification", 3, 11, ent, attachments=photo(ent))
    step(e1, "verify_pass", 4, 11, officer)
    step(e1, "confirm", 5, 11, grid, attachments=photo(grid))

    e2 = report(2)
    letter(e2)
    step(e2, "submit_rectification", 3, 11, ent, attachments=photo(ent))
    step(e2, "verify_fail", 4, 11, officer, note="不合格", deadline_days=5)
    step(e2, "submit_rectification", 5, 11, ent, attachments=photo(ent))
    step(e2, "verify_pass", 6, 11, officer)
    step(e2, "confirm", 9, 11, grid, attachments=photo(grid))

    e3 = report(2)
    letter(e3)
    step(e3, "submit_rectification", 30, 11, ent, attachments=photo(ent))  # after the 9 March deadline
    step(e3, "verify_pass", 30, 15, officer)
    step(e3, "confirm", 31, 11, grid, attachments=photo(grid))

    e4 = report(2)
    letter(e4)
    step(e4, "escalate", 5, 11, officer, note="拒不整改")
    step(e4, "return_to_district", 6, 11, city, note="退回县区督办", deadline_days=5)
    step(e4, "submit_rectification", 9, 11, ent, attachments=photo(ent))
    step(e4, "verify_pass", 10, 11, officer)
    step(e4, "confirm", 11, 11, grid, attachments=photo(grid))

    e5 = report(2)
    step(e5, "reject", 2, 10, officer, note="不属实")
    e6 = report(2)
    e7 = report(20)
    step(e7, "accept", 20, 10, officer)
    step(e7, "resolve_on_spot", 20, 11, officer, attachments=photo(officer))

    l1 = report(2, site=cast.licheng_outlet, actor=cast.licheng_officer)
    step(l1, "accept", 2, 10, cast.licheng_officer)
    return {"e": [e1, e2, e3, e4, e5, e6, e7], "l1": l1}


