"""Every write of emergency management. Each checks role and jurisdiction through the selectors' scopes, locks
what it changes, and queues its notifications for after the commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parcelwatch.accounts.access import covers
from parcelwatch.accounts.models import Membership, Role, User
from parcelwatch.accounts.permissions import EMERGENCY_REVIEW, EMERGENCY_SUBMIT, INCIDENT_REPORT
from parcelwatch.evidence.models import Attachment
from parcelwatch.lib.apitypes import Stale
from parcelwatch.lib.forms import field_text
from parcelwatch.lib.numbering import create_numbered
from parcelwatch.lib.phones import parse_phone
from parcelwatch.notifications.services import notify, on_commit, users_with_role_covering
from parcelwatch.registry.models import Enterprise, Site

from . import selectors as sel
from .models import (
    Drill,
    EmergencyOrganisation,
    EmergencyPlan,
    Incident,
    IncidentUpdate,
)

NAME_MAX, TITLE_MAX, TEXT_MAX, REASON_MAX = 32, 100, 5000, 500


class StaleError(Stale):
    """Somebody else acted on the record first."""


def _may_write(actor: User, enterprise: Enterprise) -> None:
    if not sel.enterprises_for(actor, EMERGENCY_SUBMIT).filter(pk=enterprise.pk).exists():
        raise PermissionDenied


def _files(actor: User, attachments: Sequence[Attachment], kinds=(Attachment.Kind.IMAGE, Attachment.Kind.PDF),
           field: str = "attachments") -> list[Attachment]:
    for a in attachments:
        if a.uploaded_by_id != actor.pk:
            raise ValidationError({field: _("Attach only files you uploaded yourself.")})
        if a.kind not in kinds:
            raise ValidationError({field: _("Attach photos or PDF documents.") if len(kinds) > 1 else
                                   _("Attach the plan as a PDF document.")})
    return list(attachments)


def _regulators(enterprise: Enterprise) -> list[User]:
    path = enterprise.jurisdiction.path
    return users_with_role_covering(Role.DISTRICT_OFFICER, path) or users_with_role_covering(Role.CITY_OFFICER, path)


def _enterprise_staff(enterprise_id: int) -> list[User]:
    return [m.user for m in Membership.objects.filter(role=Role.ENTERPRISE_SAFETY, enterprise_id=enterprise_id,
                                                      user__is_active=True).select_related("user")]


# --- organisation and plans -----------------------------------------------------------------------------------


@transaction.atomic
def save_organisation(enterprise: Enterprise, *, actor: User, head: str, deputy: str = "", members: str = "",
                      duty_phone: str) -> EmergencyOrganisation:
    _may_write(actor, enterprise)
    values = {"head": field_text(head, "head", limit=NAME_MAX, required=True, multiline=False),
              "deputy": field_text(deputy, "deputy", limit=NAME_MAX, multiline=False),
              "members": field_text(members, "members", limit=TEXT_MAX)}
    try:
        phone = parse_phone(duty_phone)
    except ValidationError as exc:
        raise ValidationError({"duty_phone": exc.messages}) from None
    if not phone.value:
        raise ValidationError({"duty_phone": _("Enter the phone answered day and night.")})
    values["duty_phone"] = phone.value
    organisation, _created = EmergencyOrganisation.objects.select_for_update().update_or_create(
        enterprise=enterprise, defaults={**values, "updated_by": actor, "updated_at": timezone.now()})
    return organisation


@transaction.atomic
def submit_plan(enterprise: Enterprise, *, actor: User, kind: str, title: str, document: Attachment | None,
                effective_on: date | None, expires_on: date | None) -> EmergencyPlan:
    _may_write(actor, enterprise)
    errors = {}
    if kind not in EmergencyPlan.Kind.values:
        errors["kind"] = _("Choose the kind of plan.")
    try:
        title = field_text(title, "title", limit=TITLE_MAX, required=True, multiline=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if document is None:
        errors["document"] = _("Attach the plan as a PDF document.")
    else:
        try:
            _files(actor, [document], kinds=(Attachment.Kind.PDF,), field="document")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if effective_on is None:
        errors["effective_on"] = _("Enter the day the plan comes into force.")
    if expires_on is None:
        errors["expires_on"] = _("Enter the day the plan expires.")
    elif effective_on and expires_on <= effective_on:
        errors["expires_on"] = _("A plan expires after it comes into force.")
    elif effective_on and expires_on > effective_on + timedelta(days=3 * 366 + 1):
        errors["expires_on"] = _("Plans are revised at least every three years.")
    if errors:
        raise ValidationError(errors)
    plan = EmergencyPlan.objects.create(enterprise=enterprise, kind=kind, title=title, document=document,
                                        effective_on=effective_on, expires_on=expires_on, submitted_by=actor,
                                        submitted_at=timezone.now())
    users = _regulators(enterprise)
    on_commit(lambda: notify(users, kind="emergency_plan_submitted", url=f"/emergency/plans/{plan.pk}/",
                             enterprise=enterprise.name, title=title))
    return plan


def available_actions(obj, user: User) -> list[tuple[str, object]]:
    """The review buttons this user has on a plan now. Reviewing is the regulators' (never enterprise staff's), so
    the user's memberships answer it without a query per row of a list."""
    path = obj.enterprise.jurisdiction.path
    return [(name, t) for name, t in type(obj).TRANSITIONS.items()
            if obj.state in t.sources and covers(user, t.permission, path)]


