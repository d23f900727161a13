"""Every write of collaboration. Each checks role and area (or department) through the selectors' scopes, locks
what it changes, and queues its notifications for after the commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parcelwatch.accounts.access import covers, memberships
from parcelwatch.accounts.models import Jurisdiction, Membership, Role, User
from parcelwatch.accounts.permissions import COLLAB_MANAGE
from parcelwatch.evidence.attachments import check_own_files
from parcelwatch.evidence.models import Attachment
from parcelwatch.lib.apitypes import Stale
from parcelwatch.lib.forms import field_text, field_texts
from parcelwatch.lib.numbering import create_numbered
from parcelwatch.notifications.services import notify, on_commit

from . import selectors as sel
from .models import (
    Comment,
    JointMeeting,
    Memorandum,
    PartnerDepartment,
    Referral,
    ReferralEntry,
    Share,
    Task,
    TaskUpdate,
)

TITLE_MAX, NUMBER_MAX, PLACE_MAX, REASON_MAX, BASIS_MAX, TEXT_MAX = 100, 64, 100, 500, 300, 5000
STALE = _("Somebody else has acted on this in the meantime. Reload the page to see what changed.")


class StaleError(Stale):
    """Somebody else acted on the record first."""


def _department_users(department_id: int) -> list[User]:
    return [m.user for m in Membership.objects.filter(role=Role.PARTNER, partner_department_id=department_id,
                                                      user__is_active=True).select_related("user")]


OFFICER_ROLES = (Role.DISTRICT_OFFICER, Role.CITY_OFFICER)


def _officers(jurisdiction: Jurisdiction) -> list[User]:
    """The bureau's officers of an area: those posted at that node (the district's, or the city's for what is the
    city's); when nobody is, those above it. One query."""
    memberships = list(Membership.objects.filter(role__in=OFFICER_ROLES, user__is_active=True)
                       .select_related("user", "jurisdiction"))
    here = {m.user_id: m.user for m in memberships if m.jurisdiction_id == jurisdiction.pk}
    return list(here.values()) or list({m.user_id: m.user for m in memberships
                                        if jurisdiction.path.startswith(m.jurisdiction.path)}.values())


def areas_for(user: User) -> list[Jurisdiction]:
    """The areas for which the officer records memoranda and meetings and refers matters: their own nodes."""
    return [m.jurisdiction for m in memberships(user) if m.role in (Role.DISTRICT_OFFICER, Role.CITY_OFFICER)]


def _may_manage_area(actor: User, jurisdiction: Jurisdiction | None, errors: dict, field: str = "jurisdiction"):
    if jurisdiction is None:
        errors[field] = _("Choose the area.")
    elif not covers(actor, COLLAB_MANAGE, jurisdiction.path):
        raise PermissionDenied


def _may_work_with(actor: User, department: PartnerDepartment | None, errors: dict, field: str = "department"):
    if department is None or not sel.departments_to_work_with(actor).filter(pk=department.pk).exists():
        errors[field] = _("Choose a partner department of your area.")


# --- memoranda ------------------------------------------------------------------------------------------------


@transaction.atomic
def record_memorandum(*, actor: User, department: PartnerDepartment | None, jurisdiction: Jurisdiction | None,
                      title: str, number: str = "", summary: str, signed_on: date | None, valid_from: date | None,
                      valid_until: date | None = None, attachments: Sequence[Attachment] = ()) -> Memorandum:
    errors: dict = {}
    _may_manage_area(actor, jurisdiction, errors)
    _may_work_with(actor, department, errors)
    values = field_texts(errors, ("title", title, TITLE_MAX, True, False), ("number", number, NUMBER_MAX, False, False),
                    ("summary", summary, TEXT_MAX, True, True))
    today = timezone.localdate()
    if signed_on is None:
        errors["signed_on"] = _("Enter the day it was signed.")
    elif signed_on > today:
        errors["signed_on"] = _("A memorandum is recorded once it is signed.")
    elif signed_on < date(2000, 1, 1):
        errors["signed_on"] = _("Enter a day after 2000.")
    if valid_from is None:
        errors["valid_from"] = _("Enter the day it comes into force.")
    elif signed_on and valid_from < signed_on:
        errors["valid_from"] = _("It comes into force on or after the day it is signed.")
    if valid_until is not None and valid_from and valid_until <= valid_from:
        errors["valid_until"] = _("It lapses after it comes into force.")
    elif valid_until is not None and valid_from and valid_until > valid_from + timedelta(days=10 * 366):
        errors["valid_until"] = _("At most ten years; leave it empty for a memorandum in force until replaced.")
    files = check_own_files(actor, attachments, errors)
    if not files and "attachments" not in errors:
        errors["attachments"] = _("Attach the signed copy (PDF or photos).")
    if errors:
        raise ValidationError(errors)
    memorandum = Memorandum.objects.create(department=department, jurisdiction=jurisdiction, signed_on=signed_on,
                                           valid_from=valid_from, valid_until=valid_until, created_by=actor,
                                           created_at=timezone.now(), **values)
    memorandum.attachments.add(*files)
    users = _department_users(department.pk)
    on_commit(lambda: notify(users, kind="memorandum_recorded", url=f"/collab/memoranda/{memorandum.pk}/",
                             title=memorandum.title))
    return memorandum


