"""Everything through a bearer token, for every role, with the pages' scoping."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from parcelwatch.enforcement.models import EnforcementCase
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.thumbnails import make_waiting_thumbnails
from parcelwatch.exports.models import ExportJob
from parcelwatch.exports.services import run_export
from parcelwatch.notifications.models import Notification
from parcelwatch.registry.importing import SITE_SHEET
from parcelwatch.registry.models import ChangeRecord, Enterprise, Site
from tests.evidence_files import jpeg
from tests.factories import credit_code
from tests.hardening.conftest import bearer


@pytest.fixture
def escalated(cast, django_capture_on_commit_callbacks):
    photo = store_attachment(jpeg(), name="现场.jpg", actor=cast.hanjiang_grid)
    with django_capture_on_commit_callbacks(execute=True):
        event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, photos=[photo],
                             category=EventCategory.objects.get(code="BA02"), description="备案地址不符")
        perform(event, "accept", actor=cast.hanjiang_officer)
        perform(event, "issue_letter", actor=cast.hanjiang_officer)
        perform(event, "escalate", actor=cast.hanjiang_officer, note="逾期")
        perform(event, "open_case", actor=cast.city_officer, note="立案")
    make_waiting_thumbnails()  # the worker's job, seconds after the upload
    return event


def test_files_download_with_a_token_for_those_who_may_see_them(client, cast, escalated):
    detail = client.get(f"/api/v1/events/{escalated.pk}", **bearer(cast.zto_safety)).json()
    photo = detail["timeline"][0]["attachments"][0]
    assert photo["url"] == f"/api/v1/evidence/{photo['id']}/file"
    for user in (cast.hanjiang_grid, cast.hanjiang_officer, cast.zto_safety, cast.city_officer, cast.city_leader):
        headers = bearer(user)
        response = client.get(photo["url"], **headers)
        assert response.status_code == 200 and response["X-Evidence-SHA256"] == photo["sha256"], user
        assert client.get(photo["thumbnail_url"], **headers)["Content-Type"] == "image/jpeg"
        assert client.get(f"/api/v1/evidence/{photo['id']}", **headers).json()["sha256"] == photo["sha256"]
    for user in (cast.licheng_officer, cast.police_partner):
        assert client.get(photo["url"], **bearer(user)).status_code == 404, user
    # Official documents: listed like the web's page, with number, kind, hash and file.
    documents = client.get("/api/v1/documents", **bearer(cast.zto_safety)).json()
    letter = documents["items"][0]
    assert documents["count"] == 1 and letter["kind"] == "reminder_letter" and letter["number"].startswith("涵江邮安提")
    assert letter["subject_type"] == "event" and letter["subject_number"] == escalated.number
    pdf = client.get(letter["file_url"], **bearer(cast.zto_safety))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert client.get(f"/api/v1/documents/{letter['id']}", **bearer(cast.zto_safety)).json()["sha256"]
    assert client.get(f"/api/v1/documents/{letter['id']}", **bearer(cast.licheng_officer)).status_code == 404
    assert client.get("/api/v1/documents", **bearer(cast.licheng_officer)).json()["count"] == 0


def test_reference_data_and_links_both_ways(client, cast, escalated):
    categories = client.get("/api/v1/categories", **bearer(cast.hanjiang_grid)).json()
    ba02 = next(c for c in categories if c["code"] == "BA02")
    assert ba02["allows_filing_change"] and "submit_rectification" in ba02["evidence_required"]
    assert ba02["fine_max"] == "50000.00" and len(categories) == 23
    assert {"zto", "yto"} <= {b["code"] for b in client.get("/api/v1/brands", **bearer(cast.police_partner)).json()}
    case = EnforcementCase.objects.get()
    event = client.get(f"/api/v1/events/{escalated.pk}", **bearer(cast.city_officer)).json()
    assert event["cases"] == [{"id": case.pk, "number": None, "state": "proposed", "state_label": "已提请立案，待审批"}]
    detail = client.get(f"/api/v1/cases/{case.pk}", **bearer(cast.city_officer)).json()
    assert detail["events"][0]["number"] == escalated.number and detail["next_step"]
    found = client.get(f"/api/v1/cases?q={escalated.number}", **bearer(cast.city_officer)).json()
    assert [c["id"] for c in found["items"]] == [case.pk]


def test_work_queues_notifications_and_the_nearby_lookup(client, cast, escalated):
    leader = bearer(cast.city_leader)
    assert [c["id"] for c in client.get("/api/v1/todo/cases", **leader).json()["items"]] == [
        EnforcementCase.objects.get().pk]
    assert client.get("/api/v1/todo/events", **bearer(cast.city_officer)).json()["count"] == 0
    unread = client.get("/api/v1/notifications?unread=true", **leader).json()
    assert unread["count"] >= 1 and "立案" in unread["items"][0]["text"]
    marked = client.post("/api/v1/notifications/read", {"ids": [unread["items"][0]["id"]]},
                         content_type="application/json", **leader).json()
    assert marked["marked"] == 1
    assert client.post("/api/v1/notifications/read", {}, content_type="application/json", **leader).status_code == 200
    assert not Notification.objects.filter(recipient=cast.city_leader, read_at__isnull=True).exists()
    near = client.get("/api/v1/sites/nearby?lng=119.12&lat=25.46", **bearer(cast.hanjiang_grid)).json()
    assert near[0]["distance_km"] is not None and near[0]["id"] in (cast.hanjiang_outlet.pk,
                                                                  cast.hanjiang_outlet_g2.pk)
    assert client.get("/api/v1/sites/nearby?lng=inf&lat=25", **bearer(cast.hanjiang_grid)).status_code == 422
    due = client.get("/api/v1/calendar/due-date?days=5&start=2019-04-02", **bearer(cast.hanjiang_officer)).json()
    assert due["date"] == "2019-04-10"  # Qingming on 5 April is not counted


def test_event_list_filters_by_dates_year_and_closure_level(client, cast, escalated):
    headers = bearer(cast.city_officer)
    today = timezone.localtime(escalated.reported_at).date().isoformat()
    assert client.get(f"/api/v1/events?reported_from={today}&reported_to={today}", **headers).json()["count"] == 1
    assert client.get("/api/v1/events?reported_to=2019-01-01", **headers).json()["count"] == 0
    assert client.get(f"/api/v1/events?year={timezone.localtime(escalated.reported_at).year}", **headers).json()["count"] == 1
    assert client.get("/api/v1/events?closure_level=city", **headers).json()["count"] == 0


def test_registry_writes_with_the_same_rules_and_versions(client, cast):
    city = bearer(cast.city_officer)
    code = credit_code("350303")
    response = client.post("/api/v1/enterprises", {"name": "莆田市涵江区极兔速递有限公司", "credit_code": code.lower(),
                                                   "district": "350303", "contact_phone": "5942233445"},
                           content_type="application/json", **city)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["credit_code"] == code and created["contact_phone"] == "0594-2233445"
    assert ChangeRecord.objects.filter(object_id=created["id"], action="create").exists()
    # District scope: 涵江 may edit what is registered in 涵江, 荔城 may not even see it.
    hanjiang = bearer(cast.hanjiang_officer)
    response = client.patch(f"/api/v1/enterprises/{created['id']}", {"address": "涵江区新址"},
                            content_type="application/json", **hanjiang)
    assert response.status_code == 200 and response.json()["address"] == "涵江区新址"
    assert client.patch(f"/api/v1/enterprises/{cast.yto_licheng.pk}", {"address": "x"},
                        content_type="application/json", **hanjiang).status_code == 404
    response = client.post("/api/v1/enterprises", {"name": "x", "credit_code": "123", "district": "350303"},
                           content_type="application/json", **hanjiang)
    assert response.status_code == 422 and "credit_code" in response.json()["errors"]
    # Sites and officers.
    response = client.post("/api/v1/sites", {
        "kind": "outlet", "name": "极兔涵东营业部", "enterprise": created["id"], "address": "涵东路9号",
        "jurisdiction": "350303001001", "lng": "119.121", "lat": "25.461", "filing_number": "ＪＴ-００１"},
        content_type="application/json", **hanjiang)
    assert response.status_code == 201, response.content
    site = response.json()
    assert site["filing_number"] == "JT-001"
    assert client.post("/api/v1/sites", {"kind": "outlet", "name": "越界", "enterprise": created["id"],
                                         "address": "x", "jurisdiction": "350304001001"},
                       content_type="application/json", **hanjiang).status_code == 422
    response = client.patch(f"/api/v1/sites/{site['id']}", {"address": "涵东路10号"},
                            content_type="application/json", **hanjiang)
    assert response.json()["address"] == "涵东路10号"
    response = client.post("/api/v1/safety-officers", {
        "enterprise": created["id"], "name": "王安全", "id_number": "35030319900101123x", "phone": "13700000000",
        "site_ids": [site["id"]]}, content_type="application/json", **hanjiang)
    assert response.status_code == 201, response.content
    officer = response.json()
    assert officer["id_number"] == "35030319900101123X" and officer["site_ids"] == [site["id"]]
    response = client.post(f"/api/v1/safety-officers/{officer['id']}/trainings",
                           {"date": "2026-05-10", "topic": "禁寄物品识别", "hours": "3"},
                           content_type="application/json", **hanjiang)
    assert response.status_code == 201
    assert client.post("/api/v1/sites", {}, content_type="application/json",
                       **bearer(cast.hanjiang_grid)).status_code in (403, 422)


def test_imports_through_the_api(client, cast):
    wb = Workbook()
    ws = wb.active
    ws.append(SITE_SHEET.header_labels())
    row = {"网点名称": "中通涵东API营业部", "网点类型": "营业网点", "运营企业统一社会信用代码": cast.zto_hanjiang.credit_code,
           "备案编号": "API-0001", "地址": "涵东路1号", "县区": "涵江", "乡镇街道": "涵东街道"}
    ws.append([row.get(h, "") for h in SITE_SHEET.header_labels()])
    out = io.BytesIO()
    wb.save(out)
    headers = bearer(cast.hanjiang_officer)
    template = client.get("/api/v1/imports/sites/template", **headers)
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")
    response = client.post("/api/v1/imports/sites", {"file": SimpleUploadedFile("网点.xlsx", out.getvalue())},
                           **headers)
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["summary"]["create"] == 1 and batch["rows"][0]["errors"] == []
    assert client.get(f"/api/v1/imports/batches/{batch['id']}", **bearer(cast.city_officer)).status_code == 404
    committed = client.post(f"/api/v1/imports/batches/{batch['id']}/commit", **headers).json()
    assert committed["state"] == "committed" and committed["result"]["created"] == 1
    assert Site.objects.filter(filing_number="API-0001").exists()
    bad = client.post("/api/v1/imports/sites", {"file": SimpleUploadedFile("x.xlsx", b"not a zip")}, **headers)
    assert bad.status_code == 422 and "无法读取" in bad.json()["detail"]


def test_exports_through_the_api(client, cast, escalated):
    headers = bearer(cast.city_officer)
    response = client.post("/api/v1/exports", {"source": "events", "filters": {"state": "under_enforcement"}},
                           content_type="application/json", **headers)
    assert response.status_code == 202
    job = response.json()
    assert job["state"] == "queued" and job["file_url"] is None
    run_export(job["id"])
    done = client.get(f"/api/v1/exports/{job['id']}", **headers).json()
    assert done["state"] == "done" and done["rows_total"] == 1
    assert client.get(done["file_url"], **headers).status_code == 200
    assert client.get(done["file_url"], **bearer(cast.city_leader)).status_code == 404
    assert client.post("/api/v1/exports", {"source": "sites"}, content_type="application/json",
                       **bearer(cast.hanjiang_grid)).status_code == 403
    assert ExportJob.objects.count() == 1


def test_tokens_of_one_s_own(client, cast):
    headers = bearer(cast.zto_safety)
    tokens = client.get("/api/v1/me/tokens", **headers).json()
    assert len(tokens) == 1 and tokens[0]["current"]
    other = bearer(cast.hanjiang_officer)
    other_id = client.get("/api/v1/me/tokens", **other).json()[0]["id"]
    assert client.delete(f"/api/v1/me/tokens/{other_id}", **headers).status_code == 404
    assert client.delete(f"/api/v1/me/tokens/{tokens[0]['id']}", **headers).status_code == 204
    assert client.get("/api/v1/me", **headers).status_code == 401


def test_every_api_answer_is_json_unknown_paths_and_methods_included(client, cast):
    headers = bearer(cast.city_officer)
    for method, path in [("get", "/api/v1/nothing-here"), ("delete", "/api/v1/sites"), ("put", "/api/v1/events"),
                         ("get", "/api/v1/")]:
        response = getattr(client, method)(path, **headers)
        assert response.status_code in (404, 405) and response["Content-Type"].startswith("application/json")
        assert response.json()["detail"], path


def test_money_is_a_two_decimal_string_everywhere(client, cast):
    assert Enterprise.objects.exists()
    schema = client.get("/api/v1/openapi.json").json()
    case = schema["components"]["schemas"]["CaseOut"]["properties"]["fine_amount"]
    assert "string" in str(case) and "two decimals" in str(case).lower() or "\\d{2}" in str(case)
    assert Event.objects.count() == 0
