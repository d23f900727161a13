"""Video-patrol pages: the draw, the inspector's patrol with live video and the checklist, one-click events."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from parcelwatch.accounts.access import covers, has_permission
from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import VIDEO_PATROL
from parcelwatch.accounts.selectors import districts_visible_to, home_city
from parcelwatch.lib.forms import StyledFormMixin, posted

from . import patrols
from .models import PATROL_CHECKLIST, VideoPatrol
from .selectors import cameras_visible_to, draws_visible_to, get_draw_for_user, get_patrol_for_user, patrols_visible_to


class DrawForm(StyledFormMixin, forms.Form):
    area = forms.ChoiceField(label=gettext_lazy("Area"))
    outlet_percent = forms.IntegerField(label=gettext_lazy("Share of outlets (%)"), min_value=0, max_value=100,
                                        initial=10, help_text=gettext_lazy("Every sorting centre is drawn; of the "
                                                                          "outlets with cameras, this share."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        areas = []
        city = home_city(user)
        if city is not None and covers(user, VIDEO_PATROL, city.path):
            areas.append((city.code, city.name))
        areas += [(d.code, d.name) for d in districts_visible_to(user) if covers(user, VIDEO_PATROL, d.path)]
        self.fields["area"].choices = areas


class PatrolForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=patrols.NOTE_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, label, _category in PATROL_CHECKLIST:
            self.fields[f"item_{code}"] = forms.ChoiceField(
                label=label, choices=VideoPatrol.Result.choices,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}))

    def results(self) -> dict[str, str]:
        return {code: self.cleaned_data[f"item_{code}"] for code, _l, _c in PATROL_CHECKLIST}


def _require(request: HttpRequest) -> None:
    if not has_permission(request.user, VIDEO_PATROL):
        raise PermissionDenied


@login_required
def patrol_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    visible = patrols_visible_to(request.user)
    form = DrawForm(posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        area = Jurisdiction.objects.get(code=form.cleaned_data["area"])
        try:
            record = patrols.draw_patrols(actor=request.user, area=area,
                                          outlet_percent=form.cleaned_data["outlet_percent"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Drawn: %(n)d sites to patrol by video (seed %(seed)s).") % {
                "n": record.patrols.count(), "seed": record.seed})
            return redirect("video:draw_detail", pk=record.pk)
    return render(request, "video/patrol_list.html", {
        "mine": visible.filter(inspector=request.user, state=VideoPatrol.State.PENDING).order_by("draw__drawn_at",
                                                                                                "pk")[:100],
        "done": visible.filter(inspector=request.user, state=VideoPatrol.State.DONE).order_by("-patrolled_at")[:10],
        "draws": draws_visible_to(request.user)[:10], "form": form,
    })


@login_required
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_draw_for_user(request.user, pk)
    centres = sum(1 for s in record.candidate_sites if s[1] == "sorting_center")
    return render(request, "video/draw_detail.html", {
        "draw": record, "patrols": record.patrols.select_related("site__district", "inspector").order_by("pk"),
        "centres": centres, "outlets": len(record.candidate_sites) - centres,
        "inspectors": len(record.candidate_inspectors), "recheck": patrols.recheck(record),
    })


@login_required
def patrol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    patrol = get_patrol_for_user(request.user, pk)
    mine = patrol.inspector_id == request.user.pk
    initial = {f"item_{code}": value for code, value in patrol.results.items()}
    form = PatrolForm(posted(request) if mine else None, initial={**initial, "note": patrol.note})
    if request.method == "POST":
        if not mine:
            raise PermissionDenied
        if form.is_valid():
            try:
                patrols.record_patrol(patrol, actor=request.user, results=form.results(),
                                      note=form.cleaned_data["note"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Patrol recorded."))
                return redirect("video:patrol_detail", pk=patrol.pk)
    cameras = list(cameras_visible_to(request.user).filter(site=patrol.site, enabled=True).order_by("name")[:9])
    findings = [{"code": code, "label": label, "category": category, "result": patrol.results.get(code),
                 "event_id": patrol.events.get(code)} for code, label, category in PATROL_CHECKLIST]
    return render(request, "video/patrol_detail.html", {
        "patrol": patrol, "mine": mine, "form": form, "cameras": cameras, "findings": findings,
        "snapshots": patrol.snapshots.select_related("attachment", "camera").order_by("-taken_at")[:12],
        "layout": "2" if len(cameras) <= 4 else "3",
    })


@login_required
@require_POST
def patrol_raise(request: HttpRequest, pk: int) -> HttpResponse:
    patrol = get_patrol_for_user(request.user, pk)
    try:
        event = patrols.raise_event(patrol, request.POST.get("item", "")[:32], actor=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("video:patrol_detail", pk=patrol.pk)
    messages.success(request, _("Event %(number)s raised with the patrol's snapshots as evidence.") % {
        "number": event.number})
    return redirect(reverse("events:detail", args=[event.pk]))