def remind_expiring_memoranda(*, today: date | None = None) -> int:
    """Tell the officers of the signing area once, EXPIRY_NOTICE_DAYS before a memorandum lapses, to renew it."""
    today = today or timezone.localdate()
    sent = 0
    qs = sel.memoranda_expiring(Memorandum.objects.all(), today).select_related("jurisdiction", "department")
    for memorandum in qs.iterator():
        sent += notify(_officers(memorandum.jurisdiction), kind="memorandum_expiring",
                       url=f"/collab/memoranda/{memorandum.pk}/",
                       dedupe_key=f"memorandum:{memorandum.pk}:{memorandum.valid_until}", title=memorandum.title,
                       department=memorandum.department.name, until=memorandum.valid_until.isoformat())
    return sent


# --- joint meetings and their tasks ---------------------------------------------------------------------------


def _meeting_values(actor: User, errors: dict, *, kind, title, held_on, place, departments, attendees, minutes,
                    meeting: JointMeeting | None = None):
    if kind not in JointMeeting.Kind.values:
        errors["kind"] = _("Choose the kind of meeting.")
    values = field_texts(errors, ("title", title, TITLE_MAX, True, False), ("place", place, PLACE_MAX, False, False),
                    ("attendees", attendees, TEXT_MAX, True, True), ("minutes", minutes, TEXT_MAX * 4, True, True))
    today = timezone.localdate()
    if held_on is None:
        errors["held_on"] = _("Enter the day of the meeting.")
    elif held_on > today or held_on < date(2000, 1, 1):
        errors["held_on"] = _("A meeting is recorded after it is held.")
    departments = list(departments)
    allowed = set(sel.departments_for_meeting(actor, meeting).values_list("pk", flat=True))
    if not departments:
        errors["departments"] = _("Choose the departments that took part.")
    elif any(d.pk not in allowed for d in departments):
        errors["departments"] = _("Choose a partner department of your area.")
    return {"kind": kind, "held_on": held_on, **values}, departments


@transaction.atomic
def record_meeting(*, actor: User, jurisdiction: Jurisdiction | None, kind: str, title: str, held_on: date | None,
                   place: str = "", departments: Sequence[PartnerDepartment], attendees: str, minutes: str,
                   attachments: Sequence[Attachment] = ()) -> JointMeeting:
    errors: dict = {}
    _may_manage_area(actor, jurisdiction, errors)
    values, departments = _meeting_values(actor, errors, kind=kind, title=title, held_on=held_on, place=place,
                                          departments=departments, attendees=attendees, minutes=minutes)
    files = check_own_files(actor, attachments, errors)
    if errors:
        raise ValidationError(errors)
    meeting = JointMeeting.objects.create(jurisdiction=jurisdiction, created_by=actor, created_at=timezone.now(),
                                          **values)
    meeting.departments.set(departments)
    meeting.attachments.add(*files)
    users = [u for d in departments for u in _department_users(d.pk)]
    on_commit(lambda: notify(users, kind="meeting_recorded", url=f"/collab/meetings/{meeting.pk}/",
                             title=meeting.title, held_on=meeting.held_on.isoformat()))
    return meeting


def _locked_meeting(meeting: JointMeeting, actor: User, expected_version: int | None) -> JointMeeting:
    meeting = JointMeeting.objects.select_for_update().get(pk=meeting.pk)
    if not sel.can_manage_meeting(actor, meeting):
        raise PermissionDenied
    if expected_version is not None and expected_version != meeting.version:
        raise StaleError(STALE)
    return meeting


