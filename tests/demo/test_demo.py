from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count

from parcelwatch.accounts.models import Jurisdiction, Role, User
from parcelwatch.demo.loader import DEMO_PASSWORD
from parcelwatch.documents.models import OfficialDocument
from parcelwatch.enforcement.models import EnforcementCase
from parcelwatch.enforcement.selectors import filter_cases, fines_total
from parcelwatch.events.models import Event
from parcelwatch.evidence.timeline import verify
from parcelwatch.lib.geo import within_bounds
from parcelwatch.registry.models import Enterprise, Site
from parcelwatch.registry.selectors import sites_visible_to

SH = ZoneInfo("Asia/Shanghai")

ACCOUNTS = ["sysadmin", "city_leader", "city_officer", "hanjiang_officer", "licheng_officer", "hanjiang_grid",
            "zto_safety", "police_partner"]


@pytest.mark.usefixtures("clock_2026")  # its figures for "this year" are those of a day late in the year
def test_demo_data_matches_the_article_and_is_idempotent(db, client):
    call_command("loaddemo")
    counts = dict(Site.objects.values_list("kind").annotate(n=Count("pk")))
    assert counts[Site.Kind.OUTLET] == 553
    assert counts[Site.Kind.SORTING_CENTER] == 24
    snapshot = sorted(Site.objects.values_list("name", "filing_number", "lng", "lat"))
    totals = (Site.objects.count(), Enterprise.objects.count(), User.objects.count(), Jurisdiction.objects.count())

    call_command("loaddemo")
    assert (Site.objects.count(), Enterprise.objects.count(), User.objects.count(),
            Jurisdiction.objects.count()) == totals
    from parcelwatch.video.models import Camera, PatrolDraw

    assert (Camera.objects.count(), PatrolDraw.objects.count()) == (296, 1)  # loading again adds nothing
    assert sorted(Site.objects.values_list("name", "filing_number", "lng", "lat")) == snapshot

    # The jurisdiction tree: 5 districts, 2 management zones, towns and grids.
    city = Jurisdiction.objects.get(code="350300")
    assert sorted(city.children.values_list("name", flat=True)) == sorted(
        ["城厢区", "涵江区", "荔城区", "秀屿区", "仙游县", "湄洲岛", "北岸"])
    assert Jurisdiction.objects.get(code="350305108").parent.name == "湄洲岛"
    assert Jurisdiction.objects.filter(level="grid").count() > 100

    # Every site lies in the city and in the district of its town.
    for site in Site.objects.select_related("jurisdiction", "district"):
        assert within_bounds(site.lng, site.lat, city.bounds)
        assert site.jurisdiction.district() == site.district

    # Every demo account logs in with the printed password.
    for username in ACCOUNTS:
        assert client.login(username=username, password=DEMO_PASSWORD), username

    # 与公安、国安等5部门分别签署了协作备忘录: five departments, a memorandum each; the police see one shared case.
    from parcelwatch.collaboration import selectors as collab

    police = User.objects.get(username="police_partner")
    assert police.memberships.get().partner_department.name == "莆田市公安局"
    assert collab.memoranda_visible_to(User.objects.get(username="city_officer")).count() == 5
    shared = list(collab.shares_visible_to(police))
    assert len(shared) == 1 and shared[0].case_id is not None
    assert collab.referrals_to_handle(collab.referrals_visible_to(User.objects.get(username="hanjiang_officer")),
                                      User.objects.get(username="hanjiang_officer")).count() == 1

    zto = User.objects.get(username="zto_safety")
    membership = zto.memberships.get()
    assert membership.role == Role.ENTERPRISE_SAFETY and membership.enterprise.brand.code == "zto"
    own_sites = sites_visible_to(zto)
    assert own_sites.exists() and set(own_sites.values_list("district__code", flat=True)) == {"350303"}
    licheng = User.objects.get(username="licheng_officer")
    assert set(sites_visible_to(licheng).values_list("district__code", flat=True)) == {"350304"}


    # The event history matches the article: 2019 had 32 cases and 1,182,500 yuan of fines,
    # over 90% of grid events closed at district level, and the 涵江 case is among them.
    cases_2019 = filter_cases(EnforcementCase.objects.all(), year=2019)
    assert cases_2019.count() == 32
    assert fines_total(cases_2019) == Decimal("1182500")
    closed = Event.objects.filter(reported_at__year=2019, state=Event.State.CLOSED)
    assert closed.filter(closure_level=Event.Level.DISTRICT).count() / closed.count() > 0.9
    hanjiang = EnforcementCase.objects.get(category__code="BA02", fine_amount=Decimal("1500"), filed_at__year=2019)
    assert hanjiang.district.code == "350303" and hanjiang.enterprise == membership.enterprise
    event = hanjiang.events.get()
    assert event.closure_level == Event.Level.CITY and event.closed_at.astimezone(SH).date() == date(2019, 4, 30)
    assert OfficialDocument.objects.filter(subject_id=hanjiang.pk, kind="penalty_decision").exists()
    assert Event.objects.filter(state__in=Event.OPEN_STATES).exists()  # today's to-do lists are not empty
    # The yearly report and the statistics API give the same 2019 figures.
    client.force_login(User.objects.get(username="city_leader"))
    report = client.get("/analytics/report/", {"year": "2019"}).context["total"]
    assert report["cases"] == 32 and report["fines_total"] == Decimal("1182500")
    assert report["district_closure_share"] > 0.9
    from parcelwatch.accounts.services import issue_api_token

    key, _token = issue_api_token(User.objects.get(username="city_leader"))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    # The enforcement ledger: the same 32 cases and 1,182,500 yuan, made of its category and district rows.
    ledger = client.get("/enforcement/cases/", {"year": "2019"}).context["totals"]
    assert (ledger["cases"], ledger["fines"]) == (32, Decimal("1182500"))
    for rows in (ledger["by_category"], ledger["by_district"]):
        assert sum(r["cases"] for r in rows) == 32 and sum(r["fines"] for r in rows) == Decimal("1182500")
    api_ledger = client.get("/api/v1/cases/totals", {"year": "2019"}, **bearer).json()
    assert (api_ledger["cases"], api_ledger["fines_total"]) == (32, "1182500.00")
    hanjiang_ledger = client.get("/api/v1/cases/totals", {"year": "2019", "district": "350303"}, **bearer).json()
    assert [r["code"] for r in hanjiang_ledger["by_district"]] == ["350303"]
    assert hanjiang_ledger["cases"] == next(r["cases"] for r in api_ledger["by_district"] if r["code"] == "350303")
    # The inspections: this year's 涵江 draw is published and re-runs from its seed; the city's campaign waits.
    from parcelwatch.enforcement.models import InspectionPlan
    from parcelwatch.enforcement.services import rerun_plan

    drawn = InspectionPlan.objects.get(state="published")
    assert rerun_plan(drawn)[0] and drawn.inspections.filter(state="done").exists()
    assert InspectionPlan.objects.filter(state="draft", area__code="350300").exists()
    # Rewards: 8,600 yuan paid in 2019, in the ledger on the page and through the API.
    rewards_2019 = client.get("/api/v1/rewards/totals", {"year": "2019"}, **bearer).json()
    assert rewards_2019[0]["total"] == "8600.00" and rewards_2019[0]["count"] == 29
    assert {b["audience"] for b in rewards_2019[0]["by_audience"]} == {"grid", "public", "insider"}
    from parcelwatch.tipoffs.models import TipOff

    assert TipOff.objects.filter(state="received", district__code="350303").count() == 1
    ledger_page = client.get("/rewards/").context["totals"]
    assert next(y for y in ledger_page if y["year"] == 2019)["total"] == Decimal("8600")
    # Emergency management: 中通涵江's plan in force, a drill held and one due, a closed incident.
    from parcelwatch.emergency.models import Drill, EmergencyPlan, Incident

    assert EmergencyPlan.objects.get().state == "accepted"
    assert Drill.objects.filter(state="evaluated").exists() and Drill.objects.filter(state="planned").exists()
    assert Incident.objects.get().updates.count() == 2
    client.force_login(User.objects.get(username="zto_safety"))
    home = client.get("/")
    due = next(f for p in home.context["panels"] for f in p.figures if f.testid == "drills-due")
    assert due.count == 1 == client.get(due.url).context["count"]
    client.force_login(User.objects.get(username="city_leader"))
    summary = client.get("/api/v1/stats/summary", {"year": "2019"}, **bearer).json()
    assert (summary["cases"], summary["fines_total"]) == (32, "1182500.00")
    assert summary["district_closure_share"] > 0.9 and summary["events"] == report["reported"]
    hanjiang_2019 = client.get("/api/v1/stats/summary", {"year": "2019", "district": "350303"}, **bearer).json()
    assert 0 < hanjiang_2019["events"] < summary["events"]
    # This year has a closed history too (the leader's home page and the wall screen have something to say).
    this_year = client.get("/api/v1/stats/summary", **bearer).json()
    assert this_year["closed"] > 0 and this_year["open"] > 0
    checked, broken = verify()
    assert broken is None and checked > 2000
    # Remote video: cameras at every sorting centre and a share of outlets, four of them simulated, X-ray
    # machines, and a video patrol waiting for 涵江's safety centre that re-checks from its seed.
    from parcelwatch.video.models import Camera, PatrolDraw, XrayMachine
    from parcelwatch.video.patrols import recheck

    centres = Site.objects.filter(kind=Site.Kind.SORTING_CENTER)
    assert centres.filter(cameras__isnull=False).distinct().count() == 24
    assert 50 < Site.objects.filter(kind=Site.Kind.OUTLET, cameras__isnull=False).distinct().count() < 553
    assert Camera.objects.filter(simulated=True).count() == 4
    assert XrayMachine.objects.filter(site__in=centres).count() == 48
    draw = PatrolDraw.objects.get()
    assert recheck(draw) and draw.patrols.filter(inspector__username="hanjiang_officer", state="pending").exists()


