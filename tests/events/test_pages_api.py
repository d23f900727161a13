"""Event and case pages and API with the cast; concurrency."""

import re
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from parcelwatch.accounts.services import issue_api_token
from parcelwatch.enforcement.models import EnforcementCase
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import TransitionError, perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from tests import factories as f
from tests.evidence_files import PDF, jpeg


def bearer(user):
    key, _ = issue_api_token(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


@pytest.fixture
def event(cast):
    return report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet,
                        category=EventCategory.objects.get(code="BA02"), description="备案地址不符",
                        photos=[store_attachment(jpeg(), name="a.jpg", actor=cast.hanjiang_grid)])


def test_event_detail_cast(client, cast, event):
    url = reverse("events:detail", args=[event.pk])
    for user, status in [(cast.hanjiang_officer, 200), (cast.hanjiang_grid, 200), (cast.zto_safety, 200),
                         (cast.city_officer, 200), (cast.licheng_officer, 404), (cast.police_partner, 404),
                         (cast.sysadmin, 404)]:
        client.force_login(user)
        assert client.get(url).status_code == status, user
    client.logout()
    assert client.get(url).status_code == 302


def test_buttons_are_exactly_the_allowed_actions(client, cast, event):
    url = reverse("events:detail", args=[event.pk])
    client.force_login(cast.hanjiang_officer)
    body = client.get(url).content.decode()
    assert 'data-testid="action-accept"' in body and 'data-testid="action-reject"' in body
    assert 'data-testid="action-confirm"' not in body
    client.force_login(cast.hanjiang_grid)
    assert 'data-testid="action-' not in client.get(url).content.decode()


