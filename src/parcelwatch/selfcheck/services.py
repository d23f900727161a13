"""Every write of self-inspection: filings, duty reports, spot checks and circulars.

Each state change locks its row, checks the action against the model's TRANSITIONS table, the actor's
permission and jurisdiction (`_authorise`), changes the fields, appends to the record's history and
queues notifications for after the commit.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from parcelwatch.accounts.access import covers
from parcelwatch.accounts.models import Jurisdiction, Membership, Role, User
from parcelwatch.accounts.permissions import (
    SELFCHECK_REVIEW,
    SELFCHECK_SUBMIT,
)
from parcelwatch.evidence.models import Attachment
from parcelwatch.lib.apitypes import Stale
from parcelwatch.lib.phones import parse_phone
from parcelwatch.lib.text import clean_text, is_ascii_digits, normalise_identifier
from parcelwatch.registry.models import Enterprise, SafetyOfficer, Site

from . import selectors as sel
from .models import (
    Circular,
    CircularRecipient,
    DutyReport,
    OfficerFiling,
    SpotCheck,
    SpotCheckDraw,
    Transition,
    month_start,
    previous_month,
)

REASON_MAX = 500
NARRATIVE_MAX = 5000
BODY_MAX = 20000
FINDINGS_MAX = 2000
FILING_DECISION_WORKING_DAYS = 5  # 快递末端网点备案暂行规定: the regulator decides within five working days


class StaleError(Stale):
    """Somebody else acted on the record first."""


def _now():
    return timezone.now()


def _log(obj, *, actor: User | None, action: str, reason: str = "") -> None:
    obj.history = [*obj.history, {"at": _now().isoformat(), "actor": actor.display_name if actor else "",
                                  "action": action, "reason": reason}]


def _reason(reason: str, transition: Transition) -> str:
    reason = clean_text(reason)
    if transition.needs_reason and not reason:
        raise ValidationError({"reason": _("Give the reason, so the enterprise knows what to correct.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": REASON_MAX}})
    return reason


def _authorise(obj: Model, action: str, actor: User, *, expected_version: int | None) -> Transition:
    """The one check before any transition: the action exists, the state allows it, the actor may (role and
    jurisdiction), and nobody acted since the actor's page was drawn."""
    transition = type(obj).TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": _("Unknown action.")})
    allowed = (sel.can_on_circular(actor, transition.permission, obj) if isinstance(obj, Circular)
               else sel.can_on(actor, transition.permission, obj))
    if not allowed:
        raise PermissionDenied
    if expected_version is not None and expected_version != obj.version:
        raise StaleError(_("Somebody else has acted on this in the meantime. Reload the page to see what changed."))
    if obj.state not in transition.sources:
        raise ValidationError({"action": _("This action is not possible in the current state (%(state)s).") % {
            "state": obj.get_state_display()}})
    return transition


def available_actions(obj: Model, user: User) -> list[tuple[str, Transition]]:
    """The actions the table allows this user on this record now: the buttons a page shows."""
    check = sel.can_on_circular if isinstance(obj, Circular) else sel.can_on
    return [(name, t) for name, t in type(obj).TRANSITIONS.items()
            if obj.state in t.sources and check(user, t.permission, obj)]


def _enterprise_users(enterprise_ids) -> list[User]:
    return [m.user for m in Membership.objects.filter(
        role=Role.ENTERPRISE_SAFETY, enterprise_id__in=list(enterprise_ids), user__is_active=True,
    ).select_related("user")]


def _regulators_of(enterprise: Enterprise) -> list[User]:
    """District officers where the enterprise is registered (city officers for a city-registered one)."""
    from parcelwatch.notifications.services import users_with_role_covering

    path = enterprise.jurisdiction.path
    users = users_with_role_covering(Role.DISTRICT_OFFICER, path)
    return users or users_with_role_covering(Role.CITY_OFFICER, path)


def _notify(users, **kwargs) -> None:
    from parcelwatch.notifications.services import notify, on_commit

    users = list(users)
    on_commit(lambda: notify(users, **kwargs))


def _own_attachments(actor: User, attachments: Sequence[Attachment]) -> list[Attachment]:
    for a in attachments:
        if a.uploaded_by_id != actor.pk:
            raise ValidationError({"attachments": _("Attach only files you uploaded yourself.")})
        if a.kind not in (Attachment.Kind.IMAGE, Attachment.Kind.PDF):
            raise ValidationError({"attachments": _("Attach photos or PDF documents.")})
    return list(attachments)


# --- safety-officer filing (备案) ----------------------------------------------------------------------------


