"""One bad value must never take a shared page down: coordinates, control characters, formulas, lengths, numbers."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from parcelwatch.events.models import Event
from parcelwatch.events.services import TransitionError, perform
from parcelwatch.registry.models import Site
from tests.exporting import export
from tests.hardening.conftest import bearer, photo

SHARED_PAGES = ["events:list", "events:todo", "home", "registry:site_list", "documents:list"]


def _pages_still_work(client, users):
    for user in users:
        client.force_login(user)
        for name in SHARED_PAGES:
            assert client.get(reverse(name)).status_code == 200, (user, name)


@pytest.mark.parametrize("lng", ["1e20", "1" * 40, "inf", "nan", "-Infinity", "121.47"])
def test_api_report_with_absurd_coordinates_is_refused_and_saves_nothing(client, cast, lng):
    response = client.post("/api/v1/events", {
        "site": cast.hanjiang_outlet.pk, "category": "BA02", "description": "坐标异常", "lng": lng, "lat": "25.46",
        "photos": [photo()]}, **bearer(cast.hanjiang_grid))
    assert response.status_code == 422 and response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    assert not Event.objects.exists()
    _pages_still_work(client, [cast.hanjiang_officer, cast.city_officer])


def test_swapped_coordinates_are_named_as_such(client, cast):
    response = client.post("/api/v1/events", {
        "site": cast.hanjiang_outlet.pk, "category": "BA02", "description": "x", "lng": "25.46", "lat": "119.12",
        "photos": [photo()]}, **bearer(cast.hanjiang_grid))
    assert response.status_code == 422 and "填反" in response.json()["detail"]


def test_precise_coordinates_are_rounded_not_refused(client, cast):
    response = client.post("/api/v1/events", {
        "site": cast.hanjiang_outlet.pk, "category": "BA02", "description": "x", "lng": "119.123456789123",
        "lat": "25.460000000001", "photos": [photo()]}, **bearer(cast.hanjiang_grid))
    assert response.status_code == 201
    event = Event.objects.get()
    assert str(event.lng) == "119.123457" and str(event.lat) == "25.460000"


def test_bad_coordinates_already_in_the_database_are_cleaned_by_the_migration(cast):
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("only SQLite ever stored such values (PostgreSQL's numeric column refuses them)")
    Site.objects.filter(pk=cast.hanjiang_outlet.pk).update(lng=None, lat=None)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE registry_site SET lng = 1e20, lat = 25.4 WHERE id = %s", [cast.hanjiang_outlet.pk])
    from types import SimpleNamespace

    migration = importlib.import_module("parcelwatch.events.migrations.0004_seed_filing_change_and_clean_coordinates")
    with connection.cursor() as cursor:
        migration.clean_coordinates(None, SimpleNamespace(execute=cursor.execute))
    site = Site.objects.get(pk=cast.hanjiang_outlet.pk)
    assert site.lng is None and site.lat is None


@pytest.mark.parametrize(("lng", "lat"), [("inf", "25.4"), ("nan", "nan"), ("1e20", "25"), ("abc", "25")])
def test_nearby_lookup_refuses_bad_positions_with_json(client, cast, lng, lat):
    client.force_login(cast.hanjiang_grid)
    response = client.get(reverse("events:report_sites"), {"lng": lng, "lat": lat})
    assert response.status_code == 422 and "detail" in response.json()


def test_nearby_lookup_orders_by_distance(client, cast):
    client.force_login(cast.hanjiang_grid)
    sites = client.get(reverse("events:report_sites"), {"lng": "119.12", "lat": "25.46"}).json()["sites"]
    assert sites and sites[0]["distance_km"] is not None and sites[0]["distance_km"] < 1


def test_control_characters_are_cleaned_on_input(client, cast):
    client.post("/api/v1/events", {
        "site": cast.hanjiang_outlet.pk, "category": "BA02", "description": "地址\x0b不符\x00\x1f\r\n第二行",
        "photos": [photo()]}, **bearer(cast.hanjiang_grid))
    assert Event.objects.get().description == "地址不符\n第二行"
    client.force_login(cast.city_officer)
    response = client.post(reverse("registry:site_edit", args=[cast.hanjiang_outlet.pk]), {
        "kind": "outlet", "name": "中通\x0b涵东营业部", "enterprise": cast.zto_hanjiang.pk,
        "filing_number": cast.hanjiang_outlet.filing_number, "address": "涵华路\x0788号",
        "jurisdiction": cast.handong_g1.pk, "lng": "119.12", "lat": "25.46", "status": "operating", "xray_count": "0"})
    assert response.status_code == 302
    site = Site.objects.get(pk=cast.hanjiang_outlet.pk)
    assert site.name == "中通涵东营业部" and site.address == "涵华路88号"


def test_exports_survive_control_characters_already_stored_and_neutralise_formulas(client, cast, event):
    Event.objects.filter(pk=event.pk).update(description="坏\x0b字符")
    Site.objects.filter(pk=cast.hanjiang_outlet.pk).update(address='=HYPERLINK("http://evil.example","点我")')
    client.force_login(cast.city_officer)
    content = b"".join(export(client, "events").streaming_content)
    ws = load_workbook(io.BytesIO(content)).active
    assert ws.cell(row=2, column=7).value == "坏字符"
    content = b"".join(export(client, "sites", q="中通涵东营业部").streaming_content)
    cell = load_workbook(io.BytesIO(content)).active.cell(row=2, column=9)
    assert cell.value == '=HYPERLINK("http://evil.example","点我")'
    assert cell.data_type == "s" and cell.quotePrefix  # text, and stays text when edited in Excel


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "=HYPERLINK(\"http://x\",\"y\")"])
def test_every_formula_trigger_is_written_as_text(value):
    from parcelwatch.lib.spreadsheets import Column, workbook

    content = workbook("t", (Column("A", "a"),), [{"a": value}])
    cell = load_workbook(io.BytesIO(content)).active.cell(row=2, column=1)
    assert cell.data_type == "s" and cell.value == value and cell.quotePrefix


def test_long_texts_are_refused_everywhere(client, cast, event):
    response = client.post("/api/v1/events", {
        "site": cast.hanjiang_outlet.pk, "category": "BA02", "description": "长" * 2001,
        "photos": [photo()]}, **bearer(cast.hanjiang_grid))
    assert response.status_code == 422
    response = client.post(f"/api/v1/events/{event.pk}/transitions", {"action": "accept", "note": "x" * 2001},
                           content_type="application/json", **bearer(cast.hanjiang_officer))
    assert response.status_code == 422
    with pytest.raises(TransitionError, match="过长"):
        perform(event, "accept", actor=cast.hanjiang_officer, note="x" * 2001)
    # A body over the limit is refused from its length before it is read: 413, as JSON.
    response = client.generic("POST", f"/api/v1/events/{event.pk}/transitions", b"{" + b" " * (3 * 2**20) + b"}",
                              content_type="application/json", **bearer(cast.hanjiang_officer))
    assert response.status_code == 413 and "detail" in response.json()
    event.refresh_from_db()
    assert event.state == Event.State.REPORTED


def test_huge_upload_is_refused_before_it_is_read(client, cast, settings):
    client.force_login(cast.hanjiang_grid)
    response = client.post(reverse("events:report"), data=b"x", content_type="multipart/form-data; boundary=x",
                           CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1))
    assert response.status_code == 413 and "过大" in response.content.decode()
    response = client.post("/api/v1/evidence", data=b"x", content_type="multipart/form-data; boundary=x",
                           CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1), **bearer(cast.hanjiang_grid))
    assert response.status_code == 413 and response.json()["detail"]


@pytest.mark.parametrize("query", ["offset=99999999999999999999", "limit=0", "limit=100000", "enterprise=1e20",
                                   "enterprise=99999999999999999999", "kind=<script>"])
def test_absurd_list_parameters_are_422_json(client, cast, query):
    response = client.get(f"/api/v1/sites?{query}", **bearer(cast.city_officer))
    assert response.status_code == 422 and response.json()["detail"]


@pytest.mark.parametrize("query", ["year=-1", "year=10000", "reported_from=2019-02-30", "site=0"])
def test_absurd_event_filters_are_422_json(client, cast, query):
    response = client.get(f"/api/v1/events?{query}", **bearer(cast.city_officer))
    assert response.status_code == 422


def test_absurd_ids_are_404_not_500(client, cast):
    headers = bearer(cast.city_officer)
    for path in ["/api/v1/sites/99999999999999999999", "/api/v1/events/99999999999999999999",
                 "/api/v1/cases/99999999999999999999", "/api/v1/enterprises/0"]:
        response = client.get(path, **headers)
        assert response.status_code in (404, 422) and response.json()["detail"], path
    client.force_login(cast.city_officer)
    for name in ["registry:site_detail", "events:detail", "enforcement:detail", "evidence:file"]:
        assert client.get(reverse(name, args=[99999999999999999999])).status_code == 404, name


def test_attachment_ids_out_of_range_are_refused(client, cast, event):
    response = client.post(f"/api/v1/events/{event.pk}/transitions",
                           {"action": "accept", "attachment_ids": [99999999999999999999]},
                           content_type="application/json", **bearer(cast.hanjiang_officer))
    assert response.status_code == 422


def test_absurd_numbers_in_the_site_form_are_chinese_form_errors(client, cast):
    client.force_login(cast.city_officer)
    for value in ["Infinity", "1e30", "-1", "100"]:
        response = client.post(reverse("registry:site_edit", args=[cast.hanjiang_outlet.pk]), {
            "kind": "outlet", "name": "中通涵东营业部", "enterprise": cast.zto_hanjiang.pk, "address": "涵华路88号",
            "jurisdiction": cast.handong_g1.pk, "status": "operating", "xray_count": value})
        assert response.status_code == 200, value
        assert "invalid-feedback" in response.content.decode() or "is-invalid" in response.content.decode()
    assert Site.objects.get(pk=cast.hanjiang_outlet.pk).xray_count == 0
