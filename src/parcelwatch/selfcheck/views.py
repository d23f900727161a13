"""Self-inspection pages: officer filings, monthly duty reports, spot checks and circulars."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from parcelwatch.accounts.access import covers, has_permission, memberships, valid_pk
from parcelwatch.accounts.models import Jurisdiction, Role
from parcelwatch.accounts.permissions import EVENTS_REPORT, SELFCHECK_REVIEW, SELFCHECK_SUBMIT, SELFCHECK_VIEW
from parcelwatch.accounts.selectors import districts_visible_to, home_city
from parcelwatch.evidence.kept import kept_files, store_files
from parcelwatch.lib.forms import add_service_errors, posted, posted_files
from parcelwatch.lib.pagination import CappedPaginator
from parcelwatch.lib.params import text
from parcelwatch.registry.models import Enterprise, SafetyOfficer, Site

from . import selectors as sel
from . import services
from .forms import CheckForm, CircularForm, DrawForm, FilingForm, ReasonForm, ReportForm
from .models import Circular, DutyReport, OfficerFiling, SpotCheck, month_start, previous_month


def _require(request: HttpRequest, perm: str = SELFCHECK_VIEW) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def _page(request: HttpRequest, qs, size: int = 50):
    return CappedPaginator(qs, size).get_page(request.GET.get("page"))


def parse_month(value: str) -> date | None:
    """A YYYY-MM month from 2000 to 2100, or None."""
    value = (value or "").strip()[:7]
    try:
        year, month = value.split("-")
        if not (year.isascii() and year.isdigit() and month.isascii() and month.isdigit()):
            return None
        parsed = date(int(year), int(month), 1)
    except (ValueError, TypeError):
        return None
    return parsed if 2000 <= parsed.year <= 2100 else None


def _my_enterprises(user) -> list[Enterprise]:
    ids = [m.enterprise_id for m in memberships(user) if m.role == Role.ENTERPRISE_SAFETY]
    return list(Enterprise.objects.filter(pk__in=ids).order_by("name"))


def _review_areas(user) -> list[tuple[str, str]]:
    """The areas where the user reviews: their city (if they cover it) and each district they cover."""
    areas = []
    city = home_city(user)
    if city is not None and covers(user, SELFCHECK_REVIEW, city.path):
        areas.append((city.code, city.name))
    areas += [(d.code, d.name) for d in districts_visible_to(user) if covers(user, SELFCHECK_REVIEW, d.path)]
    return areas


def _actions(obj, user):
    return [{"name": name, "label": t.label, "needs_reason": t.needs_reason, "style": t.style}
            for name, t in services.available_actions(obj, user)]


def _act(request: HttpRequest, obj, perform, url: str) -> HttpResponse:
    """A transition posted from a page: one service call; a refusal is a message, never a lost page."""
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The request was not valid: reload the page and try again."))
        return redirect(url)
    try:
        perform(obj, form.cleaned_data["action"], actor=request.user, reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Done."))
    return redirect(url)


# --- filings -----------------------------------------------------------------------------------------------


@login_required
def filing_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    qs = sel.filings_visible_to(request.user)
    state = text(request.GET, "state")
    if state in OfficerFiling.State.values:
        qs = qs.filter(state=state)
    return render(request, "selfcheck/filing_list.html", {
        "page": _page(request, qs.order_by("-submitted_at", "-pk")), "state": state,
        "states": OfficerFiling.State.choices, "can_file": has_permission(request.user, SELFCHECK_SUBMIT),
        "today": timezone.localdate(),
    })


def _filing_form_context(request, enterprise: Enterprise) -> dict:
    officers = SafetyOfficer.objects.filter(enterprise=enterprise, status=SafetyOfficer.Status.ACTIVE).order_by("name")
    sites = Site.objects.filter(enterprise=enterprise).exclude(status=Site.Status.CLOSED).order_by("name")
    return {"officers": officers, "sites": sites}


def _chosen(model, ids, **filters) -> list:
    pks = [valid_pk(i) for i in ids]
    return list(model.objects.filter(pk__in=[p for p in pks if p], **filters))


@login_required
def filing_create(request: HttpRequest) -> HttpResponse:
    _require(request, SELFCHECK_SUBMIT)
    enterprises = _my_enterprises(request.user)
    if not enterprises:
        raise PermissionDenied
    enterprise = next((e for e in enterprises if str(e.pk) == request.POST.get("enterprise", request.GET.get(
        "enterprise", ""))), enterprises[0])
    choices = _filing_form_context(request, enterprise)
    form = FilingForm(posted(request), officers=choices["officers"], sites=choices["sites"],
                      initial={"kind": text(request.GET, "kind") or OfficerFiling.Kind.NEW,
                               "officer": text(request.GET, "officer")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        officer = next((o for o in choices["officers"] if str(o.pk) == data["officer"]), None)
        try:
            filing = services.submit_filing(
                enterprise, actor=request.user, kind=data["kind"], officer=officer, note=data["note"],
                data={k: data[k] for k in ("name", "id_number", "phone")},
                sites=_chosen(Site, data["sites"], enterprise=enterprise))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Filing submitted: the district decides by %(day)s.") % {
                "day": filing.decide_by.isoformat()})
            return redirect("selfcheck:filing_detail", pk=filing.pk)
    return render(request, "selfcheck/filing_form.html", {"form": form, "enterprise": enterprise,
                                                         "enterprises": enterprises})


@login_required
def filing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filing = sel.get_filing_for_user(request.user, pk)
    resubmit = None
    if filing.state == OfficerFiling.State.RETURNED and sel.can_on(request.user, SELFCHECK_SUBMIT, filing):
        choices = _filing_form_context(request, filing.enterprise)
        resubmit = FilingForm(posted(request), officers=choices["officers"], sites=choices["sites"], initial={
            "kind": filing.kind, "officer": str(filing.officer_id or ""), "name": filing.name,
            "id_number": filing.id_number, "phone": filing.phone, "note": filing.note,
            "sites": [str(pk) for pk in filing.sites.values_list("pk", flat=True)]})
        resubmit.fields["kind"].disabled = True
        resubmit.fields["officer"].disabled = True
        if request.method == "POST" and resubmit.is_valid():
            data = resubmit.cleaned_data
            try:
                services.resubmit_filing(filing, actor=request.user, note=data["note"],
                                         data={k: data[k] for k in ("name", "id_number", "phone")},
                                         sites=_chosen(Site, data["sites"], enterprise=filing.enterprise),
                                         expected_version=valid_pk(request.POST.get("version")))
            except ValidationError as exc:
                add_service_errors(resubmit, exc)
            else:
                messages.success(request, _("Filing sent again."))
                return redirect("selfcheck:filing_detail", pk=filing.pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "selfcheck/filing_detail.html", {
        "filing": filing, "personal": sel.filing_personal(request.user, filing), "sites": filing.sites.order_by("name"), "actions": _actions(filing, request.user),
        "resubmit": resubmit, "today": timezone.localdate(),
    })


@login_required
@require_POST
def filing_act(request: HttpRequest, pk: int) -> HttpResponse:
    filing = sel.get_filing_for_user(request.user, pk)
    return _act(request, filing, services.act_on_filing, f"/selfcheck/filings/{filing.pk}/")


# --- monthly duty reports ------------------------------------------------------------------------------------


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """Regulators: a month's reporting per district, and the enterprises by status. Enterprises: their reports."""
    _require(request)
    today = timezone.localdate()
    period = parse_month(text(request.GET, "month")) or previous_month(month_start(today))
    district = Jurisdiction.objects.filter(code=text(request.GET, "district")).first()
    status = text(request.GET, "status")
    reviewing = has_permission(request.user, SELFCHECK_REVIEW) or not has_permission(request.user, SELFCHECK_SUBMIT)
    context = {"period": period, "today": today, "status": status, "district": district,
               "statuses": STATUS_LABELS, "reviewing": reviewing,
               "months": _recent_months(today)}
    if reviewing:
        rows = sel.reporting_rows(request.user, period, today=today, district=district, status=status)
        for row in rows[:500]:
            row.label = STATUS_LABELS[row.status]
        waiting = sel.reports_visible_to(request.user, SELFCHECK_REVIEW).filter(state=DutyReport.State.SUBMITTED)
        context.update(summary=sel.reporting_summary(request.user, period, today=today), rows=rows[:500],
                       row_count=len(rows), to_review=waiting.count(),
                       review=text(request.GET, "review") == "1",
                       waiting=waiting.order_by("submitted_at", "pk")[:200])
    else:
        enterprises = _my_enterprises(request.user)
        context.update(
            mine=_page(request, sel.reports_visible_to(request.user).order_by("-period", "enterprise__name")),
            due=_due_for(request.user, enterprises, today))
    return render(request, "selfcheck/report_list.html", context)