@transaction.atomic
def review_plan(plan: EmergencyPlan, action: str, *, actor: User, reason: str = "",
                expected_version: int | None = None) -> EmergencyPlan:
    plan = EmergencyPlan.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=plan.pk)
    transition = EmergencyPlan.TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": _("Unknown action.")})
    if not sel.can_on(actor, transition.permission, plan):
        raise PermissionDenied
    if expected_version is not None and expected_version != plan.version:
        raise StaleError(_("Somebody else has acted on this in the meantime. Reload the page to see what changed."))
    if plan.state not in transition.sources:
        raise ValidationError({"action": _("This action is not possible in the current state (%(state)s).") % {
            "state": plan.get_state_display()}})
    reason = field_text(reason, "reason", limit=REASON_MAX, required=transition.needs_reason)
    if action == "accept":
        # The plan in force replaces the enterprise's earlier one of the same kind. The enterprise's row is locked
        # first: two plans of one kind accepted at the same moment are decided one after the other.
        Enterprise.objects.select_for_update().filter(pk=plan.enterprise_id).first()
        EmergencyPlan.objects.filter(enterprise=plan.enterprise, kind=plan.kind,
                                     state=EmergencyPlan.State.ACCEPTED).update(state=EmergencyPlan.State.SUPERSEDED)
    plan.state, plan.reason = transition.target, reason
    plan.reviewed_by, plan.reviewed_at = actor, timezone.now()
    plan.version += 1
    plan.save(update_fields=["state", "reason", "reviewed_by", "reviewed_at", "version"])
    users = _enterprise_staff(plan.enterprise_id)
    kind = "emergency_plan_accepted" if action == "accept" else "emergency_plan_returned"
    on_commit(lambda: notify(users, kind=kind, url=f"/emergency/plans/{plan.pk}/", title=plan.title, reason=reason))
    return plan


def remind_expiring_plans(*, today: date | None = None) -> int:
    """Tell each enterprise once, EXPIRY_NOTICE_DAYS before, and once more on the day, that a plan expires."""
    today = today or timezone.localdate()
    sent = 0
    for plan in sel.plans_expiring(EmergencyPlan.objects.all(), today).select_related("enterprise").iterator():
        stage = "expired" if plan.expires_on <= today else "soon"
        sent += notify(_enterprise_staff(plan.enterprise_id), kind=f"emergency_plan_{stage}",
                       url=f"/emergency/plans/{plan.pk}/", dedupe_key=f"plan:{stage}:{plan.pk}:{plan.expires_on}",
                       title=plan.title, expires=plan.expires_on.isoformat())
    return sent


# --- drills ---------------------------------------------------------------------------------------------------


def _drill_site(enterprise: Enterprise, site: Site | None) -> Site | None:
    if site is not None and site.enterprise_id != enterprise.pk:
        raise ValidationError({"site": _("Choose one of the enterprise's sites.")})
    return site


@transaction.atomic
def plan_drill(enterprise: Enterprise, *, actor: User, title: str, scenario: str, planned_on: date | None,
               plan: EmergencyPlan | None = None, site: Site | None = None) -> Drill:
    _may_write(actor, enterprise)
    errors = {}
    values = {}
    for field, value, limit, multiline in (("title", title, TITLE_MAX, False), ("scenario", scenario, TEXT_MAX, True)):
        try:
            values[field] = field_text(value, field, limit=limit, required=True, multiline=multiline)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    today = timezone.localdate()
    if planned_on is None:
        errors["planned_on"] = _("Enter the day of the drill.")
    elif not today - timedelta(days=366) <= planned_on <= today + timedelta(days=2 * 366):
        errors["planned_on"] = _("Plan the drill within the last year or the next two.")
    if plan is not None and plan.enterprise_id != enterprise.pk:
        errors["plan"] = _("Choose one of the enterprise's plans.")
    try:
        site = _drill_site(enterprise, site)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return Drill.objects.create(enterprise=enterprise, plan=plan, site=site, planned_on=planned_on, created_by=actor,
                                created_at=timezone.now(), **values)


