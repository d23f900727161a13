"""The article's worked example, across logins, in the browser (DESIGN §3).

April 2019, 涵江区: a grid worker finds an outlet whose filed address differs from its
real address; the district centre verifies and sends a reminder letter with 5 working
days; nothing happens; the worker escalates it; the city bureau opens a case, fines
1,500 yuan; the outlet files the change on 30 April; the grid worker confirms.
"""

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from parcelwatch.documents.models import OfficialDocument
from parcelwatch.events.models import Event
from parcelwatch.events.tasks import sweep_deadlines
from parcelwatch.registry.models import ChangeRecord
from tests.evidence_files import jpeg

from .conftest import login

pytestmark = pytest.mark.browser
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def photo_file(tmp_path):
    def make(name: str, colour) -> str:
        path = tmp_path / name
        path.write_bytes(jpeg(colour))
        return str(path)

    return make


@pytest.fixture
def cookies_without_expiry(settings):
    # The browser lives in the real present while the server travels to 2019.
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    # The server's clock jumps weeks ahead during the story; people stay logged in.
    settings.SESSION_COOKIE_AGE = 10 * 365 * 24 * 3600


def act(page, action: str, *, note: str = "", files: list[str] = (), fields: dict | None = None):
    page.get_by_test_id(f"action-{action}").click()
    form = page.locator(f"#act-{action}")
    # Bootstrap marks the panel "show" once its opening animation has finished.
    expect(form).to_have_class(re.compile(r"\bshow\b"))
    if note:
        form.locator("textarea[name=note]").fill(note)
    for name, value in (fields or {}).items():
        form.locator(f"[name={name}]").fill(value)
    if files:
        form.locator("input[name=attachments]").set_input_files(list(files))
    with page.expect_navigation(timeout=60000):
        page.get_by_test_id(f"submit-{action}").click()
    expect(page.locator(".alert-success")).to_be_visible()


def pdf_text(document: OfficialDocument) -> str:
    with default_storage.open(document.attachment.file.name, "rb") as fh:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(fh.read())).pages)
    return text.replace(" ", "").replace("\n", "")


