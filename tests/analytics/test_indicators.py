"""Every indicator against a small history computed by hand, and the rollups against a rebuild."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from parcelwatch.analytics.measures import LIST_FLAGS, MEASURES
from parcelwatch.analytics.models import EventFact, StatsCube
from parcelwatch.analytics.selectors import Reach, StatsFilter, aggregate, breakdown, reach_of, stats_filter, with_rates
from parcelwatch.analytics.services import rebuild_statistics
from parcelwatch.events.models import Event
from parcelwatch.events.selectors import events_visible_to, filter_events
from tests.analytics.conftest import SH

MARCH = StatsFilter(start=date(2026, 3, 1), end=date(2026, 3, 31))


def hanjiang(cast):
    return Reach(district_ids=frozenset({cast.hanjiang.pk}))


def test_every_indicator_matches_the_hand_count(cast, history):
    row = with_rates(aggregate(hanjiang(cast), MARCH)[0])
    assert row["reported"] == 7
    assert (row["accepted"], row["not_accepted"]) == (5, 1)
    assert row["acceptance_rate"] == pytest.approx(5 / 6)
    assert (row["letters"], row["rect_due"], row["rect_on_time"]) == (4, 4, 2)
    assert row["on_time_rectification_rate"] == pytest.approx(0.5)
    assert row["closed"] == 4 and row["closure_rate"] == pytest.approx(4 / 5)
    assert row["closed_district"] == 4 and row["district_closure_share"] == 1.0
    assert row["closed_on_time"] == 2 and row["on_time_closure_rate"] == pytest.approx(0.5)
    assert (row["fixes"], row["reworked"]) == (5, 1)
    assert row["rework_rate"] == pytest.approx(0.2)
    # Every report after E1 at the same site and category is a repeat, except the rejected one.
    assert row["repeat"] == 5 and row["escalated"] == 1
    assert row["open"] == 2 and row["pending"] == 1
    assert (row["st_rejected"], row["st_awaiting_confirmation"]) == (1, 1)
    # Stage times: every decision one hour after the report; E1 closed 3 days 2 hours after it.
    assert row["accept_days"] == pytest.approx(1 / 24)
    assert row["accept_n"] == 6  # E1–E5 and E7
    e1_total = 3 + 2 / 24
    e2_total = 7 + 2 / 24
    e3_total = 29 + 2 / 24
    e4_total = 9 + 2 / 24
    assert row["total_days"] == pytest.approx((e1_total + e2_total + e3_total + e4_total) / 4)
    # The escalated event spent 3 days and 2 hours at district level before it went up.
    assert row["district_n"] == 4


def test_a_period_inside_a_month_reads_the_events_themselves(cast, history):
    # 1–15 March: E7 (20 March) is left out; the partial month cannot come from the monthly rollup.
    row = aggregate(hanjiang(cast), StatsFilter(start=date(2026, 3, 1), end=date(2026, 3, 15)))[0]
    assert row["reported"] == 6 and row["repeat"] == 4
    whole = aggregate(hanjiang(cast), MARCH)[0]
    assert whole["reported"] == 7


def test_a_period_with_two_partial_months_adds_both_ends_to_the_whole_month_between(cast, history, client):
    """20 Feb – 10 Apr: February's and April's days come from the facts (in one query), March from its rollup;
    the statistics page's totals, summed from its monthly trend, are the same figures."""

    march = sorted(Event.objects.filter(district=cast.hanjiang).values_list("pk", flat=True))
    moved = {march[0]: at_month(2, 25), march[1]: at_month(2, 10), march[2]: at_month(4, 5), march[3]: at_month(4, 20)}
    for pk, when in moved.items():
        Event.objects.filter(pk=pk).update(reported_at=when)
    rebuild_statistics()
    f = StatsFilter(start=date(2026, 2, 20), end=date(2026, 4, 10))
    row = with_rates(aggregate(hanjiang(cast), f, today=date(2026, 11, 1))[0])
    facts = EventFact.objects.filter(district_id=cast.hanjiang.pk, reported_on__gte=f.start, reported_on__lte=f.end)
    assert facts.count() == 5  # the one of 25 Feb, three left in March, the one of 5 Apr
    for m in MEASURES:
        assert row[m] == sum(getattr(fact, m) for fact in facts), m
    by_month = {r["key"]: r["reported"] for r in breakdown(hanjiang(cast), f, "month", today=date(2026, 11, 1))}
    assert by_month == {202602: 1, 202603: 3, 202604: 1}
    client.force_login(cast.hanjiang_officer)
    page = client.get(reverse("analytics:statistics"), {"reported_from": "2026-02-20", "reported_to": "2026-04-10"})
    assert page.status_code == 200
    total = page.context["total"]
    assert total["reported"] == 5 and total["closed"] == row["closed"] and total["repeat"] == row["repeat"]