def _officer_fields(data: dict[str, Any]) -> dict[str, str]:
    name = clean_text(str(data.get("name") or ""), multiline=False)
    if not name:
        raise ValidationError({"name": _("Enter the officer's name.")})
    if len(name) > 32:
        raise ValidationError({"name": _("At most %(n)d characters.") % {"n": 32}})
    id_number = normalise_identifier(str(data.get("id_number") or ""))
    if len(id_number) != 18 or not is_ascii_digits(id_number[:17]) or id_number[17] not in "0123456789X":
        raise ValidationError({"id_number": _("An ID card number has 18 characters: 17 digits and a digit or X.")})
    try:
        phone = parse_phone(str(data.get("phone") or "")).value
    except ValidationError as exc:
        raise ValidationError({"phone": exc.messages}) from None
    return {"name": name, "id_number": id_number, "phone": phone}


def _covered_sites(enterprise: Enterprise, sites: Sequence[Site], kind: str) -> list[Site]:
    sites = list(sites)
    if any(s.enterprise_id != enterprise.pk for s in sites):
        raise ValidationError({"sites": _("A safety officer can only cover sites of their own enterprise.")})
    if kind != OfficerFiling.Kind.DEPARTURE and not sites:
        raise ValidationError({"sites": _("Choose the sites the officer covers.")})
    return sites


@transaction.atomic
def submit_filing(enterprise: Enterprise, *, actor: User, kind: str, data: dict[str, Any], sites: Sequence[Site],
                  officer: SafetyOfficer | None = None, note: str = "") -> OfficerFiling:
    """The enterprise files a new safety officer, a change of one's details or sites, or a departure."""
    from parcelwatch.workdays.services import add_working_days

    if not sel.can_on(actor, SELFCHECK_SUBMIT, enterprise):
        raise PermissionDenied
    if kind not in OfficerFiling.Kind.values:
        raise ValidationError({"kind": _("Choose what is filed.")})
    if kind == OfficerFiling.Kind.NEW:
        officer = None
    elif officer is None or officer.enterprise_id != enterprise.pk or officer.status != SafetyOfficer.Status.ACTIVE:
        raise ValidationError({"officer": _("Choose one of your enterprise's officers in post.")})
    if kind == OfficerFiling.Kind.DEPARTURE:
        fields = {"name": officer.name, "id_number": officer.id_number, "phone": officer.phone}
        sites = list(officer.sites.all())
    else:
        fields = _officer_fields(data)
        sites = _covered_sites(enterprise, sites, kind)
    open_filings = OfficerFiling.objects.select_for_update().filter(enterprise=enterprise,
                                                                    state__in=OfficerFiling.OPEN_STATES)
    if officer is not None and open_filings.filter(officer=officer).exists():
        raise ValidationError(_("A filing for this officer is already open: finish or withdraw it first."))
    if kind == OfficerFiling.Kind.NEW:
        if open_filings.filter(id_number=fields["id_number"], kind=OfficerFiling.Kind.NEW).exists():
            raise ValidationError({"id_number": _("A filing for this person is already open.")})
        if SafetyOfficer.objects.filter(enterprise=enterprise, id_number=fields["id_number"],
                                        status=SafetyOfficer.Status.ACTIVE).exists():
            raise ValidationError({"id_number": _("This person is already one of your officers: file a change.")})
    note = clean_text(note)[:500]
    now = _now()
    filing = OfficerFiling.objects.create(
        enterprise=enterprise, officer=officer, kind=kind, note=note, submitted_by=actor, submitted_at=now,
        decide_by=add_working_days(timezone.localdate(now), FILING_DECISION_WORKING_DAYS), **fields,
        history=[{"at": now.isoformat(), "actor": actor.display_name, "action": "submit", "reason": note}])
    filing.sites.set(sites)
    _notify(_regulators_of(enterprise), kind="filing_submitted", url=f"/selfcheck/filings/{filing.pk}/",
            enterprise=enterprise.name, name=filing.name, filing_kind=str(filing.get_kind_display()))
    return filing


