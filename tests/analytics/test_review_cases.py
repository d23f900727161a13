"""Edge cases of the statistics: several roles at once, concurrency, dates at the edges, privacy of ids."""

import threading
from datetime import date

import pytest
from django.db import connection

from parcelwatch.accounts.models import Membership, Role
from parcelwatch.analytics.measures import MEASURES
from parcelwatch.analytics.models import EventFact, StatsCube
from parcelwatch.analytics.selectors import reach_of, stats_filter, trend
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import perform, report_event

from .conftest import photo

MARCH = {"reported_from": "2026-03-01", "reported_to": "2026-03-31"}


def test_a_figure_and_its_list_agree_for_someone_with_two_roles(cast, history, client):
    # A 涵江 district officer who is also a grid worker in 荔城 sees 荔城's event in lists, but their
    # statistics count 涵江 only: the drill-down list must show what the figure counts.
    Membership.objects.create(user=cast.hanjiang_officer, role=Role.GRID_WORKER, jurisdiction=cast.zhenhai_g1)
    client.force_login(cast.hanjiang_officer)
    page = client.get("/analytics/", MARCH)
    assert page.context["total"]["reported"] == 7
    listed = client.get(page.context["links"]["reported"])
    assert listed.context["page"].paginator.count == 7
    assert client.get("/events/", MARCH).context["page"].paginator.count == 8  # the plain list: both roles
    wall = client.get("/analytics/wall/data.json").json()
    assert all("荔城" not in d["name"] for d in wall["districts"])


def test_an_id_alone_does_not_reveal_who_has_an_account(cast, history, client):
    client.force_login(cast.zto_safety)
    page = client.get("/events/", {"reporter": cast.licheng_officer.pk})
    assert page.context["page"].paginator.count == 0
    assert "licheng_officer" not in page.content.decode()
    page = client.get("/events/", {"reporter": cast.hanjiang_grid.pk})
    assert "hanjiang_grid" in page.content.decode()  # they see events reported by this grid worker
    assert client.get("/events/", {"enterprise": "junk"}).context["page"].paginator.count == 0


def test_dates_beyond_the_records_mean_their_ends_not_no_date(cast, history):
    today = date(2026, 11, 28)
    f = stats_filter({"reported_from": "1999-12-31", "reported_to": "2019-12-31"}, today=today)
    assert (f.start, f.end) == (date(2000, 1, 1), date(2019, 12, 31))
    f = stats_filter({"reported_to": "2019-05-01"}, today=today)
    assert (f.start, f.end) == (date(2019, 1, 1), date(2019, 5, 1))
    f = stats_filter({"reported_from": "2026-01-01", "reported_to": "9999-12-31"}, today=today)
    assert f.end == date(2100, 12, 31)
    months = [r["label"] for r in trend(reach_of(cast.city_leader), f, today=today)]
    assert months[0] == "2026-01" and months[-1] == "2026-11"  # not 2091–2100, all empty
    assert stats_filter({"year": "²"}, today=today).start == date(2026, 1, 1)


@pytest.mark.django_db(transaction=True)
def test_reports_and_transitions_at_once_neither_deadlock_nor_lose_a_count(cast):
    """Several people reporting and acting in one district at the same time (a deadlock on PostgreSQL when the
    event's lock also locked its district)."""
    category = EventCategory.objects.get(code="BA02")
    events = [report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, category=category,
                           description="地址不符", photos=photo(cast.hanjiang_grid)) for _ in range(6)]
    photos = [photo(cast.hanjiang_officer) for _ in range(6)]
    errors = []
    barrier = threading.Barrier(4)

    def act(batch):
        try:
            barrier.wait(timeout=20)
            for event in batch:
                perform(event, "accept", actor=cast.hanjiang_officer)
                perform(event, "issue_letter", actor=cast.hanjiang_officer, render_documents=False)
        except Exception as exc:  # noqa: BLE001 - any error is the failure this test looks for
            errors.append(repr(exc))
        finally:
            connection.close()

    def report(batch):
        try:
            barrier.wait(timeout=20)
            for p in batch:
                report_event(actor=cast.hanjiang_officer, site=cast.hanjiang_outlet_g2, category=category,
                             description="地址不符", photos=p)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(events[:3],)), threading.Thread(target=act, args=(events[3:],)),
               threading.Thread(target=report, args=(photos[:3],)), threading.Thread(target=report, args=(photos[3:],))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert Event.objects.count() == 12 and Event.objects.filter(state="rectifying").count() == 6
    # Every rollup grain sums to the facts.
    for grain in ("dc", "db", "de", "dr", "f"):
        cube = {m: sum(getattr(c, m) for c in StatsCube.objects.filter(grain=grain)) for m in MEASURES}
        facts = {m: sum(getattr(f, m) for f in EventFact.objects.all()) for m in MEASURES}
        assert cube == facts, grain
    # The second report of the same problem at a site is a repeat, whichever came first.
    assert EventFact.objects.filter(site_id=cast.hanjiang_outlet_g2.pk, repeat=1).count() == 5


def test_a_filter_naming_nothing_opens_an_empty_list(cast, history, client):
    client.force_login(cast.city_leader)
    page = client.get("/analytics/", {**MARCH, "enterprise": "1e20"})
    assert page.context["total"]["reported"] == 0
    assert client.get(page.context["links"]["reported"]).context["page"].paginator.count == 0
