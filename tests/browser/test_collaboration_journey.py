"""The city officer shares an enforcement case with the police → `police_partner` finds it on the home page, reads
it (its timeline and documents, no buttons), comments → and sees nothing else: not the case's own page, not the
events, not the event behind the case. The city officer reads the comment on the case's page."""

import pytest
from playwright.sync_api import expect

from parcelwatch.enforcement.models import EnforcementCase
from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from tests.evidence_files import jpeg

from .conftest import login

pytestmark = pytest.mark.browser


def _case(cast):
    def reported(site, colour):
        return report_event(actor=cast.hanjiang_officer, site=site, category=EventCategory.objects.get(code="BA02"),
                            description="备案地址与实际经营地址不符",
                            photos=[store_attachment(jpeg(colour), name="现场.jpg", actor=cast.hanjiang_officer)])

    event = reported(cast.hanjiang_outlet, (200, 0, 0))
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer, render_documents=False)
    perform(event, "escalate", actor=cast.hanjiang_officer, note="拒不整改")
    perform(event, "open_case", actor=cast.city_officer, note="逾期未整改，建议立案")
    return EnforcementCase.objects.get(events=event), event, reported(cast.hanjiang_outlet_g2, (0, 200, 0))


def test_police_partner_sees_a_shared_case_and_nothing_else(transactional_db, cast, live_server, new_page):
    case, event, other = _case(cast)
    officer = new_page()
    login(officer, live_server, "city_officer")
    officer.goto(f"{live_server.url}/enforcement/cases/{case.pk}/")
    panel = officer.get_by_test_id("collab-panel")
    expect(panel).to_contain_text("尚未与任何部门共享")
    panel.get_by_label("只读共享给").select_option(label="莆田市公安局")
    panel.get_by_label("共享原因").fill("涉及寄递渠道安全，请公安机关掌握情况")
    panel.get_by_test_id("share").click()
    expect(officer.get_by_test_id("collab-share")).to_contain_text("莆田市公安局")

    police = new_page(390, 844)
    login(police, live_server, "police_partner")
    shared = police.get_by_test_id("shared-records")
    expect(shared).to_contain_text("1")
    shared.click()
    rows = police.get_by_test_id("share-row")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    expect(police.get_by_test_id("shared-record")).to_contain_text("中通涵东营业部")
    expect(police.get_by_test_id("share-banner")).to_contain_text("只读")
    expect(police.get_by_test_id("timeline-entry").first).to_be_visible()
    expect(police.locator("[data-testid^=action-]")).to_have_count(0)
    police.get_by_label("意见").fill("已收悉，已通报辖区派出所关注该网点。")
    police.get_by_test_id("send-comment").click()
    expect(police.get_by_test_id("comments")).to_contain_text("已通报辖区派出所")

    # Nothing else: the case's own page, the events and their lists are closed to the police.
    for path, status in ((f"/enforcement/cases/{case.pk}/", 404), (f"/events/{event.pk}/", 404),
                         (f"/events/{other.pk}/", 404), ("/events/", 403), ("/enforcement/cases/", 403)):
        response = police.goto(f"{live_server.url}{path}")
        assert response.status == status, path
    police.goto(f"{live_server.url}/")
    expect(police.get_by_test_id("nav-collab")).to_have_count(1)
    expect(police.locator("nav").get_by_role("link", name="事件", exact=True)).to_have_count(0)

    officer.reload()
    expect(officer.get_by_test_id("collab-share")).to_contain_text("已通报辖区派出所")