@transaction.atomic
def resubmit_filing(filing: OfficerFiling, *, actor: User, data: dict[str, Any], sites: Sequence[Site],
                    note: str = "", expected_version: int | None = None) -> OfficerFiling:
    """A returned filing, corrected and sent again."""
    from parcelwatch.workdays.services import add_working_days

    filing = OfficerFiling.objects.select_for_update(of=("self",)).select_related(
        "enterprise__jurisdiction", "officer").get(pk=filing.pk)
    if not sel.can_on(actor, SELFCHECK_SUBMIT, filing):
        raise PermissionDenied
    if expected_version is not None and expected_version != filing.version:
        raise StaleError(_("Somebody else has acted on this in the meantime. Reload the page to see what changed."))
    if filing.state != OfficerFiling.State.RETURNED:
        raise ValidationError(_("Only a returned filing can be corrected and sent again."))
    if filing.kind != OfficerFiling.Kind.DEPARTURE:
        fields = _officer_fields(data)
        filing.sites.set(_covered_sites(filing.enterprise, sites, filing.kind))
        for name, value in fields.items():
            setattr(filing, name, value)
    now = _now()
    filing.note = clean_text(note)[:500]
    filing.state = OfficerFiling.State.SUBMITTED
    filing.submitted_at = now
    filing.decide_by = add_working_days(timezone.localdate(now), FILING_DECISION_WORKING_DAYS)
    filing.version += 1
    _log(filing, actor=actor, action="resubmit", reason=filing.note)
    filing.save(update_fields=["name", "id_number", "phone", "note", "state", "submitted_at", "decide_by",
                               "version", "history"])
    _notify(_regulators_of(filing.enterprise), kind="filing_submitted", url=f"/selfcheck/filings/{filing.pk}/",
            enterprise=filing.enterprise.name, name=filing.name, filing_kind=str(filing.get_kind_display()))
    return filing


def _apply_filing(filing: OfficerFiling, actor: User) -> SafetyOfficer:
    """The approved filing, written to the registry as a versioned change of the officer's record."""
    from parcelwatch.registry import services as registry

    note = _("Filing approved (%(kind)s)") % {"kind": filing.get_kind_display()}
    today = timezone.localdate()
    sites = list(filing.sites.all())
    if filing.kind == OfficerFiling.Kind.NEW:
        return registry.create_officer(actor=actor, sites=sites, note=note, data={
            "enterprise": filing.enterprise, "name": filing.name, "id_number": filing.id_number,
            "phone": filing.phone, "filing_date": today, "status": SafetyOfficer.Status.ACTIVE})
    officer = filing.officer
    if filing.kind == OfficerFiling.Kind.CHANGE:
        registry.update_officer(officer, actor=actor, sites=sites, note=note, data={
            "name": filing.name, "id_number": filing.id_number, "phone": filing.phone, "filing_date": today})
    else:
        registry.update_officer(officer, actor=actor, sites=list(officer.sites.all()), note=note,
                                data={"status": SafetyOfficer.Status.LEFT})
    return officer


@transaction.atomic
def act_on_filing(filing: OfficerFiling, action: str, *, actor: User, reason: str = "",
                  expected_version: int | None = None) -> OfficerFiling:
    filing = OfficerFiling.objects.select_for_update(of=("self",)).select_related(
        "enterprise__jurisdiction", "officer").get(pk=filing.pk)
    transition = _authorise(filing, action, actor, expected_version=expected_version)
    reason = _reason(reason, transition)
    fields = ["state", "version", "history"]
    if action in ("approve", "return"):
        filing.decided_by, filing.decided_at, filing.reason = actor, _now(), reason
        fields += ["decided_by", "decided_at", "reason"]
    if action == "approve":
        filing.officer = _apply_filing(filing, actor)
        fields.append("officer")
    filing.state = transition.target
    filing.version += 1
    _log(filing, actor=actor, action=action, reason=reason)
    filing.save(update_fields=fields)
    if action in ("approve", "return"):
        _notify(_enterprise_users([filing.enterprise_id]), kind=f"filing_{action}d" if action == "approve" else
                "filing_returned", url=f"/selfcheck/filings/{filing.pk}/", name=filing.name, reason=reason, exclude=actor)
    return filing


# --- monthly duty reports (履职月报告) ---------------------------------------------------------------------------


def _answers(items: list[dict], answers: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(answers) - {item["code"] for item in items})
    if unknown:
        raise ValidationError({"answers": _("Not items of this checklist: %(codes)s.") % {
            "codes": "、".join(unknown[:5])}})
    missing = [item["text"] for item in items if answers.get(item["code"]) not in DutyReport.Answer.values]
    if missing:
        raise ValidationError({"answers": _("Answer every checklist item: %(items)s.") % {
            "items": "、".join(missing[:5])}})
    return {item["code"]: answers[item["code"]] for item in items}


