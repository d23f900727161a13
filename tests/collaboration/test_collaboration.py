"""Inter-department collaboration: partner users see only what is shared with their department, read-only, and
comment; referrals both ways; memoranda with their validity; joint meetings whose decisions become tracked tasks."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from parcelwatch.accounts.models import Membership, Role
from parcelwatch.collaboration import selectors as sel
from parcelwatch.collaboration import services as co
from parcelwatch.collaboration.models import Memorandum, Referral, Share, Task
from parcelwatch.enforcement.models import EnforcementCase
from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.timeline import entries_for
from parcelwatch.notifications.models import Notification
from tests import factories as f
from tests.evidence_files import jpeg


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what is queued for after the commit (the notifications) when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def photo(user, colour=(10, 20, 30)):
    return store_attachment(jpeg(colour), name="现场.jpg", actor=user)


@pytest.fixture
def world(cast):
    """An event of 涵江 escalated into a case, another 涵江 event, a 荔城 event; the police (the cast's partner)
    and state security, each with a user."""
    ba02 = EventCategory.objects.get(code="BA02")

    def reported(actor, site, colour):
        return report_event(actor=actor, site=site, category=ba02, description="备案地址不符",
                            photos=[photo(actor, colour)])

    escalated = reported(cast.hanjiang_grid, cast.hanjiang_outlet, (200, 0, 0))
    perform(escalated, "accept", actor=cast.hanjiang_officer)
    perform(escalated, "issue_letter", actor=cast.hanjiang_officer, render_documents=False)
    perform(escalated, "escalate", actor=cast.hanjiang_officer, note="拒不整改")
    perform(escalated, "open_case", actor=cast.city_officer, note="立案")
    police = cast.police_partner.memberships.get().partner_department
    security = f.department("莆田市国家安全局", cast.city, "国安")
    return {
        "case": EnforcementCase.objects.get(events=escalated), "escalated": escalated,
        "event": reported(cast.hanjiang_officer, cast.hanjiang_outlet_g2, (0, 200, 0)),
        "licheng_event": reported(cast.licheng_officer, cast.licheng_outlet, (0, 0, 200)),
        "police": police, "security": security,
        "security_user": f.user("security_partner", (Role.PARTNER, cast.city, security)),
    }


def _share_case(cast, world, **kw):
    return co.share_record(actor=cast.city_officer, department=world["police"], case=world["case"],
                           reason="请公安机关掌握情况", **kw)


# --- sharing ----------------------------------------------------------------------------------------------------


def test_police_partner_sees_the_shared_case_and_nothing_else(cast, world, client):
    share = _share_case(cast, world)
    client.force_login(cast.police_partner)
    assert [s.pk for s in client.get("/collab/shares/").context["page"]] == [share.pk]
    page = client.get(f"/collab/shares/{share.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert world["case"].site.name in body and "请公安机关掌握情况" in body
    assert 'data-testid="action-' not in body  # read-only: no workflow buttons
    # The case itself, the events, the case list: not theirs.
    assert client.get(f"/enforcement/cases/{world['case'].pk}/").status_code == 404
    assert client.get(f"/events/{world['escalated'].pk}/").status_code in (403, 404)
    assert client.get(f"/events/{world['event'].pk}/").status_code in (403, 404)
    assert client.get("/events/").status_code == 403
    assert client.get("/enforcement/cases/").status_code == 403
    # The evidence of events not shared does not open, not even the photos of the event behind the case.
    for event in (world["event"], world["escalated"]):
        other_photo = next(a for e in entries_for(event) for a in e.attachments.all())
        assert client.get(f"/evidence/{other_photo.pk}/").status_code == 404
    # Another department sees nothing of it.
    client.force_login(world["security_user"])
    assert list(client.get("/collab/shares/").context["page"]) == []
    assert client.get(f"/collab/shares/{share.pk}/").status_code == 404


def test_evidence_of_a_shared_event_opens_for_the_department_until_withdrawn(cast, world, client):
    share = co.share_record(actor=cast.hanjiang_officer, department=world["police"], event=world["event"],
                            reason="协查")
    evidence = next(a for e in entries_for(world["event"]) for a in e.attachments.all())
    client.force_login(cast.police_partner)
    assert client.get(f"/evidence/{evidence.pk}/").status_code == 200
    co.withdraw_share(share, actor=cast.hanjiang_officer)
    assert client.get(f"/evidence/{evidence.pk}/").status_code == 404
    assert client.get(f"/collab/shares/{share.pk}/").status_code == 404
    assert list(client.get("/collab/shares/").context["page"]) == []
    client.force_login(cast.hanjiang_officer)  # the bureau keeps the record of what was shared
    assert client.get(f"/collab/shares/{share.pk}/").status_code == 200


def test_comments_go_both_ways_and_stop_when_withdrawn(cast, world, client, committed):
    share = _share_case(cast, world)
    client.force_login(cast.police_partner)
    with committed():
        response = client.post(f"/collab/shares/{share.pk}/", {"text": "已通报辖区派出所"})
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=cast.city_officer, kind="share_comment").exists()
    with committed():
        co.comment_on_share(share, actor=cast.city_officer, text="谢谢")
    assert Notification.objects.filter(recipient=cast.police_partner, kind="share_comment").exists()
    assert [c.text for c in share.comments.all()] == ["已通报辖区派出所", "谢谢"]
    # A partner cannot withdraw, nor share anything.
    assert client.post(f"/collab/shares/{share.pk}/withdraw/").status_code == 403
    assert client.post("/collab/shares/new/", {"kind": "event", "record": world["event"].pk,
                                               "department": world["police"].pk, "reason": "x"}).status_code == 403
    co.withdraw_share(share, actor=cast.city_officer)
    with pytest.raises(PermissionDenied):
        co.comment_on_share(share, actor=world["security_user"], text="无关")
    with pytest.raises(ValidationError):
        co.comment_on_share(share, actor=cast.police_partner, text="还有一事")
    # The empty comment keeps the page and says why.
    share2 = _share_case(cast, world)
    page = client.post(f"/collab/shares/{share2.pk}/", {"text": "  "})
    assert page.status_code == 200 and "这个字段是必填项。" in page.content.decode()


def test_an_officer_shares_only_what_their_area_holds_and_only_once(cast, world):
    with pytest.raises(PermissionDenied):
        co.share_record(actor=cast.licheng_officer, department=world["police"], event=world["event"], reason="x")
    with pytest.raises(PermissionDenied):
        co.share_record(actor=cast.police_partner, department=world["police"], event=world["event"], reason="x")
    co.share_record(actor=cast.hanjiang_officer, department=world["police"], event=world["event"], reason="协查")
    with pytest.raises(ValidationError, match="already|已"):
        co.share_record(actor=cast.city_officer, department=world["police"], event=world["event"], reason="再次")
    with pytest.raises(ValidationError):
        co.share_record(actor=cast.hanjiang_officer, department=world["police"], reason="x")
    # The licheng officer does not see 涵江's shares.
    assert not sel.shares_visible_to(cast.licheng_officer).exists()
    assert sel.shares_visible_to(cast.city_officer).count() == 1


def test_the_event_page_shows_with_whom_it_is_shared_and_shares_it(cast, world, client, committed):
    client.force_login(cast.hanjiang_officer)
    with committed():
        response = client.post("/collab/shares/new/", {"kind": "event", "record": world["event"].pk,
                                                   "department": world["security"].pk, "reason": "涉嫌违法线索"})
    assert response.status_code == 302 and response["Location"] == f"/events/{world['event'].pk}/"
    share = Share.objects.get(event=world["event"])
    assert Notification.objects.filter(recipient=world["security_user"], kind="record_shared").exists()
    page = client.get(f"/events/{world['event'].pk}/").content.decode()
    assert 'data-testid="collab-panel"' in page and "莆田市国家安全局" in page
    co.comment_on_share(share, actor=world["security_user"], text="已登记线索")
    page = client.get(f"/events/{world['event'].pk}/").content.decode()
    assert "1条意见" in page and "已登记线索" in page
    client.force_login(cast.city_officer)
    assert "莆田市国家安全局" in client.get(f"/collab/shares/{share.pk}/").content.decode()
    # Sharing it again is refused on a page that keeps the reason typed.
    client.force_login(cast.hanjiang_officer)
    again = client.post("/collab/shares/new/", {"kind": "event", "record": world["event"].pk,
                                                "department": world["security"].pk, "reason": "第二次共享的理由"})
    assert again.status_code == 200
    assert "第二次共享的理由" in again.content.decode() and "已与莆田市国家安全局共享" in again.content.decode()
    # The grid worker who reported it sees no collaboration panel.
    client.force_login(cast.hanjiang_grid)
    assert 'data-testid="collab-panel"' not in client.get(f"/events/{world['event'].pk}/").content.decode()


# --- referrals --------------------------------------------------------------------------------------------------


def test_a_referral_to_the_police_is_received_and_answered_and_shares_its_event(cast, world, client, committed):
    with committed():
        referral = co.send_referral(actor=cast.hanjiang_officer, department=world["police"], jurisdiction=cast.hanjiang,
                                    subject="安检发现疑似管制刀具", facts="请依法核查", event=world["event"],
                                    attachments=[photo(cast.hanjiang_officer)])
    assert referral.direction == Referral.Direction.OUTGOING and referral.number.startswith("YS")
    assert Share.objects.filter(event=world["event"], department=world["police"], withdrawn_at=None).exists()
    assert Notification.objects.filter(recipient=cast.police_partner, kind="referral_sent").exists()
    # Only the receiving side acts.
    with pytest.raises(PermissionDenied):
        co.act_on_referral(referral, "receive", actor=cast.hanjiang_officer)
    assert not sel.referrals_visible_to(cast.licheng_officer).exists()
    assert not sel.referrals_visible_to(world["security_user"]).exists()
    client.force_login(cast.police_partner)
    assert client.get("/collab/referrals/?todo=1").context["page"].paginator.count == 1
    client.post(f"/collab/referrals/{referral.pk}/act/", {"action": "receive", "version": referral.version})
    referral.refresh_from_db()
    assert referral.state == Referral.State.RECEIVED
    response = client.post(f"/collab/referrals/{referral.pk}/act/", {"action": "answer", "text": "",
                                                                       "version": referral.version})
    referral.refresh_from_db()
    assert response.status_code == 200 and referral.state == Referral.State.RECEIVED  # the answer needs its text
    assert "这个字段是必填项。" in response.content.decode()
    # A stale answer comes back with what was typed.
    response = client.post(f"/collab/referrals/{referral.pk}/act/", {"action": "answer", "text": "核查中的初步结果",
                                                                       "version": referral.version - 1})
    assert response.status_code == 200 and "核查中的初步结果" in response.content.decode()
    with committed():
        client.post(f"/collab/referrals/{referral.pk}/act/", {"action": "answer", "text": "已依法收缴",
                                                              "version": referral.version})
    referral.refresh_from_db()
    assert referral.state == Referral.State.ANSWERED and referral.result == "已依法收缴"
    assert [e.kind for e in referral.entries.all()] == ["send", "receive", "answer"]
    assert Notification.objects.filter(recipient=cast.hanjiang_officer, kind="referral_answer").exists()
    # The evidence sent with it opens for the police.
    sent = referral.entries.get(kind="send").attachments.get()
    assert client.get(f"/evidence/{sent.pk}/").status_code == 200


def test_a_department_refers_a_matter_to_the_district(cast, world, client, committed):
    client.force_login(cast.police_partner)
    page = client.get("/collab/referrals/new/")
    assert page.status_code == 200
    with committed():
        response = client.post("/collab/referrals/new/", {
            "department": world["police"].pk, "jurisdiction": cast.hanjiang.pk, "subject": "疑似无证经营快递",
            "facts": "派出所巡查发现某代收点对外承接快递", "site": cast.hanjiang_outlet.pk})
    assert response.status_code == 302, response.content.decode()[:500]
    referral = Referral.objects.get()
    assert referral.direction == Referral.Direction.INCOMING and referral.sent_by == cast.police_partner
    assert Notification.objects.filter(recipient=cast.hanjiang_officer, kind="referral_sent").exists()
    with pytest.raises(PermissionDenied):
        co.act_on_referral(referral, "receive", actor=cast.police_partner)
    with pytest.raises(PermissionDenied):
        co.act_on_referral(referral, "receive", actor=cast.licheng_officer)
    with committed():
        co.act_on_referral(referral, "decline", actor=cast.hanjiang_officer, text="不属于邮政管理部门职责")
    referral.refresh_from_db()
    assert referral.state == Referral.State.DECLINED and not referral.open
    assert Notification.objects.filter(recipient=cast.police_partner, kind="referral_decline").exists()
    # A department cannot refer one of the bureau's records, nor to an area outside its own.
    with pytest.raises(ValidationError):
        co.send_referral(actor=cast.police_partner, department=world["police"], jurisdiction=cast.hanjiang,
                         subject="x", facts="y", event=world["event"])
    with pytest.raises(PermissionDenied):
        co.send_referral(actor=cast.police_partner, department=world["security"], jurisdiction=cast.hanjiang,
                         subject="x", facts="y")


def test_a_refused_referral_keeps_what_was_typed_and_photographed(cast, world, client):
    client.force_login(cast.hanjiang_officer)
    response = client.post("/collab/referrals/new/", {
        "department": world["police"].pk, "jurisdiction": cast.hanjiang.pk, "subject": "", "facts": "现场情况说明",
        "attachments": SimpleUploadedFile("现场.jpg", jpeg((9, 9, 9)), "image/jpeg")})
    assert response.status_code == 200
    body = response.content.decode()
    assert "现场情况说明" in body and "这个字段是必填项。" in body
    kept = response.context["files"]
    assert len(kept) == 1
    response = client.post("/collab/referrals/new/", {
        "department": world["police"].pk, "jurisdiction": cast.hanjiang.pk, "subject": "补充", "facts": "现场情况说明",
        "file_ids": str(kept[0].pk)})
    assert response.status_code == 302
    assert Referral.objects.get().entries.get().attachments.get() == kept[0]


# --- memoranda --------------------------------------------------------------------------------------------------


def test_memoranda_need_their_signed_copy_and_show_their_validity(cast, world):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        co.record_memorandum(actor=cast.city_officer, department=world["police"], jurisdiction=cast.city,
                             title="协作备忘录", summary="信息共享", signed_on=today, valid_from=today)
    assert "attachments" in error.value.message_dict
    m = co.record_memorandum(actor=cast.city_officer, department=world["police"], jurisdiction=cast.city,
                             title="协作备忘录", summary="信息共享", signed_on=date(2019, 5, 20),
                             valid_from=date(2019, 6, 1), valid_until=today + timedelta(days=10),
                             attachments=[photo(cast.city_officer)])
    assert m.status(today) == Memorandum.Status.EXPIRING
    assert m.status(today + timedelta(days=11)) == Memorandum.Status.EXPIRED
    assert m.status(date(2019, 5, 25)) == Memorandum.Status.PENDING
    # The district reads what the city signed, but records only its own.
    assert sel.memoranda_visible_to(cast.hanjiang_officer).get() == m
    with pytest.raises(PermissionDenied):
        co.record_memorandum(actor=cast.hanjiang_officer, department=world["police"], jurisdiction=cast.city,
                             title="x", summary="y", signed_on=today, valid_from=today,
                             attachments=[photo(cast.hanjiang_officer)])
    # The police see their memorandum; state security does not.
    assert sel.memoranda_visible_to(cast.police_partner).get() == m
    assert not sel.memoranda_visible_to(world["security_user"]).exists()
    # A month before it lapses, the city's officers are told once.
    assert co.remind_expiring_memoranda(today=today) == 1
    assert co.remind_expiring_memoranda(today=today) == 0
    assert Notification.objects.filter(recipient=cast.city_officer, kind="memorandum_expiring").exists()


# --- joint meetings and tasks -----------------------------------------------------------------------------------


@pytest.fixture
def meeting(cast, world):
    return co.record_meeting(actor=cast.city_officer, jurisdiction=cast.city, kind="plenary", title="寄递安全联席会议",
                             held_on=timezone.localdate() - timedelta(days=20), place="市局",
                             departments=[world["police"], world["security"]],
                             attendees="江局长 市邮政管理局\n刘警官 市公安局", minutes="会议要求加强信息共享。")


def test_decisions_become_tasks_the_lead_department_reports_on(cast, world, meeting, client, committed):
    today = timezone.localdate()
    with committed():
        task = co.add_decision(meeting, actor=cast.city_officer, decision="开展禁毒联合检查", lead=world["police"],
                               due_on=today + timedelta(days=10))
    late = co.add_decision(meeting, actor=cast.city_officer, decision="印发联络员名单", due_on=today - timedelta(days=1))
    assert Notification.objects.filter(recipient=cast.police_partner, kind="task_assigned").exists()
    outsider = f.department("莆田海关", cast.city, "海关")
    with pytest.raises(ValidationError):
        co.add_decision(meeting, actor=cast.city_officer, decision="x", lead=outsider)
    # State security took part and reads the task, but only the police report on it.
    assert sel.tasks_visible_to(world["security_user"]).count() == 2
    with pytest.raises(PermissionDenied):
        co.report_on_task(task, actor=world["security_user"], text="x")
    with pytest.raises(PermissionDenied):
        co.report_on_task(late, actor=cast.police_partner, text="x")  # the bureau's own task
    client.force_login(cast.police_partner)
    with committed():
        response = client.post(f"/collab/tasks/{task.pk}/", {"text": "已完成检查", "done": "on",
                                                             "version": task.version})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == Task.State.DONE and task.updates.get().done
    assert Notification.objects.filter(recipient=cast.city_officer, kind="task_done").exists()
    assert list(sel.tasks_overdue(sel.tasks_visible_to(cast.city_officer), today)) == [late]
    # A district officer reads the city's meeting, but does not change it.
    assert client.get(f"/collab/meetings/{meeting.pk}/").status_code == 200
    client.force_login(cast.hanjiang_officer)
    assert client.get(f"/collab/meetings/{meeting.pk}/").status_code == 200
    assert client.get(f"/collab/meetings/{meeting.pk}/edit/").status_code == 403
    assert client.post(f"/collab/meetings/{meeting.pk}/", {"decision": "x"}).status_code == 403
    # Another department that did not attend sees neither the meeting nor its tasks.
    customs_user = f.user("customs", (Role.PARTNER, cast.city, outsider))
    assert not sel.meetings_visible_to(customs_user).exists() and not sel.tasks_visible_to(customs_user).exists()


def test_a_meeting_record_is_corrected_with_a_version_check(cast, world, meeting, client):
    client.force_login(cast.city_officer)
    data = {"jurisdiction": cast.city.pk, "kind": "plenary", "title": "寄递安全联席会议（更正）",
            "held_on": meeting.held_on.isoformat(), "place": "市局", "departments": [world["police"].pk],
            "attendees": "江局长", "minutes": "更正后的纪要", "version": meeting.version}
    co.add_decision(meeting, actor=cast.city_officer, decision="x", lead=world["security"])
    page = client.post(f"/collab/meetings/{meeting.pk}/edit/", data)
    assert page.status_code == 200  # stale, and a lead department left out
    meeting.refresh_from_db()
    data.update(version=meeting.version, departments=[world["police"].pk, world["security"].pk])
    assert client.post(f"/collab/meetings/{meeting.pk}/edit/", data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "寄递安全联席会议（更正）" and meeting.minutes == "更正后的纪要"


def test_a_department_taken_out_of_use_stays_on_the_meetings_it_attended(cast, world, meeting, client):
    co.add_decision(meeting, actor=cast.city_officer, decision="线索通报", lead=world["security"])
    world["security"].active = False
    world["security"].save(update_fields=["active"])
    client.force_login(cast.city_officer)
    page = client.get(f"/collab/meetings/{meeting.pk}/edit/")
    assert "莆田市国家安全局" in page.content.decode()
    data = {"jurisdiction": cast.city.pk, "kind": "plenary", "title": "寄递安全联席会议", "place": "市局",
            "held_on": meeting.held_on.isoformat(), "departments": [world["police"].pk, world["security"].pk],
            "attendees": "江局长", "minutes": "更正纪要", "version": meeting.version + 1}
    assert client.post(f"/collab/meetings/{meeting.pk}/edit/", data).status_code == 302
    assert set(meeting.departments.values_list("name", flat=True)) == {"莆田市公安局", "莆田市国家安全局"}
    # A new meeting cannot name it any more.
    with pytest.raises(ValidationError):
        co.record_meeting(actor=cast.city_officer, jurisdiction=cast.city, kind="plenary", title="会",
                          held_on=timezone.localdate(), departments=[world["security"]], attendees="a", minutes="b")


def test_what_waits_for_me_is_only_what_i_may_act_on(cast, world, meeting):
    co.add_decision(meeting, actor=cast.city_officer, decision="印发名单")  # the city's own task
    co.send_referral(actor=cast.police_partner, department=world["police"], jurisdiction=cast.city, subject="线索",
                     facts="请核查")
    city_tasks = sel.tasks_visible_to(cast.hanjiang_officer)
    assert city_tasks.count() == 1  # the district reads the city's meeting and its task
    assert not sel.tasks_led_by_me(city_tasks, cast.hanjiang_officer).exists()  # but does not report on it
    assert sel.tasks_led_by_me(sel.tasks_visible_to(cast.city_officer), cast.city_officer).count() == 1
    for user, expected in ((cast.city_officer, 1), (cast.city_leader, 0), (cast.hanjiang_officer, 0),
                           (cast.police_partner, 0)):
        assert sel.referrals_to_handle(sel.referrals_visible_to(user), user).count() == expected, user


def test_memorandum_status_filters_agree_with_each_memorandums_status(cast, world):
    today = timezone.localdate()
    for n, (start, end) in enumerate(((today + timedelta(days=5), None), (date(2019, 6, 1), None),
                                      (date(2019, 6, 1), today + timedelta(days=3)),
                                      (date(2019, 6, 1), today - timedelta(days=1)))):
        co.record_memorandum(actor=cast.city_officer, department=world["police"], jurisdiction=cast.city,
                             title=f"备忘录{n}", summary="x", signed_on=date(2019, 5, 20), valid_from=start,
                             valid_until=end, attachments=[photo(cast.city_officer)])
    qs = Memorandum.objects.all()
    for status in Memorandum.Status.values:
        assert {m.pk for m in sel.memoranda_with_status(qs, status, today)} == {
            m.pk for m in qs if m.status(today) == status}, status


def test_the_api_lists_stay_flat_in_queries(cast, world, meeting, client, django_assert_max_num_queries):
    for n in range(6):
        co.send_referral(actor=cast.police_partner, department=world["police"], jurisdiction=cast.city,
                         subject=f"线索{n}", facts="请核查")
        co.add_decision(meeting, actor=cast.city_officer, decision=f"事项{n}", lead=world["police"])
        co.record_meeting(actor=cast.city_officer, jurisdiction=cast.city, kind="topical", title=f"专题会{n}",
                          held_on=timezone.localdate(), departments=[world["police"]], attendees="a", minutes="b")
    headers = _bearer(cast.city_officer)
    for path in ("/api/v1/collab/referrals", "/api/v1/collab/meetings", "/api/v1/collab/tasks",
                 "/api/v1/collab/shares", "/api/v1/collab/memoranda"):
        with django_assert_max_num_queries(14):
            assert client.get(path, **headers).status_code == 200, path


def test_a_meeting_needs_its_departments_attendees_and_minutes(cast, world):
    with pytest.raises(ValidationError) as error:
        co.record_meeting(actor=cast.city_officer, jurisdiction=cast.city, kind="plenary", title="会",
                          held_on=timezone.localdate() + timedelta(days=1), departments=[], attendees="",
                          minutes="")
    assert {"held_on", "departments", "attendees", "minutes"} <= set(error.value.message_dict)


# --- the partner's standing -------------------------------------------------------------------------------------


def test_a_partner_membership_needs_its_department(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=cast.nobody, role=Role.PARTNER, jurisdiction=cast.city)


def test_the_partner_home_page_counts_what_waits_for_the_department(cast, world, client):
    _share_case(cast, world)
    co.send_referral(actor=cast.hanjiang_officer, department=world["police"], jurisdiction=cast.hanjiang,
                     subject="移送", facts="请核查")
    client.force_login(cast.police_partner)
    counts = {f.testid: f.count for p in client.get("/").context["panels"] for f in p.figures if f.testid}
    assert counts["shared-records"] == 1 and counts["referrals-to-handle"] == 1
    client.force_login(world["security_user"])
    counts = {f.testid: f.count for p in client.get("/").context["panels"] for f in p.figures if f.testid}
    assert counts["shared-records"] == 0 and counts["referrals-to-handle"] == 0


# --- the API ----------------------------------------------------------------------------------------------------


def _bearer(user) -> dict:
    from parcelwatch.accounts.services import issue_api_token

    return {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(user)[0]}"}


def test_a_police_system_reads_the_shared_case_and_its_evidence_through_the_api(cast, world, client):
    officer, police = _bearer(cast.city_officer), _bearer(cast.police_partner)
    response = client.post("/api/v1/collab/shares", {"department": world["police"].pk, "case": world["case"].pk,
                                                     "reason": "请掌握情况"}, content_type="application/json", **officer)
    assert response.status_code == 201, response.content
    share_id = response.json()["id"]
    listed = client.get("/api/v1/collab/shares", **police).json()
    assert [s["id"] for s in listed["items"]] == [share_id]
    detail = client.get(f"/api/v1/collab/shares/{share_id}", **police).json()
    assert detail["case"]["id"] == world["case"].pk and detail["event"] is None
    assert [e["action"] for e in detail["timeline"]][0] == "propose"
    assert client.get(f"/api/v1/cases/{world['case'].pk}", **police).status_code in (403, 404)
    assert client.get("/api/v1/events", **police).status_code == 403
    comment = client.post(f"/api/v1/collab/shares/{share_id}/comments", {"text": "已收悉"},
                          content_type="application/json", **police)
    assert comment.status_code == 201 and comment.json()["author"] == "police_partner"
    # Another department's system sees nothing of it.
    assert client.get(f"/api/v1/collab/shares/{share_id}", **_bearer(world["security_user"])).status_code == 404
    # Both at once, or neither, is refused with a reason.
    both = client.post("/api/v1/collab/shares", {"department": world["police"].pk, "case": world["case"].pk,
                                                 "event": world["event"].pk, "reason": "x"},
                       content_type="application/json", **officer)
    assert both.status_code == 422 and "event" in both.json()["detail"]


def test_a_police_system_refers_a_matter_with_its_evidence(cast, world, client):
    police = _bearer(cast.police_partner)
    upload = client.post("/api/v1/evidence", {"file": SimpleUploadedFile("现场.jpg", jpeg(), "image/jpeg")}, **police)
    assert upload.status_code == 201, upload.content
    response = client.post("/api/v1/collab/referrals", {
        "department": world["police"].pk, "area": cast.hanjiang.code, "subject": "疑似无证经营",
        "facts": "请核查", "attachment_ids": [upload.json()["id"]]}, content_type="application/json", **police)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["direction"] == "in" and body["available_actions"] == []
    officer = client.get(f"/api/v1/collab/referrals/{body['id']}", **_bearer(cast.hanjiang_officer)).json()
    assert officer["available_actions"] == ["receive", "answer", "decline"]
    # Only to an area within the department's, and only for its own department.
    wrong = client.post("/api/v1/collab/referrals", {"department": world["security"].pk, "subject": "x",
                                                     "facts": "y"}, content_type="application/json", **police)
    assert wrong.status_code == 422


def test_the_scheduler_queues_the_memorandum_reminders(db):
    import io

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    call_command("run_scheduler", "--once", stdout=io.StringIO())
    queued = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert "parcelwatch.collaboration.tasks.remind_expiring_memoranda" in queued
