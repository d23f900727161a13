"""Registry pages. Thin: read through selectors, write through services."""

from __future__ import annotations

import json

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST

from parcelwatch.accounts.access import has_permission, memberships
from parcelwatch.accounts.permissions import (
    EVENTS_REPORT,
    EVENTS_VIEW,
    REGISTRY_EDIT,
    REGISTRY_EXPORT,
    REGISTRY_IMPORT,
    REGISTRY_VIEW,
    REGISTRY_VIEW_PEOPLE,
    STATS_VIEW,
    VIDEO_MANAGE,
    VIDEO_VIEW,
)
from parcelwatch.accounts.selectors import districts_visible_to, home_city
from parcelwatch.events.selectors import events_visible_to
from parcelwatch.lib.forms import add_service_errors, form_errors_text, posted, posted_files
from parcelwatch.lib.pagination import CappedPaginator
from parcelwatch.video.selectors import cameras_of_site

from . import importing, privacy, services
from .forms import EnterpriseForm, ImportUploadForm, SafetyOfficerForm, SiteForm, TrainingRecordForm
from .models import Brand, Enterprise, ImportBatch, SafetyOfficer, Site
from .selectors import (
    can_on_enterprise,
    can_on_officer,
    can_on_site,
    enterprise_filters,
    enterprises_visible_to,
    filter_enterprises,
    filter_officers,
    filter_sites,
    get_enterprise_for_user,
    get_officer_for_user,
    get_site_for_user,
    map_points,
    officer_filters,
    officers_visible_to,
    site_filters,
    sites_visible_to,
    without_filed_officer,
)
from .versioning import history