def _narrative(narrative: str, required: bool) -> str:
    narrative = clean_text(narrative)
    if required and not narrative:
        raise ValidationError({"narrative": _("Describe how the safety duties were carried out this month.")})
    if len(narrative) > NARRATIVE_MAX:
        raise ValidationError({"narrative": _("At most %(n)d characters.") % {"n": NARRATIVE_MAX}})
    return narrative


@transaction.atomic
def submit_report(enterprise: Enterprise, *, actor: User, period: date, answers: dict[str, str], narrative: str,
                  attachments: Sequence[Attachment] = (), expected_version: int | None = None) -> DutyReport:
    """Submit the month's duty report, or correct and send again a returned one."""
    if not sel.can_on(actor, SELFCHECK_SUBMIT, enterprise):
        raise PermissionDenied
    period = month_start(period)
    today = timezone.localdate()
    if period > month_start(today):
        raise ValidationError({"period": _("A month can be reported on once it has begun.")})
    if period.year < today.year - 2:
        raise ValidationError({"period": _("Reports older than two years cannot be submitted any more.")})
    attachments = _own_attachments(actor, attachments)
    existing = DutyReport.objects.select_for_update(of=("self",)).filter(enterprise=enterprise, period=period).first()
    now = _now()
    if existing is not None:
        if existing.state != DutyReport.State.RETURNED:
            raise ValidationError(_("This month's report has already been submitted."))
        if expected_version is not None and expected_version != existing.version:
            raise StaleError(_("Somebody else has acted on this in the meantime. Reload the page to see what "
                               "changed."))
        template = existing.template
        existing.answers = _answers(existing.items, answers)
        existing.narrative = _narrative(narrative, template.narrative_required)
        if attachments:
            existing.attachments.add(*attachments)
        if template.attachment_required and not existing.attachments.exists():
            raise ValidationError({"attachments": _("Attach the supporting material (photos or a PDF).")})
        existing.state = DutyReport.State.SUBMITTED
        existing.submitted_at, existing.submitted_by = now, actor
        existing.version += 1
        _log(existing, actor=actor, action="resubmit")
        existing.save(update_fields=["answers", "narrative", "state", "submitted_at", "submitted_by", "version",
                                     "history"])
        return existing
    template = sel.active_template()
    if template is None:
        raise ValidationError(_("No duty report template is in use: ask the administrator to set one up."))
    items = [{"code": i.code, "text": i.text, "rule": i.rule} for i in template.items.all()]
    if template.attachment_required and not attachments:
        raise ValidationError({"attachments": _("Attach the supporting material (photos or a PDF).")})
    due = sel.due_date_for(period, template)
    report = DutyReport.objects.create(
        enterprise=enterprise, period=period, template=template, items=items, answers=_answers(items, answers),
        narrative=_narrative(narrative, template.narrative_required), due_date=due, submitted_by=actor,
        first_submitted_at=now, submitted_at=now, late=timezone.localdate(now) > due,
        history=[{"at": now.isoformat(), "actor": actor.display_name, "action": "submit", "reason": ""}])
    report.attachments.set(attachments)
    return report


@transaction.atomic
def act_on_report(report: DutyReport, action: str, *, actor: User, reason: str = "",
                  expected_version: int | None = None) -> DutyReport:
    report = DutyReport.objects.select_for_update(of=("self",)).select_related("enterprise__jurisdiction").get(
        pk=report.pk)
    transition = _authorise(report, action, actor, expected_version=expected_version)
    report.reason = _reason(reason, transition)
    report.state = transition.target
    report.reviewed_by, report.reviewed_at = actor, _now()
    report.version += 1
    _log(report, actor=actor, action=action, reason=report.reason)
    report.save(update_fields=["state", "reason", "reviewed_by", "reviewed_at", "version", "history"])
    if action == "return":
        _notify(_enterprise_users([report.enterprise_id]), kind="duty_report_returned",
                url=f"/selfcheck/reports/{report.pk}/", month=f"{report.period:%Y-%m}", reason=report.reason,
                exclude=actor)
    return report


