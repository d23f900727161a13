"""Every change of an enforcement case goes through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parcelwatch.accounts.access import covers, granting_role, has_permission
from parcelwatch.accounts.models import Jurisdiction, Role, User
from parcelwatch.accounts.permissions import INSPECTIONS_MANAGE
from parcelwatch.documents.models import DocumentKind
from parcelwatch.documents.services import issue_document, next_number, record_paper_document
from parcelwatch.events.models import Event
from parcelwatch.events.services import TransitionError
from parcelwatch.evidence import timeline
from parcelwatch.evidence.attachments import check_own_files
from parcelwatch.evidence.models import Attachment
from parcelwatch.lib.apitypes import FINDINGS_MAX, NOTE_MAX, Stale
from parcelwatch.lib.money import yuan_in_words
from parcelwatch.lib.text import clean_text
from parcelwatch.notifications.services import notify as notify_users
from parcelwatch.notifications.services import on_commit as notify_on_commit
from parcelwatch.notifications.services import users_with_role_covering
from parcelwatch.workdays.services import add_working_days

from .models import EnforcementCase, EnforcementSettings, Inspection, InspectionChecklistItem, InspectionPlan
from .selectors import can_on_case, can_on_plan, is_inspector
from .workflow import CASE_TRANSITIONS, PROPOSE

C = EnforcementCase.State


def propose_case(event: Event, *, actor: User, note: str, when: datetime | None = None) -> EnforcementCase:
    """Called by the event workflow when the city bureau opens a case on an escalated event."""
    when = when or timezone.now()
    case = EnforcementCase.objects.create(
        enterprise=event.site.enterprise, site=event.site, category=event.category, district=event.district,
        proposal=note, proposed_by=actor, proposed_at=when, legal_basis=event.category.legal_basis,
    )
    case.events.add(event)
    role = granting_role(actor, "cases.handle", path=event.district.path)
    timeline.append(case, action=PROPOSE, actor=actor, actor_role=role, to_state=C.PROPOSED, note=note,
                    data={"event": event.number}, at=when)
    notify_on_commit(lambda: _notify(case, PROPOSE, actor=actor))
    return case


def _money(value, label: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise TransitionError(_("%(label)s must be an amount in yuan.") % {"label": label}) from None
    if amount <= 0:
        raise TransitionError(_("%(label)s must be more than zero.") % {"label": label})
    return amount


def _check_range(case: EnforcementCase, amount: Decimal, justification: str) -> None:
    low, high = case.category.fine_min, case.category.fine_max
    outside = (low is not None and amount < low) or (high is not None and amount > high)
    if outside and not justification.strip():
        raise TransitionError(
            _("%(amount)s yuan is outside this category's range (%(range)s): write a justification.")
            % {"amount": amount, "range": case.category.penalty_range or f"{low}–{high}"}
        )


def perform_case(
    case: EnforcementCase,
    action: str,
    *,
    actor: User,
    note: str = "",
    attachments: Sequence[Attachment] = (),
    findings: str = "",
    legal_basis: str = "",
    fine: Decimal | str | None = None,
    justification: str = "",
    hearing_days: int | None = None,
    hearing_waived: bool = False,
    expected_version: int | None = None,
    when: datetime | None = None,
    render_documents: bool = True,
) -> EnforcementCase:
    """Perform one case action. `render_documents=False` only numbers documents (imported history)."""
    transition = CASE_TRANSITIONS.get(action)
    if transition is None:
        raise TransitionError(_("Unknown action “%(action)s”.") % {"action": action})
    with transaction.atomic():
        case = EnforcementCase.objects.select_for_update(of=("self",), no_key=True).select_related(
            "enterprise", "site", "category", "district").get(pk=case.pk)
        if expected_version is not None and expected_version != case.version:
            raise TransitionError(_("This case was changed by someone else. Reload and check."), code="conflict")
        if case.state not in transition.sources:
            raise TransitionError(
                _("This case is now “%(state)s”: “%(action)s” is no longer possible.")
                % {"state": case.get_state_display(), "action": transition.label}, code="conflict")
        if not can_on_case(actor, transition.permission, case):
            raise TransitionError(_("You may not do this on this case."), code="forbidden")
        note = clean_text(note)
        findings, justification, legal_basis = clean_text(findings), clean_text(justification), clean_text(
            legal_basis, multiline=False)
        for text, limit, label in ((note, NOTE_MAX, _("The note")), (findings, FINDINGS_MAX, _("The facts found")),
                                   (justification, NOTE_MAX, _("The justification")),
                                   (legal_basis, 255, _("The legal basis"))):
            if len(text) > limit:
                raise TransitionError(_("%(label)s is too long: at most %(limit)d characters (it has %(n)d).")
                                      % {"label": label, "limit": limit, "n": len(text)})
        if transition.needs_note and not note:
            raise TransitionError(_("Give a reason or note for “%(action)s”.") % {"action": transition.label})
        if transition.needs_evidence and not attachments:
            raise TransitionError(_("“%(action)s” needs at least one attachment as evidence.") % {
                "action": transition.label})
        now = when or timezone.now()
        today = timezone.localdate(now)
        fields = {"state", "version", "updated_at"}
        data: dict = {}
        deadline = None
        documents = []
        from_state = case.state

        if action == "approve_filing":
            case.number = next_number(DocumentKind.CASE, year=today.year)
            case.approved_by, case.filed_at = actor, now
            fields |= {"number", "approved_by", "filed_at"}
            data["number"] = case.number
        elif action == "notify_penalty":
            findings, legal_basis = findings.strip(), (legal_basis.strip() or case.legal_basis)
            if not findings:
                raise TransitionError(_("Write down the facts found by the investigation."))
            if not legal_basis:
                raise TransitionError(_("Give the legal basis."))
            amount = _money(fine, _("The intended fine"))
            _check_range(case, amount, justification)
            days = hearing_days if hearing_days is not None else EnforcementSettings.current().hearing_days
            if not 1 <= days <= 30:
                raise TransitionError(_("The hearing period must be 1 to 30 working days."))
            case.findings, case.legal_basis, case.proposed_fine = findings, legal_basis, amount
            case.justification = justification.strip()
            case.notified_at = now
            case.hearing_deadline = deadline = add_working_days(today, days)
            fields |= {"findings", "legal_basis", "proposed_fine", "justification", "notified_at", "hearing_deadline"}
            data.update({"fine": str(amount), "hearing_days": days})
            if render_documents:
                documents.append(_document(case, DocumentKind.PENALTY_NOTICE, "行政处罚事先告知书",
                                           "documents/penalty_notice.html", actor, now, amount, hearing_days=days))
                data["document"] = documents[-1].number
            else:
                data["document"] = record_paper_document(kind=DocumentKind.PENALTY_NOTICE, subject=case,
                                                         title="行政处罚事先告知书", actor=actor, when=now).number
                data["imported"] = True
        elif action == "decide":
            if case.hearing_deadline and today <= case.hearing_deadline and not hearing_waived:
                raise TransitionError(
                    _("The party may still make statements until %(date)s; decide after that, or record that "
                      "they waived the right.") % {"date": case.hearing_deadline.isoformat()})
            amount = _money(fine if fine not in (None, "") else case.proposed_fine, _("The fine"))
            justification = justification.strip() or case.justification
            _check_range(case, amount, justification)
            if legal_basis.strip():
                case.legal_basis = legal_basis.strip()
            case.fine_amount, case.justification = amount, justification
            case.decided_by, case.decided_at = actor, now
            fields |= {"fine_amount", "justification", "decided_by", "decided_at", "legal_basis"}
            if render_documents:
                decision = _document(case, DocumentKind.PENALTY_DECISION, "行政处罚决定书",
                                     "documents/penalty_decision.html", actor, now, amount,
                                     hearing_text="你单位在规定期限内未提出陈述、申辩和听证要求。" if not hearing_waived
                                     else "你单位明确表示放弃陈述、申辩和听证的权利。")
                documents.append(decision)
                case.decision_number = decision.number
            else:
                case.decision_number = record_paper_document(kind=DocumentKind.PENALTY_DECISION, subject=case,
                                                             title="行政处罚决定书", actor=actor, when=now).number
                data["imported"] = True
            fields.add("decision_number")
            data.update({"fine": str(amount), "decision": case.decision_number, "hearing_waived": hearing_waived})
        elif action == "serve":
            case.served_at = now
            fields.add("served_at")
        elif action == "record_payment":
            case.paid_at = now
            fields.add("paid_at")
        elif action in ("close", "no_penalty", "reject_filing"):
            case.closed_at = now
            fields.add("closed_at")

        case.state = transition.target
        case.version += 1
        case.save(update_fields=sorted(fields))
        role = granting_role(actor, transition.permission, path=case.district.path)
        timeline.append(case, action=action, actor=actor, actor_role=role, from_state=from_state,
                        to_state=case.state, note=note, deadline=deadline, data=data,
                        attachments=[*attachments, *(d.attachment for d in documents)], at=when)
        if case.is_finished:
            _conclude_events(case, when=when)
        notify_on_commit(lambda: _notify(case, action, actor=actor))
    return case


def _document(case, kind, title, template, actor, when, amount, hearing_text="", hearing_days=None):
    return issue_document(
        kind=kind, subject=case, title=title, template=template, actor=actor, when=when,
        context={
            "issuer_name": f"{case.district.parent.name if case.district.parent else ''}邮政管理局",
            "case": case, "enterprise": case.enterprise, "site": case.site, "category": case.category,
            "findings": case.findings, "legal_basis": case.legal_basis, "fine": amount,
            "fine_chinese": yuan_in_words(amount), "justification": case.justification,
            "hearing_deadline": case.hearing_deadline, "hearing_text": hearing_text,
            "hearing_days": hearing_days,
        },
    )


def _conclude_events(case: EnforcementCase, *, when: datetime | None) -> None:
    """A finished case hands its events back: to on-site confirmation if fixed, else to the city's desk."""
    from parcelwatch.events.services import perform

    with translation.override(settings.LANGUAGE_CODE):
        _conclude(case, when, perform)


