"""Self-inspection through the REST API: the same journeys as the pages, scoped the same way."""

from __future__ import annotations

import pytest
import time_machine

from parcelwatch.accounts.models import Role
from parcelwatch.events.models import Event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.lib.phones import parse_phone
from parcelwatch.registry.models import SafetyOfficer
from parcelwatch.selfcheck import selectors as sel
from tests import factories as f
from tests.api.test_api import bearer
from tests.evidence_files import jpeg

NOV = time_machine.travel("2026-11-20 10:00 +0800", tick=False)
JSON = "application/json"


def _yes() -> dict:
    return {item.code: "yes" for item in sel.active_template().items.all()}


def post(client, user, url, data):
    return client.post(url, data, content_type=JSON, **bearer(user))


@NOV
def test_an_officer_filing_through_the_api_from_submission_to_the_registry(client, cast):
    filed = post(client, cast.zto_safety, "/api/v1/selfcheck/filings", {
        "kind": "new", "name": "郑晓明", "id_number": "３５０３０３１９９００１０１１２３x", "phone": "139 0000 1234",
        "site_ids": [cast.hanjiang_outlet.pk]})
    assert filed.status_code == 201, filed.json()
    filing = filed.json()
    assert (filing["state"], filing["id_number"], filing["decide_by"]) == ("submitted", "35030319900101123X",
                                                                           "2026-11-27")
    assert filing["available_actions"] == ["withdraw"]
    url = f"/api/v1/selfcheck/filings/{filing['id']}"
    # Another district does not see it; the enterprise cannot decide its own filing.
    assert client.get(url, **bearer(cast.licheng_officer)).status_code == 404
    assert post(client, cast.zto_safety, url + "/transitions", {"action": "approve"}).status_code == 403
    returned = post(client, cast.hanjiang_officer, url + "/transitions", {"action": "return", "reason": "身份证号有误", "version": 1})
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    assert post(client, cast.hanjiang_officer, url + "/transitions",
                {"action": "approve", "version": 1}).status_code == 409  # acted on since version 1
    resent = post(client, cast.zto_safety, url + "/resubmission", {
        "name": "郑晓明", "id_number": "35030319900101123X", "phone": "13900001234",
        "site_ids": [cast.hanjiang_outlet.pk, cast.hanjiang_outlet_g2.pk]})
    assert resent.status_code == 200 and len(resent.json()["site_ids"]) == 2
    approved = post(client, cast.hanjiang_officer, url + "/transitions", {"action": "approve"})
    assert approved.json()["state"] == "approved"
    officer = SafetyOfficer.objects.get(id_number="35030319900101123X")
    assert set(officer.sites.all()) == {cast.hanjiang_outlet, cast.hanjiang_outlet_g2}


@NOV
def test_a_filing_refuses_sites_and_officers_of_another_enterprise(client, cast):
    other = post(client, cast.zto_safety, "/api/v1/selfcheck/filings", {
        "kind": "new", "name": "郑晓明", "id_number": "35030319900101123X", "phone": "13900001234",
        "site_ids": [cast.licheng_outlet.pk]})
    assert other.status_code == 422
    change = post(client, cast.zto_safety, "/api/v1/selfcheck/filings", {
        "kind": "departure", "officer": cast.yto_officer.pk})
    assert change.status_code == 422 and "officer" in change.json()["detail"]
    bad_phone = post(client, cast.zto_safety, "/api/v1/selfcheck/filings", {
        "kind": "new", "name": "郑晓明", "id_number": "35030319900101123X", "phone": "12\x0034",
        "site_ids": [cast.hanjiang_outlet.pk]})
    assert bad_phone.status_code == 422
    answer = bad_phone.json()
    assert "\x00" not in answer["detail"] and all("\x00" not in m for m in answer["errors"]["phone"])
    assert "1234" in answer["detail"]  # the number is echoed, cleaned


def test_a_refused_phone_is_echoed_without_control_characters():
    with pytest.raises(Exception) as caught:
        parse_phone("12\x00\x1b34")
    assert "\x00" not in str(caught.value) and "\x1b" not in str(caught.value) and "1234" in str(caught.value)


