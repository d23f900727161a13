"""Personal data by role; work queues that tell the truth; reporting from the phone; the words a regulator reads."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from parcelwatch.documents.models import NumberTemplate
from parcelwatch.documents.services import next_number, template_problem
from parcelwatch.enforcement.models import EnforcementCase, EnforcementSettings
from parcelwatch.enforcement.services import perform_case
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import perform
from parcelwatch.evidence.models import Attachment
from parcelwatch.notifications.models import Notification
from parcelwatch.registry import services as registry_services
from tests.evidence_files import jpeg
from tests.exporting import export
from tests.hardening.conftest import bearer


@pytest.fixture
def phones(cast):
    registry_services.update_site(cast.hanjiang_outlet, actor=cast.city_officer,
                                  data={"manager_name": "陈经理", "manager_phone": "13512345678"})
    registry_services.update_enterprise(cast.zto_hanjiang, actor=cast.city_officer,
                                        data={"contact_person": "李联系", "contact_phone": "13698765432"})
    return cast


def test_site_and_enterprise_phones_are_masked_for_roles_without_the_right(client, phones):
    cast = phones
    site_url = reverse("registry:site_detail", args=[cast.hanjiang_outlet.pk])
    ent_url = reverse("registry:enterprise_detail", args=[cast.zto_hanjiang.pk])
    for user in (cast.hanjiang_grid, cast.police_partner):
        client.force_login(user)
        for url, full, masked in ((site_url, "13512345678", "135****5678"), (ent_url, "13698765432", "136****5432")):
            body = client.get(url).content.decode()
            assert full not in body and masked in body, (user, url)  # page and its change history
        data = client.get(f"/api/v1/sites/{cast.hanjiang_outlet.pk}", **bearer(user)).json()
        assert data["manager_phone"] == "135****5678"
        data = client.get(f"/api/v1/enterprises/{cast.zto_hanjiang.pk}", **bearer(user)).json()
        assert data["contact_phone"] == "136****5432"
    client.force_login(cast.hanjiang_officer)
    assert "13512345678" in client.get(site_url).content.decode()
    sheet = load_workbook(io.BytesIO(b"".join(export(client, "sites").streaming_content))).active
    assert "13512345678" in [c.value for c in sheet[2]] + [c.value for c in sheet[3]]


def test_leader_sees_approvals_waiting_in_the_to_do_and_on_the_home_page(client, cast, event):
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    perform(event, "escalate", actor=cast.hanjiang_officer, note="拒不整改")
    perform(event, "open_case", actor=cast.city_officer, note="立案")
    case = EnforcementCase.objects.get()
    client.force_login(cast.city_leader)
    assert client.get(reverse("home")).context["todo_count"] == 1
    body = client.get(reverse("events:todo")).content.decode()
    assert 'data-testid="todo-case"' in body and 'data-testid="todo-case-count">1<' in body
    perform_case(case, "approve_filing", actor=cast.city_leader)
    assert client.get(reverse("home")).context["todo_count"] == 0
    client.force_login(cast.city_officer)
    assert client.get(reverse("home")).context["todo_count"] == 1  # start the investigation
    assert 'data-testid="todo-case"' in client.get(reverse("events:todo")).content.decode()


def test_overdue_counts_agree_with_the_lists_they_link_to(client, cast, event):
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    Event.objects.filter(pk=event.pk).update(deadline="2020-01-01")
    for user in (cast.city_officer, cast.hanjiang_officer, cast.zto_safety):
        client.force_login(user)
        home = client.get(reverse("home")).context
        listed = client.get(reverse("events:list"), {"overdue": "1"}).context["page"].paginator.count
        todo = client.get(reverse("events:todo")).context
        assert home["overdue_count"] == listed == todo["overdue_count"] == 1, user
        assert home["open_count"] == client.get(reverse("events:list"), {"state": "open"}).context[
            "page"].paginator.count
    # Escalated events do not show a past deadline as if it were live.
    perform(event, "escalate", actor=cast.hanjiang_officer, note="逾期")
    client.force_login(cast.city_officer)
    body = client.get(reverse("events:todo")).content.decode()
    assert "2020-01-01" not in body


def test_nobody_is_told_about_their_own_action_and_opening_clears(client, cast, event,
                                                                 django_capture_on_commit_callbacks):
    def officers():
        return list(Notification.objects.filter(recipient=cast.hanjiang_officer).values_list("kind", "url"))

    assert officers() == [("event_task", f"/events/{event.pk}/")]  # the report asks the district to act
    with django_capture_on_commit_callbacks(execute=True):
        perform(event, "accept", actor=cast.hanjiang_officer)
        perform(event, "issue_letter", actor=cast.hanjiang_officer)
    assert officers() == [("event_task", f"/events/{event.pk}/")]  # nothing more: not about their own actions
    assert Notification.objects.filter(recipient=cast.zto_safety, read_at__isnull=True).exists()
    client.force_login(cast.zto_safety)
    client.get(reverse("events:detail", args=[event.pk]))
    assert not Notification.objects.filter(recipient=cast.zto_safety, read_at__isnull=True).exists()


def test_after_every_action_the_page_says_what_happens_next(client, cast, event):
    client.force_login(cast.hanjiang_officer)
    response = client.post(reverse("events:act", args=[event.pk]), {"action": "accept", "version": 1}, follow=True)
    body = response.content.decode()
    assert "已完成：受理" in body and "下一步" in body and "现场处置或下发提醒函" in body


def test_a_refused_report_keeps_what_was_typed_and_photographed(client, cast):
    client.force_login(cast.hanjiang_grid)
    category = EventCategory.objects.get(code="BA02")
    response = client.post(reverse("events:report"), {
        "site": cast.hanjiang_outlet.pk, "category": category.pk, "description": "",
        "photos": [SimpleUploadedFile("现场.jpg", jpeg())]})
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="kept-photos"' in body
    photo = Attachment.objects.get(uploaded_by=cast.hanjiang_grid)
    assert f'name="photo_ids" value="{photo.pk}"' in body
    response = client.post(reverse("events:report"), {
        "site": cast.hanjiang_outlet.pk, "category": category.pk, "description": "备案地址与实际不符",
        "photo_ids": [photo.pk]})
    assert response.status_code == 302
    event = Event.objects.get()
    assert list(event.cases.all()) == [] and photo.timeline_entries.filter(subject_id=event.pk).exists()
    # Someone else's upload id cannot be slipped in.
    foreign = Attachment.objects.create(sha256="0" * 64, kind="image", content_type="image/jpeg", size=1,
                                        file="x.jpg", uploaded_by=cast.zto_safety)
    client.post(reverse("events:report"), {"site": cast.hanjiang_outlet.pk, "category": category.pk,
                                           "description": "x", "photo_ids": [foreign.pk]})
    assert Event.objects.count() == 1


def test_grid_worker_home_leads_with_the_report_button_and_site_pages_offer_it(client, cast, event):
    client.force_login(cast.hanjiang_grid)
    body = client.get(reverse("home")).content.decode()
    assert body.index('data-testid="big-report"') < body.index('data-testid="home-todo"')
    assert event.number in body
    site_page = client.get(reverse("registry:site_detail", args=[cast.hanjiang_outlet.pk])).content.decode()
    assert 'data-testid="report-here"' in site_page and "在此网点上报" in site_page
    client.force_login(cast.city_leader)
    assert 'data-testid="report-here"' not in client.get(
        reverse("registry:site_detail", args=[cast.hanjiang_outlet.pk])).content.decode()


def test_words_a_regulator_reads(client, cast, event):
    assert str(dict(EnforcementCase.State.choices)["not_filed"]) == "不予立案"
    client.force_login(cast.hanjiang_officer)
    body = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert "已上报 → 已上报" not in body and "→ 已上报" not in body
    assert event.timeline_hash if False else 'data-testid="verify"' in body  # hashes behind 核验
    assert "核验" in body
    # The reminder letter form shows the calendar due date before issuing.
    perform(event, "accept", actor=cast.hanjiang_officer)
    body = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert 'data-testid="due-preview"' in body
    due = client.get(reverse("events:due_date"), {"days": "5"}).json()
    assert due["date"] and due["weekday"].startswith("周")
    assert client.get(reverse("events:due_date"), {"days": "99"}).status_code == 422
    client.force_login(cast.city_officer)
    response = client.get(reverse("registry:import_template", args=["sites"]))
    assert "%E7%BD%91%E7%82%B9%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF" in response["Content-Disposition"]  # 网点导入模板


def test_documents_panel_lists_paper_originals(client, cast, event):
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer, render_documents=False)
    client.force_login(cast.hanjiang_officer)
    body = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert body.count('data-testid="document"') == 1 and "纸质原件" in body and "涵江邮安提" in body


@pytest.mark.parametrize("template", ["SJ{year}{seq:05d}{oops}", "SJ{year}", "SJ{year}{seq", "SJ{seq:zz}",
                                      "{issuer}{seq}" * 15])
def test_bad_numbering_templates_are_refused_on_save(template):
    assert template_problem(template) is not None


def test_a_broken_template_already_stored_never_stops_the_work(cast):
    NumberTemplate.objects.update_or_create(kind="event", defaults={"template": "SJ{year}{seq:05d}{oops}"})
    assert next_number("event", year=2026).startswith("SJ2026")


def test_admin_refuses_a_bad_numbering_template(client, cast):
    cast.sysadmin.is_staff = cast.sysadmin.is_superuser = True
    cast.sysadmin.save()
    client.force_login(cast.sysadmin)
    template = NumberTemplate.objects.get(kind="event")
    response = client.post(reverse("admin:documents_numbertemplate_change", args=[template.pk]),
                           {"kind": "event", "template": "SJ{year}{seq:05d}{oops}"})
    assert response.status_code == 200 and "无法识别的占位符" in response.content.decode()
    template.refresh_from_db()
    assert template.template == "SJ{year}{seq:05d}"


def test_notice_gives_the_statutory_hearing_period_by_default(cast, event):
    from pypdf import PdfReader

    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)
    perform(event, "escalate", actor=cast.hanjiang_officer, note="拒不整改")
    perform(event, "open_case", actor=cast.city_officer, note="立案")
    case = EnforcementCase.objects.get()
    perform_case(case, "approve_filing", actor=cast.city_leader)
    perform_case(case, "start_investigation", actor=cast.city_officer)
    case = perform_case(case, "notify_penalty", actor=cast.city_officer, findings="属实", fine="1500")
    from parcelwatch.workdays.services import working_days_between

    assert working_days_between(timezone.localtime(case.notified_at).date(), case.hearing_deadline) == 5
    from parcelwatch.documents.models import OfficialDocument

    notice = OfficialDocument.objects.get(kind="penalty_notice")
    with notice.attachment.file.open("rb") as fh:
        text = "".join(page.extract_text() for page in PdfReader(fh).pages)
    assert "5个工作日" in text.replace(" ", "") and "第六十四条" in text
    EnforcementSettings.objects.update(hearing_days=7)
    assert EnforcementSettings.current().hearing_days == 7


def test_a_partner_department_sees_the_register_of_sites_but_not_the_enterprises_people(client, cast):
    """Partner departments read the public register (sites, enterprises); the safety officers are people: their
    names, contacts and trainings are not shared with a partner, on pages, in the menu or through the API."""
    officer_url = reverse("registry:officer_detail", args=[cast.zto_officer.pk])
    client.force_login(cast.police_partner)
    assert client.get(reverse("registry:site_detail", args=[cast.hanjiang_outlet.pk])).status_code == 200
    enterprise_page = client.get(reverse("registry:enterprise_detail", args=[cast.zto_hanjiang.pk])).content.decode()
    assert cast.zto_officer.name not in enterprise_page and officer_url not in enterprise_page
    assert client.get(officer_url).status_code == 404
    assert client.get(reverse("registry:officer_list")).status_code == 403
    home = client.get(reverse("home")).content.decode()
    assert reverse("registry:officer_list") not in home and "安全员 " not in home
    api = bearer(cast.police_partner)
    assert client.get(f"/api/v1/safety-officers/{cast.zto_officer.pk}", **api).status_code == 404
    assert client.get("/api/v1/safety-officers", **api).status_code == 403
    # Those whose work it is still see them.
    for user in (cast.hanjiang_grid, cast.hanjiang_officer, cast.city_leader, cast.zto_safety):
        client.force_login(user)
        assert client.get(officer_url).status_code == 200, user
        assert reverse("registry:officer_list") in client.get(reverse("home")).content.decode()
        assert client.get(f"/api/v1/safety-officers/{cast.zto_officer.pk}", **bearer(user)).status_code == 200


def test_a_site_page_lists_only_the_officers_the_user_may_see(client, cast):
    """Two roles: the register of the whole city (IT administration) and the people of one grid (grid worker). The
    officers of a site in another district stay hidden even where its page opens."""
    from parcelwatch.accounts.models import Membership, Role

    Membership.objects.create(user=cast.hanjiang_grid, role=Role.ADMIN, jurisdiction=cast.city)
    client.force_login(cast.hanjiang_grid)
    licheng = client.get(reverse("registry:site_detail", args=[cast.licheng_outlet.pk]))
    assert licheng.status_code == 200 and cast.yto_officer.name not in licheng.content.decode()
    own = client.get(reverse("registry:site_detail", args=[cast.hanjiang_outlet.pk])).content.decode()
    assert cast.zto_officer.name in own
