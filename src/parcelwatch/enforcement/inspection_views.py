"""Pages of inspections: plans and campaigns, their 双随机 draw, inspection records, and the public results."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcelwatch.accounts.access import covers, has_permission
from parcelwatch.accounts.models import Jurisdiction, User
from parcelwatch.accounts.permissions import INSPECTIONS_MANAGE, INSPECTIONS_VIEW
from parcelwatch.evidence.kept import kept_files, store_files
from parcelwatch.lib.forms import add_service_errors, form_errors_text, posted, posted_files
from parcelwatch.lib.pagination import CappedPaginator
from parcelwatch.lib.params import text
from parcelwatch.registry.models import Site

from . import selectors as sel
from . import services
from .forms import InspectionRecordForm, PlanForm, PublishForm
from .models import Inspection, InspectionPlan, default_shares


def _require(request: HttpRequest, perm: str = INSPECTIONS_VIEW) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def plan_areas(user: User) -> list[Jurisdiction]:
    """Where the user may plan inspections: the city and districts they manage inspections for."""
    nodes = Jurisdiction.objects.filter(level__in=("city", "district", "zone")).order_by("path")
    return [n for n in nodes if covers(user, INSPECTIONS_MANAGE, n.path)]


@login_required
def inspection_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    g = request.GET
    mine = g.get("mine") == "1"
    inspections = sel.inspections_visible_to(request.user).filter(plan__state=InspectionPlan.State.PUBLISHED)
    if mine:
        inspections = sel.inspections_due_for(request.user)
    state = text(g, "state", 16)
    if state in Inspection.State.values:
        inspections = inspections.filter(state=state)
    result = text(g, "result", 16)
    if result in Inspection.Result.values:
        inspections = inspections.filter(result=result)
    inspections = inspections.order_by("-plan__starts_on", "plan_id", "position")
    plans = sel.plans_visible_to(request.user).order_by("-starts_on", "-pk")
    params = g.copy()
    params.pop("page", None)
    return render(request, "enforcement/inspection_list.html", {
        "plans": plans[:50], "page": CappedPaginator(inspections, 25).get_page(g.get("page")),
        "count": inspections.count(), "mine": mine, "state": state, "result": result,
        "due_count": sel.inspections_due_for(request.user).count(),
        "can_plan": bool(plan_areas(request.user)), "querystring": params.urlencode(),
        "states": Inspection.State.choices, "results": Inspection.Result.choices,
    })


def _plan_form_fields(form: PlanForm, areas: list[Jurisdiction]) -> dict:
    d = form.cleaned_data
    area = next(a for a in areas if str(a.pk) == d["area"])
    return {"kind": d["kind"], "title": d["title"], "area": area, "starts_on": d["starts_on"],
            "ends_on": d["ends_on"], "focus": d["focus"], "site_kinds": d["site_kinds"], "shares": form.shares(),
            "team_size": d["team_size"]}


@login_required
def plan_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    plan = sel.get_plan_for_user(request.user, pk, need=INSPECTIONS_MANAGE) if pk else None
    if plan is not None and plan.state != InspectionPlan.State.DRAFT:
        messages.error(request, _("The plan is published: its draw stands and can no longer be changed."))
        return redirect("enforcement:plan", pk=plan.pk)
    areas = plan_areas(request.user)
    if not areas:
        raise PermissionDenied
    year = timezone.localdate().year
    shares = plan.shares if plan else default_shares()
    initial = {"kind": plan.kind, "title": plan.title, "area": str(plan.area_id), "starts_on": plan.starts_on,
               "ends_on": plan.ends_on, "focus": plan.focus, "site_kinds": plan.site_kinds,
               "team_size": plan.team_size, "version": plan.version} if plan else {
        "area": str(areas[0].pk), "starts_on": timezone.localdate(), "ends_on": timezone.localdate().replace(
            month=12, day=31), "title": _("%(year)s random inspection of the postal market") % {"year": year}}
    initial.update({f"share_{g}": shares.get(g, 0) for g in ("A", "B", "C", "D")})
    form = PlanForm(posted(request), initial=initial, areas=[(str(a.pk), a.name) for a in areas])
    if request.method == "POST" and form.is_valid():
        try:
            fields = _plan_form_fields(form, areas)
            if plan is None:
                plan = services.create_plan(actor=request.user, **fields)
            else:
                plan = services.update_plan(plan, actor=request.user, expected_version=form.cleaned_data["version"],
                                            **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Plan saved. Check it, then publish it to draw the sites and inspectors."))
            return redirect("enforcement:plan", pk=plan.pk)
    return render(request, "enforcement/plan_form.html", {"form": form, "plan": plan})


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = sel.get_plan_for_user(request.user, pk)
    inspections = plan.inspections.select_related("site__enterprise", "site__district").prefetch_related(
        "inspectors", "events").order_by("position")
    can_manage = sel.can_on_plan(request.user, INSPECTIONS_MANAGE, plan)
    done = sum(1 for i in inspections if i.state == Inspection.State.DONE)
    return render(request, "enforcement/plan_detail.html", {
        "plan": plan, "inspections": inspections, "done": done,
        "can_edit": can_manage and plan.state == InspectionPlan.State.DRAFT,
        "publish_form": PublishForm(initial={"version": plan.version}),
        "candidate_count": len(plan.candidates) if plan.candidates else None,
        "preview": services.inspection_candidates(plan) if plan.state == InspectionPlan.State.DRAFT else None,
        "pool_preview": services.inspector_pool(plan.area) if plan.state == InspectionPlan.State.DRAFT else None,
        "grade_counts": _grade_counts(plan), "today": timezone.localdate(),
        "site_kinds": [label for value, label in Site.Kind.choices if value in plan.site_kinds],
    })


def _grade_counts(plan: InspectionPlan) -> list[dict]:
    """Per credit grade: candidates, share and how many are (or would be) drawn."""
    import math

    from parcelwatch.lib.draws import share_of

    candidates = plan.candidates if plan.state == InspectionPlan.State.PUBLISHED else \
        services.inspection_candidates(plan)
    rows = []
    for grade, label in (("A", "A"), ("B", _("B or ungraded")), ("C", "C"), ("D", "D")):
        n = sum(1 for _pk, g in candidates if (g or "B") == grade)
        share = share_of(grade, plan.shares)
        rows.append({"grade": label, "candidates": n, "share": share, "drawn": math.ceil(n * share / 100)})
    return rows


@login_required
@require_POST
def plan_publish(request: HttpRequest, pk: int) -> HttpResponse:
    plan = sel.get_plan_for_user(request.user, pk, need=INSPECTIONS_MANAGE)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("enforcement:plan", pk=plan.pk)
    try:
        plan = services.publish_plan(plan, actor=request.user, expected_version=form.cleaned_data["version"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Published: %(n)d sites drawn, each with its inspectors.") % {
            "n": plan.inspections.count()})
    return redirect("enforcement:plan", pk=plan.pk)


@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = sel.get_inspection_for_user(request.user, pk)
    can_record = (inspection.state == Inspection.State.PLANNED and sel.is_inspector(request.user, inspection)
                  and inspection.plan.state == InspectionPlan.State.PUBLISHED)
    items = inspection.checklist if inspection.state == Inspection.State.DONE else services.active_checklist()
    form = InspectionRecordForm(posted(request) if can_record else None, posted_files(request), items=items,
                                initial={"inspected_on": timezone.localdate(), "version": inspection.version})
    files: list = []
    if request.method == "POST":
        if not sel.is_inspector(request.user, inspection):
            raise PermissionDenied
        if not can_record:
            # A teammate recorded it first: say so, and show their record.
            messages.error(request, _("This inspection is recorded: its record stands."))
            return redirect("enforcement:inspection", pk=inspection.pk)
        files = kept_files(request, form)
        valid = form.is_valid()
        valid = store_files(request, form, files) and valid
        if valid:
            d = form.cleaned_data
            try:
                services.record_inspection(inspection, actor=request.user, inspected_on=d["inspected_on"],
                                           answers=form.answers(), findings=d["findings"], attachments=files,
                                           expected_version=d["version"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Inspection recorded."))
                return redirect("enforcement:inspection", pk=inspection.pk)
    from parcelwatch.events.models import EventCategory

    return render(request, "enforcement/inspection_detail.html", {
        "inspection": inspection, "form": form, "can_record": can_record, "files": files,
        "file_ids": ",".join(str(f.pk) for f in files), "attachments": inspection.attachments.order_by("pk"),
        "inspectors": inspection.inspectors.order_by("pk"), "events": inspection.events.select_related("category"),
        "answers": [(item, inspection.answers.get(item["code"], "")) for item in inspection.checklist],
        "answer_labels": dict(Inspection.Answer.choices),
        "can_raise": services.can_raise_event(request.user, inspection),
        "categories": EventCategory.objects.filter(active=True).order_by("code"),
        # The first failed point whose code is a category's: what the inspector most likely raises.
        "suggested": next((item["code"] for item in inspection.failed_items()), ""),
    })


@login_required
@require_POST
def inspection_raise(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = sel.get_inspection_for_user(request.user, pk)
    try:
        event = services.raise_inspection_event(inspection, actor=request.user,
                                                category_code=text(request.POST, "category", 8))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("enforcement:inspection", pk=inspection.pk)
    messages.success(request, _("Event %(number)s raised from the inspection.") % {"number": event.number})
    return redirect("events:detail", pk=event.pk)


# --- 一公开: results anyone can read, and the draw anyone can re-run -----------------------------------------


def public_plans(request: HttpRequest) -> HttpResponse:
    plans = sel.published_plans().order_by("-published_at", "-pk")
    return render(request, "enforcement/public_plans.html", {
        "page": CappedPaginator(plans, 20).get_page(request.GET.get("page"))})


def _public_plan(pk: object) -> InspectionPlan:
    from parcelwatch.accounts.access import valid_pk

    return get_object_or_404(sel.published_plans(), pk=valid_pk(pk) or 0)


def public_plan(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _public_plan(pk)
    inspections = plan.inspections.select_related("site__enterprise", "site__district").prefetch_related(
        "inspectors", "events__category").order_by("position")
    verified = None
    if request.GET.get("verify") == "1":
        verified, _rerun = services.rerun_plan(plan)
    return render(request, "enforcement/public_plan.html", {
        "plan": plan, "inspections": inspections, "verified": verified,
        "done": sum(1 for i in inspections if i.state == Inspection.State.DONE),
        "grade_counts": _grade_counts(plan), "pool": plan.inspector_pool,
    })


def public_plan_draw(request: HttpRequest, pk: int) -> JsonResponse:
    """Everything needed to re-run the draw elsewhere, and what it gave."""
    plan = _public_plan(pk)
    targets = list(plan.inspections.order_by("position").prefetch_related("inspectors"))
    return JsonResponse({
        "plan": plan.title, "seed": plan.seed, "shares": plan.shares, "team_size": plan.team_size,
        "algorithm": "sha256(seed:site:id) per grade, lowest ceil(n*share/100); inspectors by sha256(seed:inspector:id),"
                     " dealt round-robin team_size per target in target order",
        "candidates": [{"site": pk_, "grade": g} for pk_, g in plan.candidates],
        "inspectors": [{"id": row[0], "name": row[1], "enforcement_id": row[2]} for row in plan.inspector_pool],
        "drawn": [{"site": i.site_id, "inspectors": sorted(u.pk for u in i.inspectors.all())} for i in targets],
    }, json_dumps_params={"ensure_ascii": False})