STATUS_LABELS = {
    sel.STATUS_DUE: gettext_lazy("Not yet due"), sel.STATUS_MISSING: gettext_lazy("Missing"),
    sel.STATUS_SUBMITTED: gettext_lazy("Submitted on time"), sel.STATUS_LATE: gettext_lazy("Late"),
    sel.STATUS_RETURNED: gettext_lazy("Returned"), sel.STATUS_ACCEPTED: gettext_lazy("Accepted on time"),
}


def _recent_months(today: date, n: int = 12) -> list[date]:
    months, m = [], month_start(today)
    for _i in range(n):
        months.append(m)
        m = previous_month(m)
    return months


def _due_for(user, enterprises: list[Enterprise], today: date) -> list[dict]:
    """The months an enterprise still owes: last month (and this month, once it has begun) without a report, and
    any returned report — each with its due date."""
    rows = []
    for enterprise in enterprises:
        have = {r.period: r for r in DutyReport.objects.filter(enterprise=enterprise,
                                                               period__gte=previous_month(previous_month(
                                                                   month_start(today))))}
        for period in (previous_month(previous_month(month_start(today))), previous_month(month_start(today))):
            report = have.get(period)
            if report is None or report.state == DutyReport.State.RETURNED:
                due = report.due_date if report else sel.due_date_for(period)
                rows.append({"enterprise": enterprise, "period": period, "due": due, "report": report,
                             "overdue": today > due})
    return rows