def _conclude(case: EnforcementCase, when: datetime | None, perform) -> None:
    for event in case.events.filter(state=Event.State.UNDER_ENFORCEMENT):
        if EnforcementCase.objects.filter(events=event).exclude(pk=case.pk).exclude(
                state__in=EnforcementCase.FINISHED).exists():
            continue
        if event.rectified_at:
            perform(event, "case_concluded", actor=None, _system=True, when=when,
                    note=_("Case %(case)s concluded; the problem was fixed.") % {"case": case.display_number})
        elif case.state != C.CLOSED:
            perform(event, "case_dropped", actor=None, _system=True, when=when,
                    note=_("Case %(case)s ended without a penalty; the event is back with the city bureau.")
                    % {"case": case.display_number})


def _notify(case: EnforcementCase, action: str, actor: User | None = None) -> None:
    """Tell whoever must take the next step; never the person who just acted."""
    from .workflow import CASE_ACTION_LABELS

    notify = partial(notify_users, exclude=actor)
    path = case.district.path
    params = {"number": case.display_number, "action": str(CASE_ACTION_LABELS[action])}
    url = f"/enforcement/cases/{case.pk}/"
    if case.state in (C.PROPOSED, C.NOTIFIED):
        notify(users_with_role_covering(Role.CITY_LEADER, path), kind="case_task", url=url, **params)
    elif case.state in (C.FILED, C.INVESTIGATING, C.DECIDED, C.SERVED, C.EXECUTED):
        notify(users_with_role_covering(Role.CITY_OFFICER, path), kind="case_task", url=url, **params)