def test_acting_through_the_page(client, cast, event):
    client.force_login(cast.hanjiang_officer)
    url = reverse("events:act", args=[event.pk])
    response = client.post(url, {"action": "accept", "version": event.version, "note": "属实"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.state == Event.State.ACCEPTED
    # The same form submitted again (a second officer, an old page) gets a clear message, nothing changes.
    response = client.post(url, {"action": "accept", "version": 1}, follow=True)
    assert "已被他人处理" in response.content.decode()
    # Missing evidence is refused with a message.
    response = client.post(url, {"action": "resolve_on_spot", "version": event.version}, follow=True)
    assert "佐证材料" in response.content.decode()
    # A PDF counts as evidence; a text file does not.
    response = client.post(url, {"action": "resolve_on_spot", "version": event.version,
                                 "attachments": [SimpleUploadedFile("x.txt", b"hello")]}, follow=True)
    assert "不是照片、PDF 或视频" in response.content.decode()
    response = client.post(url, {"action": "resolve_on_spot", "version": event.version,
                                 "attachments": [SimpleUploadedFile("现场.pdf", PDF)]})
    event.refresh_from_db()
    assert event.state == Event.State.AWAITING_CONFIRMATION


def test_acting_without_the_role_is_forbidden(client, cast, event):
    client.force_login(cast.hanjiang_grid)
    response = client.post(reverse("events:act", args=[event.pk]), {"action": "accept", "version": event.version})
    assert response.status_code == 403
    client.force_login(cast.licheng_officer)
    response = client.post(reverse("events:act", args=[event.pk]), {"action": "accept"})
    assert response.status_code == 404


@pytest.mark.parametrize("name", ["events:list", "events:todo"])
def test_event_lists_cast(client, cast, event, name):
    client.force_login(cast.hanjiang_officer)
    assert event.number in client.get(reverse(name)).content.decode()
    client.force_login(cast.licheng_officer)
    assert event.number not in client.get(reverse(name)).content.decode()
    client.force_login(cast.nobody)
    assert client.get(reverse(name)).status_code == 403


def test_report_page_and_nearest_sites(client, cast):
    client.force_login(cast.hanjiang_grid)
    assert client.get(reverse("events:report")).status_code == 200
    data = client.get(reverse("events:report_sites"), {"lng": "119.12", "lat": "25.46"}).json()
    assert [s["name"] for s in data["sites"]] == ["中通涵东营业部"]  # only the sites in the worker's grid
    response = client.post(reverse("events:report"), {
        "site": cast.hanjiang_outlet.pk, "category": EventCategory.objects.get(code="AJ01").pk,
        "description": "未过机安检", "photos": [SimpleUploadedFile("p.jpg", jpeg())], "lng": "119.12", "lat": "25.46"})
    assert response.status_code == 302
    assert Event.objects.get().reported_by == cast.hanjiang_grid
    response = client.post(reverse("events:report"), {
        "site": cast.licheng_outlet.pk, "category": EventCategory.objects.get(code="AJ01").pk,
        "description": "x", "photos": [SimpleUploadedFile("p.jpg", jpeg((1, 1, 1)))]})
    # A site outside the grid is "no site chosen": the form comes back with what was typed and the photo.
    assert response.status_code == 200 and Event.objects.count() == 1
    body = response.content.decode()
    assert "请选择您网格内的网点" in body and 'data-testid="kept-photos"' in body
    client.force_login(cast.zto_safety)
    assert client.get(reverse("events:report")).status_code == 403


def test_evidence_files_follow_event_visibility(client, cast, event):
    from parcelwatch.evidence.models import TimelineEntry

    attachment = TimelineEntry.objects.get(subject_type="event", subject_id=event.pk, seq=1).attachments.get()
    url = reverse("evidence:file", args=[attachment.pk])
    client.force_login(cast.hanjiang_officer)
    response = client.get(url)
    assert response.status_code == 200 and response["X-Evidence-SHA256"] == attachment.sha256
    from parcelwatch.evidence.thumbnails import make_waiting_thumbnails

    make_waiting_thumbnails()
    assert client.get(reverse("evidence:thumb", args=[attachment.pk])).status_code == 200
    client.force_login(cast.licheng_officer)
    assert client.get(url).status_code == 404


def test_notifications_bell(client, cast, event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        perform(event, "accept", actor=cast.hanjiang_officer)
        perform(event, "issue_letter", actor=cast.hanjiang_officer)
    client.force_login(cast.zto_safety)
    body = client.get(reverse("home")).content.decode()
    assert 'data-testid="unread-count"' in body
    page = client.get(reverse("notifications:list")).content.decode()
    assert "提醒函" in page
    client.post(reverse("notifications:read_all"))
    assert 'data-testid="unread-count"' not in client.get(reverse("home")).content.decode()


# --- API ------------------------------------------------------------------------------------------------------


def test_api_report_list_detail_and_transition(client, cast):
    response = client.post("/api/v1/events", {
        "site": cast.hanjiang_outlet.pk, "category": "BA02", "description": "备案地址不符",
        "photos": [SimpleUploadedFile("p.jpg", jpeg())]}, **bearer(cast.hanjiang_grid))
    assert response.status_code == 201, response.content
    event_id = response.json()["id"]
    assert response.json()["timeline"][0]["action"] == "report"

    data = client.get("/api/v1/events?state=reported&district=350303", **bearer(cast.hanjiang_officer)).json()
    assert data["count"] == 1
    assert client.get("/api/v1/events", **bearer(cast.licheng_officer)).json()["count"] == 0
    assert client.get(f"/api/v1/events/{event_id}", **bearer(cast.licheng_officer)).status_code == 404

    detail = client.get(f"/api/v1/events/{event_id}", **bearer(cast.hanjiang_officer)).json()
    assert set(detail["available_actions"]) == {"accept", "reject", "merge"}
    response = client.post(f"/api/v1/events/{event_id}/transitions", {"action": "accept", "version": detail["version"]},
                           content_type="application/json", **bearer(cast.hanjiang_officer))
    assert response.status_code == 200 and response.json()["state"] == "accepted"
    response = client.post(f"/api/v1/events/{event_id}/transitions", {"action": "accept", "version": 1},
                           content_type="application/json", **bearer(cast.hanjiang_officer))
    assert response.status_code == 409 and "detail" in response.json()
    response = client.post(f"/api/v1/events/{event_id}/transitions", {"action": "issue_letter"},
                           content_type="application/json", **bearer(cast.hanjiang_grid))
    assert response.status_code == 403

    # Evidence upload, then a transition that needs it.
    headers = bearer(cast.hanjiang_officer)
    upload = client.post("/api/v1/evidence", {"file": SimpleUploadedFile("x.jpg", jpeg((3, 4, 5)))}, **headers)
    assert upload.status_code == 201
    response = client.post(f"/api/v1/events/{event_id}/transitions",
                           {"action": "resolve_on_spot", "attachment_ids": [upload.json()["id"]]},
                           content_type="application/json", **headers)
    assert response.status_code == 200 and response.json()["state"] == "awaiting_confirmation"
    bad = client.post("/api/v1/evidence", {"file": SimpleUploadedFile("x.exe", b"MZ\x90\x00")}, **headers)
    assert bad.status_code == 422


def test_api_overdue_filter(client, cast, event):
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    Event.objects.filter(pk=event.pk).update(deadline="2020-01-01")
    assert client.get("/api/v1/events?overdue=true", **bearer(cast.city_officer)).json()["count"] == 1
    assert client.get("/api/v1/events?overdue=false", **bearer(cast.city_officer)).json()["count"] == 0
    assert client.get("/api/v1/events?state=bogus", **bearer(cast.city_officer)).status_code == 422


def test_api_cases_count_and_fines_total(client, cast, event):
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    perform(event, "escalate", actor=cast.hanjiang_officer, note="拒不整改")
    perform(event, "open_case", actor=cast.city_officer, note="立案")
    case = EnforcementCase.objects.get()
    for action, user, extra in [("approve_filing", cast.city_leader, {}),
                                ("start_investigation", cast.city_officer, {}),
                                ("notify_penalty", cast.city_officer, {"findings": "属实", "fine": "1500"}),
                                ("decide", cast.city_leader, {"hearing_waived": True})]:
        response = client.post(f"/api/v1/cases/{case.pk}/transitions", {"action": action, **extra},
                               content_type="application/json", **bearer(user))
        assert response.status_code == 200, (action, response.content)
    year = timezone.localtime(case.proposed_at).year
    data = client.get(f"/api/v1/cases?year={year}&district=350303", **bearer(cast.city_officer)).json()
    assert data["count"] == 1 and float(data["fines_total"]) == 1500.0
    assert client.get("/api/v1/cases?district=350304", **bearer(cast.city_officer)).json()["count"] == 0
    assert client.get("/api/v1/cases", **bearer(cast.licheng_officer)).json()["count"] == 0
    assert client.get("/api/v1/cases", **bearer(cast.hanjiang_grid)).status_code == 403
    response = client.post(f"/api/v1/cases/{case.pk}/transitions", {"action": "serve"},
                           content_type="application/json", **bearer(cast.city_leader))
    assert response.status_code == 403


# --- two officers at once --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_officers_acting_at_once_exactly_one_wins(cast, event):
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt(user, action, note):
        try:
            barrier.wait(timeout=10)
            perform(event, action, actor=user, note=note, expected_version=event.version)
            outcomes.append(("ok", action))
        except TransitionError as exc:
            outcomes.append(("refused", exc.message))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(cast.hanjiang_officer, "accept", "属实")),
               threading.Thread(target=attempt, args=(cast.city_officer.__class__.objects.get(
                   username="hanjiang_officer"), "reject", "不属实"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(o[0] for o in outcomes) == ["ok", "refused"]
    refused = next(o[1] for o in outcomes if o[0] == "refused")
    assert "他人" in refused
    event.refresh_from_db()
    assert event.version == 2
    from parcelwatch.evidence.timeline import entries_for

    assert entries_for(event).count() == 2  # the report and exactly one decision


def test_case_pages_cast(client, cast, event):
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    perform(event, "escalate", actor=cast.hanjiang_officer, note="拒不整改")
    perform(event, "open_case", actor=cast.city_officer, note="立案")
    case = EnforcementCase.objects.get()
    url = reverse("enforcement:detail", args=[case.pk])
    for user, status in [(cast.city_officer, 200), (cast.city_leader, 200), (cast.hanjiang_officer, 200),
                         (cast.zto_safety, 200), (cast.licheng_officer, 404), (cast.hanjiang_grid, 404),
                         (cast.police_partner, 404)]:
        client.force_login(user)
        assert client.get(url).status_code == status, user
    client.force_login(cast.city_leader)
    assert 'data-testid="action-approve_filing"' in client.get(url).content.decode()
    client.force_login(cast.city_officer)
    assert 'data-testid="action-approve_filing"' not in client.get(url).content.decode()
    response = client.post(reverse("enforcement:act", args=[case.pk]), {"action": "approve_filing"})
    assert response.status_code == 403  # visible, but filing is the leader's decision
    client.force_login(cast.hanjiang_officer)
    assert client.post(reverse("enforcement:act", args=[case.pk]), {"action": "approve_filing"}).status_code == 403
    client.force_login(cast.licheng_officer)
    assert client.post(reverse("enforcement:act", args=[case.pk]), {"action": "approve_filing"}).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(cast.city_leader)
    response = client.post(reverse("enforcement:act", args=[case.pk]), {"action": "approve_filing", "note": "同意"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == EnforcementCase.State.FILED and case.number
    listing = client.get(reverse("enforcement:list"), {"year": timezone.localtime(case.filed_at).year}).content.decode()
    assert case.number in listing


def test_enterprise_sees_the_letters_addressed_to_it(client, cast, event):
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    for user, sees in [(cast.zto_safety, True), (cast.hanjiang_officer, True), (cast.licheng_officer, False)]:
        client.force_login(user)
        body = client.get(reverse("documents:list"), {"kind": "reminder_letter"}).content.decode()
        assert ("涵江邮安提" in body) is sees, user


def test_event_and_case_lists_export_to_excel(client, cast, event):
    from tests.exporting import export_sheet

    client.force_login(cast.hanjiang_officer)
    ws = export_sheet(client, "events", state="reported")
    assert ws.cell(row=1, column=1).value == "事件编号" and ws.cell(row=2, column=1).value == event.number
    client.force_login(cast.licheng_officer)
    assert export_sheet(client, "events").max_row == 1  # nothing outside the jurisdiction
    client.force_login(cast.city_officer)
    assert export_sheet(client, "cases").cell(row=1, column=1).value == "案件编号"


def test_merge_offers_open_duplicates_of_the_same_site_and_category(client, cast, event):
    second = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, category=event.category,
                          description="同一问题再次上报",
                          photos=[store_attachment(jpeg((1, 9, 1)), name="b.jpg", actor=cast.hanjiang_grid)])
    client.force_login(cast.hanjiang_officer)
    body = client.get(reverse("events:detail", args=[second.pk])).content.decode()
    assert f'<option value="{event.number}">' in body
    client.post(reverse("events:act", args=[second.pk]), {"action": "merge", "duplicate_of": event.number})
    second.refresh_from_db()
    assert second.state == Event.State.MERGED and second.duplicate_of == event


def test_own_uploads_are_visible_before_they_are_used(client, cast):
    attachment = store_attachment(jpeg((7, 1, 7)), name="mine.jpg", actor=cast.zto_safety)
    client.force_login(cast.zto_safety)
    assert client.get(reverse("evidence:file", args=[attachment.pk])).status_code == 200
    client.force_login(cast.hanjiang_officer)
    assert client.get(reverse("evidence:file", args=[attachment.pk])).status_code == 404


def test_api_transitions_only_take_the_actor_s_own_uploads(client, cast, event):
    foreign = store_attachment(jpeg((2, 200, 2)), name="theirs.jpg", actor=cast.zto_safety)
    perform(event, "accept", actor=cast.hanjiang_officer)
    response = client.post(f"/api/v1/events/{event.pk}/transitions",
                           {"action": "resolve_on_spot", "attachment_ids": [foreign.pk]},
                           content_type="application/json", **bearer(cast.hanjiang_officer))
    assert response.status_code == 422
    event.refresh_from_db()
    assert event.state == Event.State.ACCEPTED


def test_the_answer_to_a_report_is_the_event_as_its_detail_shows_it(client, cast):
    """The report's answer is built from what was just saved, without reading it back: it must equal the detail."""
    response = client.post("/api/v1/events", {
        "site": cast.hanjiang_outlet.pk, "category": "BA02", "description": "  备案地址不符  ", "lng": "119.1",
        "lat": "25.45", "photos": [SimpleUploadedFile("p.jpg", jpeg()), SimpleUploadedFile("q.jpg", jpeg((9, 8, 7)))]},
        **bearer(cast.hanjiang_grid))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created == client.get(f"/api/v1/events/{created['id']}", **bearer(cast.hanjiang_grid)).json()
    assert created["number"].startswith(f"SJ{timezone.localdate().year}")
    assert created["cases"] == [] and len(created["timeline"][0]["attachments"]) == 2


@pytest.mark.django_db(transaction=True)
def test_an_api_report_commits_once_with_its_notification_and_no_savepoint(client, cast):
    """The photos, the event, its rollups and the district's notification are one transaction: one commit and no
    savepoint (each costs every report a round trip). A report refused after its photos were stored leaves nothing."""
    from django.test.utils import CaptureQueriesContext

    from parcelwatch.evidence.models import Attachment
    from parcelwatch.notifications.models import Notification

    headers = bearer(cast.hanjiang_grid)

    def report(photo):
        return client.post("/api/v1/events", {"site": cast.hanjiang_outlet.pk, "category": "BA02",
                                              "description": "备案地址不符", "photos": [photo]}, **headers)

    assert report(SimpleUploadedFile("o.jpg", jpeg((1, 2, 3)))).status_code == 201  # the year's first makes its counter
    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as captured:
        response = report(SimpleUploadedFile("p.jpg", jpeg()))
    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in captured.captured_queries]
    assert not [s for s in sql if "SAVEPOINT" in s.upper()]
    assert sql.count("COMMIT") == 1
    notified = [i for i, s in enumerate(sql) if s.startswith("INSERT") and Notification._meta.db_table in s]
    assert len(notified) == 1 and notified[0] < sql.index("COMMIT")
    assert Notification.objects.get(recipient=cast.hanjiang_officer).url == f"/events/{response.json()['id']}/"

    kept = (Attachment.objects.count(), Event.objects.count(), Notification.objects.count())
    response = client.post("/api/v1/events", {"site": cast.licheng_outlet.pk, "category": "BA02", "description": "x",
                                              "photos": [SimpleUploadedFile("q.jpg", jpeg((9, 8, 7)))]}, **headers)
    assert response.status_code == 404
    assert (Attachment.objects.count(), Event.objects.count(), Notification.objects.count()) == kept


@pytest.mark.django_db(transaction=True)
def test_an_api_report_whose_photo_cannot_reach_the_disk_is_not_committed(client, cast, monkeypatch, settings):
    import errno
    import os
    from pathlib import Path

    from parcelwatch.evidence.models import Attachment

    headers, real_fsync = bearer(cast.hanjiang_grid), os.fsync

    def report():
        return client.post("/api/v1/events", {"site": cast.hanjiang_outlet.pk, "category": "BA02", "description": "x",
                                              "photos": [SimpleUploadedFile("p.jpg", jpeg((4, 5, 6)))]}, **headers)

    def failing_disk(fd):
        raise OSError(errno.EIO, "the disk failed")

    monkeypatch.setattr(os, "fsync", failing_disk)
    client.raise_request_exception = False
    assert report().status_code == 500
    assert not Event.objects.exists() and not Attachment.objects.exists()
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []  # nor a half-stored file
    monkeypatch.setattr(os, "fsync", real_fsync)
    response = report()  # the same photo, once the disk works
    assert response.status_code == 201
    assert Attachment.objects.get().file.read() == jpeg((4, 5, 6))


def test_reporting_at_a_site_one_cannot_see_is_404_and_one_cannot_report_on_is_403(client, cast):
    from parcelwatch.accounts.models import Membership, Role

    def report(user):
        return client.post("/api/v1/events", {"site": cast.licheng_outlet.pk, "category": "BA02", "description": "x",
                                               "photos": [SimpleUploadedFile("p.jpg", jpeg())]}, **bearer(user))

    response = report(cast.hanjiang_grid)
    assert response.status_code == 404 and response.json()["detail"] == "未找到该网点。"
    # Also a city leader: sees 荔城's site, but reports only in 涵江.
    Membership.objects.create(user=cast.hanjiang_grid, jurisdiction=cast.city, role=Role.CITY_LEADER)
    response = report(cast.hanjiang_grid)
    assert response.status_code == 403 and "detail" in response.json()
    assert not Event.objects.exists()


def test_event_numbers_are_gapless_when_a_report_rolls_back(cast):
    from django.db import transaction

    category = EventCategory.objects.get(code="BA02")

    def reported():
        return report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, category=category, description="x",
                            photos=[store_attachment(jpeg(), name="a.jpg", actor=cast.hanjiang_grid)])

    first = reported()
    with pytest.raises(RuntimeError), transaction.atomic():
        reported()
        raise RuntimeError("the request failed after the report")
    second = reported()
    year = timezone.localdate().year
    assert (first.number, second.number) == (f"SJ{year}00001", f"SJ{year}00002")
    assert Event.objects.get(pk=second.pk).number == second.number


def test_a_report_writes_its_event_row_once_numbered_by_the_administrators_template(cast):
    """The row is inserted with its number (no placeholder rewritten afterwards), under the template of the day."""
    from django.test.utils import CaptureQueriesContext

    from parcelwatch.analytics.models import EventFact
    from parcelwatch.documents.models import NumberTemplate
    from parcelwatch.evidence.models import TimelineEntry

    category = EventCategory.objects.get(code="BA02")
    year = timezone.localdate().year

    def reported():
        return report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, category=category, description="x",
                            photos=[store_attachment(jpeg(), name="a.jpg", actor=cast.hanjiang_grid)])

    NumberTemplate.objects.update_or_create(kind="event", defaults={"template": "莆邮事〔{year}〕{seq}号"})
    with CaptureQueriesContext(connection) as queries:
        event = reported()
    writes = [m[1] for q in queries.captured_queries
              if (m := re.match(r'(INSERT|UPDATE|DELETE)\s+(?:INTO\s+|FROM\s+)?"(\w+)"', q["sql"]))
              and m[2] == Event._meta.db_table]
    assert writes == ["INSERT"]
    if connection.vendor == "postgresql":  # the row goes in last, numbered, after its facts (deferred key)
        tables = [re.match(r'INSERT INTO "(\w+)"', q["sql"]) for q in queries.captured_queries]
        inserted = [m[1] for m in tables if m]
        assert inserted.index(Event._meta.db_table) > inserted.index(EventFact._meta.db_table)
    assert event.number == f"莆邮事〔{year}〕1号" == Event.objects.get(pk=event.pk).number
    assert TimelineEntry.objects.get(subject_type="event", subject_id=event.pk).pk == event.report_entry.pk
    assert EventFact.objects.get(event=event).site_id == cast.hanjiang_outlet.pk
    # A template that became unusable: the default, never a failed report.
    NumberTemplate.objects.filter(kind="event").update(template="SJ{year}{seq:05d}{oops}")
    assert reported().number == f"SJ{year}00002"
    NumberTemplate.objects.filter(kind="event").delete()
    assert reported().number == f"SJ{year}00003"


def test_the_people_told_are_those_whose_area_holds_the_place(cast):
    from parcelwatch.accounts.models import Membership, Role
    from parcelwatch.notifications.services import users_with_role_covering

    # A second membership covering the same place does not tell the same person twice.
    Membership.objects.create(user=cast.hanjiang_officer, jurisdiction=cast.city, role=Role.DISTRICT_OFFICER)
    path = cast.hanjiang_outlet.jurisdiction.path
    assert users_with_role_covering(Role.DISTRICT_OFFICER, path) == [cast.hanjiang_officer]
    licheng = users_with_role_covering(Role.DISTRICT_OFFICER, cast.licheng.path)
    assert sorted(u.pk for u in licheng) == sorted([cast.licheng_officer.pk, cast.hanjiang_officer.pk])
    assert users_with_role_covering(Role.CITY_OFFICER, path) == [cast.city_officer]
    assert users_with_role_covering(Role.CITY_OFFICER, cast.city.path) == [cast.city_officer]
    assert users_with_role_covering(Role.GRID_WORKER, cast.licheng.path) == []


def test_notifying_a_role_covering_a_place_in_one_statement_tells_the_same_people(cast):
    from parcelwatch.accounts.models import Membership, Role
    from parcelwatch.notifications.models import Notification
    from parcelwatch.notifications.services import muted, notify_role_covering, users_with_role_covering

    Membership.objects.create(user=cast.hanjiang_officer, jurisdiction=cast.city, role=Role.DISTRICT_OFFICER)
    gone = f.user("left_the_bureau", (Role.DISTRICT_OFFICER, cast.hanjiang))
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    for role, path, exclude in ((Role.DISTRICT_OFFICER, cast.hanjiang_outlet.jurisdiction.path, None),
                                (Role.DISTRICT_OFFICER, cast.licheng.path, cast.licheng_officer),
                                (Role.CITY_OFFICER, cast.city.path, None),
                                (Role.GRID_WORKER, cast.licheng.path, None)):
        Notification.objects.all().delete()
        sent = notify_role_covering(role, path, kind="event_task", url="/events/1/", exclude=exclude,
                                    number="SJ1", site="中通涵东营业部", action="上报")
        expected = [u.pk for u in users_with_role_covering(role, path) if u != exclude]
        assert sent == len(expected)
        assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted(expected)
        for n in Notification.objects.all():
            assert (n.kind, n.url, n.dedupe_key, n.read_at) == ("event_task", "/events/1/", "", None)
            assert n.params == {"number": "SJ1", "site": "中通涵东营业部", "action": "上报"}
            assert abs((timezone.now() - n.created_at).total_seconds()) < 60
    assert gone.pk not in Notification.objects.values_list("recipient_id", flat=True)
    Notification.objects.all().delete()
    with muted():
        assert notify_role_covering(Role.CITY_OFFICER, cast.city.path, kind="event_task") == 0
    assert not Notification.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_reports_at_once_get_consecutive_numbers_even_when_one_rolls_back(cast):
    """The counter is taken last and held to commit: one that rolls back gives its number to the next in line."""
    import time

    from django.db import transaction

    category = EventCategory.objects.get(code="BA02")
    barrier = threading.Barrier(4)
    numbers, failures = [], []

    def attempt(n):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                # Two sites, so that the reports wait for each other at the counter, not at the site.
                photo = store_attachment(jpeg((n, 1, 2)), name="a.jpg", actor=cast.hanjiang_officer)
                event = report_event(actor=cast.hanjiang_officer, category=category, description=f"同时上报 {n}",
                                     site=[cast.hanjiang_outlet, cast.hanjiang_outlet_g2][n % 2], photos=[photo])
                if n == 0:
                    time.sleep(0.3)  # holding its number while the others wait for the counter
                    raise RuntimeError("this request fails after its report")
            numbers.append(event.number)
        except RuntimeError:
            pass
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    year = timezone.localdate().year
    assert failures == []
    assert sorted(numbers) == [f"SJ{year}{n:05d}" for n in (1, 2, 3)]
    assert sorted(Event.objects.values_list("number", flat=True)) == sorted(numbers)