@login_required
def report_create(request: HttpRequest) -> HttpResponse:
    """Write (or correct, when returned) the month's duty report."""
    _require(request, SELFCHECK_SUBMIT)
    enterprises = _my_enterprises(request.user)
    if not enterprises:
        raise PermissionDenied
    today = timezone.localdate()
    wanted = request.POST.get("enterprise", request.GET.get("enterprise", ""))
    enterprise = next((e for e in enterprises if str(e.pk) == wanted), enterprises[0])
    period = parse_month(request.POST.get("month") or text(request.GET, "month")) or previous_month(
        month_start(today))
    existing = DutyReport.objects.filter(enterprise=enterprise, period=period).first()
    if existing is not None and existing.state != DutyReport.State.RETURNED:
        messages.info(request, _("This month's report has already been submitted."))
        return redirect("selfcheck:report_detail", pk=existing.pk)
    template = existing.template if existing else sel.active_template()
    items = existing.items if existing else ([{"code": i.code, "text": i.text, "rule": i.rule}
                                              for i in template.items.all()] if template else [])
    initial = {"narrative": existing.narrative, "version": existing.version,
               **{f"item_{c}": a for c, a in existing.answers.items()}} if existing else {}
    form = ReportForm(posted(request), posted_files(request), items=items, initial=initial)
    files: list = []
    if request.method == "POST":
        files = kept_files(request, form)
        valid = form.is_valid()
        valid = store_files(request, form, files) and valid
        if valid:
            try:
                report = services.submit_report(
                    enterprise, actor=request.user, period=period, answers=form.answers(),
                    narrative=form.cleaned_data["narrative"], attachments=files,
                    expected_version=form.cleaned_data.get("version"))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Report for %(month)s submitted.") % {"month": f"{period:%Y-%m}"})
                return redirect("selfcheck:report_detail", pk=report.pk)
    return render(request, "selfcheck/report_form.html", {
        "form": form, "enterprise": enterprise, "enterprises": enterprises, "period": period, "existing": existing,
        "template": template, "due": existing.due_date if existing else sel.due_date_for(period, template),
        "files": files, "file_ids": ",".join(str(f.pk) for f in files), "today": today,
    })


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = sel.get_report_for_user(request.user, pk)
    return render(request, "selfcheck/report_detail.html", {
        "report": report, "actions": _actions(report, request.user),
        "answers": [{**item, "answer": report.answers.get(item["code"], "")} for item in report.items],
        "attachments": report.attachments.order_by("pk"),
        "can_correct": report.state == DutyReport.State.RETURNED and sel.can_on(request.user, SELFCHECK_SUBMIT,
                                                                                 report),
    })


@login_required
@require_POST
def report_act(request: HttpRequest, pk: int) -> HttpResponse:
    report = sel.get_report_for_user(request.user, pk)
    return _act(request, report, services.act_on_report, f"/selfcheck/reports/{report.pk}/")


# --- spot checks ---------------------------------------------------------------------------------------------


