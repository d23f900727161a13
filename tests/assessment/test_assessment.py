"""The safe-delivery assessment and the credit grades, against a small hand-computed fixture."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from parcelwatch.assessment import credit, services
from parcelwatch.assessment import selectors as sel
from parcelwatch.assessment.models import CreditRating, CreditRecalculation, Evaluation, ScoringSheet
from parcelwatch.enforcement.models import EnforcementCase
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.events.services import perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.notifications.models import Notification
from parcelwatch.selfcheck import services as selfcheck
from parcelwatch.selfcheck.models import DutyReport
from tests.conftest import login
from tests.evidence_files import jpeg

NOV = time_machine.travel("2026-11-20 10:00 +0800", tick=False)
# The fixtures are the 2026 reports and events, assessed for 2026: every test runs on a day of 2026.
pytestmark = pytest.mark.usefixtures("clock_2026")


def _yes():
    from parcelwatch.selfcheck.selectors import active_template

    return {item.code: "yes" for item in active_template().items.all()}


def _event(cast, site, code="BA02", *, missed=False) -> Event:
    photo = store_attachment(jpeg(), name="现场.jpg", actor=cast.hanjiang_officer)
    event = report_event(actor=cast.hanjiang_officer, site=site, category=EventCategory.objects.get(code=code),
                         description="检查发现问题", photos=[photo])
    if missed:
        Event.objects.filter(pk=event.pk).update(missed_deadline=True)
    return event


def _reports(cast):
    """中通涵江: August on time, September late, October on time (the first month anyone reported: August)."""
    for period, at in ((date(2026, 8, 1), "2026-09-05 10:00 +0800"), (date(2026, 9, 1), "2026-10-15 10:00 +0800"),
                       (date(2026, 10, 1), "2026-11-08 10:00 +0800")):
        with time_machine.travel(at, tick=False):
            selfcheck.submit_report(cast.zto_hanjiang, actor=cast.zto_safety, period=period, answers=_yes(),
                                    narrative="本月开展安全检查。")


@pytest.fixture
def data(cast):
    from parcelwatch.registry.models import Site

    Site.objects.update(opening_date=date(2018, 5, 1))  # all operating long before the reports began
    _reports(cast)
    _event(cast, cast.hanjiang_outlet)
    _event(cast, cast.hanjiang_outlet, missed=True)
    cast.zto_officer.filing_date = date(2026, 1, 5)
    cast.zto_officer.save()
    return cast


def _evaluate(cast, subject="enterprise", area=None, actor=None) -> Evaluation:
    sheet = ScoringSheet.objects.get(subject=subject)
    evaluation = services.start_evaluation(actor=actor or cast.city_officer, sheet=sheet, year=2026,
                                           area=area or cast.city)
    return services.compute_evaluation(evaluation.pk)


@NOV
def test_an_enterprise_evaluation_scores_each_computed_criterion_from_the_years_data(data):
    cast = data
    evaluation = _evaluate(cast)
    assert (evaluation.state, evaluation.done, evaluation.total) == ("open", 2, 2)
    zto = evaluation.results.get(enterprise=cast.zto_hanjiang)
    scores = {line["code"]: Decimal(line["score"]) for line in zto.lines}
    # events 20 − 2×2; overdue 15 − 1×5; reports 20 × 2/3 months on time; officers 15 × 2/2 sites filed.
    assert scores == {"events": Decimal("16.0"), "overdue": Decimal("10.0"), "reports": Decimal("13.3"),
                      "officers": Decimal("15.0")}
    assert (zto.total, zto.grade) == (Decimal("54.3"), "fail")
    yto = evaluation.results.get(enterprise=cast.yto_licheng)
    # No problem found (20 + 15), no report in three months due (0), its officer never filed (0).
    assert (yto.total, yto.rank, zto.rank) == (Decimal("35.0"), 2, 1)


@NOV
def test_hand_scores_are_bounded_rerank_and_publishing_needs_them_all(data, django_capture_on_commit_callbacks):
    cast = data
    evaluation = _evaluate(cast)
    zto = evaluation.results.get(enterprise=cast.zto_hanjiang)
    yto = evaluation.results.get(enterprise=cast.yto_licheng)
    with pytest.raises(ValidationError) as refused:
        services.score_by_hand(zto, actor=cast.city_officer, scores={"three_rules": "21"})
    assert "three_rules" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.score_by_hand(zto, actor=cast.city_officer, scores={"events": "5"})  # computed, not by hand
    with pytest.raises(PermissionDenied):
        services.score_by_hand(zto, actor=cast.licheng_officer, scores={"three_rules": "18"})
    services.score_by_hand(yto, actor=cast.city_officer, scores={"three_rules": "20", "emergency": "10"})
    assert [r.enterprise_id for r in evaluation.results.order_by("rank")] == [cast.yto_licheng.pk,
                                                                              cast.zto_hanjiang.pk]
    with pytest.raises(ValidationError):
        services.publish(evaluation, actor=cast.city_officer)  # 中通 not scored by hand yet
    zto = services.score_by_hand(zto, actor=cast.city_officer, scores={"three_rules": "18", "emergency": "8"})
    assert (zto.total, zto.grade, zto.rank) == (Decimal("80.3"), "good", 1)
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        services.publish(evaluation, actor=cast.city_officer)
    queued = DBTaskResult.objects.get(task_path__endswith="evaluation_published_task")
    assert queued.args_kwargs["args"] == [evaluation.pk]
    assert services.after_publication(evaluation.pk) == 1  # what the worker does: 中通's safety officer is told
    assert Notification.objects.filter(recipient=cast.zto_safety, kind="evaluation_published").exists()
    assert services.after_publication(evaluation.pk) == 0  # once
    # Their grades take the published scores: both enterprises wait for the minute's recalculation.
    assert sorted(CreditRecalculation.objects.values_list("enterprise_id", flat=True)) == sorted(
        [cast.zto_hanjiang.pk, cast.yto_licheng.pk])
    with pytest.raises(ValidationError):
        services.score_by_hand(zto, actor=cast.city_officer, scores={"three_rules": "20"})  # published


@NOV
def test_a_site_evaluation_and_recomputation_keep_hand_scores(data):
    cast = data
    evaluation = _evaluate(cast, subject="site", area=cast.hanjiang, actor=cast.hanjiang_officer)
    outlet = evaluation.results.get(site=cast.hanjiang_outlet)
    other = evaluation.results.get(site=cast.hanjiang_outlet_g2)
    assert (outlet.total, other.total) == (Decimal("50.0"), Decimal("70.0"))  # 30−2×5 + 20−10 + 20; 30+20+20
    services.score_by_hand(outlet, actor=cast.hanjiang_officer, scores={"three_rules": "25"})
    _event(cast, cast.hanjiang_outlet_g2)
    services.recompute(evaluation, actor=cast.hanjiang_officer)
    evaluation = services.compute_evaluation(evaluation.pk)
    outlet.refresh_from_db()
    other.refresh_from_db()
    assert (outlet.total, other.total, outlet.manual) == (Decimal("75.0"), Decimal("65.0"), {"three_rules": "25.0"})
    assert evaluation.results.count() == 2  # 圆通 is outside 涵江


@NOV
def test_evaluations_are_scoped_to_their_area_and_enterprises_see_only_their_published_result(data, client):
    cast = data
    with pytest.raises(PermissionDenied):
        _evaluate(cast, area=cast.hanjiang, actor=cast.licheng_officer)
    evaluation = _evaluate(cast, area=cast.hanjiang, actor=cast.hanjiang_officer)
    with pytest.raises(ValidationError):
        _evaluate(cast, area=cast.hanjiang, actor=cast.hanjiang_officer)  # one per sheet, year and area
    login(client, cast.licheng_officer)
    assert client.get(f"/assessment/{evaluation.pk}/").status_code == 404
    login(client, cast.zto_safety)
    assert client.get(f"/assessment/{evaluation.pk}/").status_code == 404  # not published yet
    result = evaluation.results.get()
    services.score_by_hand(result, actor=cast.hanjiang_officer, scores={"three_rules": "18", "emergency": "8"})
    services.publish(evaluation, actor=cast.hanjiang_officer)
    page = client.get(f"/assessment/{evaluation.pk}/")
    assert page.status_code == 200 and "莆田市涵江区中通快递有限公司" in page.content.decode()
    assert client.post(f"/assessment/{evaluation.pk}/act/", {"action": "recompute"}).status_code == 403
    login(client, cast.hanjiang_officer)
    detail = client.get(f"/assessment/results/{result.pk}/")
    assert detail.status_code == 200 and 'data-testid="result-total">80.3<' in detail.content.decode()


def _case(cast, fine: int) -> EnforcementCase:
    from parcelwatch.enforcement.services import perform_case

    event = _event(cast, cast.hanjiang_outlet_g2, "YS01")
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer, render_documents=False)
    perform(event, "escalate", actor=cast.hanjiang_officer, note="拒不整改")
    perform(event, "open_case", actor=cast.city_officer, note="立案")
    case = EnforcementCase.objects.get(events=event)
    perform_case(case, "approve_filing", actor=cast.city_leader)
    EnforcementCase.objects.filter(pk=case.pk).update(state=EnforcementCase.State.DECIDED, fine_amount=fine)
    return case


@NOV
def test_the_credit_grade_explains_each_deduction(data):
    cast = data
    _case(cast, 15000)
    score, grade, lines = credit.compute(cast.zto_hanjiang)
    points = {line["key"]: line["points"] for line in lines}
    # The same BA02 twice at 中通涵东营业部 (−5), two past their deadline (−6: the escalated one too), one
    # case (−10), 15,000 yuan (−1), September late (−1); no month missing since reports began in August.
    assert points == {"repeat": -5, "overdue": -6, "cases": -10, "fines": -1, "reports_late": -1}
    assert (score, grade) == (Decimal(77), "B")
    site_score, site_grade, _lines = credit.compute(cast.zto_hanjiang, cast.hanjiang_outlet_g2)
    assert (site_score, site_grade) == (Decimal(85), "B")  # its escalated event, the case, its fine, the late report


@NOV
@pytest.mark.django_db(transaction=True)
def test_credit_history_keeps_a_row_per_change_and_inputs_trigger_the_worker(data):
    from django_tasks_db.models import DBTaskResult

    cast = data
    credit.recalculate([cast.zto_hanjiang.pk])
    credit.recalculate([cast.zto_hanjiang.pk])  # the same result refreshes the row
    assert CreditRating.objects.filter(enterprise=cast.zto_hanjiang, site=None).count() == 1
    credit.recalculate_requested()  # the worker answers what the history's events asked for
    assert not CreditRecalculation.objects.exists()
    DBTaskResult.objects.all().delete()
    _event(cast, cast.hanjiang_outlet, missed=True)  # committed at once: the enterprise waits for the worker
    assert list(CreditRecalculation.objects.values_list("enterprise_id", flat=True)) == [cast.zto_hanjiang.pk]
    assert credit.recalculate_requested() == 3  # what the task does: the enterprise and its two sites
    assert not CreditRecalculation.objects.exists()
    rows = list(CreditRating.objects.filter(enterprise=cast.zto_hanjiang, site=None).order_by("pk"))
    assert [r.current for r in rows] == [False, True] and rows[1].score < rows[0].score
    current, history, detailed = sel.rating_of(cast.zto_safety, cast.zto_hanjiang)
    assert current == rows[1] and history == [rows[0]] and detailed
    told = Notification.objects.filter(recipient=cast.zto_safety, kind="credit_grade_changed")
    # 91 → 83 (the same BA02 a third time, a second one overdue): A → B, and the enterprise is told.
    assert (rows[0].grade, rows[1].grade) == ("A", "B")
    assert [n.params for n in told] == [{"before": "A", "after": "B"}]
    credit.store(cast.zto_hanjiang, None, Decimal(82), "B", [])  # another score, the same grade: not told again
    assert told.count() == 1
    assert sel.rating_of(cast.licheng_officer, cast.zto_hanjiang) == (None, [], False)


@NOV
def test_the_grade_and_why_are_on_the_enterprise_page_for_the_enterprise_itself(data, client):
    cast = data
    credit.recalculate([cast.zto_hanjiang.pk])
    rating = CreditRating.objects.get(enterprise=cast.zto_hanjiang, site=None, current=True)
    assert (rating.grade, rating.score) == ("A", Decimal(91))  # −5 the same problem again, −3 overdue, −1 late
    login(client, cast.zto_safety)
    page = client.get(f"/registry/enterprises/{cast.zto_hanjiang.pk}/").content.decode()
    assert 'data-testid="credit-grade">A<' in page and "91.0" in page
    for line in rating.lines:
        assert credit.describe(line)["detail"] in page
    site_page = client.get(f"/registry/sites/{cast.hanjiang_outlet.pk}/").content.decode()
    assert 'data-testid="credit-grade"' in site_page and 'data-testid="three-rules-link"' in site_page
    login(client, cast.licheng_officer)  # sees neither the enterprise nor its grade
    assert client.get(f"/registry/enterprises/{cast.zto_hanjiang.pk}/").status_code == 404


def test_weighted_draws_pick_d_grade_reports_more_often():
    picks = sum(selfcheck.draw(f"seed-{i}", [[1, 1], [2, 4]], 50) == [2] for i in range(1000))
    assert 720 <= picks <= 880  # weight 4 against 1: drawn first four times in five


@NOV
def test_spot_check_draws_record_each_candidates_weight_by_its_grade(data):
    cast = data
    services_report = DutyReport.objects.get(enterprise=cast.zto_hanjiang, period=date(2026, 10, 1))
    credit.store(cast.zto_hanjiang, None, Decimal(50), "D", [])
    record = selfcheck.draw_spot_checks(actor=cast.city_officer, area=cast.city, period=date(2026, 10, 1), percent=100)
    assert record.candidates == [[services_report.pk, 4]]


@NOV
def test_the_three_rules_of_a_site_from_reports_events_and_patrols(data, client):
    cast = data
    report = DutyReport.objects.get(enterprise=cast.zto_hanjiang, period=date(2026, 10, 1))
    DutyReport.objects.filter(pk=report.pk).update(answers={**report.answers, "xray": "no"})
    _event(cast, cast.hanjiang_outlet, "RS01")
    rules = {r["rule"]: r for r in sel.three_rules(cast.hanjiang_outlet)}
    assert (rules["inspection"]["status"], rules["inspection"]["yes"]) == ("ok", 3)
    assert (rules["real_name"]["status"], rules["real_name"]["event_count"]) == ("problem", 1)
    assert (rules["xray"]["status"], rules["xray"]["no"]) == ("problem", 1)
    login(client, cast.licheng_officer)
    assert client.get(f"/assessment/sites/{cast.hanjiang_outlet.pk}/rules/").status_code == 404
    login(client, cast.zto_safety)
    page = client.get(f"/assessment/sites/{cast.hanjiang_outlet.pk}/rules/")
    assert page.status_code == 200 and 'data-testid="rule-xray"' in page.content.decode()


@NOV
def test_the_assessment_through_the_api(data, client):
    from tests.api.test_api import bearer

    cast = data
    sheet = client.get("/api/v1/assessment/sheets", **bearer(cast.hanjiang_officer)).json()
    enterprise_sheet = next(s for s in sheet if s["subject"] == "enterprise")
    made = client.post("/api/v1/assessment/evaluations", {"sheet": enterprise_sheet["id"], "year": 2026,
                                                          "area": cast.hanjiang.code},
                       content_type="application/json", **bearer(cast.hanjiang_officer))
    assert made.status_code == 201 and made.json()["state"] == "computing"
    outside = client.post("/api/v1/assessment/evaluations", {"sheet": enterprise_sheet["id"], "year": 2026,
                                                             "area": cast.licheng.code},
                          content_type="application/json", **bearer(cast.hanjiang_officer))
    assert outside.status_code == 422
    evaluation_id = made.json()["id"]
    services.compute_evaluation(evaluation_id)  # what the worker does
    url = f"/api/v1/assessment/evaluations/{evaluation_id}"
    detail = client.get(url, **bearer(cast.hanjiang_officer)).json()
    assert (detail["state"], detail["done"], detail["total"], detail["available_actions"]) == (
        "open", 1, 1, ["recompute", "publish"])
    results = client.get(url + "/results", **bearer(cast.hanjiang_officer)).json()["items"]
    assert [(r["enterprise_id"], r["total"], r["rank"]) for r in results] == [(cast.zto_hanjiang.pk, "54.3", 1)]
    result_url = f"/api/v1/assessment/results/{results[0]['id']}"
    too_high = client.patch(result_url, {"scores": {"emergency": 11}}, content_type="application/json",
                            **bearer(cast.hanjiang_officer))
    assert too_high.status_code == 422
    scored = client.patch(result_url, {"scores": {"three_rules": 18, "emergency": 8}},
                          content_type="application/json", **bearer(cast.hanjiang_officer)).json()
    assert (scored["total"], scored["grade"]) == ("80.3", "good")
    assert client.get(url, **bearer(cast.zto_safety)).status_code == 404
    published = client.post(url + "/transitions", {"action": "publish"}, content_type="application/json",
                            **bearer(cast.hanjiang_officer)).json()
    assert published["state"] == "published"
    mine = client.get(url + "/results", **bearer(cast.zto_safety)).json()
    assert [r["total"] for r in mine["items"]] == ["80.3"]
    assert client.get(url, **bearer(cast.licheng_officer)).status_code == 404
    credit.recalculate([cast.zto_hanjiang.pk])  # 91 − 3 for a "good" assessment: 88, B
    grade = client.get(f"/api/v1/enterprises/{cast.zto_hanjiang.pk}/credit", **bearer(cast.zto_safety)).json()
    assert grade["current"]["grade"] == "B" and {"assessment", "repeat"} <= {
        line["key"] for line in grade["current"]["lines"]}
    rules = client.get(f"/api/v1/sites/{cast.hanjiang_outlet.pk}/three-rules", **bearer(cast.zto_safety)).json()
    assert [r["rule"] for r in rules] == ["inspection", "real_name", "xray"]


@NOV
def test_a_hand_score_moves_only_the_ranks_it_passes(cast):
    """Ranks after each hand score equal a full competition ranking (ties share a rank)."""
    import random

    from parcelwatch.accounts.models import Jurisdiction
    from parcelwatch.registry.models import Enterprise
    from tests import factories as f

    for i in range(12):
        f.enterprise(f"莆田市涵江区测试{i}快递有限公司", cast.hanjiang)
    evaluation = _evaluate(cast, area=Jurisdiction.objects.get(code=cast.hanjiang.code), actor=cast.hanjiang_officer)
    assert evaluation.results.count() == Enterprise.objects.filter(jurisdiction=cast.hanjiang).count()
    rng = random.Random(7)
    results = list(evaluation.results.all())
    for _step in range(40):
        result = rng.choice(results)
        services.score_by_hand(result, actor=cast.hanjiang_officer,
                               scores={"three_rules": str(rng.choice([0, 5, 10, 10, 15, 20])),
                                       "emergency": str(rng.choice([0, 5, 10]))})
        rows = list(evaluation.results.values_list("total", "rank"))
        assert all(rank == 1 + sum(1 for t, _r in rows if t > total) for total, rank in rows)


@NOV
@pytest.mark.parametrize("value", ["31", "-1", "abc", "1e400", "NaN", "２５", "<b>9</b>", "12.34"])
def test_the_hand_score_form_refuses_bad_numbers_in_chinese_and_keeps_the_score(data, client, value):
    cast = data
    evaluation = _evaluate(cast, subject="site", area=cast.hanjiang, actor=cast.hanjiang_officer)
    result = evaluation.results.get(site=cast.hanjiang_outlet)
    login(client, cast.hanjiang_officer)
    page = client.post(f"/assessment/results/{result.pk}/", {"score_three_rules": value, "version": result.version})
    result.refresh_from_db()
    if value == "２５":  # full-width digits are a number
        assert page.status_code == 302 and result.manual == {"three_rules": "25.0"}
        return
    assert page.status_code == 200 and result.manual == {}
    assert "invalid-feedback" in page.content.decode() and "<b>9</b>" not in page.content.decode()


@NOV
def test_a_stale_hand_score_is_refused(data, client):
    cast = data
    evaluation = _evaluate(cast, subject="site", area=cast.hanjiang, actor=cast.hanjiang_officer)
    result = evaluation.results.get(site=cast.hanjiang_outlet)
    services.score_by_hand(result, actor=cast.hanjiang_officer, scores={"three_rules": "10"})
    login(client, cast.hanjiang_officer)
    page = client.post(f"/assessment/results/{result.pk}/", {"score_three_rules": "20", "version": 1})
    result.refresh_from_db()
    assert page.status_code == 200 and result.manual == {"three_rules": "10.0"}
    assert "其他人" in page.content.decode() or "刷新" in page.content.decode()


@NOV
def test_one_odd_stored_line_never_breaks_a_page(data, client):
    cast = data
    evaluation = _evaluate(cast, area=cast.hanjiang, actor=cast.hanjiang_officer)
    result = evaluation.results.get()
    result.lines = [{"code": "events", "score": "10.0", "facts": {"unexpected": True}}, {"code": "gone"}]
    result.save()
    credit.store(cast.zto_hanjiang, None, Decimal(70), "C", [{"key": "repeat", "points": -5, "facts": {"n": "x"}},
                                                              {"key": "nosuch"}])
    login(client, cast.hanjiang_officer)
    assert client.get(f"/assessment/results/{result.pk}/").status_code == 200
    assert client.get(f"/assessment/{evaluation.pk}/").status_code == 200
    page = client.get(f"/registry/enterprises/{cast.zto_hanjiang.pk}/")
    assert page.status_code == 200 and 'data-testid="credit-grade">C<' in page.content.decode()


@NOV
def test_the_excel_and_pdf_exports_of_an_evaluation(data):
    import io

    from openpyxl import load_workbook

    from parcelwatch.exports.models import ExportJob
    from parcelwatch.exports.services import request_export, run_export

    cast = data
    evaluation = _evaluate(cast)
    for source in ("assessment", "assessment_pdf"):
        job = request_export(actor=cast.city_officer, source=source, params={"evaluation": str(evaluation.pk)})
        run_export(job.pk)
        job = ExportJob.objects.get(pk=job.pk)
        assert job.state == "done", job.error
        body = job.file.read()
        if source == "assessment":
            rows = list(load_workbook(io.BytesIO(body)).worksheets[0].iter_rows(values_only=True))
            assert rows[0][:3] == ("排名", "企业", "统一社会信用代码")
            zto = next(r for r in rows if r[1] == cast.zto_hanjiang.name)
            assert (zto[0], zto[4], zto[5]) == (1, 54.3, "不合格")
            assert "隐患整改逾期（每起扣5分） 10.0（全年1起，每起扣5.0分）" in zto[6]
        else:
            assert body.startswith(b"%PDF-")
    # Another district's officer exports nothing of 涵江's evaluation: a sheet with the headers only, a PDF that
    # says it is not theirs.
    hanjiang = _evaluate(cast, area=cast.hanjiang, actor=cast.hanjiang_officer)
    for source in ("assessment", "assessment_pdf"):
        job = request_export(actor=cast.licheng_officer, source=source, params={"evaluation": str(hanjiang.pk)})
        run_export(job.pk)
        job = ExportJob.objects.get(pk=job.pk)
        assert job.state == "done", job.error
        body = job.file.read()
        if source == "assessment":
            assert len(list(load_workbook(io.BytesIO(body)).worksheets[0].iter_rows(values_only=True))) == 1
        else:
            assert body.startswith(b"%PDF-") and cast.zto_hanjiang.name.encode() not in body


@NOV
def test_the_grade_is_seen_with_the_enterprise_and_the_reasons_only_by_its_regulators_and_itself(data, client):
    from parcelwatch.accounts.models import Role
    from tests import factories as f

    cast = data
    credit.recalculate([cast.zto_hanjiang.pk])
    assert sel.rating_of(cast.licheng_officer, cast.zto_hanjiang) == (None, [], False)
    f.site("中通镇海营业部", cast.zhenhai_g1, cast.zto_hanjiang)  # 中通涵江 now runs a site in 荔城 too
    current, history, detailed = sel.rating_of(cast.licheng_officer, cast.zto_hanjiang)
    assert current.grade == "A" and (history, detailed) == ([], False)  # the grade, not 涵江's reasons
    assert sel.rating_of(cast.licheng_officer, cast.zto_hanjiang, cast.hanjiang_outlet) == (None, [], False)
    for user in (cast.hanjiang_officer, cast.city_officer, cast.city_leader, cast.zto_safety):
        assert sel.rating_of(user, cast.zto_hanjiang)[2], user
    grid_only = f.user("grid_hd", (Role.GRID_WORKER, cast.handong_g1))
    for user in (cast.police_partner, grid_only, cast.sysadmin):
        current, _history, detailed = sel.rating_of(user, cast.zto_hanjiang)
        assert current is not None and not detailed, user
        login(client, user)
        page = client.get(f"/registry/enterprises/{cast.zto_hanjiang.pk}/").content.decode()
        assert 'data-testid="credit-grade"' in page and 'data-testid="credit-lines"' not in page
        assert client.get(f"/assessment/sites/{cast.hanjiang_outlet.pk}/rules/").status_code == 403
        site_page = client.get(f"/registry/sites/{cast.hanjiang_outlet.pk}/").content.decode()
        assert 'data-testid="three-rules-link"' not in site_page
    from tests.api.test_api import bearer

    partner = client.get(f"/api/v1/enterprises/{cast.zto_hanjiang.pk}/credit", **bearer(cast.police_partner)).json()
    assert partner["current"]["grade"] == "A" and partner["current"]["lines"] == [] and not partner["detailed"]
    assert client.get(f"/api/v1/sites/{cast.hanjiang_outlet.pk}/three-rules",
                      **bearer(cast.police_partner)).status_code == 403
    own = client.get(f"/api/v1/enterprises/{cast.zto_hanjiang.pk}/credit", **bearer(cast.zto_safety)).json()
    assert own["detailed"] and {line["key"] for line in own["current"]["lines"]} == {"repeat", "overdue",
                                                                                     "reports_late"}


@NOV
def test_an_enterprise_answers_only_for_the_months_since_it_began_and_only_with_an_operating_site(data):
    from parcelwatch.registry.models import Site

    cast = data
    Site.objects.filter(enterprise=cast.yto_licheng).update(opening_date=date(2026, 9, 20))
    yto = _evaluate(cast).results.get(enterprise=cast.yto_licheng)
    reports = next(line for line in yto.lines if line["code"] == "reports")
    assert (reports["score"], reports["facts"]) == ("0.0", {"n": 0, "due": 2})  # September and October only
    _score, _grade, lines = credit.compute(cast.yto_licheng)
    assert {line["key"]: line["facts"] for line in lines}["reports_missing"] == {"n": 2, "total": 2}
    Site.objects.filter(enterprise=cast.yto_licheng).update(status=Site.Status.CLOSED)
    _score, _grade, lines = credit.compute(cast.yto_licheng)
    assert "reports_missing" not in {line["key"] for line in lines}  # no operating site: nothing to report


@NOV
def test_a_site_sheet_scores_a_site_run_by_an_enterprise_registered_elsewhere(data):
    from tests import factories as f

    cast = data
    outpost = f.site("圆通涵东营业部", cast.handong_g1, cast.yto_licheng, opening_date=date(2018, 5, 1))
    evaluation = _evaluate(cast, subject="site", area=cast.hanjiang, actor=cast.hanjiang_officer)
    result = evaluation.results.get(site=outpost)
    officer = next(line for line in result.lines if line["code"] == "officer")
    assert (officer["score"], officer["facts"]) == ("0.0", {"filed": False})  # 林安全 covers 荔城 only


@NOV
def test_a_stalled_computation_can_be_asked_again_and_a_second_start_is_refused(data):
    cast = data
    sheet = ScoringSheet.objects.get(subject="enterprise")
    evaluation = services.start_evaluation(actor=cast.city_officer, sheet=sheet, year=2026, area=cast.city)
    with pytest.raises(ValidationError):  # still computing, and not for long yet
        services.recompute(evaluation, actor=cast.city_officer)
    with time_machine.travel("2026-11-20 11:00 +0800", tick=False):  # the worker never came back
        assert Evaluation.objects.get(pk=evaluation.pk).stalled
        services.recompute(evaluation, actor=cast.city_officer)
    assert services.compute_evaluation(evaluation.pk).state == "open"
    with pytest.raises(ValidationError):
        services.start_evaluation(actor=cast.city_officer, sheet=sheet, year=2026, area=cast.city)
    sheet.criteria.all().delete()  # an emptied sheet is not recomputed into zeros
    with pytest.raises(ValidationError):
        services.recompute(evaluation, actor=cast.city_officer)


@pytest.mark.django_db(transaction=True)
def test_enterprises_touched_in_a_rolled_back_transaction_are_not_regraded(cast, monkeypatch):
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from parcelwatch.assessment.signals import touch

    DBTaskResult.objects.all().delete()
    try:
        with transaction.atomic():
            touch(cast.yto_licheng.pk)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert not CreditRecalculation.objects.exists()
    with transaction.atomic():
        touch(cast.zto_hanjiang.pk)
    assert list(CreditRecalculation.objects.values_list("enterprise_id", flat=True)) == [cast.zto_hanjiang.pk]
    # More changes before the worker gets to it: still one recalculation waiting for each enterprise.
    for _ in range(3):
        _event(cast, cast.hanjiang_outlet)
    with transaction.atomic():
        touch(cast.zto_hanjiang.pk)
        touch(cast.yto_licheng.pk)
    assert sorted(CreditRecalculation.objects.values_list("enterprise_id", flat=True)) == sorted(
        [cast.zto_hanjiang.pk, cast.yto_licheng.pk])
    assert not DBTaskResult.objects.exists()  # nothing queued per change
    # The scheduler has the worker take the list every minute.
    import io

    from django.core.management import call_command

    from parcelwatch.events.management.commands import run_scheduler

    assert run_scheduler.CREDIT_WAITING_EVERY == 60
    call_command("run_scheduler", "--once", stdout=io.StringIO())
    queued = DBTaskResult.objects.get(task_path__endswith="recalculate_requested_credit")
    assert queued.task.call() == 3 + 2  # 中通 and its two sites, 圆通 and its site
    assert not CreditRecalculation.objects.exists()
    assert queued.task.call() == 0  # the next minute: nothing left
    # The daily run regrades everybody and takes the list first; a change that comes in while it runs waits again.
    _event(cast, cast.hanjiang_outlet)
    recalculate = credit.recalculate

    def a_report_lands_meanwhile(ids):
        done = recalculate(ids)
        if cast.yto_licheng.pk in ids:
            credit.request_recalculation([cast.zto_hanjiang.pk])  # what a report's commit does
        return done

    monkeypatch.setattr(credit, "recalculate", a_report_lands_meanwhile)
    credit.recalculate_all()
    assert list(CreditRecalculation.objects.values_list("enterprise_id", flat=True)) == [cast.zto_hanjiang.pk]
    monkeypatch.setattr(credit, "recalculate", recalculate)
    # A hundred at a time: here one at a time, two waiting, both done by one run.
    credit.request_recalculation([cast.yto_licheng.pk])
    monkeypatch.setattr(credit, "CLAIM", 1)
    assert credit.recalculate_requested() == 3 + 2 and not CreditRecalculation.objects.exists()
    # The list unreachable when a report commits: the report stands (the failure is logged).
    monkeypatch.setattr(credit, "request_recalculation", lambda ids: 1 / 0)
    event = _event(cast, cast.hanjiang_outlet)
    assert Event.objects.filter(pk=event.pk).exists()


@NOV
def test_the_home_page_counts_the_d_grade_enterprises_of_its_list(data, client):
    cast = data
    credit.store(cast.zto_hanjiang, None, Decimal(50), "D", [])
    credit.store(cast.yto_licheng, None, Decimal(65), "C", [])
    for user, d, c in ((cast.city_officer, 1, 1), (cast.hanjiang_officer, 1, 0), (cast.licheng_officer, 0, 1),
                       (cast.city_leader, 1, 1)):
        login(client, user)
        figures = {f.testid: f for p in client.get("/").context["panels"] for f in p.figures}
        assert (figures["credit-d"].count, figures["credit-c"].count) == (d, c), user
        assert client.get(figures["credit-d"].url).context["page"].paginator.count == d
    login(client, cast.zto_safety)
    figures = {f.testid for p in client.get("/").context["panels"] for f in p.figures}
    assert "credit-d" not in figures  # the enterprise's home is about what it must do
