from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.permissions import CASES_VIEW
from parcelwatch.accounts.selectors import districts_visible_to
from parcelwatch.collaboration.selectors import sharing_panel
from parcelwatch.documents.selectors import documents_of
from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import TransitionError
from parcelwatch.evidence.attachments import store_uploads
from parcelwatch.evidence.timeline import labelled_entries
from parcelwatch.lib.forms import form_errors_text
from parcelwatch.lib.pagination import CappedPaginator
from parcelwatch.notifications.services import mark_read_for_url

from . import services
from .forms import CaseActionForm
from .models import EnforcementCase, EnforcementSettings
from .selectors import (
    available_case_transitions,
    case_filters,
    case_totals,
    cases_visible_to,
    filter_cases,
    fines_total,
    get_case_for_user,
)
from .workflow import CASE_ACTION_LABELS, case_next_step


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    if not has_permission(request.user, CASES_VIEW):
        raise PermissionDenied
    g = request.GET
    filters = case_filters(g)
    qs = filter_cases(cases_visible_to(request.user), **filters).order_by("-filed_at", "-proposed_at", "-pk")
    params = g.copy()
    params.pop("page", None)
    return render(request, "enforcement/case_list.html", {
        "page": CappedPaginator(qs, 25).get_page(g.get("page")), "filters": filters, "count": qs.count(),
        "fines_total": fines_total(qs), "querystring": params.urlencode(), "states": EnforcementCase.State.choices,
        "totals": case_totals(qs), "categories": EventCategory.objects.order_by("code"),
        "districts": districts_visible_to(request.user),
        "years": range(timezone.localdate().year, 2017, -1),
    })


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    mark_read_for_url(request.user, reverse("enforcement:detail", args=[case.pk]))
    entries = labelled_entries(case, action_labels=CASE_ACTION_LABELS,
                               state_labels=dict(EnforcementCase.State.choices))
    return render(request, "enforcement/case_detail.html", {
        "case": case, "entries": entries, "actions": available_case_transitions(case, request.user),
        "next_step": case_next_step(case),
        "events": case.events.select_related("site").all(),
        "documents": documents_of(case, entries),
        "hearing_days_default": EnforcementSettings.current().hearing_days,
        "today": timezone.localdate(),
        **sharing_panel(request.user, case=case),
    })


@login_required
@require_POST
def case_act(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    form = CaseActionForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form_errors_text(form))
        return redirect("enforcement:detail", pk=case.pk)
    d = form.cleaned_data
    try:
        attachments = store_uploads(d["attachments"], actor=request.user)
        case = services.perform_case(
            case, d["action"], actor=request.user, note=d["note"], attachments=attachments, findings=d["findings"],
            legal_basis=d["legal_basis"], fine=d["fine"], justification=d["justification"],
            hearing_days=d["hearing_days"], hearing_waived=d["hearing_waived"], expected_version=d["version"],
        )
    except TransitionError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from None
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Done: %(action)s. %(next)s") % {
            "action": CASE_ACTION_LABELS.get(d["action"], d["action"]), "next": case_next_step(case)})
    return redirect("enforcement:detail", pk=case.pk)