@login_required
def check_list(request: HttpRequest) -> HttpResponse:
    _require(request, SELFCHECK_REVIEW)
    today = timezone.localdate()
    areas = _review_areas(request.user)
    form = DrawForm(posted(request), areas=areas, initial={
        "month": f"{previous_month(month_start(today)):%Y-%m}", "area": areas[-1][0] if areas else ""})
    if request.method == "POST" and form.is_valid():
        period = parse_month(form.cleaned_data["month"])
        if period is None:
            form.add_error("month", _("Choose a month."))
        else:
            try:
                record = services.draw_spot_checks(
                    actor=request.user, area=Jurisdiction.objects.get(code=form.cleaned_data["area"]), period=period,
                    percent=form.cleaned_data["percent"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Drawn: %(n)d reports to check (seed %(seed)s).") % {
                    "n": record.checks.count(), "seed": record.seed})
                return redirect("selfcheck:draw_detail", pk=record.pk)
    checks = sel.checks_visible_to(request.user, SELFCHECK_REVIEW)
    return render(request, "selfcheck/check_list.html", {
        "form": form, "draws": _page(request, sel.draws_visible_to(request.user).order_by("-drawn_at", "-pk"), 20),
        "pending": checks.filter(result=SpotCheck.Result.PENDING).order_by("pk")[:100],
        "pending_count": checks.filter(result=SpotCheck.Result.PENDING).count(),
    })


@login_required
def draw_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = sel.get_draw_for_user(request.user, pk)
    return render(request, "selfcheck/draw_detail.html", {
        "draw": record, "checks": record.checks.select_related("report__enterprise", "checked_by", "event"),
        "rechecked": services.recheck(record), "candidate_count": len(record.candidates),
    })


@login_required
def check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    check = sel.get_check_for_user(request.user, pk)
    enterprise = check.report.enterprise
    sites = Site.objects.filter(enterprise=enterprise).exclude(status=Site.Status.CLOSED).order_by("name")
    can_record = sel.can_on(request.user, SELFCHECK_REVIEW, check) and not check.event_id
    form = CheckForm(posted(request) if can_record else None, posted_files(request), sites=sites, initial={
        "method": check.method, "result": check.result if check.result != SpotCheck.Result.PENDING else "",
        "site": str(check.site_id or ""), "findings": check.findings})
    files: list = []
    if request.method == "POST":
        if not can_record:
            raise PermissionDenied
        files = kept_files(request, form)
        valid = form.is_valid()
        valid = store_files(request, form, files) and valid
        if valid:
            data = form.cleaned_data
            site = next((s for s in sites if str(s.pk) == data["site"]), None)
            try:
                services.record_check(check, actor=request.user, method=data["method"], result=data["result"],
                                      findings=data["findings"], site=site, attachments=files)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Check recorded."))
                return redirect("selfcheck:check_detail", pk=check.pk)
    from parcelwatch.events.models import EventCategory

    return render(request, "selfcheck/check_detail.html", {
        "check": check, "report": check.report, "form": form, "can_record": can_record, "files": files,
        "file_ids": ",".join(str(f.pk) for f in files), "attachments": check.attachments.order_by("pk"),
        "categories": EventCategory.objects.filter(active=True).order_by("code"),
        "can_raise": can_record and check.result == SpotCheck.Result.FAILED and has_permission(
            request.user, EVENTS_REPORT),
    })


@login_required
@require_POST
def check_raise(request: HttpRequest, pk: int) -> HttpResponse:
    check = sel.get_check_for_user(request.user, pk, need=SELFCHECK_REVIEW)
    try:
        event = services.raise_check_event(check, actor=request.user,
                                           category_code=text(request.POST, "category", 8))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("selfcheck:check_detail", pk=check.pk)
    messages.success(request, _("Event %(number)s raised from the spot check.") % {"number": event.number})
    return redirect("events:detail", pk=event.pk)


# --- circulars -----------------------------------------------------------------------------------------------


@login_required
def circular_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    qs = sel.circulars_visible_to(request.user)
    state = text(request.GET, "state")
    if state in Circular.State.values:
        qs = qs.filter(state=state)
    unread = text(request.GET, "unread") == "1"
    if unread:
        qs = qs.filter(pk__in=sel.receipts_of(request.user).filter(read_at__isnull=True).values("circular_id"))
    receipts = {r.circular_id: r for r in sel.receipts_of(request.user).filter(
        circular_id__in=[c.pk for c in qs.order_by("-drafted_at", "-pk")[:500]])}
    return render(request, "selfcheck/circular_list.html", {
        "page": _page(request, qs.order_by("-drafted_at", "-pk")), "state": state, "states": Circular.State.choices,
        "can_draft": bool(_review_areas(request.user)), "receipts": receipts, "unread": unread,
    })


