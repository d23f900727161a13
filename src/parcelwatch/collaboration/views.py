"""Pages of collaboration: departments, memoranda, joint meetings and tasks, shared records, referrals."""

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

from parcelwatch.accounts.access import has_permission, valid_pk
from parcelwatch.accounts.permissions import COLLAB_MANAGE, COLLAB_VIEW, REGISTRY_VIEW
from parcelwatch.documents.selectors import documents_of
from parcelwatch.enforcement.models import EnforcementCase
from parcelwatch.enforcement.workflow import CASE_ACTION_LABELS
from parcelwatch.events.models import Event
from parcelwatch.events.workflow import ACTION_LABELS
from parcelwatch.evidence.kept import submit_with_files
from parcelwatch.evidence.timeline import labelled_entries
from parcelwatch.lib.forms import add_service_errors, posted, posted_files
from parcelwatch.lib.pagination import paged
from parcelwatch.lib.params import text
from parcelwatch.notifications.services import mark_read_for_url
from parcelwatch.registry.models import Site
from parcelwatch.registry.selectors import sites_visible_to

from . import selectors as sel
from . import services
from .forms import (
    CommentForm,
    DecisionForm,
    MeetingForm,
    MemorandumForm,
    ReferralActionForm,
    ReferralForm,
    ShareForm,
    TaskUpdateForm,
    VersionForm,
)
from .models import Memorandum, Referral, Share, Task


def _require(request: HttpRequest, perm: str = COLLAB_VIEW) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def _department_filter(request: HttpRequest, qs, field: str = "department_id"):
    pk = valid_pk(text(request.GET, "department", 20))
    return (qs.filter(**{field: pk}) if pk else qs), pk


def _pick(rows, value):
    return next((r for r in rows if str(r.pk) == str(value)), None)


def _file_ids(files) -> str:
    return ",".join(str(f.pk) for f in files)


# --- overview: the departments ----------------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    _require(request)
    user, today = request.user, timezone.localdate()
    departments = list(sel.departments_visible_to(user).filter(active=True))
    memoranda = sel.memoranda_visible_to(user)
    in_force = set(sel.memoranda_in_force(memoranda, today).values_list("department_id", flat=True))
    partner = sel.is_partner(user)
    tasks = sel.tasks_visible_to(user)
    return render(request, "collaboration/overview.html", {
        "tab": "departments", "departments": departments, "in_force": in_force, "partner": partner,
        "counts": {
            "shares": sel.shares_visible_to(user).filter(withdrawn_at__isnull=True).count(),
            "referrals": sel.referrals_to_handle(sel.referrals_visible_to(user), user).count(),
            "tasks": sel.tasks_open(sel.tasks_led_by_me(tasks, user)).count(),
            "overdue": sel.tasks_overdue(tasks, today).count(),
            # Partners are not shown the memoranda lapsing (the bureau renews them): not counted for them.
            "expiring": None if partner else sel.memoranda_expiring(memoranda, today).count(),
        },
        "can_manage": has_permission(user, COLLAB_MANAGE),
    })


# --- memoranda --------------------------------------------------------------------------------------------------


@login_required
def memorandum_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    today = timezone.localdate()
    qs, department = _department_filter(request, sel.memoranda_visible_to(request.user))
    status = text(request.GET, "status", 16)
    if status in Memorandum.Status.values:
        qs = sel.memoranda_with_status(qs, status, today)
    page, querystring = paged(request, qs.order_by("-signed_on", "-pk"))
    return render(request, "collaboration/memorandum_list.html", {
        "tab": "memoranda", "page": page, "querystring": querystring, "status": status, "today": today,
        "statuses": Memorandum.Status.choices,
        "department": department, "departments": sel.departments_visible_to(request.user),
        "can_manage": has_permission(request.user, COLLAB_MANAGE)})


