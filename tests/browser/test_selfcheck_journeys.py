"""Journeys of self-inspection: 中通's safety officer files an officer, sends the monthly report and signs for a
circular; 涵江's district officer approves a filing, returns a report and runs a spot check."""

from datetime import date

import pytest
from playwright.sync_api import expect

from parcelwatch.events.models import Event
from parcelwatch.selfcheck import selectors as sel
from parcelwatch.selfcheck import services
from parcelwatch.selfcheck.models import Circular, DutyReport, OfficerFiling, SpotCheck, month_start, previous_month
from tests.evidence_files import jpeg

from .conftest import arrive, login

pytestmark = pytest.mark.browser


def _last_month() -> date:
    from django.utils import timezone

    return previous_month(month_start(timezone.localdate()))


def _published_circular(cast) -> Circular:
    circular = services.draft_circular(actor=cast.hanjiang_officer, area=cast.hanjiang, kind=Circular.Kind.GENERAL,
                                       title="关于加强旺季寄递安全管理的通报", body="请各企业落实三项制度。",
                                       enterprises=[cast.zto_hanjiang])
    services.act_on_circular(circular, "submit", actor=cast.hanjiang_officer)
    services.act_on_circular(circular, "approve", actor=cast.city_leader)
    return services.act_on_circular(circular, "publish", actor=cast.hanjiang_officer)


def test_zto_safety_files_an_officer_sends_the_monthly_report_and_signs_for_a_circular(
        transactional_db, cast, live_server, new_page, tmp_path):
    circular = _published_circular(cast)
    page = new_page()
    login(page, live_server, "zto_safety")
    expect(page.get_by_test_id("enterprise-circulars-unread")).to_contain_text("1")

    # File a new safety officer for one site.
    page.goto(f"{live_server.url}/selfcheck/filings/new/")
    page.get_by_label("姓名").fill("郑晓明")
    page.get_by_label("身份证号").fill("35030319900101123X")
    page.get_by_label("电话").fill("13900001234")
    page.get_by_test_id("site-choices").get_by_label("中通涵东营业部").check()
    page.get_by_test_id("submit-filing").click()
    expect(page.get_by_test_id("filing-state")).to_have_text("待审核")
    assert OfficerFiling.objects.get().sites.get() == cast.hanjiang_outlet

    # Last month's report is due: answer the checklist, attach a photo, send it.
    page.goto(f"{live_server.url}/selfcheck/reports/")
    page.get_by_test_id("reports-due").get_by_role("link").last.click()
    arrive(page, r"/selfcheck/reports/new/")
    checklist = page.get_by_test_id("checklist")
    for radio in checklist.get_by_label("已落实").all():
        radio.check()
    page.get_by_label("本月安全履职情况").fill("本月开展安全巡查30次，组织培训2次。")
    photo = tmp_path / "签到表.jpg"
    photo.write_bytes(jpeg())
    page.get_by_label("佐证材料（照片或PDF）").set_input_files(str(photo))
    page.get_by_test_id("submit-report").click()
    expect(page.get_by_test_id("report-state")).to_have_text("待审核")
    report = DutyReport.objects.get()
    assert report.period == _last_month() and report.attachments.count() == 1

    # The circular: read it, sign for it, download its PDF.
    page.goto(f"{live_server.url}/selfcheck/circulars/")
    page.get_by_role("link", name="关于加强旺季寄递安全管理的通报").click()
    expect(page.get_by_test_id("circular-number")).to_contain_text("莆邮安通")
    page.get_by_test_id("confirm-read").click()
    expect(page.get_by_test_id("confirm-read")).to_have_count(0)
    assert circular.recipients.get().read_by == cast.zto_safety
    pdf = page.request.get(live_server.url + page.get_by_test_id("circular-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body()[:5] == b"%PDF-"  # the enterprise may open the circular's PDF


def test_hanjiang_officer_approves_a_filing_returns_a_report_and_runs_a_spot_check(
        transactional_db, cast, live_server, new_page, tmp_path):
    filing = services.submit_filing(cast.zto_hanjiang, actor=cast.zto_safety, kind=OfficerFiling.Kind.NEW,
                                    data={"name": "郑晓明", "id_number": "35030319900101123X",
                                          "phone": "13900001234"}, sites=[cast.hanjiang_outlet])
    answers = {item.code: "yes" for item in sel.active_template().items.all()}
    report = services.submit_report(cast.zto_hanjiang, actor=cast.zto_safety, period=_last_month(),
                                    answers=answers, narrative="本月开展安全巡查。")
    page = new_page()
    login(page, live_server, "hanjiang_officer")

    # Approve the filing from the home page's queue: the officer joins the registry.
    page.get_by_test_id("review-filings").click()
    page.get_by_role("link", name="郑晓明").click()
    page.get_by_test_id("action-approve").click()
    expect(page.get_by_test_id("filing-state")).to_have_text("已备案")
    filing.refresh_from_db()
    assert filing.officer.filing_date is not None

    # Return the report with a reason.
    page.goto(f"{live_server.url}/")
    page.get_by_test_id("review-reports").click()
    page.get_by_test_id("review-list").get_by_role("link").first.click()
    page.get_by_label("理由（退回时必填）").fill("缺少本月安全培训签到表，请补充。")
    page.get_by_test_id("action-return").click()
    expect(page.get_by_test_id("return-reason")).to_contain_text("缺少本月安全培训签到表")
    report.refresh_from_db()
    assert report.state == DutyReport.State.RETURNED

    # The enterprise corrects it; then a spot check draws it and finds a problem on site.
    services.submit_report(cast.zto_hanjiang, actor=cast.zto_safety, period=_last_month(), answers=answers,
                           narrative="已补充签到表。")
    page.goto(f"{live_server.url}/selfcheck/spot-checks/")
    page.get_by_label("抽取比例（%）").fill("100")
    page.get_by_test_id("draw").click()
    expect(page.get_by_test_id("recheck")).to_contain_text("✓")
    page.get_by_role("link", name=cast.zto_hanjiang.name).click()
    form = page.get_by_test_id("check-form")
    form.get_by_label("现场核查").check()
    form.get_by_label("不合格").check()
    form.get_by_label("抽查网点").select_option(label="中通涵东营业部")
    form.get_by_label("核查情况").fill("现场抽查发现收寄验视记录不全，与月报告不符。")
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(jpeg((30, 90, 200)))
    form.get_by_label("照片或扫描件").set_input_files(str(photo))
    page.get_by_test_id("record-check").click()
    expect(page.get_by_test_id("check-result")).to_have_text("不合格")
    page.get_by_test_id("raise-form").get_by_label("问题类别").select_option(value="YS01")
    page.get_by_test_id("raise-event").click()
    page.wait_for_url("**/events/*/")
    check = SpotCheck.objects.get()
    assert check.event.source == Event.Source.SPOT_CHECK and check.event.site == cast.hanjiang_outlet
