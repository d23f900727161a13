"""Enterprise self-inspection: officer filings, monthly duty reports, spot checks and circulars."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from parcelwatch.accounts.models import Role
from parcelwatch.events.models import Event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.notifications.models import Notification
from parcelwatch.registry.models import ChangeRecord, SafetyOfficer
from parcelwatch.registry.selectors import sites_visible_to, without_filed_officer
from parcelwatch.selfcheck import selectors as sel
from parcelwatch.selfcheck import services
from parcelwatch.selfcheck.models import Circular, DutyReport, OfficerFiling, SpotCheck
from tests import factories as f
from tests.conftest import login
from tests.evidence_files import jpeg

NOV = time_machine.travel("2026-11-20 10:00 +0800", tick=False)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what a service queues for after its commit (notifications): a test's transaction never commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
ID = "35030319900101123X"


def _all_yes() -> dict:
    return {item.code: "yes" for item in sel.active_template().items.all()}


def _file_new(cast, **kw) -> OfficerFiling:
    return services.submit_filing(cast.zto_hanjiang, actor=cast.zto_safety, kind=OfficerFiling.Kind.NEW,
                                  data={"name": "郑晓明", "id_number": ID, "phone": "13900001234", **kw},
                                  sites=[cast.hanjiang_outlet])


def _report(cast, period=date(2026, 10, 1)) -> DutyReport:
    return services.submit_report(cast.zto_hanjiang, actor=cast.zto_safety, period=period, answers=_all_yes(),
                                  narrative="本月开展安全巡查30次。")


# --- filings ---------------------------------------------------------------------------------------------------


@NOV
def test_an_approved_filing_creates_the_officer_as_a_versioned_registry_record(cast, committed):
    with committed():
        filing = _file_new(cast)
    assert filing.decide_by == date(2026, 11, 27)  # five working days
    assert Notification.objects.filter(recipient=cast.hanjiang_officer, kind="filing_submitted").exists()
    with committed():
        services.act_on_filing(filing, "approve", actor=cast.hanjiang_officer)
    filing.refresh_from_db()
    officer = filing.officer
    assert filing.state == OfficerFiling.State.APPROVED
    assert officer.name == "郑晓明" and officer.filing_date == date(2026, 11, 20)
    assert list(officer.sites.all()) == [cast.hanjiang_outlet]
    record = ChangeRecord.objects.get(object_id=officer.pk, content_type__model="safetyofficer")
    assert record.actor == cast.hanjiang_officer and "备案" in record.note
    assert Notification.objects.filter(recipient=cast.zto_safety, kind="filing_approved").exists()


@NOV
def test_a_returned_filing_needs_a_reason_and_comes_back_corrected(cast):
    filing = _file_new(cast)
    with pytest.raises(ValidationError):
        services.act_on_filing(filing, "return", actor=cast.hanjiang_officer, reason="  ")
    services.act_on_filing(filing, "return", actor=cast.hanjiang_officer, reason="身份证号与本人不符")
    filing.refresh_from_db()
    assert filing.state == OfficerFiling.State.RETURNED and filing.reason == "身份证号与本人不符"
    services.resubmit_filing(filing, actor=cast.zto_safety, data={"name": "郑晓明", "id_number": "350303199001011234",
                                                                  "phone": "13900001234"}, sites=[cast.hanjiang_outlet])
    filing.refresh_from_db()
    assert filing.state == OfficerFiling.State.SUBMITTED and filing.id_number == "350303199001011234"
    assert [h["action"] for h in filing.history] == ["submit", "return", "resubmit"]


@NOV
def test_a_change_and_a_departure_are_written_to_the_officer(cast):
    officer = cast.zto_officer
    change = services.submit_filing(cast.zto_hanjiang, actor=cast.zto_safety, kind=OfficerFiling.Kind.CHANGE,
                                    officer=officer, data={"name": officer.name, "id_number": officer.id_number,
                                                           "phone": "13600009999"}, sites=[cast.hanjiang_outlet])
    with pytest.raises(ValidationError):  # one open filing per officer
        services.submit_filing(cast.zto_hanjiang, actor=cast.zto_safety, kind=OfficerFiling.Kind.DEPARTURE,
                               officer=officer, data={}, sites=[])
    services.act_on_filing(change, "approve", actor=cast.hanjiang_officer)
    officer.refresh_from_db()
    assert officer.phone == "13600009999" and list(officer.sites.all()) == [cast.hanjiang_outlet]
    leave = services.submit_filing(cast.zto_hanjiang, actor=cast.zto_safety, kind=OfficerFiling.Kind.DEPARTURE,
                                   officer=officer, data={}, sites=[])
    services.act_on_filing(leave, "approve", actor=cast.hanjiang_officer)
    officer.refresh_from_db()
    assert officer.status == SafetyOfficer.Status.LEFT


@NOV
def test_filings_are_decided_only_by_the_enterprises_district(cast):
    filing = _file_new(cast)
    for outsider in (cast.licheng_officer, cast.zto_safety, cast.city_leader):
        with pytest.raises(PermissionDenied):
            services.act_on_filing(filing, "approve", actor=outsider)
    with pytest.raises(PermissionDenied):  # nor filed for another enterprise
        services.submit_filing(cast.yto_licheng, actor=cast.zto_safety, kind=OfficerFiling.Kind.NEW,
                               data={"name": "x", "id_number": ID, "phone": "13900001234"}, sites=[])
    with pytest.raises(ValidationError):  # nor covering another enterprise's site
        services.submit_filing(cast.zto_hanjiang, actor=cast.zto_safety, kind=OfficerFiling.Kind.NEW,
                               data={"name": "x", "id_number": "350303199001011234", "phone": "13900001234"},
                               sites=[cast.licheng_outlet])


@NOV
def test_bad_filing_details_are_refused_with_the_field_named(cast):
    for data, field in (({"id_number": "123"}, "id_number"), ({"phone": "abc"}, "phone"), ({"name": ""}, "name")):
        with pytest.raises(ValidationError) as error:
            _file_new(cast, **data)
        assert field in error.value.error_dict


@NOV
def test_sites_without_a_filed_officer_are_flagged_until_the_filing_is_approved(cast, client):
    sites = sites_visible_to(cast.hanjiang_officer)
    assert cast.hanjiang_outlet in without_filed_officer(sites)  # the cast's officer was never filed
    services.act_on_filing(_file_new(cast), "approve", actor=cast.hanjiang_officer)
    assert cast.hanjiang_outlet not in without_filed_officer(sites)
    login(client, cast.hanjiang_officer)
    page = client.get("/registry/sites/?officer=none").content.decode()
    assert "中通涵东二部" in page and "中通涵东营业部" not in page
    home = client.get("/").content.decode()
    flagged = without_filed_officer(sites).count()
    assert 'data-testid="no-filed-officer"' in home and flagged == 1


# --- duty reports --------------------------------------------------------------------------------------------


@NOV
def test_a_report_on_time_then_returned_and_corrected_stays_on_time(cast, committed):
    report = _report(cast)
    assert report.due_date == date(2026, 11, 10) and report.late  # 20 November: after the 10th
    on_time = services.submit_report(cast.zto_hanjiang, actor=cast.zto_safety, period=date(2026, 11, 1),
                                     answers=_all_yes(), narrative="本月开展安全巡查。")
    assert not on_time.late and on_time.due_date == date(2026, 12, 10)
    with committed():
        services.act_on_report(on_time, "return", actor=cast.hanjiang_officer, reason="请补充培训签到表")
    assert Notification.objects.filter(recipient=cast.zto_safety, kind="duty_report_returned").exists()
    services.submit_report(cast.zto_hanjiang, actor=cast.zto_safety, period=date(2026, 11, 1), answers=_all_yes(),
                           narrative="已补充。")
    on_time.refresh_from_db()
    assert on_time.state == DutyReport.State.SUBMITTED and not on_time.late
    with pytest.raises(ValidationError):
        services.submit_report(cast.zto_hanjiang, actor=cast.zto_safety, period=date(2026, 11, 1),
                               answers=_all_yes(), narrative="again")


@NOV
def test_a_report_must_answer_every_item_and_cannot_be_for_a_future_month(cast):
    with pytest.raises(ValidationError) as error:
        services.submit_report(cast.zto_hanjiang, actor=cast.zto_safety, period=date(2026, 10, 1),
                               answers={"inspection": "yes"}, narrative="x")
    assert "answers" in error.value.error_dict
    with pytest.raises(ValidationError):
        services.submit_report(cast.zto_hanjiang, actor=cast.zto_safety, period=date(2026, 12, 1),
                               answers=_all_yes(), narrative="x")


@NOV
def test_late_and_missing_lists_per_district_agree_with_their_counts(cast):
    _report(cast)  # zto reports late for October; yto never
    rows = sel.reporting_rows(cast.city_officer, date(2026, 10, 1), today=date(2026, 11, 20))
    status = {r.enterprise.pk: r.status for r in rows}
    assert status == {cast.zto_hanjiang.pk: sel.STATUS_LATE, cast.yto_licheng.pk: sel.STATUS_MISSING}
    summary = {s["district"].code: s for s in sel.reporting_summary(cast.city_officer, date(2026, 10, 1),
                                                                      today=date(2026, 11, 20))}
    assert summary["350303"]["late"] == 1 and summary["350304"]["missing"] == 1
    # The district sees its own enterprises only.
    assert [r.enterprise for r in sel.reporting_rows(cast.hanjiang_officer, date(2026, 10, 1),
                                                     today=date(2026, 11, 20))] == [cast.zto_hanjiang]
    # The home pages' count of missing reports is the list's, before and after the due date, for every area.
    for user in (cast.city_officer, cast.hanjiang_officer, cast.licheng_officer):
        for today in (date(2026, 11, 5), date(2026, 11, 20)):
            listed = sel.reporting_rows(user, date(2026, 10, 1), today=today, status=sel.STATUS_MISSING)
            assert sel.count_missing(user, date(2026, 10, 1), today=today) == len(listed), (user, today)
    assert sel.count_missing(cast.licheng_officer, date(2026, 10, 1), today=date(2026, 11, 20)) == 1


def test_reminders_go_before_the_due_day_and_after_it_once_each(cast):
    with time_machine.travel("2026-11-08 09:00 +0800", tick=False):
        assert services.remind_duty_reports()["before"] == 1  # two enterprises owe; only zto has a user to tell
        assert services.remind_duty_reports()["before"] == 0
    with time_machine.travel("2026-11-11 09:00 +0800", tick=False):
        _report(cast)
        assert services.remind_duty_reports()["after"] == 0  # yto has nobody to tell; zto has reported
    assert Notification.objects.filter(recipient=cast.zto_safety, kind="duty_report_due").count() == 1
    assert not Notification.objects.filter(recipient=cast.zto_safety, kind="duty_report_overdue").exists()


# --- spot checks ---------------------------------------------------------------------------------------------


@NOV
def test_a_spot_check_draw_is_recorded_and_can_be_rerun_and_a_failure_becomes_an_event(cast):
    report = _report(cast)
    draw = services.draw_spot_checks(actor=cast.hanjiang_officer, area=cast.hanjiang, period=date(2026, 10, 1),
                                     percent=100, seed="抽查-1")
    assert services.recheck(draw) and draw.candidates == [[report.pk, 2]]  # not graded yet: weighs as a B
    check = draw.checks.get()
    photo = store_attachment(jpeg(), name="现场.jpg", actor=cast.hanjiang_officer)
    with pytest.raises(ValidationError):  # a failure says what was wrong
        services.record_check(check, actor=cast.hanjiang_officer, method="on_site", result="failed",
                              site=cast.hanjiang_outlet)
    services.record_check(check, actor=cast.hanjiang_officer, method="on_site", result="failed",
                          findings="现场未落实实名收寄", site=cast.hanjiang_outlet, attachments=[photo])
    event = services.raise_check_event(check, actor=cast.hanjiang_officer, category_code="RS01")
    assert event.source == Event.Source.SPOT_CHECK and event.site == cast.hanjiang_outlet
    assert services.raise_check_event(check, actor=cast.hanjiang_officer, category_code="RS01") == event
    with pytest.raises(PermissionDenied):
        services.record_check(check, actor=cast.licheng_officer, method="documentary", result="passed")


def test_the_draw_is_a_pure_function_of_seed_and_candidates():
    candidates = [[i, 1] for i in range(1, 101)]
    assert services.draw("s", candidates, 10) == services.draw("s", candidates, 10)
    assert len(services.draw("s", candidates, 10)) == 10
    assert services.draw("s", candidates, 10) != services.draw("t", candidates, 10)


# --- circulars -----------------------------------------------------------------------------------------------


@NOV
def test_a_circular_drafted_from_late_reporters_is_approved_published_as_pdf_and_read(cast):
    _report(cast)
    title, body, recipients = services.circular_from_data(actor=cast.hanjiang_officer, area=cast.hanjiang,
                                                          kind=Circular.Kind.LATE_REPORTS, period=date(2026, 10, 1))
    assert recipients == [cast.zto_hanjiang] and cast.zto_hanjiang.name in body and "迟报" in body
    circular = services.draft_circular(actor=cast.hanjiang_officer, area=cast.hanjiang,
                                       kind=Circular.Kind.LATE_REPORTS, title=title, body=body, enterprises=recipients)
    assert not sel.circulars_visible_to(cast.zto_safety).exists()  # drafts are not the enterprise's
    with pytest.raises(PermissionDenied):
        services.act_on_circular(circular, "submit", actor=cast.licheng_officer)
    services.act_on_circular(circular, "submit", actor=cast.hanjiang_officer)
    with pytest.raises(PermissionDenied):
        services.act_on_circular(circular, "approve", actor=cast.hanjiang_officer)
    services.act_on_circular(circular, "approve", actor=cast.city_leader)
    services.act_on_circular(circular, "publish", actor=cast.hanjiang_officer)
    circular.refresh_from_db()
    assert circular.document.number.startswith("莆邮安通〔2026〕")
    assert circular.document.attachment.file.read(5) == b"%PDF-"
    assert list(sel.circulars_visible_to(cast.zto_safety)) == [circular]
    assert services.mark_circular_read(circular, actor=cast.zto_safety) == 1
    assert circular.recipients.get().read_by == cast.zto_safety
    yto_safety = f.user("yto_safety", (Role.ENTERPRISE_SAFETY, cast.licheng, cast.yto_licheng))
    assert not sel.circulars_visible_to(yto_safety).exists()  # not addressed to it


@NOV
def test_a_circular_goes_only_to_enterprises_of_its_area(cast):
    with pytest.raises(ValidationError):
        services.draft_circular(actor=cast.hanjiang_officer, area=cast.hanjiang, kind=Circular.Kind.GENERAL,
                                title="通报", body="正文", enterprises=[cast.yto_licheng])


# --- pages: scope and permissions ----------------------------------------------------------------------------


@NOV
def test_pages_show_each_user_only_their_jurisdictions_records(cast, client):
    filing = _file_new(cast)
    report = _report(cast)
    login(client, cast.licheng_officer)
    assert client.get(f"/selfcheck/filings/{filing.pk}/").status_code == 404
    assert client.get(f"/selfcheck/reports/{report.pk}/").status_code == 404
    assert client.post(f"/selfcheck/filings/{filing.pk}/act/", {"action": "approve"}).status_code == 404
    login(client, cast.city_leader)  # sees, but does not decide
    assert client.get(f"/selfcheck/filings/{filing.pk}/").status_code == 200
    client.post(f"/selfcheck/filings/{filing.pk}/act/", {"action": "approve"})
    filing.refresh_from_db()
    assert filing.state == OfficerFiling.State.SUBMITTED
    login(client, cast.police_partner)
    assert client.get("/selfcheck/filings/").status_code == 403
    assert client.get(f"/selfcheck/reports/{report.pk}/").status_code == 404
    client.logout()
    assert client.get("/selfcheck/reports/").status_code == 302


@NOV
def test_a_refused_report_keeps_what_was_typed_and_uploaded(cast, client):
    login(client, cast.zto_safety)
    photo = jpeg()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/selfcheck/reports/new/?month=2026-10", {
        "enterprise": cast.zto_hanjiang.pk, "month": "2026-10", "narrative": "巡查记录齐全",
        "item_inspection": "yes", "attachments": SimpleUploadedFile("签到表.jpg", photo, "image/jpeg")})
    page = response.content.decode()
    assert response.status_code == 200 and "巡查记录齐全" in page and "签到表.jpg" in page
    assert not DutyReport.objects.exists()


@NOV
def test_home_page_counts_agree_with_the_lists_they_open(cast, client):
    _file_new(cast)
    _report(cast)
    login(client, cast.hanjiang_officer)
    home = client.get("/").content.decode()
    assert 'data-testid="review-filings"' in home
    listing = client.get("/selfcheck/filings/?state=submitted").content.decode()
    assert listing.count("/selfcheck/filings/") >= 1 and "郑晓明" in listing
    review = client.get("/selfcheck/reports/?review=1").content.decode()
    assert 'data-testid="review-count">1<' in review
    login(client, cast.zto_safety)
    home = client.get("/").content.decode()
    reports_due = client.get("/selfcheck/reports/").content.decode()
    # Owed: the last two months without a report — October was sent, September was not.
    assert reports_due.count("selfcheck/reports/new/?month=") == 1
    assert 'data-testid="enterprise-reports-due"' in home


@pytest.mark.parametrize("path", ["/selfcheck/filings/", "/selfcheck/reports/", "/selfcheck/circulars/",
                                  "/selfcheck/spot-checks/", "/selfcheck/circulars/new/?from_data=1&kind=late_reports"])
@NOV
def test_every_page_answers_for_a_district_officer(cast, client, path):
    login(client, cast.hanjiang_officer)
    assert client.get(path).status_code == 200


def test_a_spot_check_shows_no_event_button_before_a_failure(cast, client):
    with NOV:
        _report(cast)
        draw = services.draw_spot_checks(actor=cast.hanjiang_officer, area=cast.hanjiang, period=date(2026, 10, 1),
                                         percent=100)
        check = draw.checks.get()
        login(client, cast.hanjiang_officer)
        assert 'data-testid="raise-form"' not in client.get(f"/selfcheck/spot-checks/{check.pk}/").content.decode()
        assert check.result == SpotCheck.Result.PENDING


@NOV
def test_every_number_of_the_monthly_table_equals_the_list_it_opens(cast):
    _report(cast)
    services.submit_report(cast.zto_hanjiang, actor=cast.zto_safety, period=date(2026, 11, 1), answers=_all_yes(),
                           narrative="按时")
    today = date(2026, 11, 20)
    for period in (date(2026, 10, 1), date(2026, 11, 1)):
        for entry in sel.reporting_summary(cast.city_officer, period, today=today):
            for status in (sel.STATUS_DUE, sel.STATUS_SUBMITTED, sel.STATUS_LATE, sel.STATUS_MISSING,
                           sel.STATUS_RETURNED, sel.STATUS_ACCEPTED):
                rows = sel.reporting_rows(cast.city_officer, period, today=today, district=entry["district"],
                                          status=status)
                assert len(rows) == entry[status], (period, entry["district"].code, status)