@login_required
def memorandum_create(request: HttpRequest) -> HttpResponse:
    _require(request, COLLAB_MANAGE)
    departments, areas = list(sel.departments_to_work_with(request.user)), services.areas_for(request.user)
    form = MemorandumForm(posted(request), posted_files(request), departments=departments, areas=areas,
                          initial={"department": request.GET.get("department", "")})
    files: list = []
    created = {}
    if request.method == "POST":
        def save(received):
            d = form.cleaned_data
            created["m"] = services.record_memorandum(
                actor=request.user, department=_pick(departments, d["department"]),
                jurisdiction=_pick(areas, d["jurisdiction"]), title=d["title"], number=d["number"],
                summary=d["summary"], signed_on=d["signed_on"], valid_from=d["valid_from"],
                valid_until=d["valid_until"], attachments=received)
        ok, files = submit_with_files(request, form, save)
        if ok:
            messages.success(request, _("Memorandum recorded."))
            return redirect("collaboration:memorandum", pk=created["m"].pk)
    return render(request, "collaboration/memorandum_form.html", {
        "tab": "memoranda", "form": form, "files": files, "file_ids": _file_ids(files)})


@login_required
def memorandum_detail(request: HttpRequest, pk: int) -> HttpResponse:
    memorandum = sel.get_memorandum_for_user(request.user, pk)
    mark_read_for_url(request.user, reverse("collaboration:memorandum", args=[memorandum.pk]))
    status = memorandum.status(timezone.localdate())
    return render(request, "collaboration/memorandum_detail.html", {
        "tab": "memoranda", "m": memorandum, "status": status, "status_label": Memorandum.Status(status).label,
        "attachments": memorandum.attachments.order_by("pk")})


# --- joint meetings and tasks -----------------------------------------------------------------------------------


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    qs, department = _department_filter(request, sel.meetings_visible_to(request.user), "departments__id")
    page, querystring = paged(request, qs.prefetch_related("departments").order_by("-held_on", "-pk"))
    return render(request, "collaboration/meeting_list.html", {
        "tab": "meetings", "page": page, "querystring": querystring, "department": department,
        "departments": sel.departments_visible_to(request.user),
        "can_manage": has_permission(request.user, COLLAB_MANAGE)})