@NOV
def test_a_duty_report_through_the_api_and_the_months_reporting(client, cast):
    photo = store_attachment(jpeg(), name="台账.jpg", actor=cast.zto_safety)
    template = client.get("/api/v1/selfcheck/report-template", **bearer(cast.zto_safety)).json()
    assert {"code", "text", "rule"} <= set(template["items"][0])
    incomplete = post(client, cast.zto_safety, "/api/v1/selfcheck/reports", {
        "month": "2026-10-01", "answers": {template["items"][0]["code"]: "yes"}, "narrative": "本月巡查30次。"})
    assert incomplete.status_code == 422 and "answers" in incomplete.json()["errors"]
    unknown = post(client, cast.zto_safety, "/api/v1/selfcheck/reports", {
        "month": "2026-10-01", "answers": {**_yes(), "no_such_item": "yes"}, "narrative": "本月巡查30次。"})
    assert unknown.status_code == 422
    sent = post(client, cast.zto_safety, "/api/v1/selfcheck/reports", {
        "month": "2026-10-15", "answers": _yes(), "narrative": "本月巡查30次。", "attachment_ids": [photo.pk]})
    assert sent.status_code == 201, sent.json()
    report = sent.json()
    assert (report["period"], report["late"], report["attachments"][0]["sha256"]) == ("2026-10-01", True,
                                                                                      photo.sha256)
    again = post(client, cast.zto_safety, "/api/v1/selfcheck/reports", {
        "month": "2026-10-01", "answers": _yes(), "narrative": "重复"})
    assert again.status_code == 422
    url = f"/api/v1/selfcheck/reports/{report['id']}"
    assert client.get(url, **bearer(cast.licheng_officer)).status_code == 404
    no_reason = post(client, cast.hanjiang_officer, url + "/transitions", {"action": "return"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["errors"]
    returned = post(client, cast.hanjiang_officer, url + "/transitions", {"action": "return", "reason": "缺少签字"})
    assert returned.json()["state"] == "returned"
    status = client.get("/api/v1/selfcheck/reporting?month=2026-10-01", **bearer(cast.hanjiang_officer)).json()
    assert status["due_date"] == "2026-11-10"
    assert [(r["enterprise_id"], r["status"]) for r in status["rows"]] == [(cast.zto_hanjiang.pk, "returned")]
    assert status["summary"][0]["returned"] == 1 and status["summary"][0]["expected"] == 1
    # The city sees both districts; the late list of 荔城 is its missing reporter.
    city = client.get("/api/v1/selfcheck/reporting?month=2026-10-01&status=missing",
                      **bearer(cast.city_officer)).json()
    assert [r["enterprise_id"] for r in city["rows"]] == [cast.yto_licheng.pk]
    assert client.get("/api/v1/selfcheck/reporting", **bearer(cast.zto_safety)).status_code == 403


@NOV
def test_a_spot_check_through_the_api_becomes_an_event(client, cast):
    from parcelwatch.selfcheck import services

    services.submit_report(cast.zto_hanjiang, actor=cast.zto_safety, period=__import__("datetime").date(2026, 10, 1),
                           answers=_yes(), narrative="本月巡查。")
    outside = post(client, cast.licheng_officer, "/api/v1/selfcheck/spot-check-draws",
                   {"area": cast.hanjiang.code, "month": "2026-10-01", "percent": 100})
    assert outside.status_code == 422
    drawn = post(client, cast.hanjiang_officer, "/api/v1/selfcheck/spot-check-draws",
                 {"area": cast.hanjiang.code, "month": "2026-10-01", "percent": 100, "seed": "api-1"})
    assert drawn.status_code == 201
    draw = drawn.json()
    assert draw["recheck_ok"] and draw["seed"] == "api-1" and len(draw["checks"]) == 1
    check_url = f"/api/v1/selfcheck/spot-checks/{draw['checks'][0]['id']}"
    assert client.get(check_url, **bearer(cast.licheng_officer)).status_code == 404
    photo = store_attachment(jpeg(), name="现场.jpg", actor=cast.hanjiang_officer)
    failed = post(client, cast.hanjiang_officer, check_url + "/result", {
        "method": "on_site", "result": "failed", "findings": "台账与实际不符", "site": cast.hanjiang_outlet.pk,
        "attachment_ids": [photo.pk]})
    assert failed.status_code == 200 and failed.json()["result"] == "failed"
    raised = post(client, cast.hanjiang_officer, check_url + "/events", {"category": "BA02"})
    assert raised.status_code == 201
    event = Event.objects.get(pk=raised.json()["event_id"])
    assert (event.source, event.site) == (Event.Source.SPOT_CHECK, cast.hanjiang_outlet)
    pending = client.get("/api/v1/selfcheck/spot-checks?pending=true", **bearer(cast.hanjiang_officer)).json()
    assert pending["count"] == 0


@NOV
def test_a_circular_through_the_api_from_draft_to_receipt(client, cast):
    draft = client.get(f"/api/v1/selfcheck/circulars/draft?area={cast.hanjiang.code}&kind=late_reports"
                       "&month=2026-10-01", **bearer(cast.hanjiang_officer))
    assert draft.status_code == 200 and draft.json()["enterprise_ids"] == [cast.zto_hanjiang.pk]
    foreign = post(client, cast.hanjiang_officer, "/api/v1/selfcheck/circulars", {
        "area": cast.hanjiang.code, "kind": "late_reports", "title": draft.json()["title"],
        "body": draft.json()["body"], "enterprise_ids": [cast.yto_licheng.pk]})
    assert foreign.status_code == 422
    made = post(client, cast.hanjiang_officer, "/api/v1/selfcheck/circulars", {
        "area": cast.hanjiang.code, "kind": "late_reports", "title": draft.json()["title"],
        "body": draft.json()["body"], "enterprise_ids": draft.json()["enterprise_ids"]})
    assert made.status_code == 201
    url = f"/api/v1/selfcheck/circulars/{made.json()['id']}"
    assert client.get(url, **bearer(cast.zto_safety)).status_code == 404  # not published yet
    post(client, cast.hanjiang_officer, url + "/transitions", {"action": "submit"})
    assert post(client, cast.hanjiang_officer, url + "/transitions", {"action": "approve"}).status_code == 403
    post(client, cast.city_leader, url + "/transitions", {"action": "approve"})
    published = post(client, cast.hanjiang_officer, url + "/transitions", {"action": "publish"}).json()
    assert published["state"] == "published" and published["number"].startswith("莆邮安通〔2026〕")
    pdf = client.get(published["pdf"]["url"], **bearer(cast.zto_safety))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF-")
    unread = client.get("/api/v1/selfcheck/circulars?unread=true", **bearer(cast.zto_safety)).json()
    assert [c["id"] for c in unread["items"]] == [published["id"]] and unread["items"][0]["read"] is False
    assert post(client, cast.hanjiang_officer, url + "/read", {}).status_code == 403
    assert post(client, cast.zto_safety, url + "/read", {}).json() == {"marked": 1}
    seen = client.get(url, **bearer(cast.hanjiang_officer)).json()
    assert seen["recipients"][0]["read_by"] == "zto_safety"
    assert client.get(url, **bearer(cast.licheng_officer)).status_code == 404


def test_the_leader_reads_filings_but_cannot_decide_them(client, cast):
    from parcelwatch.selfcheck import services

    filing = services.submit_filing(cast.zto_hanjiang, actor=cast.zto_safety, kind="new", sites=[cast.hanjiang_outlet],
                                    data={"name": "郑晓明", "id_number": "35030319900101123X", "phone": "13900001234"})
    listed = client.get("/api/v1/selfcheck/filings", **bearer(cast.city_leader)).json()
    assert [item["id"] for item in listed["items"]] == [filing.pk]
    assert listed["items"][0]["available_actions"] == []
    url = f"/api/v1/selfcheck/filings/{filing.pk}/transitions"
    assert post(client, cast.city_leader, url, {"action": "approve"}).status_code == 403
    partner = f.user("partner2", (Role.PARTNER, cast.city))
    assert client.get("/api/v1/selfcheck/filings", **bearer(partner)).status_code == 403
