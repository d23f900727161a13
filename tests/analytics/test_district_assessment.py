"""The city's assessment of its districts (市对县综治考评), against the analytics' hand-counted history."""

from decimal import Decimal

import pytest

from parcelwatch.analytics.districts import assessed_districts, district_assessment, score
from parcelwatch.analytics.models import DistrictIndicatorWeight
from parcelwatch.analytics.selectors import reach_of
from tests.conftest import login

from .test_indicators import MARCH

MARCH_PARAMS = {"reported_from": "2026-03-01", "reported_to": "2026-03-31"}


def test_scores_are_the_weighted_indicators_and_districts_are_ranked(cast, history):
    rows, _weights = district_assessment(reach_of(cast.city_officer), MARCH, assessed_districts(reach_of(cast.city_officer)))
    hanjiang, licheng = rows
    # 涵江: acceptance 5/6 ×10, on-time handling 0.5 ×25, closure 0.8 ×20, on-time closure 0.5 ×15,
    # closed at district level 1.0 ×20, rework 0.2 counted as 0.8 ×10: 72.3 of 100.
    assert (hanjiang["code"], hanjiang["score"], hanjiang["rank"]) == ("350303", Decimal("72.3"), 1)
    # 荔城: one accepted event, nothing closed yet: acceptance 1.0 ×10 and closure 0 ×20 over the 30 points
    # that can be judged.
    assert (licheng["code"], licheng["score"], licheng["rank"]) == ("350304", Decimal("33.3"), 2)


def test_the_weights_are_configuration(cast, history):
    DistrictIndicatorWeight.objects.exclude(indicator="district_closure_share").update(weight=0)
    rows, weighted = district_assessment(reach_of(cast.city_officer), MARCH, assessed_districts(reach_of(cast.city_officer)))
    assert [k for k, _w in weighted] == ["district_closure_share"]
    assert rows[0]["score"] == Decimal("100.0") and rows[1]["score"] is None and rows[1]["rank"] is None


def test_a_score_counts_only_the_indicators_with_a_value():
    weighted = [("closure_rate", Decimal(10))]
    assert score({"closure_rate": 0.5}, weighted) == score({"closure_rate": 0.5, "rework_rate": 0.9}, weighted)
    assert score({"rework_rate": 0.25}, [("rework_rate", Decimal(10))]) == Decimal("75.0")
    assert score({}, weighted) is None


def test_equal_scores_share_a_rank_and_unscored_districts_come_last():
    from parcelwatch.analytics.districts import ranked

    rows = ranked([{"code": "4", "score": None}, {"code": "3", "score": Decimal("80.0")},
                   {"code": "2", "score": Decimal("90.5")}, {"code": "1", "score": Decimal("80.0")}])
    assert [(r["code"], r["rank"]) for r in rows] == [("2", 1), ("1", 2), ("3", 2), ("4", None)]


def test_a_district_officer_sees_only_their_district_and_no_rank(cast, history, client):
    login(client, cast.hanjiang_officer)
    page = client.get("/analytics/districts/", MARCH_PARAMS)
    assert [r["code"] for r in page.context["rows"]] == ["350303"] and not page.context["ranked"]
    login(client, cast.zto_safety)
    assert client.get("/analytics/districts/").status_code == 403


def test_the_api_and_the_export_give_the_page_figures(cast, history, client):
    from parcelwatch.accounts.services import issue_api_token

    key, _token = issue_api_token(cast.city_leader)
    data = client.get("/api/v1/stats/district-assessment", MARCH_PARAMS, HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert [(d["code"], d["score"], d["rank"]) for d in data["districts"]] == [("350303", 72.3, 1),
                                                                              ("350304", 33.3, 2)]
    assert sum(w["weight"] for w in data["weights"]) == 100
    from tests.exporting import export_sheet

    login(client, cast.city_leader)
    sheet = export_sheet(client, "district_assessment", **MARCH_PARAMS)
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [r[1] for r in rows] == ["涵江区", "荔城区"] and float(rows[0][2]) == pytest.approx(72.3)