def _meeting_form(request, meeting=None):
    departments, areas = list(sel.departments_for_meeting(request.user, meeting)), services.areas_for(request.user)
    if meeting is not None:
        areas = [meeting.jurisdiction]
        initial = {"jurisdiction": meeting.jurisdiction_id, "kind": meeting.kind, "title": meeting.title,
                   "held_on": meeting.held_on, "place": meeting.place, "attendees": meeting.attendees,
                   "minutes": meeting.minutes, "departments": [str(d.pk) for d in meeting.departments.all()],
                   "version": meeting.version}
    else:
        initial = {"held_on": timezone.localdate()}
    form = MeetingForm(posted(request), posted_files(request), departments=departments, areas=areas,
                       initial=initial)
    files: list = []
    saved = {}
    if request.method == "POST":
        def save(received):
            d = form.cleaned_data
            chosen = [x for x in departments if str(x.pk) in d["departments"]]
            values = {"kind": d["kind"], "title": d["title"], "held_on": d["held_on"], "place": d["place"],
                      "departments": chosen, "attendees": d["attendees"], "minutes": d["minutes"],
                      "attachments": received}
            if meeting is None:
                saved["m"] = services.record_meeting(actor=request.user,
                                                     jurisdiction=_pick(areas, d["jurisdiction"]), **values)
            else:
                saved["m"] = services.correct_meeting(meeting, actor=request.user, expected_version=d["version"],
                                                      **values)
        ok, files = submit_with_files(request, form, save)
        if ok:
            messages.success(request, _("Meeting recorded. Add its decisions as tasks below.") if meeting is None
                             else _("Meeting record corrected."))
            return redirect("collaboration:meeting", pk=saved["m"].pk)
    return render(request, "collaboration/meeting_form.html", {
        "tab": "meetings", "form": form, "meeting": meeting, "files": files, "file_ids": _file_ids(files)})


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    _require(request, COLLAB_MANAGE)
    return _meeting_form(request)


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_form(request, sel.get_meeting_for_user(request.user, pk, need=COLLAB_MANAGE))


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = sel.get_meeting_for_user(request.user, pk)
    mark_read_for_url(request.user, reverse("collaboration:meeting", args=[meeting.pk]))
    can_manage = sel.can_manage_meeting(request.user, meeting)
    departments = list(meeting.departments.all())
    form = DecisionForm(posted(request) if can_manage else None, departments=departments,
                        initial={"version": meeting.version})
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.add_decision(meeting, actor=request.user, decision=d["decision"],
                                      lead=_pick(departments, d["lead"]), due_on=d["due_on"],
                                      expected_version=d["version"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Decision added as a task."))
                return redirect("collaboration:meeting", pk=meeting.pk)
    return render(request, "collaboration/meeting_detail.html", {
        "tab": "meetings", "meeting": meeting, "departments": departments, "form": form, "can_manage": can_manage,
        "tasks": meeting.tasks.select_related("lead"), "attachments": meeting.attachments.order_by("pk"),
        "today": timezone.localdate()})


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    today = timezone.localdate()
    qs, department = _department_filter(request, sel.tasks_visible_to(request.user), "lead_id")
    state = text(request.GET, "state", 8)
    if state in Task.State.values:
        qs = qs.filter(state=state)
    if request.GET.get("overdue") == "1":
        qs = sel.tasks_overdue(qs, today)
    if request.GET.get("mine") == "1":
        qs = sel.tasks_led_by_me(qs, request.user)
    page, querystring = paged(request, qs.order_by("state", "due_on", "pk"))
    return render(request, "collaboration/task_list.html", {
        "tab": "tasks", "page": page, "querystring": querystring, "state": state, "states": Task.State.choices,
        "overdue": request.GET.get("overdue") == "1", "mine": request.GET.get("mine") == "1", "today": today,
        "department": department, "departments": sel.departments_visible_to(request.user)})


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = sel.get_task_for_user(request.user, pk)
    mark_read_for_url(request.user, reverse("collaboration:task", args=[task.pk]))
    can_report = task.state == Task.State.OPEN and sel.can_report_on_task(request.user, task)
    form = TaskUpdateForm(posted(request) if can_report else None, initial={"version": task.version})
    if request.method == "POST":
        if task.state == Task.State.DONE and sel.can_report_on_task(request.user, task):
            messages.error(request, _("This task is done."))
            return redirect("collaboration:task", pk=task.pk)
        if not can_report:
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.report_on_task(task, actor=request.user, text=d["text"], done=d["done"],
                                        expected_version=d["version"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Progress recorded."))
                return redirect("collaboration:task", pk=task.pk)
    return render(request, "collaboration/task_detail.html", {
        "tab": "tasks", "task": task, "form": form, "can_report": can_report, "today": timezone.localdate(),
        "updates": task.updates.select_related("actor")})


# --- shared records ---------------------------------------------------------------------------------------------


@login_required
def share_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    qs, department = _department_filter(request, sel.shares_visible_to(request.user))
    if request.GET.get("live") == "1":
        qs = qs.filter(withdrawn_at__isnull=True)
    page, querystring = paged(request, qs.order_by("-shared_at", "-pk"))
    return render(request, "collaboration/share_list.html", {
        "tab": "shares", "page": page, "querystring": querystring, "department": department,
        "live": request.GET.get("live") == "1", "departments": sel.departments_visible_to(request.user),
        "partner": sel.is_partner(request.user)})


@login_required
@require_POST
def share_create(request: HttpRequest) -> HttpResponse:
    """From an event's or a case's page: share it with a department."""
    from parcelwatch.enforcement.selectors import get_case_for_user
    from parcelwatch.events.selectors import get_event_for_user

    _require(request, COLLAB_MANAGE)
    departments = list(sel.departments_to_work_with(request.user))
    kind, record_id = request.POST.get("kind"), request.POST.get("record")
    event = get_event_for_user(request.user, record_id) if kind == "event" else None
    case = get_case_for_user(request.user, record_id) if kind == "case" else None
    record = event or case
    if record is None:
        raise PermissionDenied  # neither an event nor a case named
    form = ShareForm(request.POST, departments=departments)
    if form.is_valid():
        d = form.cleaned_data
        try:
            share = services.share_record(actor=request.user, department=_pick(departments, d["department"]),
                                          reason=d["reason"], event=event, case=case)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Shared with %(department)s: its users can read it and comment.") % {
                "department": share.department.name})
            return redirect("events:detail", pk=event.pk) if event else redirect("enforcement:detail", pk=case.pk)
    # Refused: the form again, with what was typed, on a page of its own that leads back to the record.
    return render(request, "collaboration/share_form.html", {
        "tab": "shares", "form": form, "record": record, "event": event, "case": case,
        "record_number": event.number if event else case.display_number})


def shared_context(share: Share) -> dict:
    """What a shared record shows: its fields, its timeline with the evidence, its documents. Read-only."""
    record = share.record
    if share.event_id:
        entries = labelled_entries(record, action_labels=ACTION_LABELS, state_labels=dict(Event.State.choices))
    else:
        entries = labelled_entries(record, action_labels=CASE_ACTION_LABELS,
                                   state_labels=dict(EnforcementCase.State.choices))
    return {"record": record, "entries": entries, "documents": documents_of(record, entries)}


@login_required
def share_detail(request: HttpRequest, pk: int) -> HttpResponse:
    share = sel.get_share_for_user(request.user, pk)
    mark_read_for_url(request.user, reverse("collaboration:share", args=[share.pk]))
    partner = sel.responds_for(request.user, share.department_id)
    can_manage = sel.can_on(request.user, COLLAB_MANAGE, share)
    can_comment = share.live and (partner or can_manage)
    form = CommentForm(posted(request) if can_comment else None)
    if request.method == "POST":
        if not share.live and (partner or can_manage):
            messages.error(request, _("Sharing has been withdrawn: no more comments."))
            return redirect("collaboration:share", pk=share.pk)
        if not can_comment:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.comment_on_share(share, actor=request.user, text=form.cleaned_data["text"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Comment added."))
                return redirect("collaboration:share", pk=share.pk)
    return render(request, "collaboration/share_detail.html", {
        "tab": "shares", "share": share, "form": form, "can_comment": can_comment, "can_manage": can_manage,
        "comments": share.comments.select_related("author"), **shared_context(share)})


@login_required
@require_POST
def share_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    share = sel.get_share_for_user(request.user, pk)
    if not sel.can_on(request.user, COLLAB_MANAGE, share):
        raise PermissionDenied
    form = VersionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        messages.error(request, _("Somebody else has acted on this in the meantime. Reload the page to see what "
                                  "changed."))
        return redirect("collaboration:share", pk=share.pk)
    try:
        services.withdraw_share(share, actor=request.user, expected_version=form.cleaned_data["version"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Sharing withdrawn: the department can no longer open it."))
    return redirect("collaboration:share", pk=share.pk)


# --- referrals --------------------------------------------------------------------------------------------------


@login_required
def referral_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    qs, department = _department_filter(request, sel.referrals_visible_to(request.user))
    direction, state = text(request.GET, "direction", 4), text(request.GET, "state", 10)
    if direction in Referral.Direction.values:
        qs = qs.filter(direction=direction)
    if state in Referral.State.values:
        qs = qs.filter(state=state)
    if request.GET.get("todo") == "1":
        qs = sel.referrals_to_handle(qs, request.user)
    page, querystring = paged(request, qs.order_by("-sent_at", "-pk"))
    partner = sel.is_partner(request.user)
    return render(request, "collaboration/referral_list.html", {
        "tab": "referrals", "page": page, "querystring": querystring, "direction": direction, "state": state,
        "todo": request.GET.get("todo") == "1", "directions": Referral.Direction.choices,
        "states": Referral.State.choices, "department": department, "partner": partner,
        "departments": sel.departments_visible_to(request.user),
        "can_send": sel.may_refer(request.user)})


def _referral_sources(request: HttpRequest):
    """(departments, areas, sites) the user may send a referral with."""
    user = request.user
    if sel.is_partner(user):
        departments = list(sel.departments_visible_to(user).filter(pk__in=sel.departments_of(user), active=True))
        areas = [a for d in departments for a in services.referral_areas_for(d)]
        perm = REGISTRY_VIEW
    else:
        departments, areas, perm = list(sel.departments_to_work_with(user)), services.areas_for(user), COLLAB_MANAGE
    sites = list(sites_visible_to(user, perm).exclude(status=Site.Status.CLOSED)
                 .order_by("district__sort_order", "name")[:2000]) if has_permission(user, perm) else []
    return departments, areas, sites


@login_required
def referral_create(request: HttpRequest) -> HttpResponse:
    from parcelwatch.enforcement.selectors import get_case_for_user
    from parcelwatch.events.selectors import get_event_for_user

    partner = sel.is_partner(request.user)
    if not sel.may_refer(request.user):
        raise PermissionDenied
    departments, areas, sites = _referral_sources(request)
    source = request.POST if request.method == "POST" else request.GET
    event = get_event_for_user(request.user, source.get("event")) if source.get("event") and not partner else None
    case = get_case_for_user(request.user, source.get("case")) if source.get("case") and not partner else None
    record = event or case
    initial = {"event": event.pk if event else None, "case": case.pk if case else None}
    if record is not None:
        initial.update(subject=str(record.category.name)[:100], site=record.site_id)
    form = ReferralForm(posted(request), posted_files(request), departments=departments, areas=areas, sites=sites,
                        partner=partner, initial=initial)
    files: list = []
    created = {}
    if request.method == "POST":
        def send(received):
            d = form.cleaned_data
            created["r"] = services.send_referral(
                actor=request.user, department=_pick(departments, d["department"]),
                jurisdiction=_pick(areas, d["jurisdiction"]), subject=d["subject"], facts=d["facts"],
                legal_basis=d["legal_basis"], site=_pick(sites, d["site"]), event=event, case=case,
                attachments=received)
        ok, files = submit_with_files(request, form, send)
        if ok:
            messages.success(request, _("Referral %(number)s sent.") % {"number": created["r"].number})
            return redirect("collaboration:referral", pk=created["r"].pk)
    return render(request, "collaboration/referral_form.html", {
        "tab": "referrals", "form": form, "files": files, "file_ids": _file_ids(files), "record": record,
        "record_number": event.number if event else case.display_number if case else "", "partner": partner})


def _referral_page(request: HttpRequest, referral: Referral, *, refused=None, files=()) -> HttpResponse:
    """The referral, its steps and the receiving side's buttons; after a refusal, the refused action's form again
    with what was typed and the files received (kept for the next submission)."""
    return render(request, "collaboration/referral_detail.html", {
        "tab": "referrals", "referral": referral, "actions": sel.referral_actions(referral, request.user),
        "refused": refused, "files": files, "file_ids": _file_ids(files),
        "entries": referral.entries.select_related("actor").prefetch_related("attachments")})


@login_required
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = sel.get_referral_for_user(request.user, pk)
    mark_read_for_url(request.user, reverse("collaboration:referral", args=[referral.pk]))
    return _referral_page(request, referral)


@login_required
@require_POST
def referral_act(request: HttpRequest, pk: int) -> HttpResponse:
    referral = sel.get_referral_for_user(request.user, pk)
    if not sel.receives(request.user, referral):
        raise PermissionDenied
    form = ReferralActionForm(request.POST, request.FILES)

    def act(received):
        d = form.cleaned_data
        services.act_on_referral(referral, d["action"], actor=request.user, text=d["text"], attachments=received,
                                 expected_version=d["version"])
    ok, files = submit_with_files(request, form, act)
    if ok:
        messages.success(request, _("Done."))
        return redirect("collaboration:referral", pk=referral.pk)
    referral.refresh_from_db()
    return _referral_page(request, referral, refused=form, files=files)