def test_hanjiang_address_mismatch_case_end_to_end(transactional_db, cast, live_server, new_page, photo_file,
                                                   cookies_without_expiry):
    site = cast.hanjiang_outlet
    with time_machine.travel(datetime(2019, 4, 2, 9, 30, tzinfo=SH), tick=True) as clock:
        # 1. The grid worker scans the site's QR code and reports the mismatch with a photo.
        grid = new_page(390, 844)
        login(grid, live_server, "hanjiang_grid")
        grid.goto(f"{live_server.url}/events/report/?site={site.pk}")
        expect(grid.get_by_test_id("chosen-site")).to_contain_text("中通涵东营业部")
        grid.get_by_label("问题类别").select_option(label="BA02 备案信息变更未办/与实际不符")
        grid.get_by_label("发现的问题").fill("例行排查发现该营业部备案地址与实际经营地址不相符")
        grid.get_by_label("现场照片").set_input_files(photo_file("现场.jpg", (200, 40, 40)))
        with grid.expect_navigation(timeout=60000):
            grid.get_by_role("button", name="提交上报").click()
        expect(grid.get_by_text("已上报。等待县区邮政业安全中心受理。")).to_be_visible()
        event = Event.objects.get()
        assert event.number == "SJ201900001"

        # 2. The district centre verifies on site and sends a reminder letter with 5 working days.
        clock.move_to(datetime(2019, 4, 2, 14, 0, tzinfo=SH))
        officer = new_page()
        login(officer, live_server, "hanjiang_officer")
        officer.goto(f"{live_server.url}/events/todo/")
        officer.get_by_role("link", name="SJ201900001").first.click()
        act(officer, "accept", note="已前往实地复核，情况属实")
        act(officer, "issue_letter", note="备案地址与实际经营地址不符，请办理变更备案")
        expect(officer.get_by_test_id("event-state")).to_contain_text("整改中")
        # 5 working days after 2 April 2019, skipping the Qingming holiday on 5 April.
        expect(officer.get_by_test_id("event-deadline")).to_have_text("2019-04-10")
        expect(officer.get_by_test_id("document")).to_contain_text("涵江邮安提〔2019〕1号")

        # 3. The enterprise is told, and does nothing.
        ent = new_page()
        login(ent, live_server, "zto_safety")
        expect(ent.get_by_test_id("unread-count")).to_be_visible()

        # 4. The deadline passes: the background worker escalates the event by itself.
        clock.move_to(datetime(2019, 4, 11, 1, 0, tzinfo=SH))
        assert sweep_deadlines.call() == {"escalated": 1, "reminded": 0}

        # 5. The city bureau opens a case; the leader approves filing.
        clock.move_to(datetime(2019, 4, 11, 10, 0, tzinfo=SH))
        city = new_page()
        login(city, live_server, "city_officer")
        city.goto(f"{live_server.url}/events/{event.pk}/")
        expect(city.get_by_test_id("event-state")).to_contain_text("已上报市局")
        expect(city.locator("[data-action=auto_escalate]")).to_contain_text("系统")
        act(city, "open_case", note="经县区提醒逾期未办理变更，建议立案调查")
        city.get_by_role("link", name="立案提请").click()
        case_url = city.url

        leader = new_page()
        login(leader, live_server, "city_leader")
        leader.goto(case_url)
        act(leader, "approve_filing", note="同意立案")
        expect(leader.get_by_test_id("case-state")).to_contain_text("已立案")

        # 6. Investigation, notice of intended penalty (1,500 yuan), decision after the hearing period.
        city.goto(case_url)
        act(city, "start_investigation", note="两名执法人员现场检查，制作笔录")
        # In 2019 the Administrative Penalty Law gave 3 days to ask for a hearing (5 working days since 2021).
        act(city, "notify_penalty", fields={"findings": "该营业部实际经营地址与备案地址不符，经提醒逾期未办理变更。",
                                            "fine": "1500", "hearing_days": "3"})
        clock.move_to(datetime(2019, 4, 17, 9, 0, tzinfo=SH))
        leader.goto(case_url)
        act(leader, "decide", note="同意处罚")
        expect(leader.get_by_test_id("case-fine")).to_contain_text("1,500.00")
        expect(leader.get_by_test_id("case-fine")).to_contain_text("莆邮管罚〔2019〕1号")
        city.goto(case_url)
        act(city, "serve", note="直接送达")

        # 7. On 30 April the outlet files the address change (the registry changes, versioned).
        clock.move_to(datetime(2019, 4, 30, 10, 0, tzinfo=SH))
        ent.goto(f"{live_server.url}/events/{event.pk}/")
        act(ent, "submit_rectification", note="已办理地址变更备案",
            fields={"new_address": "莆田市涵江区涵东街道实际经营地址8号"},
            files=[photo_file("备案回执.jpg", (20, 20, 180))])
        site.refresh_from_db()
        assert site.address == "莆田市涵江区涵东街道实际经营地址8号"
        change = ChangeRecord.objects.get(object_id=site.pk, action="update")
        assert change.actor.username == "zto_safety"

        city.goto(case_url)
        act(city, "record_payment", note="罚款已缴纳", files=[photo_file("缴款凭证.jpg", (9, 99, 9))])
        act(city, "close", note="结案")
        expect(city.get_by_test_id("case-state")).to_contain_text("已结案")

        # 8. The grid worker confirms the fix on site: closed at city level.
        clock.move_to(datetime(2019, 4, 30, 15, 0, tzinfo=SH))
        grid.goto(f"{live_server.url}/events/{event.pk}/")
        act(grid, "confirm", note="现场复核，已按实际地址备案", files=[photo_file("复核.jpg", (1, 150, 150))])
        expect(grid.get_by_test_id("event-state")).to_contain_text("已办结")
        expect(grid.get_by_test_id("closure-level")).to_contain_text("市")

    event.refresh_from_db()
    assert event.state == Event.State.CLOSED and event.closure_level == Event.Level.CITY
    actions = [e.get_attribute("data-action") for e in grid.get_by_test_id("timeline-entry").all()]
    assert actions == ["report", "accept", "issue_letter", "auto_escalate", "open_case", "submit_rectification",
                       "case_concluded", "confirm"]

    letter = OfficialDocument.objects.get(kind="reminder_letter")
    text = pdf_text(letter)
    assert "提醒函" in text and "涵江邮安提〔2019〕1号" in text and "2019年4月10日" in text
    decision = OfficialDocument.objects.get(kind="penalty_decision")
    text = pdf_text(decision)
    assert "行政处罚决定书" in text and "壹仟伍佰元整" in text and "莆田市涵江区中通快递有限公司" in text

    # Both PDFs download through the evidence link with their hash.
    response = grid.request.get(f"{live_server.url}/evidence/{letter.attachment.pk}/")
    assert response.status == 200 and response.headers["x-evidence-sha256"] == letter.attachment.sha256
    call_command("verify_timeline")