def _require(request: HttpRequest, perm: str) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def _page(request: HttpRequest, qs):
    paginator = CappedPaginator(qs, settings.PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _common_context(request: HttpRequest) -> dict:
    return {
        "districts": districts_visible_to(request.user),
        "brands": Brand.objects.all(),
        "querystring": _querystring_without_page(request),
        "can_edit": has_permission(request.user, REGISTRY_EDIT),
        "can_import": has_permission(request.user, REGISTRY_IMPORT),
        "can_export": has_permission(request.user, REGISTRY_EXPORT),
    }


# --- sites ---------------------------------------------------------------------------------------------------


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    _require(request, REGISTRY_VIEW)
    filters = site_filters(request.GET)
    qs = filter_sites(sites_visible_to(request.user), **filters)
    page = _page(request, qs)
    flagged = set(without_filed_officer(Site.objects.filter(pk__in=[s.pk for s in page])).values_list("pk", flat=True))
    for site in page:
        site.no_filed_officer = site.pk in flagged
    return render(
        request,
        "registry/site_list.html",
        {**_common_context(request), "page": page, "filters": filters,
         "kinds": Site.Kind.choices, "statuses": Site.Status.choices},
    )


@login_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_site_for_user(request.user, pk)
    officers = officers_visible_to(request.user).filter(sites=site)
    report_url = request.build_absolute_uri(reverse("events:report") + f"?site={site.pk}")
    sensitive = privacy.can_see_sensitive(request.user, site)
    return render(
        request,
        "registry/site_detail.html",
        {
            "site": site,
            "manager_phone": site.manager_phone if sensitive else privacy.mask("manager_phone", site.manager_phone),
            "officers": officers,
            "history": privacy.masked_history(history(site), sensitive),
            "can_edit": can_on_site(request.user, REGISTRY_EDIT, site),
            "can_report": can_on_site(request.user, EVENTS_REPORT, site),
            "report_url": report_url,
            "report_qr": segno.make(report_url, error="m").svg_inline(scale=4, dark="#0b3a6e"),
            "events": events_visible_to(request.user).filter(site=site)[:10]
            if has_permission(request.user, EVENTS_VIEW) else [],
            "cameras": list(cameras_of_site(request.user, site)) if has_permission(request.user, VIDEO_VIEW) else None,
            "can_add_camera": can_on_site(request.user, VIDEO_MANAGE, site),
            "machines": _machines_of(request.user, site) if has_permission(request.user, VIDEO_VIEW) else None,
        },
    )


def _machines_of(user, site: Site) -> list:
    """The site's X-ray machines the user may see (through the video library's scoped selector)."""
    from parcelwatch.video.selectors import machines_visible_to

    now = timezone.now()
    machines = list(machines_visible_to(user).filter(site=site).order_by("name", "pk"))
    for machine in machines:
        machine.on_now = machine.is_on(now)
    return machines


@login_required
def site_create(request: HttpRequest) -> HttpResponse:
    _require(request, REGISTRY_EDIT)
    form = SiteForm(posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            site = services.create_site(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Site “%(name)s” created.") % {"name": site.name})
            return redirect("registry:site_detail", pk=site.pk)
    return render(request, "registry/form.html", {"form": form, "title": _("New site"),
                                                  "cancel_url": reverse("registry:site_list")})


@login_required
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_site_for_user(request.user, pk, need=REGISTRY_EDIT)
    form = SiteForm(posted(request), instance=site, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_site(site, actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved.") if changed else _("Nothing was changed."))
            return redirect("registry:site_detail", pk=site.pk)
    return render(request, "registry/form.html", {
        "form": form, "title": _("Edit site: %(name)s") % {"name": site.name},
        "cancel_url": reverse("registry:site_detail", args=[site.pk]),
    })


# --- enterprises ---------------------------------------------------------------------------------------------


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    _require(request, REGISTRY_VIEW)
    filters = enterprise_filters(request.GET)
    qs = filter_enterprises(enterprises_visible_to(request.user), **filters)
    return render(
        request,
        "registry/enterprise_list.html",
        {**_common_context(request), "page": _page(request, qs), "filters": filters,
         "statuses": Enterprise.Status.choices},
    )


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_user(request.user, pk)
    sites = sites_visible_to(request.user).filter(enterprise=enterprise).order_by("kind", "name")
    officers = officers_visible_to(request.user).filter(enterprise=enterprise)
    kind_counts = dict(sites.order_by().values_list("kind").annotate(n=Count("pk")))
    sensitive = privacy.can_see_sensitive(request.user, enterprise)
    return render(
        request,
        "registry/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "contact_phone": enterprise.contact_phone if sensitive
            else privacy.mask("contact_phone", enterprise.contact_phone),
            "sites": sites,
            "officers": officers,
            "kind_counts": [(label, kind_counts.get(value, 0)) for value, label in Site.Kind.choices],
            "history": privacy.masked_history(history(enterprise), sensitive),
            "can_edit": can_on_enterprise(request.user, REGISTRY_EDIT, enterprise),
        },
    )


@login_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    _require(request, REGISTRY_EDIT)
    form = EnterpriseForm(posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.create_enterprise(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Enterprise “%(name)s” created.") % {"name": enterprise.name})
            return redirect("registry:enterprise_detail", pk=enterprise.pk)
    return render(request, "registry/form.html", {"form": form, "title": _("New enterprise"),
                                                  "cancel_url": reverse("registry:enterprise_list")})


@login_required
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_enterprise_for_user(request.user, pk, need=REGISTRY_EDIT)
    form = EnterpriseForm(posted(request), instance=enterprise, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.update_enterprise(enterprise, actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved.") if changed else _("Nothing was changed."))
            return redirect("registry:enterprise_detail", pk=enterprise.pk)
    return render(request, "registry/form.html", {
        "form": form, "title": _("Edit enterprise: %(name)s") % {"name": enterprise.name},
        "cancel_url": reverse("registry:enterprise_detail", args=[enterprise.pk]),
    })


# --- safety officers -----------------------------------------------------------------------------------------


@login_required
def officer_list(request: HttpRequest) -> HttpResponse:
    _require(request, REGISTRY_VIEW_PEOPLE)
    filters = officer_filters(request.GET)
    qs = filter_officers(officers_visible_to(request.user), **filters)
    page = _page(request, qs)
    for officer in page:
        # Lists show phones masked for everybody; the full number is on the officer's page, by role.
        officer.shown_phone = privacy.mask("phone", officer.phone)
    return render(
        request,
        "registry/officer_list.html",
        {**_common_context(request), "page": page, "filters": filters, "statuses": SafetyOfficer.Status.choices},
    )


@login_required
def officer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    officer = get_officer_for_user(request.user, pk)
    sensitive = privacy.can_see_sensitive(request.user, officer)
    officer_history = privacy.masked_history(history(officer), sensitive)
    return render(
        request,
        "registry/officer_detail.html",
        {
            "officer": officer,
            "id_number": officer.id_number if sensitive else privacy.mask("id_number", officer.id_number),
            "phone": officer.phone if sensitive else privacy.mask("phone", officer.phone),
            "sensitive": sensitive,
            "sites": sites_visible_to(request.user).filter(safety_officers=officer),
            "trainings": officer.trainings.all(),
            "history": officer_history,
            "can_edit": can_on_officer(request.user, REGISTRY_EDIT, officer),
            "training_form": TrainingRecordForm(),
        },
    )


@login_required
def officer_create(request: HttpRequest) -> HttpResponse:
    _require(request, REGISTRY_EDIT)
    enterprise = None
    if request.GET.get("enterprise"):
        enterprise = get_enterprise_for_user(request.user, request.GET["enterprise"], need=REGISTRY_EDIT)
    form = SafetyOfficerForm(posted(request), user=request.user, enterprise=enterprise)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        sites = list(data.pop("sites"))
        try:
            officer = services.create_officer(actor=request.user, data=data, sites=sites)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Safety officer “%(name)s” filed.") % {"name": officer.name})
            return redirect("registry:officer_detail", pk=officer.pk)
    return render(request, "registry/form.html", {"form": form, "title": _("File a safety officer"),
                                                  "cancel_url": reverse("registry:officer_list")})


@login_required
def officer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    officer = get_officer_for_user(request.user, pk, need=REGISTRY_EDIT)
    form = SafetyOfficerForm(posted(request), instance=officer, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        sites = list(data.pop("sites"))
        try:
            changed = services.update_officer(officer, actor=request.user, data=data, sites=sites)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved.") if changed else _("Nothing was changed."))
            return redirect("registry:officer_detail", pk=officer.pk)
    return render(request, "registry/form.html", {
        "form": form, "title": _("Edit safety officer: %(name)s") % {"name": officer.name},
        "cancel_url": reverse("registry:officer_detail", args=[officer.pk]),
    })


@login_required
@require_POST
def officer_add_training(request: HttpRequest, pk: int) -> HttpResponse:
    officer = get_officer_for_user(request.user, pk, need=REGISTRY_EDIT)
    form = TrainingRecordForm(request.POST)
    if form.is_valid():
        try:
            services.add_training_record(officer, actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("Training record added."))
    else:
        messages.error(request, _("The training record is incomplete: %(errors)s") % {"errors": form_errors_text(form)})
    return redirect("registry:officer_detail", pk=officer.pk)


# --- import / export -----------------------------------------------------------------------------------------


@login_required
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    sheet = importing.sheet_for(kind, request.user)
    return importing.template_response(sheet)


@login_required
def import_upload(request: HttpRequest, kind: str) -> HttpResponse:
    sheet = importing.sheet_for(kind, request.user)
    form = ImportUploadForm(posted(request), posted_files(request))
    if request.method == "POST" and form.is_valid():
        try:
            batch = importing.stage_import(sheet, form.cleaned_data["file"], actor=request.user)
        except importing.ImportFileError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("registry:import_preview", pk=batch.pk)
    recent = ImportBatch.objects.filter(uploaded_by=request.user, kind=kind).order_by("-uploaded_at")[:5]
    return render(request, "registry/import_upload.html", {"form": form, "sheet": sheet, "recent": recent})


@login_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    batch = importing.get_batch_for_user(request.user, pk)
    sheet = importing.sheet_for(batch.kind, request.user)
    if request.method == "POST":
        if request.POST.get("discard"):
            importing.discard_import(batch, actor=request.user)
            messages.info(request, _("The import was discarded. Nothing was changed."))
            return redirect("registry:import_upload", kind=batch.kind)
        try:
            result = importing.commit_import(batch, actor=request.user)
        except importing.ImportFileError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Import committed: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % result,
            )
            return redirect(sheet.list_url)
        batch.refresh_from_db()
    summary = importing.summarise(batch)
    return render(request, "registry/import_preview.html", {"batch": batch, "sheet": sheet, "summary": summary})


# --- map -----------------------------------------------------------------------------------------------------


@login_required
def site_map(request: HttpRequest) -> HttpResponse:
    _require(request, REGISTRY_VIEW)
    city = home_city(request.user)
    # Someone working in one district or zone sees the map centred on the sites there.
    focus = None
    if len({m.jurisdiction.district() for m in memberships(request.user)} - {None}) == 1:
        box = sites_visible_to(request.user).aggregate(
            west=Min("lng"), east=Max("lng"), south=Min("lat"), north=Max("lat"))
        if box["west"] is not None:
            focus = {"center": [float(box["west"] + box["east"]) / 2, float(box["south"] + box["north"]) / 2],
                     "zoom": 2}
    return render(request, "registry/site_map.html", {
        **_common_context(request), "city": city, "filters": site_filters(request.GET), "kinds": Site.Kind.choices,
        "statuses": Site.Status.choices,
        "map_config": {
            "mapName": city.map_name if city else "", "focus": focus,
            # District names drawn above the sites (the map's own labels would lie under thousands of dots).
            "districts": [{"name": d.name, "value": [float(d.lng), float(d.lat)]}
                          for d in districts_visible_to(request.user) if d.lng is not None],
            "dataUrl": reverse("registry:site_map_data"), "siteUrl": reverse("registry:site_detail", args=[0]),
            # Open events over the sites, for those who see the statistics (the event map's data).
            "eventsUrl": reverse("analytics:event_map_data") + "?state=open&reported_from=2000-01-01"
            if has_permission(request.user, STATS_VIEW) else "",
            "eventUrl": reverse("events:detail", args=[0]),
            "messages": {"shown": _("Sites shown"), "openEvents": _("Open events")},
        },
    })


@gzip_page  # about 40 bytes a site before compression, under 10 after: 50,000 sites in half a megabyte
@login_required
def site_map_data(request: HttpRequest) -> HttpResponse:
    """The map's points as a compact payload, cached per jurisdiction and filters (the age is shown)."""
    _require(request, REGISTRY_VIEW)
    payload, generated_at = map_points(request.user, site_filters(request.GET), fresh=request.GET.get("fresh") == "1")
    minutes = int((timezone.now() - generated_at).total_seconds() // 60)
    age = _("Data as of %(time)s") % {"time": timezone.localtime(generated_at).strftime("%H:%M")}
    if minutes:
        age += _(" (%(n)d min ago)") % {"n": minutes}
    body = payload[:-1] + b',"age_text":' + json.dumps(age, ensure_ascii=False).encode() + b"}"
    return HttpResponse(body, content_type="application/json")