def test_loaddemo_if_empty_loads_once_and_then_only_what_was_added_later(db, capsys):
    """`make run` calls `loaddemo --if-empty` on every start: the first loads everything (see the test above);
    later ones load nothing, except parts of the demo added since (the remote-video devices and patrol)."""
    from parcelwatch.demo.loader import DemoLoader
    from parcelwatch.video.models import Camera, PatrolDraw

    loader = DemoLoader()
    loader.load_tree()
    loader.load_brands()
    loader.load_enterprises()
    loader.load_sites()
    loader.load_accounts()  # an installation that loaded the demo before the cameras existed
    User.objects.update(enforcement_id="")  # and before officers had enforcement IDs
    call_command("loaddemo", "--if-empty")
    out = capsys.readouterr().out
    assert "cameras" in out and "inspection" in out and "emergency" in out and "memoranda" in out
    assert Camera.objects.count() == 296 and PatrolDraw.objects.count() == 1
    from parcelwatch.emergency.models import EmergencyPlan
    from parcelwatch.enforcement.models import InspectionPlan

    assert InspectionPlan.objects.filter(state="published").exists() and EmergencyPlan.objects.exists()
    call_command("loaddemo", "--if-empty")
    assert "already loaded" in capsys.readouterr().out and Camera.objects.count() == 296