def remind_duty_reports(*, today: date | None = None) -> dict[str, int]:
    """Before the due day, and the day after it, tell the enterprises that have not reported. Once each."""
    from parcelwatch.notifications.services import notify

    today = today or timezone.localdate()
    template = sel.active_template()
    if template is None:
        return {"before": 0, "after": 0}
    period = previous_month(month_start(today))
    due = sel.due_date_for(period, template)
    reported = set(DutyReport.objects.filter(period=period).values_list("enterprise_id", flat=True))
    from django.db.models import Exists, OuterRef

    expected = Enterprise.objects.filter(
        Exists(Site.objects.filter(enterprise=OuterRef("pk"), status=Site.Status.OPERATING)),
        status=Enterprise.Status.OPERATING).exclude(pk__in=reported).values_list("pk", flat=True)
    sent = {"before": 0, "after": 0}
    if (due - today).days in range(0, template.remind_days_before + 1):
        stage, kind = "before", "duty_report_due"
    elif today > due:
        stage, kind = "after", "duty_report_overdue"
    else:
        return sent
    month = f"{period:%Y-%m}"
    for enterprise_id in expected.iterator():
        sent[stage] += notify(_enterprise_users([enterprise_id]), kind=kind, url=f"/selfcheck/reports/new/?month={month}",
                              dedupe_key=f"duty:{stage}:{enterprise_id}:{month}", month=month, due=due.isoformat())
    return sent


# --- spot checks (履职抽查) ------------------------------------------------------------------------------------


def draw(seed: str, candidates: list[list], percent: int) -> list[int]:
    """⌈share × candidates⌉ report ids drawn without replacement, each with chance in proportion to its weight
    (Efraimidis–Spirakis); a pure function of its inputs, so anyone can re-run it."""
    if not candidates or percent <= 0:
        return []
    rng = random.Random(seed)
    count = min(len(candidates), math.ceil(len(candidates) * percent / 100))
    keyed = sorted(((rng.random() ** (1 / max(float(weight), 0.01)), report_id) for report_id, weight in candidates),
                   reverse=True)
    return sorted(report_id for _key, report_id in keyed[:count])


@transaction.atomic
def draw_spot_checks(*, actor: User, area: Jurisdiction, period: date, percent: int, seed: str = "") -> SpotCheckDraw:
    if not covers(actor, SELFCHECK_REVIEW, area.path):
        raise PermissionDenied
    if not 1 <= percent <= 100:
        raise ValidationError({"percent": _("The share drawn is a percentage from 1 to 100.")})
    period = month_start(period)
    reports = list(DutyReport.objects.filter(period=period, enterprise__jurisdiction__path__startswith=area.path)
                   .exclude(state=DutyReport.State.RETURNED).order_by("pk").values_list("pk", "enterprise_id"))
    if not reports:
        raise ValidationError(_("No submitted report of %(month)s in %(area)s to draw from.") % {
            "month": f"{period:%Y-%m}", "area": area.name})
    # Differentiated supervision: an enterprise's chance of being drawn grows with its credit risk (D four times A).
    from parcelwatch.assessment.credit import DRAW_WEIGHTS, current_grades

    grades = current_grades({enterprise_id for _pk, enterprise_id in reports})
    candidates = [[pk, DRAW_WEIGHTS[grades.get(enterprise_id)]] for pk, enterprise_id in reports]
    seed = clean_text(seed, multiline=False)[:40] or f"{timezone.localdate():%Y%m%d}-{secrets.token_hex(6)}"
    record = SpotCheckDraw.objects.create(area=area, period=period, percent=percent, seed=seed, candidates=candidates,
                                          drawn_by=actor, drawn_at=_now())
    SpotCheck.objects.bulk_create([SpotCheck(draw=record, report_id=pk) for pk in draw(seed, candidates, percent)])
    return record


def recheck(record: SpotCheckDraw) -> bool:
    """Run the draw again from its seed and recorded candidates: True when it gives exactly the recorded checks."""
    return draw(record.seed, record.candidates, record.percent) == sorted(
        record.checks.values_list("report_id", flat=True))


@transaction.atomic
def record_check(check: SpotCheck, *, actor: User, method: str, result: str, findings: str = "",
                 site: Site | None = None, attachments: Sequence[Attachment] = ()) -> SpotCheck:
    check = SpotCheck.objects.select_for_update(of=("self",)).select_related("report__enterprise__jurisdiction").get(
        pk=check.pk)
    if not sel.can_on(actor, SELFCHECK_REVIEW, check):
        raise PermissionDenied
    if check.event_id:
        raise ValidationError(_("An event was raised from this check: its result stands."))
    if method not in SpotCheck.Method.values:
        raise ValidationError({"method": _("Choose how the report was checked.")})
    if result not in (SpotCheck.Result.PASSED, SpotCheck.Result.FAILED):
        raise ValidationError({"result": _("Choose passed or failed.")})
    findings = clean_text(findings)
    if len(findings) > FINDINGS_MAX:
        raise ValidationError({"findings": _("At most %(n)d characters.") % {"n": FINDINGS_MAX}})
    if result == SpotCheck.Result.FAILED and not findings:
        raise ValidationError({"findings": _("Say what did not match the report.")})
    if site is not None and site.enterprise_id != check.report.enterprise_id:
        raise ValidationError({"site": _("Choose one of the reporting enterprise's sites.")})
    if method == SpotCheck.Method.ON_SITE and site is None:
        raise ValidationError({"site": _("Choose the site checked on site.")})
    check.attachments.add(*_own_attachments(actor, attachments))
    check.method, check.result, check.findings, check.site = method, result, findings, site
    check.checked_by, check.checked_at = actor, _now()
    check.save(update_fields=["method", "result", "findings", "site", "checked_by", "checked_at"])
    return check