@transaction.atomic
def correct_meeting(meeting: JointMeeting, *, actor: User, kind: str, title: str, held_on: date | None,
                    place: str = "", departments: Sequence[PartnerDepartment], attendees: str, minutes: str,
                    attachments: Sequence[Attachment] = (), expected_version: int | None = None) -> JointMeeting:
    """Correct the record of a meeting (a name misspelt, a department left out); files can only be added."""
    meeting = _locked_meeting(meeting, actor, expected_version)
    errors: dict = {}
    values, departments = _meeting_values(actor, errors, kind=kind, title=title, held_on=held_on, place=place,
                                          departments=departments, attendees=attendees, minutes=minutes,
                                          meeting=meeting)
    leads = set(meeting.tasks.exclude(lead=None).values_list("lead_id", flat=True))
    if leads - {d.pk for d in departments} and "departments" not in errors:
        errors["departments"] = _("A department that leads one of the meeting's tasks took part in it.")
    files = check_own_files(actor, attachments, errors)
    if errors:
        raise ValidationError(errors)
    for field, value in values.items():
        setattr(meeting, field, value)
    meeting.version += 1
    meeting.save(update_fields=[*values, "version"])
    meeting.departments.set(departments)
    meeting.attachments.add(*files)
    return meeting


@transaction.atomic
def add_decision(meeting: JointMeeting, *, actor: User, decision: str, lead: PartnerDepartment | None = None,
                 due_on: date | None = None, expected_version: int | None = None) -> Task:
    """A decision of the meeting becomes a task, led by one of the departments that took part or by the bureau."""
    meeting = _locked_meeting(meeting, actor, expected_version)
    errors: dict = {}
    values = field_texts(errors, ("decision", decision, TEXT_MAX, True, True))
    if lead is not None and not meeting.departments.filter(pk=lead.pk).exists():
        errors["lead"] = _("The task is led by a department that took part in the meeting, or by the bureau.")
    if due_on is not None and not meeting.held_on <= due_on <= meeting.held_on + timedelta(days=3 * 366):
        errors["due_on"] = _("Due after the meeting, within three years.")
    if errors:
        raise ValidationError(errors)
    task = Task.objects.create(meeting=meeting, lead=lead, due_on=due_on, created_at=timezone.now(), **values)
    meeting.version += 1
    meeting.save(update_fields=["version"])
    users = _department_users(lead.pk) if lead else _officers(meeting.jurisdiction)
    on_commit(lambda: notify(users, kind="task_assigned", url=f"/collab/tasks/{task.pk}/", exclude=actor,
                             meeting=meeting.title, due=due_on.isoformat() if due_on else "—"))
    return task


@transaction.atomic
def report_on_task(task: Task, *, actor: User, text: str, done: bool = False,
                   expected_version: int | None = None) -> Task:
    task = Task.objects.select_for_update(of=("self",)).select_related("meeting__jurisdiction").get(pk=task.pk)
    if not sel.can_report_on_task(actor, task):
        raise PermissionDenied
    if expected_version is not None and expected_version != task.version:
        raise StaleError(STALE)
    if task.state == Task.State.DONE:
        raise ValidationError(_("This task is done."))
    text = field_text(text, "text", limit=TEXT_MAX, required=True)
    now = timezone.now()
    TaskUpdate.objects.create(task=task, text=text, done=done, actor=actor, at=now)
    fields = ["version"]
    if done:
        task.state, task.done_at = Task.State.DONE, now
        fields += ["state", "done_at"]
    task.version += 1
    task.save(update_fields=fields)
    users = _officers(task.meeting.jurisdiction) + (_department_users(task.lead_id) if task.lead_id else [])
    on_commit(lambda: notify(users, kind="task_done" if done else "task_progress", exclude=actor,
                             url=f"/collab/tasks/{task.pk}/", meeting=task.meeting.title))
    return task


# --- sharing an event or a case -------------------------------------------------------------------------------


def _record_area(event=None, case=None) -> Jurisdiction:
    return event.district if event is not None else case.district


