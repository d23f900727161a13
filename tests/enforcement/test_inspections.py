"""Inspections: plans and campaigns, the 双随机 draw by credit grade, inspection records and the public results."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from parcelwatch.assessment.models import CreditRating
from parcelwatch.enforcement import services
from parcelwatch.enforcement.models import Inspection, InspectionPlan
from parcelwatch.events.models import Event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.lib import draws
from parcelwatch.notifications.models import Notification
from tests.conftest import login
from tests.evidence_files import jpeg

NOV = time_machine.travel("2026-11-20 10:00 +0800", tick=False)
ALL = {"A": 100, "B": 100, "C": 100, "D": 100}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def inspectors(cast):
    for user, number in ((cast.hanjiang_officer, "闽邮执0301"), (cast.city_officer, "闽邮执0001"),
                         (cast.licheng_officer, "闽邮执0401")):
        user.enforcement_id = number
        user.save(update_fields=["enforcement_id"])
    return cast


def _plan(cast, *, actor=None, area=None, shares=ALL, **kw) -> InspectionPlan:
    fields = {"kind": InspectionPlan.Kind.YEARLY, "title": "2026年涵江区双随机抽查", "area": area or cast.hanjiang,
              "starts_on": date(2026, 11, 1), "ends_on": date(2026, 12, 31), "focus": "三项制度落实情况",
              "site_kinds": [], "shares": shares, "team_size": 2, **kw}
    return services.create_plan(actor=actor or cast.hanjiang_officer, **fields)


def _answers(no: tuple[str, ...] = ()) -> dict:
    return {item["code"]: ("no" if item["code"] in no else "yes") for item in services.active_checklist()}


# --- the draw as pure functions -------------------------------------------------------------------------------


def test_the_draw_takes_each_grades_share_rounded_up_and_worse_grades_more_often():
    candidates = [(i, "A") for i in range(1, 101)] + [(i, "D") for i in range(101, 201)] + [(201, "")]
    drawn = draws.draw_targets("seed-1", candidates, {"A": 5, "B": 50, "C": 30, "D": 60})
    grades = Counter(dict(candidates)[i] for i in drawn)
    assert grades == {"A": 5, "D": 60, "": 1}  # ungraded drawn with B's share: ⌈1 × 50%⌉ = 1
    assert drawn == draws.draw_targets("seed-1", list(reversed(candidates)), {"A": 5, "B": 50, "C": 30, "D": 60})
    assert drawn != draws.draw_targets("seed-2", candidates, {"A": 5, "B": 50, "C": 30, "D": 60})


def test_the_draw_is_checkable_with_any_sha256_tool():
    import hashlib

    candidates = [(i, "B") for i in range(1, 21)]
    drawn = draws.draw_targets("20261120-abc", candidates, {"B": 10})
    by_hand = sorted(range(1, 21), key=lambda i: hashlib.sha256(f"20261120-abc:site:{i}".encode()).hexdigest())[:2]
    assert drawn == by_hand


def test_teams_have_distinct_inspectors_and_the_work_is_spread_evenly():
    teams = draws.assign_teams("s", list(range(1, 10)), [11, 12, 13, 14, 15], 2)
    assert all(len(set(team)) == 2 for team in teams.values())
    load = Counter(u for team in teams.values() for u in team)
    assert max(load.values()) - min(load.values()) <= 1
    with pytest.raises(ValueError):
        draws.assign_teams("s", [1], [11], 2)


# --- plans and publication ------------------------------------------------------------------------------------


@NOV
def test_publishing_draws_sites_and_two_inspectors_each_and_tells_the_inspectors(inspectors, committed):
    cast = inspectors
    plan = _plan(cast)
    with committed():
        plan = services.publish_plan(plan, actor=cast.hanjiang_officer, expected_version=plan.version, seed="公开种子")
    assert plan.state == InspectionPlan.State.PUBLISHED and plan.seed == "公开种子"
    rows = list(plan.inspections.order_by("position"))
    assert {i.site for i in rows} == {cast.hanjiang_outlet, cast.hanjiang_outlet_g2}  # 100% of B (ungraded)
    for inspection in rows:
        assert set(inspection.inspectors.all()) == {cast.hanjiang_officer, cast.city_officer}
    # The pool is the officers with an enforcement ID who work in 涵江 or above it: not 荔城's officer.
    assert [row[0] for row in plan.inspector_pool] == sorted([cast.hanjiang_officer.pk, cast.city_officer.pk])
    note = Notification.objects.get(recipient=cast.city_officer, kind="inspection_drawn")
    assert "2" in note.text and note.url.endswith("?mine=1")
    assert services.rerun_plan(plan)[0] is True


@NOV
def test_a_changed_published_list_no_longer_matches_its_seed(inspectors):
    cast = inspectors
    plan = services.publish_plan(_plan(cast), actor=cast.hanjiang_officer)
    inspection = plan.inspections.first()
    inspection.inspectors.remove(cast.city_officer)
    inspection.inspectors.add(cast.licheng_officer)
    assert services.rerun_plan(plan)[0] is False


@NOV
def test_credit_grades_set_each_sites_share(inspectors):
    from django.utils import timezone

    cast = inspectors
    now = timezone.now()
    CreditRating.objects.create(enterprise=cast.zto_hanjiang, site=cast.hanjiang_outlet, grade="A", score=95,
                                computed_at=now, since=now)
    CreditRating.objects.create(enterprise=cast.zto_hanjiang, site=cast.hanjiang_outlet_g2, grade="D", score=50,
                                computed_at=now, since=now)
    plan = services.publish_plan(_plan(cast, shares={"A": 0, "B": 0, "C": 0, "D": 100}), actor=cast.hanjiang_officer)
    assert [(i.site, i.grade) for i in plan.inspections.all()] == [(cast.hanjiang_outlet_g2, "D")]
    assert sorted(plan.candidates) == sorted([[cast.hanjiang_outlet.pk, "A"], [cast.hanjiang_outlet_g2.pk, "D"]])


@NOV
def test_a_plan_without_two_officers_holding_enforcement_ids_cannot_be_drawn(cast):
    plan = _plan(cast)
    with pytest.raises(ValidationError, match="执法证号|enforcement ID"):
        services.publish_plan(plan, actor=cast.hanjiang_officer)
    plan.refresh_from_db()
    assert plan.state == InspectionPlan.State.DRAFT and not plan.inspections.exists()


@NOV
def test_a_published_draw_stands(inspectors):
    cast = inspectors
    plan = services.publish_plan(_plan(cast), actor=cast.hanjiang_officer)
    with pytest.raises(ValidationError):
        services.publish_plan(plan, actor=cast.hanjiang_officer)
    with pytest.raises(ValidationError):
        services.update_plan(plan, actor=cast.hanjiang_officer, kind="yearly", title="改", area=cast.hanjiang,
                             starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 1), focus="", site_kinds=[],
                             shares=ALL, team_size=2)
    assert plan.inspections.count() == 2


@NOV
@pytest.mark.parametrize("field,value,message", [
    ("team_size", 1, "至少两名|at least two"), ("shares", {"A": 0, "B": 0, "C": 0, "D": 0}, "至少|at least one"),
    ("shares", {"A": "x", "B": 101}, "0 to 100|0 到 100|0至100|0 至 100"), ("title", "\u0000  ", "标题|title"),
    ("ends_on", date(2026, 10, 1), "结束|end before"), ("site_kinds", ["warehouse"], "种类|kinds of site"),
])
def test_bad_plan_input_is_refused_with_the_fields_reason(cast, field, value, message):
    with pytest.raises(ValidationError) as info:
        _plan(cast, **{field: value})
    assert field in info.value.message_dict
    assert not InspectionPlan.objects.exists()


@NOV
def test_only_regulators_of_the_area_plan_its_inspections(inspectors):
    cast = inspectors
    with pytest.raises(PermissionDenied):
        _plan(cast, actor=cast.licheng_officer)
    with pytest.raises(PermissionDenied):
        _plan(cast, actor=cast.city_leader)
    plan = _plan(cast)
    with pytest.raises(PermissionDenied):
        services.publish_plan(plan, actor=cast.licheng_officer)
    city_plan = _plan(cast, actor=cast.city_officer, area=cast.city, title="全市寄递安全专项检查",
                      kind=InspectionPlan.Kind.CAMPAIGN)
    assert city_plan.area == cast.city


# --- recording inspections ------------------------------------------------------------------------------------


@pytest.fixture
def drawn(inspectors):
    with NOV:
        plan = services.publish_plan(_plan(inspectors), actor=inspectors.hanjiang_officer)
    return plan.inspections.get(site=inspectors.hanjiang_outlet)


@NOV
def test_an_inspector_records_the_checklist_and_problems_need_findings(drawn, cast):
    with pytest.raises(ValidationError) as info:
        services.record_inspection(drawn, actor=cast.hanjiang_officer, inspected_on=date(2026, 11, 20),
                                   answers={"YS01": "yes"})
    assert "answers" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.record_inspection(drawn, actor=cast.hanjiang_officer, inspected_on=date(2026, 11, 20),
                                   answers=_answers(no=("RS01",)))
    assert "findings" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.record_inspection(drawn, actor=cast.hanjiang_officer, inspected_on=date(2026, 11, 21),
                                   answers=_answers())
    assert "inspected_on" in info.value.message_dict
    done = services.record_inspection(drawn, actor=cast.hanjiang_officer, inspected_on=date(2026, 11, 20),
                                      answers=_answers(no=("RS01",)), findings="未核对寄件人身份证件")
    assert done.state == Inspection.State.DONE and done.result == Inspection.Result.PROBLEMS
    assert [item["code"] for item in done.failed_items()] == ["RS01"]
    with pytest.raises(ValidationError):
        services.record_inspection(done, actor=cast.city_officer, inspected_on=date(2026, 11, 20),
                                   answers=_answers())


@NOV
def test_only_the_inspectors_drawn_record_an_inspection(drawn, cast):
    for outsider in (cast.licheng_officer, cast.zto_safety, cast.city_leader, cast.hanjiang_grid):
        with pytest.raises(PermissionDenied):
            services.record_inspection(drawn, actor=outsider, inspected_on=date(2026, 11, 20), answers=_answers())
    drawn.refresh_from_db()
    assert drawn.state == Inspection.State.PLANNED


@NOV
def test_a_problem_found_becomes_an_event_with_the_inspections_photo(drawn, cast):
    photo = store_attachment(jpeg(), name="现场.jpg", actor=cast.hanjiang_officer)
    services.record_inspection(drawn, actor=cast.hanjiang_officer, inspected_on=date(2026, 11, 20),
                               answers=_answers(no=("RS01",)), findings="未实名收寄", attachments=[photo])
    event = services.raise_inspection_event(drawn, actor=cast.hanjiang_officer, category_code="RS01")
    assert event.source == Event.Source.INSPECTION and event.site == cast.hanjiang_outlet
    assert "未实名收寄" in event.description
    assert services.raise_inspection_event(drawn, actor=cast.hanjiang_officer, category_code="RS01") == event
    assert list(drawn.events.all()) == [event]
    with pytest.raises(ValidationError):
        services.raise_inspection_event(drawn, actor=cast.hanjiang_officer, category_code="NOPE")


@NOV
def test_a_compliant_inspection_raises_no_event(drawn, cast):
    services.record_inspection(drawn, actor=cast.hanjiang_officer, inspected_on=date(2026, 11, 20),
                               answers=_answers())
    with pytest.raises(ValidationError):
        services.raise_inspection_event(drawn, actor=cast.hanjiang_officer, category_code="RS01")
    assert not Event.objects.exists()


# --- pages ----------------------------------------------------------------------------------------------------


@NOV
def test_a_refused_plan_form_keeps_what_was_typed_and_says_why_in_chinese(inspectors, client):
    login(client, inspectors.hanjiang_officer)
    response = client.post("/enforcement/inspections/plans/new/", {
        "kind": "yearly", "title": "涵江年度抽查", "area": str(inspectors.hanjiang.pk), "starts_on": "2026-12-01",
        "ends_on": "2026-11-01", "focus": "重点检查实名收寄", "share_A": "5", "share_B": "10", "share_C": "30",
        "share_D": "60", "team_size": "2"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "重点检查实名收寄" in html and "涵江年度抽查" in html
    assert "结束" in html
    assert not InspectionPlan.objects.exists()


@NOV
def test_the_plan_journey_through_the_pages(inspectors, client):
    cast = inspectors
    login(client, cast.hanjiang_officer)
    response = client.post("/enforcement/inspections/plans/new/", {
        "kind": "campaign", "title": "涵江实名收寄专项", "area": str(cast.hanjiang.pk), "starts_on": "2026-11-20",
        "ends_on": "2026-12-20", "share_A": "5", "share_B": "100", "share_C": "30", "share_D": "60",
        "team_size": "2"})
    plan = InspectionPlan.objects.get()
    assert response.status_code == 302 and response.url == f"/enforcement/inspections/plans/{plan.pk}/"
    assert "2" in client.get(response.url).content.decode()
    response = client.post(f"/enforcement/inspections/plans/{plan.pk}/publish/", {"version": plan.version})
    plan.refresh_from_db()
    assert plan.state == InspectionPlan.State.PUBLISHED
    page = client.get("/enforcement/inspections/?mine=1")
    assert page.context["count"] == 2 == page.context["due_count"]
    inspection = plan.inspections.first()
    body = {"inspected_on": "2026-11-20", "findings": "", "version": inspection.version,
            **{f"item_{code}": value for code, value in _answers(no=("YS01",)).items()}}
    response = client.post(f"/enforcement/inspections/{inspection.pk}/", body)
    assert response.status_code == 200 and "描述" in response.content.decode()
    body["findings"] = "未开箱验视"
    response = client.post(f"/enforcement/inspections/{inspection.pk}/", body)
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.result == Inspection.Result.PROBLEMS
    assert client.get("/enforcement/inspections/?mine=1").context["count"] == 1


@NOV
def test_who_sees_plans_and_inspections(drawn, cast, client):
    plan = drawn.plan
    for user, plan_status, inspection_status in (
            (cast.hanjiang_officer, 200, 200), (cast.city_officer, 200, 200), (cast.city_leader, 200, 200),
            (cast.licheng_officer, 404, 404), (cast.zto_safety, 404, 200), (cast.police_partner, 404, 404),
            (cast.hanjiang_grid, 404, 404)):
        login(client, user)
        assert client.get(f"/enforcement/inspections/plans/{plan.pk}/").status_code == plan_status, user
        assert client.get(f"/enforcement/inspections/{drawn.pk}/").status_code == inspection_status, user
    login(client, cast.zto_safety)
    assert client.get("/enforcement/inspections/").context["count"] == 2
    login(client, cast.yto_officer_user) if hasattr(cast, "yto_officer_user") else None
    login(client, cast.licheng_officer)
    assert client.get("/enforcement/inspections/").context["count"] == 0
    assert client.post(f"/enforcement/inspections/{drawn.pk}/", {"inspected_on": "2026-11-20"}).status_code == 404


@NOV
def test_the_public_page_shows_the_draw_and_results_without_login_and_reruns_it(drawn, cast, client):
    services.record_inspection(drawn, actor=cast.city_officer, inspected_on=date(2026, 11, 20),
                               answers=_answers(no=("AJ01",)), findings="安检机未开机，值守人员张某某手机13900001111")
    plan = drawn.plan
    assert client.get("/public/inspections/").status_code == 200
    page = client.get(f"/public/inspections/{plan.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and plan.seed in html and "中通涵东营业部" in html
    assert "闽邮执0301" in html and "过机安检" in html
    assert "13900001111" not in html and "张某某" not in html  # the findings' free text stays inside
    verified = client.get(f"/public/inspections/{plan.pk}/?verify=1")
    assert verified.context["verified"] is True
    data = client.get(f"/public/inspections/{plan.pk}/draw.json").json()
    assert data["seed"] == plan.seed and len(data["drawn"]) == 2 and len(data["inspectors"]) == 2


@NOV
def test_a_draft_plan_is_not_public(inspectors, client):
    plan = _plan(inspectors)
    assert client.get(f"/public/inspections/{plan.pk}/").status_code == 404
    assert client.get(f"/public/inspections/{plan.pk}/draw.json").status_code == 404
    assert client.get("/public/inspections/99999999999999999999/").status_code == 404


@NOV
def test_an_officer_drawn_outside_their_district_sees_records_and_opens_the_photos(inspectors, client):
    """A city plan may send 荔城's officer to a 涵江 site: the inspection is theirs to see and record."""
    cast = inspectors
    plan = _plan(cast, actor=cast.city_officer, area=cast.city, title="全市专项", team_size=3,
                 kind=InspectionPlan.Kind.CAMPAIGN)
    plan = services.publish_plan(plan, actor=cast.city_officer)
    inspection = plan.inspections.get(site=cast.hanjiang_outlet)
    assert cast.licheng_officer in inspection.inspectors.all()
    login(client, cast.licheng_officer)
    assert client.get("/enforcement/inspections/?mine=1").context["count"] == plan.inspections.count()
    photo = store_attachment(jpeg(), name="现场.jpg", actor=cast.licheng_officer)
    services.record_inspection(inspection, actor=cast.licheng_officer, inspected_on=date(2026, 11, 20),
                               answers=_answers(), attachments=[photo])
    assert client.get(f"/enforcement/inspections/{inspection.pk}/").status_code == 200
    for user, status in ((cast.licheng_officer, 200), (cast.hanjiang_officer, 200), (cast.zto_safety, 200),
                         (cast.hanjiang_grid, 404)):
        login(client, user)
        assert client.get(f"/evidence/{photo.pk}/").status_code == status, user