def _circular_form(request: HttpRequest, circular: Circular | None, initial: dict) -> CircularForm:
    areas = _review_areas(request.user) if circular is None else [(circular.area.code, circular.area.name)]
    code = request.POST.get("area") or initial.get("area") or (areas[-1][0] if areas else "")
    area = Jurisdiction.objects.filter(code=code).first()
    enterprises = (sel.reporters_visible_to(request.user, SELFCHECK_REVIEW).filter(
        jurisdiction__path__startswith=area.path).order_by("name")[:2000] if area else [])
    form = CircularForm(posted(request), areas=areas, enterprises=enterprises, initial=initial)
    if circular is not None:
        form.fields["area"].disabled = True
        form.fields["kind"].disabled = True
    return form


@login_required
def circular_create(request: HttpRequest) -> HttpResponse:
    _require(request, SELFCHECK_REVIEW)
    areas = _review_areas(request.user)
    if not areas:
        raise PermissionDenied
    initial = {"area": text(request.GET, "area") or areas[-1][0], "kind": text(request.GET, "kind")
               or Circular.Kind.GENERAL}
    period = parse_month(text(request.GET, "month"))
    drafted_from_data = False
    if request.method == "GET" and text(request.GET, "from_data"):
        area = Jurisdiction.objects.filter(code=initial["area"]).first()
        if area is not None and initial["area"] in dict(areas):
            try:
                title, body, recipients = services.circular_from_data(actor=request.user, area=area,
                                                                      kind=initial["kind"], period=period)
            except ValidationError as exc:
                messages.warning(request, "；".join(exc.messages))
            else:
                initial.update(title=title, body=body, enterprises=[str(e.pk) for e in recipients])
                drafted_from_data = True
    form = _circular_form(request, None, initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            circular = services.draft_circular(
                actor=request.user, area=Jurisdiction.objects.get(code=data["area"]), kind=data["kind"],
                title=data["title"], body=data["body"], enterprises=_chosen(Enterprise, data["enterprises"]))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Circular drafted."))
            return redirect("selfcheck:circular_detail", pk=circular.pk)
    return render(request, "selfcheck/circular_form.html", {
        "form": form, "circular": None, "drafted_from_data": drafted_from_data, "kinds": Circular.Kind.choices,
        "month": f"{(period or previous_month(month_start(timezone.localdate()))):%Y-%m}"})


@login_required
def circular_edit(request: HttpRequest, pk: int) -> HttpResponse:
    circular = sel.get_circular_for_user(request.user, pk, need=SELFCHECK_REVIEW)
    if circular.state != Circular.State.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect("selfcheck:circular_detail", pk=circular.pk)
    form = _circular_form(request, circular, {
        "area": circular.area.code, "kind": circular.kind, "title": circular.title, "body": circular.body,
        "version": circular.version,
        "enterprises": [str(i) for i in circular.recipients.values_list("enterprise_id", flat=True)]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_circular(circular, actor=request.user, title=data["title"], body=data["body"],
                                     enterprises=_chosen(Enterprise, data["enterprises"]),
                                     expected_version=data.get("version"))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("selfcheck:circular_detail", pk=circular.pk)
    return render(request, "selfcheck/circular_form.html", {"form": form, "circular": circular})


@login_required
def circular_detail(request: HttpRequest, pk: int) -> HttpResponse:
    circular = sel.get_circular_for_user(request.user, pk)
    regulator = sel.can_on_circular(request.user, SELFCHECK_VIEW, circular)
    mine = list(sel.receipts_of(request.user).filter(circular=circular))
    return render(request, "selfcheck/circular_detail.html", {
        "circular": circular, "actions": _actions(circular, request.user), "regulator": regulator,
        "issuer": services.issuer_name(circular.area),
        "recipients": circular.recipients.select_related("enterprise", "read_by") if regulator else mine,
        "unread_mine": [r for r in mine if r.read_at is None],
        "read_count": circular.recipients.filter(read_at__isnull=False).count() if regulator else None,
        "can_edit": circular.state == Circular.State.DRAFT and sel.can_on_circular(request.user, SELFCHECK_REVIEW,
                                                                                   circular),
    })


@login_required
@require_POST
def circular_act(request: HttpRequest, pk: int) -> HttpResponse:
    circular = sel.get_circular_for_user(request.user, pk)
    return _act(request, circular, services.act_on_circular, f"/selfcheck/circulars/{circular.pk}/")


@login_required
@require_POST
def circular_read(request: HttpRequest, pk: int) -> HttpResponse:
    circular = sel.get_circular_for_user(request.user, pk)
    try:
        services.mark_circular_read(circular, actor=request.user)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, _("Receipt confirmed."))
    return redirect("selfcheck:circular_detail", pk=circular.pk)