@transaction.atomic
def share_record(*, actor: User, department: PartnerDepartment | None, reason: str, event=None,
                 case=None) -> Share:
    """Share an event or a case (exactly one) of the actor's area with a department, read-only."""
    from parcelwatch.enforcement.selectors import cases_visible_to
    from parcelwatch.events.selectors import events_visible_to

    if (event is None) == (case is None):
        raise ValidationError(_("Share one event or one case."))
    if event is not None and not events_visible_to(actor).filter(pk=event.pk).exists():
        raise PermissionDenied
    if case is not None and not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise PermissionDenied
    area = _record_area(event, case)
    if not covers(actor, COLLAB_MANAGE, area.path):
        raise PermissionDenied
    errors: dict = {}
    _may_work_with(actor, department, errors)
    values = field_texts(errors, ("reason", reason, REASON_MAX, True, True))
    if errors:
        raise ValidationError(errors)
    live = Share.objects.filter(department=department, event=event, case=case, withdrawn_at__isnull=True)
    if live.exists():
        raise ValidationError({"department": _("This is already shared with %(department)s.") % {
            "department": department.name}})
    try:
        with transaction.atomic():
            share = Share.objects.create(department=department, event=event, case=case, jurisdiction=area,
                                         shared_by=actor, shared_at=timezone.now(), **values)
    except IntegrityError:  # shared by somebody else a moment ago
        raise ValidationError({"department": _("This is already shared with %(department)s.") % {
            "department": department.name}}) from None
    users = _department_users(department.pk)
    number = event.number if event is not None else case.display_number
    on_commit(lambda: notify(users, kind="record_shared", url=f"/collab/shares/{share.pk}/", number=number,
                             reason=share.reason))
    return share


def _locked_share(share: Share, expected_version: int | None) -> Share:
    share = Share.objects.select_for_update(of=("self",)).select_related("department").get(pk=share.pk)
    if expected_version is not None and expected_version != share.version:
        raise StaleError(STALE)
    return share


@transaction.atomic
def withdraw_share(share: Share, *, actor: User, expected_version: int | None = None) -> Share:
    share = _locked_share(share, expected_version)
    if not sel.can_on(actor, COLLAB_MANAGE, share):
        raise PermissionDenied
    if share.withdrawn_at is not None:
        raise ValidationError(_("Sharing has already been withdrawn."))
    share.withdrawn_by, share.withdrawn_at = actor, timezone.now()
    share.version += 1
    share.save(update_fields=["withdrawn_by", "withdrawn_at", "version"])
    return share


@transaction.atomic
def comment_on_share(share: Share, *, actor: User, text: str) -> Comment:
    """The department's users and the officers of the area comment; nothing else of the record changes."""
    share = _locked_share(share, None)
    partner = sel.responds_for(actor, share.department_id)
    if not partner and not sel.can_on(actor, COLLAB_MANAGE, share):
        raise PermissionDenied
    if share.withdrawn_at is not None:
        raise ValidationError(_("Sharing has been withdrawn: no more comments."))
    text = field_text(text, "text", limit=TEXT_MAX, required=True)
    comment = Comment.objects.create(share=share, author=actor, text=text, at=timezone.now())
    share.version += 1
    share.save(update_fields=["version"])
    users = ([share.shared_by, *_officers(share.jurisdiction)] if partner
             else _department_users(share.department_id))
    on_commit(lambda: notify(users, kind="share_comment", url=f"/collab/shares/{share.pk}/", exclude=actor,
                             number=share.record_number, department=share.department.name))
    return comment


# --- referrals ------------------------------------------------------------------------------------------------


def referral_areas_for(department: PartnerDepartment) -> list[Jurisdiction]:
    """Where a department may refer a matter: its own area and the districts within it."""
    root = department.jurisdiction
    return list(Jurisdiction.objects.filter(path__startswith=root.path, level__in=(
        Jurisdiction.Level.CITY, Jurisdiction.Level.DISTRICT, Jurisdiction.Level.ZONE)).order_by("path"))


