"""The data-analysis pages, their exports and who may see them."""

import io

import pytest
from pypdf import PdfReader

from tests.exporting import export, export_sheet

MARCH = {"reported_from": "2026-03-01", "reported_to": "2026-03-31"}
PAGES = ["/analytics/", "/analytics/performance/", "/analytics/report/", "/analytics/map/",
         "/analytics/map/data.json", "/analytics/wall/", "/analytics/wall/data.json"]


@pytest.mark.parametrize("url", PAGES)
def test_only_regulators_see_the_statistics(cast, client, url):
    for user in (cast.hanjiang_grid, cast.zto_safety, cast.police_partner, cast.sysadmin):
        client.force_login(user)
        assert client.get(url).status_code == 403, user
    client.logout()
    assert client.get(url).status_code == 302
    for user in (cast.city_leader, cast.city_officer, cast.hanjiang_officer):
        client.force_login(user)
        assert client.get(url).status_code == 200, user


def test_performance_tables_sort_by_any_indicator(cast, history, client):
    client.force_login(cast.city_leader)
    rows = client.get("/analytics/performance/", {**MARCH, "by": "district", "sort": "reported", "dir": "asc"}
                      ).context["rows"]
    assert [r["label"] for r in rows] == ["荔城区", "涵江区"]
    rows = client.get("/analytics/performance/", {**MARCH, "by": "district", "sort": "rework_rate"}).context["rows"]
    # 荔城 has no fix submitted: no rework rate, listed last whatever the direction.
    assert rows[0]["label"] == "涵江区" and rows[-1]["rework_rate"] is None
    reporters = client.get("/analytics/performance/", {**MARCH, "by": "reporter"}).context["rows"]
    assert {r["label"]: r["reported"] for r in reporters} == {"hanjiang_grid": 7, "licheng_officer": 1}
    junk = client.get("/analytics/performance/", {"by": "<x>", "sort": "'; drop", "dir": "up", "enterprise": "1e20",
                                                 "reported_from": "2026-99-01"})
    assert junk.status_code == 200


def test_a_district_officer_sees_only_their_district_everywhere(cast, history, client):
    client.force_login(cast.licheng_officer)
    page = client.get("/analytics/", MARCH)
    assert page.context["total"]["reported"] == 1
    assert [r["label"] for r in page.context["by_district"]] == ["荔城区"]
    points = client.get("/analytics/map/data.json", {**MARCH, "state": ""}).json()
    assert points["count"] == 1
    wall = client.get("/analytics/wall/data.json").json()
    assert [d["name"] for d in wall["districts"]] == ["荔城区"]
    assert all("涵江" not in t["text"] for t in wall["ticker"])
    # Asking for 涵江 explicitly shows nothing of it.
    assert client.get("/analytics/", {**MARCH, "district": "350303"}).context["total"]["reported"] == 0
    # (the wall screen ignores a district it may not show, and shows the officer's own)
    assert client.get("/analytics/wall/data.json", {"district": "350303"}).json()["districts"] == [
        {"name": "荔城区", "code": "350304", "point": None, "reported": 1, "open": 1}]


def test_statistics_tables_export_with_chinese_headers_and_formats(cast, history, client):
    client.force_login(cast.city_leader)
    sheet = export_sheet(client, "stats_district", **MARCH)
    headers = [c.value for c in sheet[1]]
    assert headers[:5] == ["县区", "上报数", "受理数", "办结数", "未办结"]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert rows["涵江区"][1].value == 7
    rate = rows["涵江区"][headers.index("受理率")]
    assert rate.value == pytest.approx(5 / 6) and rate.number_format == "0.0%"
    months = export_sheet(client, "stats_month", **MARCH)
    assert [c.value for c in next(months.iter_rows(min_row=2, max_row=2))][:2] == ["2026-03", 8]


def test_the_yearly_report_is_a_pdf_made_in_the_worker(cast, history, client):
    client.force_login(cast.city_leader)
    page = client.get("/analytics/report/", {"year": "2026"})
    assert page.context["total"]["reported"] == 8
    response = export(client, "yearly_report", year="2026")
    assert response["Content-Type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "2026" in text and "年度报告" in text and "涵江区" in text


def test_the_event_list_says_how_a_figure_narrowed_it(cast, history, client):
    client.force_login(cast.hanjiang_officer)
    page = client.get("/events/", {**MARCH, "flag": "reworked"})
    assert page.context["page"].paginator.count == 1
    assert "返工" in page.content.decode()
    assert client.get("/events/", {"flag": "nonsense"}).context["page"].paginator.count == 0