# --- inspections (执法检查, 双随机一公开) -----------------------------------------------------------------------

TITLE_MAX, FOCUS_MAX = 100, 2000


class StaleInspection(Stale):
    """Somebody else changed the plan or the record first."""


def _plan_fields(*, actor: User, kind: str, title: str, area: Jurisdiction, starts_on: date, ends_on: date,
                 focus: str, site_kinds: Sequence[str], shares: dict, team_size: int) -> dict:
    from parcelwatch.lib.draws import GRADES
    from parcelwatch.registry.models import Site

    errors: dict[str, str] = {}
    if not covers(actor, INSPECTIONS_MANAGE, area.path):
        raise PermissionDenied
    if area.level not in ("city", "district", "zone"):
        errors["area"] = _("Plan inspections for the city or for a district.")
    if kind not in InspectionPlan.Kind.values:
        errors["kind"] = _("Choose a yearly plan or a special campaign.")
    title = clean_text(title, multiline=False)
    if not title:
        errors["title"] = _("Enter a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("At most %(n)d characters.") % {"n": TITLE_MAX}
    focus = clean_text(focus)
    if len(focus) > FOCUS_MAX:
        errors["focus"] = _("At most %(n)d characters.") % {"n": FOCUS_MAX}
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The plan cannot end before it starts.")
    elif starts_on and ends_on and (ends_on - starts_on).days > 366:
        errors["ends_on"] = _("A plan lasts at most a year.")
    kinds = sorted(set(site_kinds))
    if any(k not in Site.Kind.values for k in kinds):
        errors["site_kinds"] = _("Choose kinds of site from the list.")
    clean_shares = {}
    for grade in GRADES:
        try:
            value = int(shares.get(grade, 0))
        except (TypeError, ValueError):
            value = -1
        if not 0 <= value <= 100:
            errors["shares"] = _("Each share is a percentage from 0 to 100.")
        clean_shares[grade] = value
    if not errors.get("shares") and not any(clean_shares.values()):
        errors["shares"] = _("Draw a share of at least one credit grade.")
    if not 2 <= int(team_size or 0) <= 5:
        errors["team_size"] = _("Two to five inspectors per inspection (Postal Law Art. 63: at least two).")
    if errors:
        raise ValidationError(errors)
    return {"kind": kind, "title": title, "area": area, "starts_on": starts_on, "ends_on": ends_on, "focus": focus,
            "site_kinds": kinds, "shares": clean_shares, "team_size": int(team_size)}


@transaction.atomic
def create_plan(*, actor: User, **fields) -> InspectionPlan:
    return InspectionPlan.objects.create(**_plan_fields(actor=actor, **fields), created_by=actor,
                                         created_at=timezone.now())


def _locked_plan(plan: InspectionPlan, actor: User, expected_version: int | None) -> InspectionPlan:
    plan = InspectionPlan.objects.select_for_update(of=("self",)).select_related("area").get(pk=plan.pk)
    if not can_on_plan(actor, INSPECTIONS_MANAGE, plan):
        raise PermissionDenied
    if expected_version is not None and expected_version != plan.version:
        raise StaleInspection(_("Somebody else has changed this plan in the meantime. Reload the page."))
    if plan.state != InspectionPlan.State.DRAFT:
        raise ValidationError(_("The plan is published: its draw stands and can no longer be changed."))
    return plan


@transaction.atomic
def update_plan(plan: InspectionPlan, *, actor: User, expected_version: int | None = None,
                **fields) -> InspectionPlan:
    plan = _locked_plan(plan, actor, expected_version)
    values = _plan_fields(actor=actor, **fields)
    for name, value in values.items():
        setattr(plan, name, value)
    plan.version += 1
    plan.save(update_fields=[*values, "version"])
    return plan


def inspection_candidates(plan: InspectionPlan) -> list[list]:
    """[[site id, credit grade or ""]] of the operating sites of the plan's area and kinds, in id order."""
    from parcelwatch.assessment.models import CreditRating
    from parcelwatch.registry.models import Site

    sites = Site.objects.filter(jurisdiction__path__startswith=plan.area.path, status=Site.Status.OPERATING)
    if plan.site_kinds:
        sites = sites.filter(kind__in=plan.site_kinds)
    ids = list(sites.order_by("pk").values_list("pk", flat=True))
    grades = dict(CreditRating.objects.filter(site_id__in=ids, current=True).values_list("site_id", "grade"))
    return [[pk, grades.get(pk, "")] for pk in ids]


def inspector_pool(area: Jurisdiction) -> list[list]:
    """[[user id, full name, enforcement ID]] of the active officers holding an enforcement ID who work in the area —
    at its level, above it or inside it — in id order: the published list inspectors are drawn from."""
    from parcelwatch.accounts.models import Membership

    rows = (Membership.objects.filter(role__in=(Role.DISTRICT_OFFICER, Role.CITY_OFFICER), user__is_active=True)
            .exclude(user__enforcement_id="").exclude(user__full_name="").select_related("user", "jurisdiction"))
    # Published by name: only officers whose full name is recorded (never a login name).
    pool = {m.user.pk: [m.user.pk, m.user.full_name, m.user.enforcement_id] for m in rows
            if area.path.startswith(m.jurisdiction.path) or m.jurisdiction.path.startswith(area.path)}
    return [pool[pk] for pk in sorted(pool)]


def draw_plan(plan: InspectionPlan) -> dict[int, list[int]]:
    """The plan's draw from its recorded seed, candidates, shares, pool and team size: {site id: [user ids]}."""
    from parcelwatch.lib.draws import assign_teams, draw_targets

    targets = draw_targets(plan.seed, [(pk, grade) for pk, grade in plan.candidates], plan.shares)
    return assign_teams(plan.seed, targets, [row[0] for row in plan.inspector_pool], plan.team_size)


@transaction.atomic
def publish_plan(plan: InspectionPlan, *, actor: User, expected_version: int | None = None,
                 seed: str = "") -> InspectionPlan:
    """Fix the candidates and the inspector list, draw, and publish: the draw can never be drawn again. The seed is
    random (a fixed `seed` is for the demo data and tests: a person choosing it could try seeds until the list
    suited them)."""
    import secrets

    plan = _locked_plan(plan, actor, expected_version)
    candidates = inspection_candidates(plan)
    pool = inspector_pool(plan.area)
    if len(pool) < plan.team_size:
        raise ValidationError(_("Only %(n)d officers with an enforcement ID work in %(area)s: a team needs "
                                "%(size)d. Record their enforcement ID numbers first.") % {
            "n": len(pool), "area": plan.area.name, "size": plan.team_size})
    plan.seed = clean_text(seed, multiline=False)[:40] or f"{timezone.localdate():%Y%m%d}-{secrets.token_hex(8)}"
    plan.candidates, plan.inspector_pool = candidates, pool
    teams = draw_plan(plan)
    if not teams:
        raise ValidationError(_("No operating site of %(area)s is drawn with these shares.") % {
            "area": plan.area.name})
    grades = dict((pk, grade) for pk, grade in candidates)
    inspections = Inspection.objects.bulk_create([
        Inspection(plan=plan, site_id=site_id, position=i, grade=grades[site_id])
        for i, site_id in enumerate(teams, start=1)])
    Through = Inspection.inspectors.through
    Through.objects.bulk_create([Through(inspection_id=inspection.pk, user_id=user_id)
                                 for inspection in inspections for user_id in teams[inspection.site_id]])
    plan.state, plan.published_by, plan.published_at = InspectionPlan.State.PUBLISHED, actor, timezone.now()
    plan.version += 1
    plan.save(update_fields=["state", "published_by", "published_at", "seed", "candidates", "inspector_pool",
                             "version"])
    load: dict[int, int] = {}
    for team in teams.values():
        for user_id in team:
            load[user_id] = load.get(user_id, 0) + 1
    users = {u.pk: u for u in User.objects.filter(pk__in=load)}
    url = reverse("enforcement:inspections") + "?mine=1"
    for user_id, count in load.items():
        notify_on_commit(partial(notify_users, [users[user_id]], kind="inspection_drawn", url=url,
                                 dedupe_key=f"inspection:{plan.pk}:{user_id}", plan=plan.title, count=count,
                                 starts=plan.starts_on.isoformat(), ends=plan.ends_on.isoformat()))
    return plan


def rerun_plan(plan: InspectionPlan) -> tuple[bool, dict[int, list[int]]]:
    """Run the published draw again from its seed: (whether it gives exactly the published list, the re-run)."""
    rerun = draw_plan(plan)
    published: dict[int, list[int]] = {}
    for site_id, user_id in Inspection.inspectors.through.objects.filter(inspection__plan=plan).values_list(
            "inspection__site_id", "user_id"):
        published.setdefault(site_id, []).append(user_id)
    order = list(plan.inspections.order_by("position").values_list("site_id", flat=True))
    same = order == list(rerun) and all(sorted(published.get(s, [])) == team for s, team in rerun.items())
    return same, rerun


def active_checklist() -> list[dict]:
    return [{"code": i.code, "text": i.text} for i in InspectionChecklistItem.objects.filter(active=True)]


@transaction.atomic
def record_inspection(inspection: Inspection, *, actor: User, inspected_on: date | None, answers: dict[str, str],
                      findings: str = "", attachments: Sequence[Attachment] = (),
                      expected_version: int | None = None) -> Inspection:
    inspection = Inspection.objects.select_for_update(of=("self",)).select_related("plan", "site").get(
        pk=inspection.pk)
    if not inspection.inspectors.filter(pk=actor.pk).exists() or not has_permission(actor, INSPECTIONS_MANAGE):
        raise PermissionDenied
    if expected_version is not None and expected_version != inspection.version:
        raise StaleInspection(_("Somebody else has recorded this inspection in the meantime. Reload the page."))
    if inspection.state != Inspection.State.PLANNED:
        raise ValidationError(_("This inspection is recorded: its record stands."))
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if inspected_on is None:
        errors["inspected_on"] = _("Enter the day of the inspection.")
    elif inspected_on > today:
        errors["inspected_on"] = _("The inspection cannot be recorded before it happens.")
    elif inspection.plan.published_at and inspected_on < timezone.localdate(inspection.plan.published_at):
        errors["inspected_on"] = _("The inspection cannot come before the plan's draw.")
    checklist = active_checklist()
    clean_answers = {}
    for item in checklist:
        value = answers.get(item["code"], "")
        if value not in Inspection.Answer.values:
            errors["answers"] = _("Answer every point of the checklist.")
        else:
            clean_answers[item["code"]] = value
    findings = clean_text(findings)
    if len(findings) > FINDINGS_MAX:
        errors["findings"] = _("At most %(n)d characters.") % {"n": FINDINGS_MAX}
    problems = Inspection.Answer.NO in clean_answers.values()
    if problems and not findings and "answers" not in errors:
        errors["findings"] = _("Describe what does not meet the requirements.")
    check_own_files(actor, attachments, errors)
    if errors:
        raise ValidationError(errors)
    inspection.attachments.add(*attachments)
    inspection.checklist, inspection.answers, inspection.findings = checklist, clean_answers, findings
    inspection.result = Inspection.Result.PROBLEMS if problems else Inspection.Result.COMPLIANT
    inspection.inspected_on, inspection.state = inspected_on, Inspection.State.DONE
    inspection.recorded_by, inspection.recorded_at = actor, timezone.now()
    inspection.version += 1
    inspection.save(update_fields=["checklist", "answers", "findings", "result", "inspected_on", "state",
                                   "recorded_by", "recorded_at", "version"])
    return inspection


def can_raise_event(actor: User, inspection: Inspection) -> bool:
    from parcelwatch.accounts.permissions import EVENTS_REPORT
    from parcelwatch.registry.selectors import can_on_site

    return (inspection.result == Inspection.Result.PROBLEMS and is_inspector(actor, inspection)
            and can_on_site(actor, EVENTS_REPORT, inspection.site))


@transaction.atomic
def raise_inspection_event(inspection: Inspection, *, actor: User, category_code: str) -> Event:
    """One click: a problem found on inspection becomes an event of the workflow (source "inspection"), with the
    inspection's photos as its evidence; one event per category."""
    from parcelwatch.events.models import EventCategory
    from parcelwatch.events.services import report_event

    inspection = Inspection.objects.select_for_update(of=("self",)).select_related("site", "plan").get(
        pk=inspection.pk)
    if not is_inspector(actor, inspection):
        raise PermissionDenied
    if inspection.result != Inspection.Result.PROBLEMS:
        raise ValidationError(_("Only an inspection that found problems can raise an event."))
    category = EventCategory.objects.filter(code=category_code, active=True).first()
    if category is None:
        raise ValidationError({"category": _("Choose a category in use.")})
    existing = inspection.events.filter(category=category).first()
    if existing is not None:
        return existing
    photos = [a for a in inspection.attachments.all() if a.kind == Attachment.Kind.IMAGE]
    if not photos:
        raise ValidationError({"attachments": _("The inspection has no photo: an event needs one as evidence.")})
    description = _("Inspection (%(plan)s, %(day)s): %(findings)s") % {
        "plan": inspection.plan.title, "day": inspection.inspected_on.isoformat(), "findings": inspection.findings}
    try:
        event = report_event(actor=actor, site=inspection.site, category=category, description=description[:2000],
                             photos=photos, source=Event.Source.INSPECTION, lng=inspection.site.lng,
                             lat=inspection.site.lat)
    except TransitionError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from None
        raise ValidationError(str(exc.message)) from None
    inspection.events.add(event)
    return event