@transaction.atomic
def raise_check_event(check: SpotCheck, *, actor: User, category_code: str):
    """One click: a failed check becomes an event at the site checked, with the check's photos as evidence."""
    from parcelwatch.events.models import Event, EventCategory
    from parcelwatch.events.services import TransitionError, report_event

    check = SpotCheck.objects.select_for_update(of=("self",)).select_related("report__enterprise__jurisdiction",
                                                                             "site").get(pk=check.pk)
    if not sel.can_on(actor, SELFCHECK_REVIEW, check):
        raise PermissionDenied
    if check.event_id:
        return check.event
    if check.result != SpotCheck.Result.FAILED:
        raise ValidationError(_("Only a failed check can be raised as an event."))
    if check.site is None:
        raise ValidationError({"site": _("Record the site where the problem is before raising an event.")})
    category = EventCategory.objects.filter(code=category_code, active=True).first()
    if category is None:
        raise ValidationError({"category": _("Choose a category in use.")})
    photos = [a for a in check.attachments.all() if a.kind == Attachment.Kind.IMAGE]
    if not photos:
        raise ValidationError({"attachments": _("Attach a photo of the problem first: it is the event's evidence.")})
    description = _("Duty-report spot check (%(month)s): %(findings)s") % {
        "month": f"{check.report.period:%Y-%m}", "findings": check.findings}
    try:
        event = report_event(actor=actor, site=check.site, category=category, description=description[:2000],
                             photos=photos, source=Event.Source.SPOT_CHECK, lng=check.site.lng, lat=check.site.lat)
    except TransitionError as exc:
        raise ValidationError(str(exc)) from None
    check.event = event
    check.save(update_fields=["event"])
    return event


# --- circulars (工作通报) --------------------------------------------------------------------------------------


def _circular_text(title: str, body: str) -> tuple[str, str]:
    title = clean_text(title, multiline=False)
    body = clean_text(body)
    if not title:
        raise ValidationError({"title": _("Enter a title.")})
    if len(title) > 100:
        raise ValidationError({"title": _("At most %(n)d characters.") % {"n": 100}})
    if not body:
        raise ValidationError({"body": _("Enter the text of the circular.")})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": _("At most %(n)d characters.") % {"n": BODY_MAX}})
    return title, body


def _recipients(actor: User, area: Jurisdiction, enterprises: Sequence[Enterprise]) -> list[Enterprise]:
    enterprises = list({e.pk: e for e in enterprises}.values())
    if not enterprises:
        raise ValidationError({"enterprises": _("Choose at least one enterprise to send the circular to.")})
    allowed = set(sel.reporters_visible_to(actor, SELFCHECK_REVIEW).filter(
        jurisdiction__path__startswith=area.path, pk__in=[e.pk for e in enterprises]).values_list("pk", flat=True))
    if len(allowed) != len(enterprises):
        raise ValidationError({"enterprises": _("Send a circular only to enterprises registered in its area.")})
    return enterprises


@transaction.atomic
def draft_circular(*, actor: User, area: Jurisdiction, kind: str, title: str, body: str,
                   enterprises: Sequence[Enterprise]) -> Circular:
    if not covers(actor, SELFCHECK_REVIEW, area.path):
        raise PermissionDenied
    if kind not in Circular.Kind.values:
        raise ValidationError({"kind": _("Choose the kind of circular.")})
    title, body = _circular_text(title, body)
    recipients = _recipients(actor, area, enterprises)
    now = _now()
    circular = Circular.objects.create(area=area, kind=kind, title=title, body=body, drafted_by=actor,
                                       drafted_at=now, history=[{"at": now.isoformat(), "actor": actor.display_name,
                                                                 "action": "draft", "reason": ""}])
    CircularRecipient.objects.bulk_create([CircularRecipient(circular=circular, enterprise=e) for e in recipients])
    return circular