def test_demo_fines_fall_within_every_case_category_range(db):
    """This year's demo cases draw their categories by the day the demo is loaded on: whatever they draw, the fine
    must be one the bureau can set without a justification (a fine outside the range broke loading on some days)."""
    from random import Random
    from types import SimpleNamespace

    from parcelwatch.demo.history import CASE_CATEGORIES, case_fine
    from parcelwatch.enforcement.services import _check_range
    from parcelwatch.events.models import EventCategory

    categories = {c.code: c for c in EventCategory.objects.filter(code__in=CASE_CATEGORIES)}
    assert sorted(categories) == sorted(CASE_CATEGORIES)
    for code, category in categories.items():
        drawn = {case_fine(category, Random(seed)) for seed in range(40)}
        for fine in drawn:
            _check_range(SimpleNamespace(category=category), fine, "")  # raises when outside the range
        assert len(drawn) > 1, code  # the cases vary


def test_a_category_with_no_demo_fine_in_its_range_is_refused(db):
    from random import Random

    from parcelwatch.demo.history import case_fine
    from parcelwatch.events.models import EventCategory

    with pytest.raises(ValueError, match="ZZ99"):
        case_fine(EventCategory(code="ZZ99", fine_min=Decimal(60000), fine_max=Decimal(70000)), Random(1))


def test_the_demo_loads_in_the_first_days_of_a_year(db, client):
    """The demo is loaded on whatever day someone first runs it: its history is drawn from that day. In the first
    working days of a year there is no earlier work this year, and this year's open work began last year."""
    with time_machine.travel("2027-01-04 09:30 +0800", tick=True):
        call_command("loaddemo")
        cases_2019 = filter_cases(EnforcementCase.objects.all(), year=2019)
        assert cases_2019.count() == 32 and fines_total(cases_2019) == Decimal("1182500")
        assert Event.objects.filter(reported_at__date__gte=date(2026, 12, 1)).exclude(state="closed").exists()
        checked, broken = verify()
        assert broken is None and checked > 2000
        client.force_login(User.objects.get(username="hanjiang_officer"))
        assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_the_demo_load_counts_its_own_rows_when_an_outside_analyze_saw_none(cast):
    """The demo loads in one transaction. An autovacuum ANALYZE meanwhile records its tables as empty, and the plans
    kept for its statements then scan whole tables (one early in the load took it from under a minute to more than
    three); the loader's own ANALYZE counts the rows only its transaction sees."""
    from django.db import connection

    from parcelwatch.lib.queries import analyze_own_rows
    from parcelwatch.notifications.models import Notification

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    import psycopg

    Notification.objects.bulk_create([Notification(recipient=cast.city_officer, kind="event_task", params={})
                                      for _ in range(3000)])

    def estimated() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Notification._meta.db_table])
            return cursor.fetchone()[0]

    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
        other.execute(f'ANALYZE "{Notification._meta.db_table}"')
    assert estimated() < 100  # what the planner would go by: the rows are not there for anybody else
    analyze_own_rows()
    assert estimated() >= 2900