def _locked_drill(drill: Drill, actor: User, perm: str, expected_version: int | None) -> Drill:
    drill = Drill.objects.select_for_update(of=("self",)).select_related("enterprise").get(pk=drill.pk)
    if not sel.can_on(actor, perm, drill):
        raise PermissionDenied
    if expected_version is not None and expected_version != drill.version:
        raise StaleError(_("Somebody else has acted on this in the meantime. Reload the page to see what changed."))
    return drill


@transaction.atomic
def record_drill(drill: Drill, *, actor: User, held_on: date | None, participants: int | None,
                 participant_names: str, summary: str, attachments: Sequence[Attachment] = (),
                 expected_version: int | None = None) -> Drill:
    drill = _locked_drill(drill, actor, EMERGENCY_SUBMIT, expected_version)
    if drill.state != Drill.State.PLANNED:
        raise ValidationError(_("This drill is already recorded."))
    errors = {}
    if held_on is None:
        errors["held_on"] = _("Enter the day the drill was held.")
    elif held_on > timezone.localdate():
        errors["held_on"] = _("A drill is recorded after it is held.")
    elif held_on < timezone.localdate() - timedelta(days=366):
        errors["held_on"] = _("Record drills held within the last year.")
    if participants is None or not 1 <= participants <= 100000:
        errors["participants"] = _("Enter how many people took part.")
    values = {}
    for field, value, required in (("participant_names", participant_names, False), ("summary", summary, True)):
        try:
            values[field] = field_text(value, field, limit=TEXT_MAX, required=required)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        files = _files(actor, attachments)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        files = []
    if not errors and not any(a.kind == Attachment.Kind.IMAGE for a in [*files, *drill.attachments.all()]):
        errors["attachments"] = _("Attach at least one photo of the drill.")
    if errors:
        raise ValidationError(errors)
    drill.attachments.add(*files)
    drill.held_on, drill.participants, drill.state = held_on, participants, Drill.State.HELD
    drill.participant_names, drill.summary = values["participant_names"], values["summary"]
    drill.version += 1
    drill.save(update_fields=["held_on", "participants", "participant_names", "summary", "state", "version"])
    users = _regulators(drill.enterprise)
    on_commit(lambda: notify(users, kind="drill_held", url=f"/emergency/drills/{drill.pk}/",
                             enterprise=drill.enterprise.name, title=drill.title))
    return drill


@transaction.atomic
def evaluate_drill(drill: Drill, *, actor: User, rating: str, evaluation: str = "",
                   expected_version: int | None = None) -> Drill:
    drill = _locked_drill(drill, actor, EMERGENCY_REVIEW, expected_version)
    if drill.state != Drill.State.HELD:
        raise ValidationError(_("Only a drill that was held and not yet evaluated can be evaluated."))
    if rating not in Drill.Rating.values:
        raise ValidationError({"rating": _("Choose an evaluation.")})
    evaluation = field_text(evaluation, "evaluation", limit=TEXT_MAX, required=rating == Drill.Rating.POOR)
    drill.rating, drill.evaluation, drill.state = rating, evaluation, Drill.State.EVALUATED
    drill.evaluated_by, drill.evaluated_at = actor, timezone.now()
    drill.version += 1
    drill.save(update_fields=["rating", "evaluation", "state", "evaluated_by", "evaluated_at", "version"])
    users = _enterprise_staff(drill.enterprise_id)
    on_commit(lambda: notify(users, kind="drill_evaluated", url=f"/emergency/drills/{drill.pk}/", title=drill.title,
                             rating=drill.get_rating_display()))
    return drill


# --- incidents (突发事件) --------------------------------------------------------------------------------------


def _leaders_for(district) -> list[User]:
    """Everyone told at once: the district's officers, the city's officers and the bureau's leaders."""
    path = district.path
    users: dict[int, User] = {}
    for role in (Role.DISTRICT_OFFICER, Role.CITY_OFFICER, Role.CITY_LEADER):
        for user in users_with_role_covering(role, path):
            users[user.pk] = user
    return list(users.values())


