"""The safe-delivery assessment in the browser: 涵江's district officer evaluates the year's sites, scores them by
hand and publishes; 中通's safety officer then reads its sites' scores and its credit grade with the reasons."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parcelwatch.assessment import credit, services
from parcelwatch.assessment.models import Evaluation
from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import report_event
from parcelwatch.evidence.attachments import store_attachment
from tests.evidence_files import jpeg

from .conftest import login

pytestmark = pytest.mark.browser


def test_hanjiang_officer_evaluates_scores_and_publishes_and_zto_reads_its_grade(
        transactional_db, cast, live_server, new_page):
    photo = store_attachment(jpeg(), name="现场.jpg", actor=cast.hanjiang_grid)
    for _i in range(2):  # the same problem twice at one outlet this year
        report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, category=EventCategory.objects.get(
            code="BA02"), description="备案地址与实际不符", photos=[photo])
    page = new_page()
    login(page, live_server, "hanjiang_officer")
    page.goto(f"{live_server.url}/assessment/")
    form = page.get_by_test_id("evaluation-form")
    form.get_by_label("考评表").select_option(label="平安寄递网点考评表")
    form.get_by_label("年度").fill(str(timezone.localdate().year))
    form.get_by_test_id("start-evaluation").click()
    expect(page.get_by_test_id("evaluation-state")).to_have_text("计算中")
    expect(page.get_by_test_id("progress")).to_be_visible()

    services.compute_evaluation(Evaluation.objects.get().pk)  # what the worker does; the page refreshes itself
    expect(page.get_by_test_id("evaluation-state")).to_have_text("评分中", timeout=10000)
    evaluation_url = page.url
    results = page.get_by_test_id("results")
    expect(results.locator("tbody tr")).to_have_count(2)
    # Problems 30 − 2×5, no overdue 20, no filed officer 0: 中通涵东营业部 40 ranks below 中通涵东二部 50.
    expect(results.locator("tbody tr").first).to_contain_text("中通涵东二部")
    page.get_by_test_id("publish-evaluation").click()  # refused: the hand scores are missing
    expect(page.get_by_text("请先完成所有人工评分项")).to_be_visible()

    for site, score in (("中通涵东营业部", "28"), ("中通涵东二部", "12.5")):
        page.goto(evaluation_url)
        page.get_by_test_id("results").get_by_role("link", name=site).click()
        page.get_by_label("三项制度现场落实情况（满分30.0）").fill(score)
        page.get_by_test_id("save-scores").click()
        expect(page.get_by_text("评分已保存。")).to_be_visible()
    expect(page.get_by_test_id("result-total")).to_have_text("62.5")
    page.goto(evaluation_url)
    expect(results.locator("tbody tr").first).to_contain_text("中通涵东营业部")  # 68 now ranks above 62.5
    page.get_by_test_id("publish-evaluation").click()
    expect(page.get_by_test_id("evaluation-state")).to_have_text("已发布")

    credit.recalculate([cast.zto_hanjiang.pk])  # what the worker does once the inputs changed
    zto = new_page()
    login(zto, live_server, "zto_safety")
    zto.goto(f"{live_server.url}/assessment/")
    zto.get_by_test_id("evaluations").get_by_role("link").first.click()
    expect(zto.get_by_test_id("results").locator("tbody tr")).to_have_count(2)
    zto.goto(f"{live_server.url}/registry/enterprises/{cast.zto_hanjiang.pk}/")
    expect(zto.get_by_test_id("credit-grade")).to_have_text("A")
    expect(zto.get_by_test_id("credit-lines")).to_contain_text("同类问题重复发生")
    zto.goto(f"{live_server.url}/registry/sites/{cast.hanjiang_outlet.pk}/")
    zto.get_by_test_id("three-rules-link").click()
    expect(zto.get_by_test_id("three-rules").locator(".pw-card")).to_have_count(3)