@transaction.atomic
def send_referral(*, actor: User, department: PartnerDepartment | None, jurisdiction: Jurisdiction | None,
                  subject: str, facts: str, legal_basis: str = "", site=None, event=None, case=None,
                  attachments: Sequence[Attachment] = ()) -> Referral:
    """An officer refers a matter of their area to a department (and shares the event or case it concerns); a
    department's user refers a matter to the bureau's officers of an area within the department's."""
    errors: dict = {}
    partner = sel.is_partner(actor)
    if partner:
        direction = Referral.Direction.INCOMING
        if department is None or not sel.responds_for(actor, department.pk):
            raise PermissionDenied
        if jurisdiction is None or jurisdiction not in referral_areas_for(department):
            errors["jurisdiction"] = _("Choose the area of the bureau the matter is for.")
        if event is not None or case is not None:
            errors["event"] = _("A department refers a matter, not one of the bureau's records.")
    else:
        direction = Referral.Direction.OUTGOING
        if event is not None and case is not None:
            errors["case"] = _("Refer one event or one case.")
        _may_manage_area(actor, jurisdiction, errors)
        _may_work_with(actor, department, errors)
        if event is not None and jurisdiction is not None and not event.jurisdiction.path.startswith(
                jurisdiction.path):
            errors["event"] = _("Choose an event of the area.")
        if case is not None and jurisdiction is not None and not case.district.path.startswith(jurisdiction.path):
            errors["case"] = _("Choose a case of the area.")
    if site is not None and jurisdiction is not None and not site.jurisdiction.path.startswith(jurisdiction.path):
        errors["site"] = _("Choose a site in the area.")
    values = field_texts(errors, ("subject", subject, TITLE_MAX, True, False), ("facts", facts, TEXT_MAX, True, True),
                    ("legal_basis", legal_basis, BASIS_MAX, False, False))
    files = check_own_files(actor, attachments, errors)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    referral = create_numbered(Referral, "YS", now, direction=direction, department=department,
                               jurisdiction=jurisdiction, site=site, event=event, case=case, sent_by=actor,
                               sent_at=now, **values)
    entry = ReferralEntry.objects.create(referral=referral, kind=ReferralEntry.Kind.SEND, text=values["facts"],
                                         actor=actor, at=now)
    entry.attachments.add(*files)
    record = {"event": event} if event is not None else {"case": case} if case is not None else None
    if record and not Share.objects.filter(department=department, withdrawn_at__isnull=True, **record).exists():
        # What is referred is shared: the department reads the record and its evidence.
        try:
            with transaction.atomic():
                share_record(actor=actor, department=department, reason=_("Referred: %(number)s") % {
                    "number": referral.number}, **record)
        except ValidationError:
            pass  # shared by somebody else this very moment: the department reads it all the same
    users = _department_users(department.pk) if direction == Referral.Direction.OUTGOING else _officers(jurisdiction)
    on_commit(lambda: notify(users, kind="referral_sent", url=f"/collab/referrals/{referral.pk}/",
                             number=referral.number, subject=referral.subject,
                             sender=department.name if partner else jurisdiction.name))
    return referral


@transaction.atomic
def act_on_referral(referral: Referral, action: str, *, actor: User, text: str = "",
                    attachments: Sequence[Attachment] = (), expected_version: int | None = None) -> Referral:
    referral = Referral.objects.select_for_update(of=("self",)).select_related("department", "jurisdiction").get(
        pk=referral.pk)
    transition = referral.transitions.get(action)
    if transition is None:
        raise ValidationError({"action": _("Unknown action.")})
    if not sel.receives(actor, referral):
        raise PermissionDenied
    if expected_version is not None and expected_version != referral.version:
        raise StaleError(STALE)
    if referral.state not in transition.sources:
        raise ValidationError({"action": _("This action is not possible in the current state (%(state)s).") % {
            "state": referral.get_state_display()}})
    errors: dict = {}
    values = field_texts(errors, ("text", text, TEXT_MAX, transition.needs_reason, True))
    files = check_own_files(actor, attachments, errors)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    entry = ReferralEntry.objects.create(referral=referral, kind=action, text=values["text"], actor=actor, at=now)
    entry.attachments.add(*files)
    referral.state = transition.target
    fields = ["state", "version"]
    if not referral.open:
        referral.result, referral.closed_at = values["text"], now
        fields += ["result", "closed_at"]
    referral.version += 1
    referral.save(update_fields=fields)
    outgoing = referral.direction == Referral.Direction.OUTGOING
    users = [referral.sent_by] + (_officers(referral.jurisdiction) if outgoing else
                                  _department_users(referral.department_id))
    on_commit(lambda: notify(users, kind=f"referral_{action}", url=f"/collab/referrals/{referral.pk}/",
                             exclude=actor, number=referral.number, subject=referral.subject))
    return referral