def at_month(month, day):
    return datetime(2026, month, day, 9, tzinfo=SH)


def test_the_facts_and_rollups_kept_by_the_workflow_equal_a_rebuild(cast, history):
    def snapshot():
        return {(c.grain, c.month, c.district_id, c.category_id, c.brand_id, c.enterprise_id, c.reporter_id,
                 c.source, c.level): tuple(getattr(c, m) for m in MEASURES)
                for c in StatsCube.objects.all() if any(getattr(c, m) for m in MEASURES)}

    def facts():  # every column of every event's facts (a new event's are written in SQL, a rebuild's by the ORM)
        return {row["event_id"]: row for row in EventFact.objects.values()}

    live, live_facts = snapshot(), facts()
    assert len(live_facts) == Event.objects.count() > 5
    assert {row["repeat"] for row in live_facts.values()} == {0, 1}  # a repeat among them (a measure set by a report)
    rebuild_statistics()
    assert snapshot() == live and facts() == live_facts


def test_an_event_whose_facts_are_missing_gets_them_back_as_they_were(cast, history):
    from django.db import transaction

    from parcelwatch.analytics.services import record_event_facts

    for event in Event.objects.filter(district=cast.hanjiang).order_by("pk")[:3]:
        facts = EventFact.objects.filter(event_id=event.pk)
        kept = facts.values().get()
        facts.delete()
        with transaction.atomic():
            record_event_facts(Event.objects.select_for_update().get(pk=event.pk))  # not created now: looked for
        assert facts.values().get() == kept


@pytest.mark.parametrize("flag", LIST_FLAGS)
def test_each_figure_drills_down_to_exactly_its_events(cast, history, flag):
    f = stats_filter({"reported_from": "2026-03-01", "reported_to": "2026-03-31"})
    row = aggregate(reach_of(cast.hanjiang_officer), f)[0]
    listed = filter_events(events_visible_to(cast.hanjiang_officer), reported_from=f.start, reported_to=f.end,
                           flag=flag).count()
    assert listed == row[flag]


def test_breakdowns_link_to_lists_with_the_same_count(cast, history, client):
    client.force_login(cast.city_leader)
    f = stats_filter({"reported_from": "2026-03-01", "reported_to": "2026-03-31"})
    for by in ("district", "category", "brand", "enterprise", "reporter", "month"):
        for row in breakdown(reach_of(cast.city_leader), f, by):
            page = client.get(row["url"])
            assert page.status_code == 200
            assert page.context["page"].paginator.count == row["reported"], (by, row["label"])


def test_a_district_officer_counts_only_their_district(cast, history):
    f = stats_filter({"reported_from": "2026-03-01", "reported_to": "2026-03-31"})
    assert aggregate(reach_of(cast.licheng_officer), f)[0]["reported"] == 1
    assert aggregate(reach_of(cast.hanjiang_officer), f)[0]["reported"] == 7
    assert aggregate(reach_of(cast.city_leader), f)[0]["reported"] == 8
    # Asking for another district gives nothing, not that district's figures.
    other = stats_filter({"reported_from": "2026-03-01", "reported_to": "2026-03-31", "district": "350303"})
    assert aggregate(reach_of(cast.licheng_officer), other)[0]["reported"] == 0
    assert [r["label"] for r in breakdown(reach_of(cast.licheng_officer), f, "district")] == ["荔城区"]


def test_sources_and_levels_are_counted_apart(cast, history):
    f = stats_filter({"reported_from": "2026-03-01", "reported_to": "2026-03-31", "source": "inspection"})
    assert aggregate(reach_of(cast.city_leader), f)[0]["reported"] == 1  # 荔城's officer reported it himself
    f = stats_filter({"reported_from": "2026-03-01", "reported_to": "2026-03-31", "level": "city"})
    assert aggregate(reach_of(cast.city_leader), f)[0]["reported"] == 0  # E4 came back to the district
    assert Event.objects.filter(source="inspection").count() == 1


def test_summary_api_gives_the_yearly_figures(cast, history, client):
    from parcelwatch.accounts.services import issue_api_token

    key, _token = issue_api_token(cast.city_leader)
    r = client.get("/api/v1/stats/summary?reported_from=2026-03-01&reported_to=2026-03-31&district=350303",
                   HTTP_AUTHORIZATION=f"Bearer {key}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["events"] == 7 and body["closed"] == 4 and body["closed_at_district"] == 4
    assert body["district_closure_share"] == 1.0 and body["fines_total"] == "0.00"
    r = client.get("/api/v1/stats/breakdown?by=district&year=2026", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert {row["label"]: row["events"] for row in r.json()} == {"涵江区": 7, "荔城区": 1}
    key, _token = issue_api_token(cast.hanjiang_grid)
    assert client.get("/api/v1/stats/summary", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 403
    assert Decimal(body["fines_total"]) == 0