@transaction.atomic
def report_incident(*, actor: User, kind: str, severity: str, title: str, description: str,
                    occurred_at: datetime | None, site: Site | None = None, enterprise: Enterprise | None = None,
                    district=None, attachments: Sequence[Attachment] = ()) -> Incident:
    """An enterprise reports for its own sites; an officer for any site or district of their area."""
    errors = {}
    if site is not None:
        enterprise, district = site.enterprise, site.district
    if enterprise is not None and district is None:
        district = enterprise.jurisdiction if enterprise.jurisdiction.level in ("district", "zone") else None
    if district is None:
        errors["site"] = _("Say where it happened: a site, or the district.")
    elif _is_enterprise_staff_only(actor):
        # Enterprise staff report for their own enterprise, wherever its site is.
        if enterprise is None or not sel.enterprises_for(actor, INCIDENT_REPORT).filter(pk=enterprise.pk).exists():
            raise PermissionDenied
    elif not covers(actor, INCIDENT_REPORT, district.path):
        raise PermissionDenied
    if kind not in Incident.Kind.values:
        errors["kind"] = _("Choose what kind of incident it is.")
    if severity not in Incident.Severity.values:
        errors["severity"] = _("Choose the severity.")
    values = {}
    for field, value, limit, multiline in (("title", title, TITLE_MAX, False),
                                           ("description", description, TEXT_MAX, True)):
        try:
            values[field] = field_text(value, field, limit=limit, required=True, multiline=multiline)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    now = timezone.now()
    if occurred_at is not None and timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)  # a time without its zone is read as Beijing time
    if occurred_at is None:
        errors["occurred_at"] = _("Enter when it happened.")
    elif occurred_at > now + timedelta(minutes=5) or occurred_at < now - timedelta(days=30):
        errors["occurred_at"] = _("An incident is reported as it happens: within the last 30 days.")
    try:
        files = _files(actor, attachments)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        files = []
    if errors:
        raise ValidationError(errors)
    incident = create_numbered(Incident, "TF", now, kind=kind, severity=severity, occurred_at=occurred_at, site=site,
                                  enterprise=enterprise, district=district, reported_by=actor, reported_at=now,
                                  **values)
    entry = IncidentUpdate.objects.create(incident=incident, kind=IncidentUpdate.Kind.REPORT,
                                          text=values["description"], actor=actor, at=now)
    entry.attachments.add(*files)
    users = _leaders_for(district)
    on_commit(lambda: notify(users, kind="incident_reported", url=f"/emergency/incidents/{incident.pk}/",
                             exclude=actor, number=incident.number, title=incident.title,
                             severity=incident.get_severity_display(), district=district.name))
    return incident


def _is_enterprise_staff_only(actor: User) -> bool:
    from parcelwatch.accounts.access import memberships

    return all(m.role == Role.ENTERPRISE_SAFETY for m in memberships(actor))


@transaction.atomic
def add_incident_update(incident: Incident, *, actor: User, text: str, close: bool = False,
                        attachments: Sequence[Attachment] = (), expected_version: int | None = None) -> Incident:
    incident = Incident.objects.select_for_update(of=("self",)).select_related("district").get(pk=incident.pk)
    perm = EMERGENCY_REVIEW if close else INCIDENT_REPORT
    if not sel.can_on(actor, perm, incident):
        raise PermissionDenied
    if expected_version is not None and expected_version != incident.version:
        raise StaleError(_("Somebody else has added to this incident in the meantime. Reload the page."))
    if incident.state == Incident.State.CLOSED:
        raise ValidationError(_("The incident is closed."))
    text = field_text(text, "text", limit=TEXT_MAX, required=True)
    files = _files(actor, attachments)
    now = timezone.now()
    entry = IncidentUpdate.objects.create(incident=incident, text=text, actor=actor, at=now,
                                          kind=IncidentUpdate.Kind.CLOSE if close else IncidentUpdate.Kind.UPDATE)
    entry.attachments.add(*files)
    fields = ["version"]
    if close:
        incident.state, incident.closed_at = Incident.State.CLOSED, now
        fields += ["state", "closed_at"]
    incident.version += 1
    incident.save(update_fields=fields)
    users = _leaders_for(incident.district) + ([u for u in _enterprise_staff(incident.enterprise_id)]
                                               if incident.enterprise_id else [])
    on_commit(lambda: notify(users, kind="incident_closed" if close else "incident_update", exclude=actor,
                             url=f"/emergency/incidents/{incident.pk}/", number=incident.number,
                             title=incident.title))
    return incident


def drills_held(enterprise_ids, start: date, end: date) -> dict[int, int]:
    """Drills held between `start` and `end` (excluded) per enterprise: the assessment's "drills held"."""
    from django.db.models import Count

    return dict(Drill.objects.filter(enterprise_id__in=enterprise_ids, held_on__gte=start, held_on__lt=end)
                .exclude(state=Drill.State.PLANNED).values("enterprise_id").annotate(n=Count("pk"))
                .values_list("enterprise_id", "n"))

