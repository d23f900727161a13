"""Pages of emergency management: plans and the emergency organisation, drills, incidents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import EMERGENCY_REVIEW, EMERGENCY_SUBMIT, EMERGENCY_VIEW, INCIDENT_REPORT
from parcelwatch.accounts.selectors import districts_visible_to
from parcelwatch.evidence.kept import submit_with_files
from parcelwatch.lib.forms import add_service_errors, form_errors_text, posted, posted_files
from parcelwatch.lib.pagination import paged
from parcelwatch.lib.params import text
from parcelwatch.registry.models import Site
from parcelwatch.registry.selectors import sites_visible_to

from . import selectors as sel
from . import services
from .forms import (
    DrillEvaluationForm,
    DrillForm,
    DrillRecordForm,
    IncidentForm,
    IncidentUpdateForm,
    OrganisationForm,
    PlanForm,
    ReviewForm,
)
from .models import Drill, EmergencyOrganisation, EmergencyPlan, Incident


def _require(request: HttpRequest, perm: str = EMERGENCY_VIEW) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def _enterprise(form, enterprises):
    return next(e for e in enterprises if str(e.pk) == form.cleaned_data["enterprise"])


# --- plans and organisation -----------------------------------------------------------------------------------


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    qs = sel.plans_visible_to(request.user)
    state, expiring = text(request.GET, "state", 16), request.GET.get("expiring") == "1"
    if state in EmergencyPlan.State.values:
        qs = qs.filter(state=state)
    if expiring:
        qs = sel.plans_expiring(qs)
    page, querystring = paged(request, qs.order_by("-submitted_at", "-pk"))
    own = sel.enterprises_for(request.user, EMERGENCY_SUBMIT)
    organisations = {o.enterprise_id: o for o in EmergencyOrganisation.objects.filter(enterprise__in=own)}
    return render(request, "emergency/plan_list.html", {
        "page": page, "querystring": querystring, "count": qs.count(), "state": state, "expiring": expiring,
        "states": EmergencyPlan.State.choices, "can_submit": own.exists(),
        "own": [(e, organisations.get(e.pk)) for e in own[:20]],
    })


@login_required
def organisation_edit(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    enterprise = sel.enterprises_for(request.user, EMERGENCY_SUBMIT).filter(pk=enterprise_id).first()
    if enterprise is None:
        raise PermissionDenied
    current = EmergencyOrganisation.objects.filter(enterprise=enterprise).first()
    initial = {"head": current.head, "deputy": current.deputy, "members": current.members,
               "duty_phone": current.duty_phone} if current else {}
    form = OrganisationForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_organisation(enterprise, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Emergency organisation saved."))
            return redirect("emergency:plans")
    return render(request, "emergency/organisation_form.html", {"form": form, "enterprise": enterprise})


@login_required
def plan_create(request: HttpRequest) -> HttpResponse:
    _require(request, EMERGENCY_SUBMIT)
    enterprises = list(sel.enterprises_for(request.user, EMERGENCY_SUBMIT))
    if not enterprises:
        raise PermissionDenied
    form = PlanForm(posted(request), posted_files(request), enterprises=enterprises,
                    initial={"effective_on": timezone.localdate()})
    files: list = []
    created = {}
    if request.method == "POST":
        def submit(received):
            d = form.cleaned_data
            pdf = next((f for f in received if f.kind == "pdf"), received[0] if received else None)
            created["plan"] = services.submit_plan(_enterprise(form, enterprises), actor=request.user, kind=d["kind"],
                                                   title=d["title"], document=pdf, effective_on=d["effective_on"],
                                                   expires_on=d["expires_on"])
        ok, files = submit_with_files(request, form, submit)
        if ok:
            messages.success(request, _("Plan filed: the district safety centre will review it."))
            return redirect("emergency:plan", pk=created["plan"].pk)
    return render(request, "emergency/plan_form.html", {
        "form": form, "files": files, "file_ids": ",".join(str(f.pk) for f in files)})


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = sel.get_plan_for_user(request.user, pk)
    return render(request, "emergency/plan_detail.html", {
        "plan": plan, "actions": services.available_actions(plan, request.user),
        "organisation": EmergencyOrganisation.objects.filter(enterprise=plan.enterprise_id).first(),
        "drills": plan.drills.order_by("-planned_on")[:10], "today": timezone.localdate(),
    })


@login_required
@require_POST
def plan_review(request: HttpRequest, pk: int) -> HttpResponse:
    plan = sel.get_plan_for_user(request.user, pk, need=EMERGENCY_REVIEW)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("emergency:plan", pk=plan.pk)
    d = form.cleaned_data
    try:
        services.review_plan(plan, d["action"], actor=request.user, reason=d["reason"], expected_version=d["version"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Done."))
    return redirect("emergency:plan", pk=plan.pk)


# --- drills ---------------------------------------------------------------------------------------------------


@login_required
def drill_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    qs = sel.drills_visible_to(request.user)
    state, due = text(request.GET, "state", 16), request.GET.get("due") == "1"
    if state in Drill.State.values:
        qs = qs.filter(state=state)
    if due:
        qs = sel.drills_due(qs)
    page, querystring = paged(request, qs.order_by("-planned_on", "-pk"))
    return render(request, "emergency/drill_list.html", {
        "page": page, "querystring": querystring, "count": qs.count(), "state": state, "due": due,
        "states": Drill.State.choices, "can_plan": sel.enterprises_for(request.user, EMERGENCY_SUBMIT).exists(),
        "today": timezone.localdate(),
    })


@login_required
def drill_create(request: HttpRequest) -> HttpResponse:
    _require(request, EMERGENCY_SUBMIT)
    enterprises = list(sel.enterprises_for(request.user, EMERGENCY_SUBMIT))
    if not enterprises:
        raise PermissionDenied
    ids = [e.pk for e in enterprises]
    plans = list(EmergencyPlan.objects.filter(enterprise_id__in=ids, state=EmergencyPlan.State.ACCEPTED))
    sites = list(Site.objects.filter(enterprise_id__in=ids).exclude(status=Site.Status.CLOSED).order_by("name"))
    form = DrillForm(posted(request), enterprises=enterprises, plans=plans, sites=sites)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            drill = services.plan_drill(
                _enterprise(form, enterprises), actor=request.user, title=d["title"], scenario=d["scenario"],
                planned_on=d["planned_on"], plan=next((p for p in plans if str(p.pk) == d["plan"]), None),
                site=next((s for s in sites if str(s.pk) == d["site"]), None))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Drill planned."))
            return redirect("emergency:drill", pk=drill.pk)
    return render(request, "emergency/drill_form.html", {"form": form})


@login_required
def drill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    drill = sel.get_drill_for_user(request.user, pk)
    can_record = drill.state == Drill.State.PLANNED and sel.can_on(request.user, EMERGENCY_SUBMIT, drill)
    can_evaluate = drill.state == Drill.State.HELD and sel.can_on(request.user, EMERGENCY_REVIEW, drill)
    record = DrillRecordForm(posted(request) if can_record else None, posted_files(request),
                             initial={"held_on": timezone.localdate(), "version": drill.version})
    evaluate = DrillEvaluationForm(posted(request) if can_evaluate else None, initial={"version": drill.version})
    files: list = []
    if request.method == "POST":
        if can_record:
            def save(received):
                d = record.cleaned_data
                services.record_drill(drill, actor=request.user, held_on=d["held_on"], participants=d["participants"],
                                      participant_names=d["participant_names"], summary=d["summary"],
                                      attachments=received, expected_version=d["version"])
            ok, files = submit_with_files(request, record, save)
            if ok:
                messages.success(request, _("Drill recorded: the district safety centre will evaluate it."))
                return redirect("emergency:drill", pk=drill.pk)
        elif can_evaluate:
            if evaluate.is_valid():
                d = evaluate.cleaned_data
                try:
                    services.evaluate_drill(drill, actor=request.user, rating=d["rating"],
                                            evaluation=d["evaluation"], expected_version=d["version"])
                except ValidationError as exc:
                    add_service_errors(evaluate, exc)
                else:
                    messages.success(request, _("Drill evaluated."))
                    return redirect("emergency:drill", pk=drill.pk)
        elif drill.state != Drill.State.PLANNED and sel.can_on(request.user, EMERGENCY_SUBMIT, drill):
            messages.error(request, _("This drill is already recorded."))
            return redirect("emergency:drill", pk=drill.pk)
        elif drill.state != Drill.State.HELD and sel.can_on(request.user, EMERGENCY_REVIEW, drill):
            messages.error(request, _("Only a drill that was held and not yet evaluated can be evaluated."))
            return redirect("emergency:drill", pk=drill.pk)
        else:
            raise PermissionDenied
    return render(request, "emergency/drill_detail.html", {
        "drill": drill, "record_form": record, "evaluate_form": evaluate, "can_record": can_record,
        "can_evaluate": can_evaluate, "files": files, "file_ids": ",".join(str(f.pk) for f in files),
        "attachments": drill.attachments.order_by("pk"),
    })


# --- incidents ------------------------------------------------------------------------------------------------


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    qs = sel.incidents_visible_to(request.user)
    state = text(request.GET, "state", 8)
    if state in Incident.State.values:
        qs = qs.filter(state=state)
    page, querystring = paged(request, qs.order_by("-reported_at", "-pk"))
    return render(request, "emergency/incident_list.html", {
        "page": page, "querystring": querystring, "count": qs.count(), "state": state,
        "states": Incident.State.choices, "can_report": has_permission(request.user, INCIDENT_REPORT)})


@login_required
def incident_create(request: HttpRequest) -> HttpResponse:
    _require(request, INCIDENT_REPORT)
    own = list(sel.enterprises_for(request.user, EMERGENCY_SUBMIT))
    if own:
        sites = list(Site.objects.filter(enterprise__in=own).exclude(status=Site.Status.CLOSED).order_by("name"))
        districts = []
    else:
        sites = list(sites_visible_to(request.user, INCIDENT_REPORT).exclude(status=Site.Status.CLOSED)
                     .order_by("district__sort_order", "name")[:2000])
        districts = list(districts_visible_to(request.user))
    form = IncidentForm(posted(request), posted_files(request), sites=sites, districts=districts,
                        initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)})
    files: list = []
    created = {}
    if request.method == "POST":
        def report(received):
            d = form.cleaned_data
            site = next((s for s in sites if str(s.pk) == d["site"]), None)
            district = next((x for x in districts if str(x.pk) == d["district"]), None)
            created["incident"] = services.report_incident(
                actor=request.user, kind=d["kind"], severity=d["severity"], title=d["title"],
                description=d["description"], occurred_at=d["occurred_at"], site=site, district=district,
                enterprise=own[0] if own and site is None and len(own) == 1 else None, attachments=received)
        ok, files = submit_with_files(request, form, report)
        if ok:
            messages.success(request, _("Incident reported: the district and city leaders have been told."))
            return redirect("emergency:incident", pk=created["incident"].pk)
    return render(request, "emergency/incident_form.html", {
        "form": form, "files": files, "file_ids": ",".join(str(f.pk) for f in files), "own": own})


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = sel.get_incident_for_user(request.user, pk)
    can_update = incident.state == Incident.State.OPEN and sel.can_on(request.user, INCIDENT_REPORT, incident)
    can_close = incident.state == Incident.State.OPEN and sel.can_on(request.user, EMERGENCY_REVIEW, incident)
    form = IncidentUpdateForm(posted(request) if can_update else None, posted_files(request),
                              initial={"version": incident.version})
    if not can_close:
        form.fields.pop("close")
    files: list = []
    if request.method == "POST":
        if incident.state == Incident.State.CLOSED and sel.can_on(request.user, INCIDENT_REPORT, incident):
            messages.error(request, _("The incident is closed."))
            return redirect("emergency:incident", pk=incident.pk)
        if not can_update:
            raise PermissionDenied

        def update(received):
            d = form.cleaned_data
            services.add_incident_update(incident, actor=request.user, text=d["text"], close=d.get("close", False),
                                         attachments=received, expected_version=d["version"])
        ok, files = submit_with_files(request, form, update)
        if ok:
            messages.success(request, _("Added to the incident's timeline."))
            return redirect("emergency:incident", pk=incident.pk)
    updates = incident.updates.select_related("actor").prefetch_related("attachments")
    return render(request, "emergency/incident_detail.html", {
        "incident": incident, "updates": updates, "form": form, "can_update": can_update, "files": files,
        "file_ids": ",".join(str(f.pk) for f in files)})
