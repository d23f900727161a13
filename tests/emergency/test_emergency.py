"""Emergency management: organisation and plans (review, expiry reminders), drills (planned, held, evaluated,
due on the enterprise's home, counted by the assessment) and incidents with their timeline."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcelwatch.emergency import services
from parcelwatch.emergency.models import Drill, EmergencyPlan, Incident
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.notifications.models import Notification
from tests.conftest import login
from tests.evidence_files import PDF, jpeg

NOV = time_machine.travel("2026-11-20 10:00 +0800", tick=False)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _plan(cast, **kw) -> EmergencyPlan:
    pdf = store_attachment(PDF, name="综合应急预案.pdf", actor=cast.zto_safety)
    fields = {"kind": "comprehensive", "title": "中通涵江综合应急预案", "document": pdf,
              "effective_on": date(2026, 1, 1), "expires_on": date(2028, 12, 31), **kw}
    return services.submit_plan(cast.zto_hanjiang, actor=cast.zto_safety, **fields)


def _drill(cast, planned_on=date(2026, 12, 5)) -> Drill:
    return services.plan_drill(cast.zto_hanjiang, actor=cast.zto_safety, title="分拨场地火灾疏散演练",
                               scenario="分拨区传送带起火，人员疏散并扑救初起火灾。", planned_on=planned_on)


def _held(cast, drill: Drill) -> Drill:
    photo = store_attachment(jpeg(), name="演练.jpg", actor=cast.zto_safety)
    return services.record_drill(drill, actor=cast.zto_safety, held_on=date(2026, 11, 18), participants=24,
                                 participant_names="全体员工", summary="疏散用时3分钟，灭火器使用熟练。",
                                 attachments=[photo])


# --- organisation and plans -----------------------------------------------------------------------------------


@NOV
def test_the_enterprise_names_its_emergency_command_and_its_phone_is_checked(cast):
    org = services.save_organisation(cast.zto_hanjiang, actor=cast.zto_safety, head="吴经理", duty_phone="139 0000 1234")
    assert org.duty_phone == "13900001234"
    with pytest.raises(ValidationError) as info:
        services.save_organisation(cast.zto_hanjiang, actor=cast.zto_safety, head="吴经理", duty_phone="abc")
    assert "duty_phone" in info.value.message_dict
    with pytest.raises(PermissionDenied):
        services.save_organisation(cast.yto_licheng, actor=cast.zto_safety, head="x", duty_phone="13900001234")


@NOV
def test_a_plan_is_reviewed_by_the_district_and_the_new_one_replaces_the_old(cast, committed):
    with committed():
        first = _plan(cast)
    assert Notification.objects.filter(recipient=cast.hanjiang_officer, kind="emergency_plan_submitted").exists()
    with pytest.raises(PermissionDenied):
        services.review_plan(first, "accept", actor=cast.licheng_officer)
    with pytest.raises(ValidationError):
        services.review_plan(first, "return", actor=cast.hanjiang_officer)  # a return needs its reason
    with committed():
        services.review_plan(first, "accept", actor=cast.hanjiang_officer)
    assert Notification.objects.filter(recipient=cast.zto_safety, kind="emergency_plan_accepted").exists()
    second = _plan(cast, title="中通涵江综合应急预案（2027修订）")
    services.review_plan(second, "accept", actor=cast.hanjiang_officer)
    first.refresh_from_db()
    assert first.state == EmergencyPlan.State.SUPERSEDED


@NOV
@pytest.mark.parametrize("field,value", [("expires_on", date(2025, 12, 1)), ("expires_on", date(2031, 1, 1)),
                                          ("title", "  \x00 "), ("kind", "nosuch"), ("document", None)])
def test_bad_plans_are_refused_field_by_field(cast, field, value):
    with pytest.raises(ValidationError) as info:
        _plan(cast, **{field: value})
    assert field in info.value.message_dict
    assert not EmergencyPlan.objects.exists()


@NOV
def test_a_photo_is_not_a_plan_document(cast):
    photo = store_attachment(jpeg(), name="plan.jpg", actor=cast.zto_safety)
    with pytest.raises(ValidationError) as info:
        _plan(cast, document=photo)
    assert "document" in info.value.message_dict


def test_expiring_plans_are_reminded_once_before_and_once_when_expired(cast):
    with NOV:
        plan = _plan(cast, expires_on=date(2026, 12, 10))
        services.review_plan(plan, "accept", actor=cast.hanjiang_officer)
        assert services.remind_expiring_plans() == 1
        assert services.remind_expiring_plans() == 0
    assert services.remind_expiring_plans(today=date(2026, 12, 10)) == 1
    kinds = set(Notification.objects.filter(recipient=cast.zto_safety).values_list("kind", flat=True))
    assert {"emergency_plan_soon", "emergency_plan_expired"} <= kinds


# --- drills ---------------------------------------------------------------------------------------------------


@NOV
def test_a_drill_is_planned_held_with_photos_and_evaluated(cast, committed):
    drill = _drill(cast, planned_on=date(2026, 11, 18))
    with pytest.raises(ValidationError) as info:
        services.record_drill(drill, actor=cast.zto_safety, held_on=date(2026, 11, 18), participants=24,
                              participant_names="", summary="疏散演练")
    assert "attachments" in info.value.message_dict  # a photo of the drill is required
    with pytest.raises(ValidationError) as info:
        services.record_drill(drill, actor=cast.zto_safety, held_on=date(2026, 11, 21), participants=24,
                              participant_names="", summary="疏散演练")
    assert "held_on" in info.value.message_dict
    with committed():
        drill = _held(cast, drill)
    assert drill.state == Drill.State.HELD
    assert Notification.objects.filter(recipient=cast.hanjiang_officer, kind="drill_held").exists()
    with pytest.raises(PermissionDenied):
        services.evaluate_drill(drill, actor=cast.zto_safety, rating="good")
    with pytest.raises(ValidationError):
        services.evaluate_drill(drill, actor=cast.hanjiang_officer, rating="poor")  # poor needs comments
    drill = services.evaluate_drill(drill, actor=cast.hanjiang_officer, rating="good", evaluation="组织有序")
    assert drill.state == Drill.State.EVALUATED


@NOV
def test_drills_due_on_the_enterprise_home_match_the_list(cast, client):
    _drill(cast, planned_on=date(2026, 12, 5))  # within 30 days
    _drill(cast, planned_on=date(2026, 11, 10))  # overdue
    _drill(cast, planned_on=date(2027, 3, 1))  # later
    login(client, cast.zto_safety)
    home = client.get("/")
    figure = next(f for p in home.context["panels"] for f in p.figures if f.testid == "drills-due")
    assert figure.count == 2
    listed = client.get(figure.url)
    assert listed.context["count"] == 2


@NOV
def test_the_assessment_counts_drills_held(cast):
    from parcelwatch.assessment.models import Criterion
    from parcelwatch.assessment.services import Inputs, describe_facts

    class Year:
        year = 2026
        area = cast.hanjiang

        class sheet:
            subject = "enterprise"

    criterion = {"points": "10", "deduction": "0", "metric": Criterion.Metric.DRILLS_HELD}
    inputs = Inputs(Year, date(2026, 11, 20))
    assert inputs.score(criterion, cast.zto_hanjiang.pk, None) == (Decimal(0), {"drills": 0})
    _held(cast, _drill(cast, planned_on=date(2026, 11, 18)))
    inputs = Inputs(Year, date(2026, 11, 20))
    score, facts = inputs.score(criterion, cast.zto_hanjiang.pk, None)
    assert score == Decimal(10) and "1" in describe_facts(Criterion.Metric.DRILLS_HELD, facts)


# --- incidents ------------------------------------------------------------------------------------------------


@NOV
def test_an_incident_tells_the_district_and_city_leaders_at_once_and_keeps_its_timeline(cast, committed):
    with committed():
        incident = services.report_incident(
            actor=cast.zto_safety, kind="dangerous_goods", severity="larger", title="包裹内发现疑似爆炸物",
            description="安检机发现可疑物品，已疏散人员并报警。", occurred_at=timezone.now() - timedelta(minutes=20),
            site=cast.hanjiang_outlet)
    told = set(Notification.objects.filter(kind="incident_reported").values_list("recipient__username", flat=True))
    assert told == {"hanjiang_officer", "city_officer", "city_leader"}
    assert incident.number.startswith("TF20261120") and incident.district == cast.hanjiang
    with pytest.raises(PermissionDenied):
        services.add_incident_update(incident, actor=cast.zto_safety, text="已处置完毕", close=True)
    services.add_incident_update(incident, actor=cast.zto_safety, text="公安已到场")
    with committed():
        services.add_incident_update(incident, actor=cast.hanjiang_officer, text="排除险情，恢复作业", close=True)
    incident.refresh_from_db()
    assert incident.state == Incident.State.CLOSED
    assert [u.kind for u in incident.updates.all()] == ["report", "update", "close"]
    with pytest.raises(ValidationError):
        services.add_incident_update(incident, actor=cast.hanjiang_officer, text="补充")


@NOV
def test_an_enterprise_reports_incidents_only_at_its_own_sites(cast):
    with pytest.raises(PermissionDenied):
        services.report_incident(actor=cast.zto_safety, kind="fire", severity="general", title="起火",
                                 description="起火", occurred_at=timezone.now(), site=cast.licheng_outlet)
    with pytest.raises(ValidationError) as info:
        services.report_incident(actor=cast.zto_safety, kind="fire", severity="general", title="起火",
                                 description="起火", occurred_at=timezone.now() - timedelta(days=40),
                                 site=cast.hanjiang_outlet)
    assert "occurred_at" in info.value.message_dict
    assert not Incident.objects.exists()


@NOV
def test_who_sees_emergency_records(cast, client):
    plan = _plan(cast)
    drill = _drill(cast)
    incident = services.report_incident(actor=cast.hanjiang_officer, kind="traffic", severity="general",
                                        title="派送车辆追尾", description="无人员受伤", occurred_at=timezone.now(),
                                        district=cast.hanjiang)
    for user, status in ((cast.hanjiang_officer, 200), (cast.city_officer, 200), (cast.city_leader, 200),
                         (cast.licheng_officer, 404), (cast.police_partner, 403), (cast.hanjiang_grid, 403)):
        login(client, user)
        for url in (f"/emergency/plans/{plan.pk}/", f"/emergency/drills/{drill.pk}/",
                    f"/emergency/incidents/{incident.pk}/"):
            expected = 404 if status == 403 else status
            assert client.get(url).status_code == expected, (user, url)
    login(client, cast.zto_safety)
    assert client.get(f"/emergency/plans/{plan.pk}/").status_code == 200
    assert client.get(f"/emergency/incidents/{incident.pk}/").status_code == 404  # not its own enterprise's
    assert client.post(f"/emergency/plans/{plan.pk}/review/", {"action": "accept"}).status_code == 403
    login(client, cast.licheng_officer)
    assert client.post(f"/emergency/plans/{plan.pk}/review/", {"action": "accept"}).status_code == 404
    plan.refresh_from_db()
    assert plan.state == EmergencyPlan.State.SUBMITTED


@NOV
def test_a_refused_drill_record_keeps_what_was_typed_and_the_photo(cast, client):
    drill = _drill(cast, planned_on=date(2026, 11, 18))
    login(client, cast.zto_safety)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(f"/emergency/drills/{drill.pk}/", {
        "held_on": "2026-11-18", "participants": "0", "summary": "疏散演练总结",
        "attachments": SimpleUploadedFile("演练.jpg", jpeg(), "image/jpeg")})
    html = response.content.decode()
    assert response.status_code == 200 and "疏散演练总结" in html and "演练.jpg" in html
    file_ids = response.context["file_ids"]
    response = client.post(f"/emergency/drills/{drill.pk}/", {
        "held_on": "2026-11-18", "participants": "12", "summary": "疏散演练总结", "file_ids": file_ids,
        "version": drill.version})
    assert response.status_code == 302
    drill.refresh_from_db()
    assert drill.state == Drill.State.HELD and drill.attachments.count() == 1


@NOV
def test_the_files_of_emergency_records_open_for_whoever_sees_the_record(cast, client):
    """The plan's PDF, a drill's photos and an incident's photos: for the enterprise and its regulators only."""
    plan = _plan(cast)
    drill = _held(cast, _drill(cast, planned_on=date(2026, 11, 18)))
    photo = store_attachment(jpeg(), name="现场.jpg", actor=cast.zto_safety)
    incident = services.report_incident(actor=cast.zto_safety, kind="fire", severity="general", title="起火",
                                        description="起火", occurred_at=timezone.now(), site=cast.hanjiang_outlet,
                                        attachments=[photo])
    files = [plan.document_id, drill.attachments.get().pk, incident.updates.get().attachments.get().pk]
    for user, status in ((cast.hanjiang_officer, 200), (cast.city_leader, 200), (cast.licheng_officer, 404),
                         (cast.hanjiang_grid, 404)):
        login(client, user)
        for pk in files:
            assert client.get(f"/evidence/{pk}/").status_code == status, (user, pk)