@transaction.atomic
def update_circular(circular: Circular, *, actor: User, title: str, body: str, enterprises: Sequence[Enterprise],
                    expected_version: int | None = None) -> Circular:
    circular = Circular.objects.select_for_update(of=("self",)).select_related("area").get(pk=circular.pk)
    if not sel.can_on_circular(actor, SELFCHECK_REVIEW, circular):
        raise PermissionDenied
    if expected_version is not None and expected_version != circular.version:
        raise StaleError(_("Somebody else has acted on this in the meantime. Reload the page to see what changed."))
    if circular.state != Circular.State.DRAFT:
        raise ValidationError(_("Only a draft can be edited."))
    circular.title, circular.body = _circular_text(title, body)
    recipients = _recipients(actor, circular.area, enterprises)
    circular.recipients.exclude(enterprise__in=recipients).delete()
    have = set(circular.recipients.values_list("enterprise_id", flat=True))
    CircularRecipient.objects.bulk_create([CircularRecipient(circular=circular, enterprise=e) for e in recipients
                                           if e.pk not in have])
    circular.version += 1
    _log(circular, actor=actor, action="edit")
    circular.save(update_fields=["title", "body", "version", "history"])
    return circular


@transaction.atomic
def act_on_circular(circular: Circular, action: str, *, actor: User, reason: str = "",
                    expected_version: int | None = None) -> Circular:
    from parcelwatch.notifications.services import users_with_role_covering

    circular = Circular.objects.select_for_update(of=("self",)).select_related("area").get(pk=circular.pk)
    transition = _authorise(circular, action, actor, expected_version=expected_version)
    circular.reason = _reason(reason, transition)
    fields = ["state", "reason", "version", "history"]
    if action == "approve":
        circular.approved_by, circular.approved_at = actor, _now()
        fields += ["approved_by", "approved_at"]
    if action == "publish":
        circular.published_at = _now()
        circular.document = _render_circular(circular, actor)
        fields += ["published_at", "document"]
    circular.state = transition.target
    circular.version += 1
    _log(circular, actor=actor, action=action, reason=circular.reason)
    circular.save(update_fields=fields)
    url = f"/selfcheck/circulars/{circular.pk}/"
    if action == "submit":
        _notify(users_with_role_covering(Role.CITY_LEADER, circular.area.path), kind="circular_to_approve", url=url,
                title=circular.title, exclude=actor)
    elif action in ("approve", "return"):
        _notify([circular.drafted_by], kind=f"circular_{'approved' if action == 'approve' else 'returned'}", url=url,
                title=circular.title, reason=circular.reason, exclude=actor)
    elif action == "publish":
        _notify(_enterprise_users(circular.recipients.values_list("enterprise_id", flat=True)),
                kind="circular_published", url=url, title=circular.title, number=circular.document.number)
    return circular


def _render_circular(circular: Circular, actor: User):
    from parcelwatch.documents.models import DocumentKind
    from parcelwatch.documents.services import issue_document

    recipients = [r.enterprise.name for r in circular.recipients.select_related("enterprise")]
    return issue_document(kind=DocumentKind.CIRCULAR, subject=circular, title=circular.title,
                          template="selfcheck/circular_pdf.html", actor=actor,
                          context={"circular": circular, "recipients": recipients,
                                   "issuer_name": issuer_name(circular.area)})


def issuer_name(area: Jurisdiction) -> str:
    """Who signs a circular: the city's postal administration, or the district's postal safety centre."""
    if area.level == Jurisdiction.Level.CITY:
        return f"{area.name}邮政管理局"
    return f"{area.name}邮政业安全中心"


@transaction.atomic
def mark_circular_read(circular: Circular, *, actor: User) -> int:
    """The reader's enterprises acknowledge receipt (once; the first reading counts)."""
    ids = sel._enterprise_ids(actor, SELFCHECK_SUBMIT)
    if not ids or circular.state != Circular.State.PUBLISHED:
        raise PermissionDenied
    return CircularRecipient.objects.filter(circular=circular, enterprise_id__in=ids, read_at__isnull=True).update(
        read_at=_now(), read_by=actor)


