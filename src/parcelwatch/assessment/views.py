"""Assessment pages: evaluations with their results, a result's score sheet, a site's three safety rules."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcelwatch.accounts.access import has_permission, valid_pk
from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import SELFCHECK_REVIEW, SELFCHECK_VIEW
from parcelwatch.lib.forms import add_service_errors, posted
from parcelwatch.lib.pagination import CappedPaginator
from parcelwatch.lib.params import text
from parcelwatch.registry.selectors import get_site_for_user

from . import selectors as sel
from . import services
from .forms import EvaluationForm, ScoresForm
from .models import Criterion, Evaluation, Grade, ScoringSheet


def _require(request: HttpRequest, perm: str = SELFCHECK_VIEW) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def _areas(user) -> list[tuple[str, str]]:
    from parcelwatch.selfcheck.views import _review_areas

    return _review_areas(user)


def filter_results(qs, params) -> tuple:
    grade = text(params, "grade")
    if grade in Grade.values:
        qs = qs.filter(grade=grade)
    q = text(params, "q", 100)
    if q:
        qs = qs.filter(Q(enterprise__name__icontains=q) | Q(site__name__icontains=q))
    return qs.order_by("rank", "pk"), grade, q


@login_required
def evaluation_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    areas = _areas(request.user)
    sheets = list(ScoringSheet.objects.filter(active=True))
    form = None
    if areas:
        form = EvaluationForm(posted(request), sheets=sheets, areas=areas, initial={
            "year": timezone.localdate().year - 1, "area": areas[-1][0]})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            sheet = next(s for s in sheets if str(s.pk) == data["sheet"])
            try:
                evaluation = services.start_evaluation(actor=request.user, sheet=sheet, year=data["year"],
                                                       area=Jurisdiction.objects.get(code=data["area"]))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The evaluation is being computed."))
                return redirect("assessment:evaluation_detail", pk=evaluation.pk)
    elif request.method == "POST":
        raise PermissionDenied
    evaluations = sel.evaluations_visible_to(request.user).order_by("-year", "area__code", "sheet__subject")
    state = text(request.GET, "state")
    if state in Evaluation.State.values:
        evaluations = evaluations.filter(state=state)
    return render(request, "assessment/evaluation_list.html", {
        "form": form, "state": state, "states": Evaluation.State.choices,
        "page": CappedPaginator(evaluations, 50).get_page(request.GET.get("page"))})


@login_required
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = sel.get_evaluation_for_user(request.user, pk)
    results, grade, q = filter_results(sel.results_visible_to(request.user, evaluation), request.GET)
    manager = sel.can_manage(request.user, SELFCHECK_REVIEW, evaluation)
    computed = [c for c in evaluation.criteria if c["method"] == Criterion.Method.COMPUTED]
    page = CappedPaginator(results, 100).get_page(request.GET.get("page"))
    for r in page:
        r.cells = [cell["score"] for cell in services.cells(evaluation, r)]
    counts = dict(sel.results_visible_to(request.user, evaluation).order_by().values_list("grade").annotate(
        n=Count("pk")))
    return render(request, "assessment/evaluation_detail.html", {
        "evaluation": evaluation, "page": page, "grade": grade, "q": q, "grades": Grade.choices, "manager": manager,
        "computed": computed, "counts": [(value, label, counts.get(value, 0)) for value, label in Grade.choices],
        "site_sheet": evaluation.sheet.subject == ScoringSheet.Subject.SITE,
        "export_query": urlencode({"evaluation": evaluation.pk, **({"grade": grade} if grade else {}),
                                   **({"q": q} if q else {})}),
    })


@login_required
@require_POST
def evaluation_act(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = sel.get_evaluation_for_user(request.user, pk, need=SELFCHECK_REVIEW)
    action = text(request.POST, "action", 16)
    version = valid_pk(request.POST.get("version"))
    try:
        if action == "recompute":
            services.recompute(evaluation, actor=request.user, expected_version=version)
            messages.success(request, _("The evaluation is being computed again."))
        elif action == "publish":
            services.publish(evaluation, actor=request.user, expected_version=version)
            messages.success(request, _("Published: the enterprises can see their scores."))
        else:
            messages.error(request, _("The request was not valid: reload the page and try again."))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("assessment:evaluation_detail", pk=evaluation.pk)


@login_required
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    result = sel.get_result_for_user(request.user, pk)
    evaluation = result.evaluation
    can_score = evaluation.state == Evaluation.State.OPEN and sel.can_manage(request.user, SELFCHECK_REVIEW,
                                                                             evaluation)
    manual = [c for c in evaluation.criteria if c["method"] == Criterion.Method.MANUAL]
    form = ScoresForm(posted(request) if can_score else None, criteria=manual, initial_scores=result.manual,
                      initial={"version": result.version})
    if request.method == "POST":
        if not can_score:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.score_by_hand(result, actor=request.user, scores=form.scores(),
                                       expected_version=form.cleaned_data.get("version"))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Scores saved."))
                return redirect("assessment:result_detail", pk=result.pk)
    rows = services.cells(evaluation, result)
    return render(request, "assessment/result_detail.html", {
        "result": result, "evaluation": evaluation, "rows": rows, "form": form, "can_score": can_score,
        "count": evaluation.results.count()})


@login_required
def site_rules(request: HttpRequest, pk: int) -> HttpResponse:
    """The three safety rules at one site: monthly answers, problems found, what the video patrols saw."""
    site = get_site_for_user(request.user, pk)
    if not sel.may_see_rules(request.user, site):
        raise PermissionDenied
    return render(request, "assessment/site_rules.html", {"site": site, "rules": sel.three_rules(site)})