def circular_from_data(*, actor: User, area: Jurisdiction, kind: str, period: date | None = None,
                       today: date | None = None) -> tuple[str, str, list[Enterprise]]:
    """A draft's title, text and recipients, from the data: late or missing reporters of a month, enterprises with
    the same problem again within twelve months, or those whose reports were all on time with nothing found."""
    from parcelwatch.events.models import Event

    if not covers(actor, SELFCHECK_REVIEW, area.path):
        raise PermissionDenied
    today = today or timezone.localdate()
    period = month_start(period or today.replace(day=1) - timedelta(days=1))
    month = f"{period.year}年{period.month}月"
    if kind == Circular.Kind.LATE_REPORTS:
        rows = [r for r in sel.reporting_rows(actor, period, today=today, district=area)
                if r.status in (sel.STATUS_LATE, sel.STATUS_MISSING)]
        if not rows:
            raise ValidationError(_("Every enterprise of %(area)s reported on time for %(month)s: nothing to "
                                    "circulate.") % {"area": area.name, "month": month})
        lines = [f"{i}. {r.enterprise.name}（" + (f"迟报，{timezone.localtime(r.report.first_submitted_at):%m月%d日}提交"
                                                  if r.report else "未报") + "）" for i, r in enumerate(rows, 1)]
        title = f"关于{month}安全履职月报告迟报、未报情况的通报"
        body = (f"按照寄递企业安全管理人员履职报告制度，各企业应于次月{sel.due_date_for(period).day}日前报送上月"
                f"履职月报告。经统计，{area.name}{month}应报企业中，下列{len(rows)}家企业迟报或未报：\n"
                + "\n".join(lines) + "\n\n请上述企业认真落实安全管理主体责任，于收到本通报后5个工作日内补报并说明"
                "原因。逾期仍未报送的，将纳入重点监管对象，并在安全考评和信用评价中予以扣分。")
        return title, body, [r.enterprise for r in rows]
    reporters = sel.reporters_visible_to(actor, SELFCHECK_REVIEW).filter(jurisdiction__path__startswith=area.path)
    if kind == Circular.Kind.REPEAT_PROBLEMS:
        since = timezone.now() - timedelta(days=365)
        repeats = list(Event.objects.filter(reported_at__gte=since, duplicate_of__isnull=True,
                                            site__enterprise__in=reporters.values("pk"))
                       .values("site__enterprise_id", "site__enterprise__name", "category__name")
                       .annotate(n=Count("pk")).filter(n__gte=2).order_by("-n", "site__enterprise__name")[:200])
        if not repeats:
            raise ValidationError(_("No enterprise of %(area)s had the same problem twice in the last twelve "
                                    "months.") % {"area": area.name})
        lines = [f"{i}. {r['site__enterprise__name']}：{r['category__name']}，{r['n']}次"
                 for i, r in enumerate(repeats, 1)]
        title = f"关于{area.name}寄递企业重复发生安全问题情况的通报"
        body = ("近十二个月来，下列企业在网格巡查和监督检查中被发现同类安全问题重复发生：\n" + "\n".join(lines)
                + "\n\n请上述企业举一反三，全面排查所属网点同类隐患，建立长效整改机制。对屡查屡犯的，"
                "监管部门将依法从重处理，并在信用评价中予以体现。")
        ids = {r["site__enterprise_id"] for r in repeats}
        return title, body, list(Enterprise.objects.filter(pk__in=ids).order_by("name"))
    if kind == Circular.Kind.GOOD_PRACTICE:
        months = [period, previous_month(period), previous_month(previous_month(period))]
        since = timezone.make_aware(datetime.combine(months[-1], time.min))
        on_time: dict[int, int] = {}
        for enterprise_id in DutyReport.objects.filter(
                enterprise__in=reporters.values("pk"), period__in=months, late=False,
                state=DutyReport.State.ACCEPTED).values_list("enterprise_id", flat=True):
            on_time[enterprise_id] = on_time.get(enterprise_id, 0) + 1
        found = set(Event.objects.filter(site__enterprise_id__in=list(on_time), reported_at__gte=since)
                    .values_list("site__enterprise_id", flat=True).distinct())
        good = list(reporters.filter(pk__in=[e for e, n in on_time.items() if n == 3 and e not in found])
                    .order_by("name"))
        if not good:
            raise ValidationError(_("No enterprise of %(area)s had three months of accepted on-time reports "
                                    "with nothing found.") % {"area": area.name})
        lines = [f"{i}. {e.name}" for i, e in enumerate(good, 1)]
        title = f"关于{area.name}寄递企业安全履职良好做法的通报"
        body = (f"{months[-1].year}年{months[-1].month}月至{month}，下列企业连续按时报送安全履职月报告并通过审核，"
                "期间未发现安全问题，予以通报表扬：\n" + "\n".join(lines)
                + "\n\n希望各企业学习借鉴，落实收寄验视、实名收寄、过机安检制度，共同维护寄递渠道安全。")
        return title, body, list(reporters.order_by("name"))
    raise ValidationError({"kind": _("Choose the kind of circular.")})
