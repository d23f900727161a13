"""REST endpoints of collaboration: departments, memoranda, joint meetings and tasks, shared records, referrals.

A partner system (a police platform) uses the same endpoints as a partner user: it sees what is shared with its
department, comments, refers matters and answers the bureau's referrals."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from parcelwatch.accounts.access import has_permission
from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import COLLAB_MANAGE, COLLAB_VIEW, REGISTRY_VIEW
from parcelwatch.enforcement.api import CaseOut
from parcelwatch.enforcement.api import _case as case_json
from parcelwatch.events.api import EventOut
from parcelwatch.events.api import _event as event_json
from parcelwatch.evidence.api import own_uploads_or_422
from parcelwatch.evidence.schemas import TimelineOut
from parcelwatch.evidence.timeline import entries_as_json
from parcelwatch.lib.apitypes import Code, Day, Id, In, Line, mapped_pagination, prose, save_or_refuse
from parcelwatch.registry.selectors import sites_visible_to

from . import selectors as sel
from . import services
from .models import JointMeeting, Memorandum, Referral, Share, Task

router = Router(tags=["collaboration"])

# The same bounds as the pages' forms: what a page saved, the API can send back unchanged.
Text500, Text5000, Text20000 = prose(500), prose(5000), prose(20000)
Version = Field(None, ge=1, le=2**31 - 1)


def _require(request, perm: str = COLLAB_VIEW) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied


def _department(request, pk: int | None, *, field: str = "department"):
    """A department the caller works with: an officer's partner of the area, a partner user's own."""
    if pk is None:
        return None
    qs = (sel.departments_visible_to(request.user).filter(pk__in=sel.departments_of(request.user), active=True)
          if sel.is_partner(request.user) else sel.departments_to_work_with(request.user))
    department = qs.filter(pk=pk).first()
    if department is None:
        raise HttpError(422, f"{field} 不是您可以协作的部门。")
    return department


def _area(request, code: str | None, *, allowed) -> Jurisdiction:
    if code is None:
        if len(allowed) != 1:
            raise HttpError(422, "请用 area 指明辖区代码。")
        return allowed[0]
    area = next((a for a in allowed if a.code == code), None)
    if area is None:
        raise HttpError(422, f"辖区“{code}”不在您可以选择的范围内。")
    return area


# --- departments ------------------------------------------------------------------------------------------------


class PartnerDepartmentOut(Schema):
    id: int
    name: str
    short_name: str
    area: str
    duties: str
    contact_name: str
    contact_phone: str
    active: bool


def _department_json(d) -> dict:
    return {"id": d.pk, "name": d.name, "short_name": d.short_name, "area": d.jurisdiction.code, "duties": d.duties,
            "contact_name": d.contact_name, "contact_phone": d.contact_phone, "active": d.active}


@router.get("/collab/departments", response=list[PartnerDepartmentOut])
@paginate(mapped_pagination(lambda d, request: _department_json(d)))
def list_partner_departments(request):
    """The partner departments of the caller's area (an officer), or the caller's own (a partner user)."""
    _require(request)
    return sel.departments_visible_to(request.user).order_by("sort_order", "name")


# --- memoranda --------------------------------------------------------------------------------------------------


class MemorandumIn(In):
    department: Id
    area: Code | None = Field(None, description="The bureau's side: the code of the area it is signed for.")
    title: Line = Field(max_length=100)
    number: Line = Field("", max_length=64)
    summary: Text5000
    signed_on: Day
    valid_from: Day
    valid_until: Day | None = Field(None, description="Empty: in force until replaced.")
    attachment_ids: list[Id] = Field(max_length=10, description="The signed copy: PDFs or photos you uploaded.")


class MemorandumOut(Schema):
    id: int
    department_id: int
    department: str
    area: str
    title: str
    number: str
    summary: str
    signed_on: date
    valid_from: date
    valid_until: date | None
    status: str
    attachment_ids: list[int]


class MemorandumFilters(Schema):
    department: Id | None = None
    status: Memorandum.Status | None = None


def _memorandum_json(m: Memorandum) -> dict:
    from django.utils import timezone

    return {"id": m.pk, "department_id": m.department_id, "department": m.department.name,
            "area": m.jurisdiction.code, "title": m.title, "number": m.number, "summary": m.summary,
            "signed_on": m.signed_on, "valid_from": m.valid_from, "valid_until": m.valid_until,
            "status": m.status(timezone.localdate()), "attachment_ids": sorted(a.pk for a in m.attachments.all())}


@router.get("/collab/memoranda", response=list[MemorandumOut])
@paginate(mapped_pagination(lambda m, request: _memorandum_json(m)))
def list_memoranda(request, filters: Query[MemorandumFilters]):
    _require(request)
    qs = sel.memoranda_visible_to(request.user)
    if filters.department:
        qs = qs.filter(department_id=filters.department)
    if filters.status:
        qs = sel.memoranda_with_status(qs, filters.status.value)
    return qs.prefetch_related("attachments").order_by("-signed_on", "-pk")


@router.post("/collab/memoranda", response={201: MemorandumOut})
def record_memorandum(request, payload: MemorandumIn):
    _require(request, COLLAB_MANAGE)
    department = _department(request, payload.department)
    area = _area(request, payload.area, allowed=services.areas_for(request.user))
    files = own_uploads_or_422(request, payload.attachment_ids)
    memorandum = save_or_refuse(lambda: services.record_memorandum(
        actor=request.user, department=department, jurisdiction=area, title=payload.title, number=payload.number,
        summary=payload.summary, signed_on=payload.signed_on, valid_from=payload.valid_from,
        valid_until=payload.valid_until, attachments=files))
    return Status(201, _memorandum_json(memorandum))


@router.get("/collab/memoranda/{memorandum_id}", response=MemorandumOut)
def get_memorandum(request, memorandum_id: int):
    return _memorandum_json(sel.get_memorandum_for_user(request.user, memorandum_id))


# --- meetings and tasks -----------------------------------------------------------------------------------------


class MeetingIn(In):
    area: Code | None = Field(None, description="The code of the area that convened it.")
    kind: JointMeeting.Kind = JointMeeting.Kind.PLENARY
    title: Line = Field(max_length=100)
    held_on: Day
    place: Line = Field("", max_length=100)
    departments: list[Id] = Field(min_length=1, max_length=50)
    attendees: Text5000 = Field(description="One per line: name, unit, post.")
    minutes: Text20000
    attachment_ids: list[Id] = Field([], max_length=10)


class MeetingCorrectionIn(In):
    kind: JointMeeting.Kind = JointMeeting.Kind.PLENARY
    title: Line = Field(max_length=100)
    held_on: Day
    place: Line = Field("", max_length=100)
    departments: list[Id] = Field(min_length=1, max_length=50)
    attendees: Text5000
    minutes: Text20000
    attachment_ids: list[Id] = Field([], max_length=10, description="Files to add; files are never taken away.")
    version: int | None = Version


class TaskOut(Schema):
    id: int
    meeting_id: int
    meeting: str
    decision: str
    lead_id: int | None
    lead: str
    due_on: date | None
    state: str
    overdue: bool
    done_at: datetime | None
    version: int


class MeetingOut(Schema):
    id: int
    area: str
    kind: str
    title: str
    held_on: date
    place: str
    department_ids: list[int]
    attendees: list[str]
    minutes: str
    attachment_ids: list[int]
    tasks: list[TaskOut]
    version: int


class DecisionIn(In):
    decision: Text5000
    lead: Id | None = Field(None, description="A department that took part; empty: the bureau itself.")
    due_on: Day | None = None
    version: int | None = Version


def _task_json(t: Task) -> dict:
    from django.utils import timezone

    return {"id": t.pk, "meeting_id": t.meeting_id, "meeting": t.meeting.title, "decision": t.decision,
            "lead_id": t.lead_id, "lead": t.lead.name if t.lead_id else "", "due_on": t.due_on, "state": t.state,
            "overdue": t.is_overdue(timezone.localdate()), "done_at": t.done_at, "version": t.version}


def _meeting_json(m: JointMeeting) -> dict:
    return {"id": m.pk, "area": m.jurisdiction.code, "kind": m.kind, "title": m.title, "held_on": m.held_on,
            "place": m.place, "department_ids": sorted(d.pk for d in m.departments.all()),
            "attendees": m.attendee_lines, "minutes": m.minutes,
            "attachment_ids": sorted(a.pk for a in m.attachments.all()),
            "tasks": [_task_json(t) for t in m.tasks.all()], "version": m.version}


class MeetingFilters(Schema):
    department: Id | None = None


def _meetings(qs):
    from django.db.models import Prefetch

    return qs.prefetch_related("departments", "attachments",
                               Prefetch("tasks", Task.objects.select_related("lead", "meeting").order_by("pk")))


def _meeting_json_of(request, pk) -> dict:
    return _meeting_json(_meetings(sel.meetings_visible_to(request.user)).get(pk=pk))


def _meeting_departments(request, ids: list[int], meeting=None) -> list:
    allowed = {d.pk: d for d in sel.departments_for_meeting(request.user, meeting)}
    if any(i not in allowed for i in ids):
        raise HttpError(422, "departments 只能是您辖区的协作部门。")
    return [allowed[i] for i in dict.fromkeys(ids)]


@router.get("/collab/meetings", response=list[MeetingOut])
@paginate(mapped_pagination(lambda m, request: _meeting_json(m)))
def list_meetings(request, filters: Query[MeetingFilters]):
    _require(request)
    qs = sel.meetings_visible_to(request.user)
    if filters.department:
        qs = qs.filter(pk__in=JointMeeting.objects.filter(departments__id=filters.department).values("pk"))
    return _meetings(qs).order_by("-held_on", "-pk")


@router.post("/collab/meetings", response={201: MeetingOut})
def record_meeting(request, payload: MeetingIn):
    _require(request, COLLAB_MANAGE)
    area = _area(request, payload.area, allowed=services.areas_for(request.user))
    departments = _meeting_departments(request, payload.departments)
    files = own_uploads_or_422(request, payload.attachment_ids)
    meeting = save_or_refuse(lambda: services.record_meeting(
        actor=request.user, jurisdiction=area, kind=payload.kind.value, title=payload.title,
        held_on=payload.held_on, place=payload.place, departments=departments, attendees=payload.attendees,
        minutes=payload.minutes, attachments=files))
    return Status(201, _meeting_json_of(request, meeting.pk))


@router.get("/collab/meetings/{meeting_id}", response=MeetingOut)
def get_meeting(request, meeting_id: int):
    return _meeting_json_of(request, sel.get_meeting_for_user(request.user, meeting_id).pk)


@router.put("/collab/meetings/{meeting_id}", response=MeetingOut)
def correct_meeting(request, meeting_id: int, payload: MeetingCorrectionIn):
    meeting = sel.get_meeting_for_user(request.user, meeting_id, need=COLLAB_MANAGE)
    departments = _meeting_departments(request, payload.departments, meeting)
    files = own_uploads_or_422(request, payload.attachment_ids)
    meeting = save_or_refuse(lambda: services.correct_meeting(
        meeting, actor=request.user, kind=payload.kind.value, title=payload.title, held_on=payload.held_on,
        place=payload.place, departments=departments, attendees=payload.attendees, minutes=payload.minutes,
        attachments=files, expected_version=payload.version))
    return _meeting_json_of(request, meeting.pk)


@router.post("/collab/meetings/{meeting_id}/decisions", response={201: TaskOut})
def add_decision(request, meeting_id: int, payload: DecisionIn):
    """A decision of the meeting, as a tracked task led by one of the departments that took part, or the bureau."""
    meeting = sel.get_meeting_for_user(request.user, meeting_id, need=COLLAB_MANAGE)
    lead = None
    if payload.lead is not None:
        lead = meeting.departments.filter(pk=payload.lead).first()
        if lead is None:
            raise HttpError(422, "lead 只能是参会的协作部门。")
    task = save_or_refuse(lambda: services.add_decision(meeting, actor=request.user, decision=payload.decision,
                                                        lead=lead, due_on=payload.due_on,
                                                        expected_version=payload.version))
    return Status(201, _task_json(task))


class TaskFilters(Schema):
    state: Task.State | None = None
    overdue: bool = False
    mine: bool = Field(False, description="Led by the caller's side: their department, or the bureau itself.")
    department: Id | None = Field(None, description="Led by this department.")


class TaskUpdateIn(In):
    text: Text5000
    done: bool = False
    version: int | None = Version


class TaskUpdateOut(Schema):
    text: str
    done: bool
    actor: str
    at: datetime


class TaskDetailOut(TaskOut):
    updates: list[TaskUpdateOut]


def _task_detail(t: Task) -> dict:
    return {**_task_json(t), "updates": [{"text": u.text, "done": u.done, "actor": u.actor.display_name, "at": u.at}
                                         for u in t.updates.select_related("actor")]}


@router.get("/collab/tasks", response=list[TaskOut])
@paginate(mapped_pagination(lambda t, request: _task_json(t)))
def list_tasks(request, filters: Query[TaskFilters]):
    _require(request)
    qs = sel.tasks_visible_to(request.user)
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    if filters.overdue:
        qs = sel.tasks_overdue(qs)
    if filters.mine:
        qs = sel.tasks_led_by_me(qs, request.user)
    if filters.department:
        qs = qs.filter(lead_id=filters.department)
    return qs.order_by("state", "due_on", "pk")


@router.get("/collab/tasks/{task_id}", response=TaskDetailOut)
def get_task(request, task_id: int):
    return _task_detail(sel.get_task_for_user(request.user, task_id))


@router.post("/collab/tasks/{task_id}/updates", response=TaskDetailOut)
def report_on_task(request, task_id: int, payload: TaskUpdateIn):
    """Report progress on a task (and mark it done): the bureau's officers, or the department that leads it."""
    task = sel.get_task_for_user(request.user, task_id)
    save_or_refuse(lambda: services.report_on_task(task, actor=request.user, text=payload.text, done=payload.done,
                                                   expected_version=payload.version))
    return _task_detail(sel.get_task_for_user(request.user, task_id))


# --- shared records ---------------------------------------------------------------------------------------------


class ShareIn(In):
    department: Id
    event: Id | None = Field(None, description="The event to share (or case).")
    case: Id | None = Field(None, description="The enforcement case to share (or event).")
    reason: Text500


class CommentOut(Schema):
    author: str
    text: str
    at: datetime


class ShareOut(Schema):
    id: int
    department_id: int
    department: str
    record_number: str
    event_id: int | None
    case_id: int | None
    reason: str
    shared_at: datetime
    withdrawn_at: datetime | None
    version: int


class ShareDetailOut(ShareOut):
    event: EventOut | None
    case: CaseOut | None
    timeline: list[TimelineOut]
    comments: list[CommentOut]


class ShareFilters(Schema):
    department: Id | None = None
    live: bool = Field(False, description="Only shares not withdrawn.")


class CommentIn(In):
    text: Text5000


class WithdrawalIn(In):
    version: int | None = Version


def _share_json(s: Share) -> dict:
    return {"id": s.pk, "department_id": s.department_id, "department": s.department.name,
            "record_number": s.record_number, "event_id": s.event_id, "case_id": s.case_id, "reason": s.reason,
            "shared_at": s.shared_at, "withdrawn_at": s.withdrawn_at, "version": s.version}


def _share_detail(s: Share) -> dict:
    return {**_share_json(s), "event": event_json(s.event) if s.event_id else None,
            "case": case_json(s.case) if s.case_id else None, "timeline": entries_as_json(s.record),
            "comments": [{"author": c.author.display_name, "text": c.text, "at": c.at}
                         for c in s.comments.select_related("author")]}


@router.get("/collab/shares", response=list[ShareOut])
@paginate(mapped_pagination(lambda s, request: _share_json(s)))
def list_shares(request, filters: Query[ShareFilters]):
    """Officers: the records of their area shared with departments. Partner users: what is shared with their
    department now."""
    _require(request)
    qs = sel.shares_visible_to(request.user)
    if filters.department:
        qs = qs.filter(department_id=filters.department)
    if filters.live:
        qs = qs.filter(withdrawn_at__isnull=True)
    return qs.order_by("-shared_at", "-pk")


@router.post("/collab/shares", response={201: ShareDetailOut})
def share_record(request, payload: ShareIn):
    """Share one event or one case of the caller's area with a department: read-only, with comments."""
    from parcelwatch.enforcement.selectors import cases_visible_to
    from parcelwatch.events.selectors import events_visible_to

    _require(request, COLLAB_MANAGE)
    if (payload.event is None) == (payload.case is None):
        raise HttpError(422, "请只给出 event 或 case 之一。")
    department = _department(request, payload.department)
    event = case = None
    if payload.event is not None:
        event = events_visible_to(request.user).filter(pk=payload.event).first()
        if event is None:
            raise HttpError(422, "event 不在您的辖区内。")
    else:
        case = cases_visible_to(request.user).filter(pk=payload.case).first()
        if case is None:
            raise HttpError(422, "case 不在您的辖区内。")
    share = save_or_refuse(lambda: services.share_record(actor=request.user, department=department,
                                                         reason=payload.reason, event=event, case=case))
    return Status(201, _share_detail(share))


@router.get("/collab/shares/{share_id}", response=ShareDetailOut)
def get_share(request, share_id: int):
    """The shared record read-only: its fields, its timeline (evidence by id) and the comments."""
    return _share_detail(sel.get_share_for_user(request.user, share_id))


@router.post("/collab/shares/{share_id}/comments", response={201: CommentOut})
def comment_on_share(request, share_id: int, payload: CommentIn):
    share = sel.get_share_for_user(request.user, share_id)
    comment = save_or_refuse(lambda: services.comment_on_share(share, actor=request.user, text=payload.text))
    return Status(201, {"author": comment.author.display_name, "text": comment.text, "at": comment.at})


@router.post("/collab/shares/{share_id}/withdrawal", response=ShareOut)
def withdraw_share(request, share_id: int, payload: WithdrawalIn):
    share = sel.get_share_for_user(request.user, share_id)
    share = save_or_refuse(lambda: services.withdraw_share(share, actor=request.user,
                                                           expected_version=payload.version))
    return _share_json(share)


# --- referrals --------------------------------------------------------------------------------------------------


class ReferralIn(In):
    department: Id = Field(description="The department it is sent to, or (a partner user) the sender's own.")
    area: Code | None = Field(None, description="The code of the bureau's area that sends or receives it.")
    subject: Line = Field(max_length=100)
    facts: Text5000
    legal_basis: Line = Field("", max_length=300)
    site: Id | None = None
    event: Id | None = Field(None, description="An event of the area it concerns (shared with the department).")
    case: Id | None = Field(None, description="A case of the area it concerns (shared with the department).")
    attachment_ids: list[Id] = Field([], max_length=10)


class ReferralActionIn(In):
    action: Code = Field(description="receive, answer or decline (the receiving side).")
    text: Text5000 = ""
    attachment_ids: list[Id] = Field([], max_length=10)
    version: int | None = Version


class ReferralEntryOut(Schema):
    kind: str
    text: str
    actor: str
    at: datetime
    attachment_ids: list[int]


class ReferralOut(Schema):
    id: int
    number: str
    direction: str
    department_id: int
    department: str
    area: str
    subject: str
    facts: str
    legal_basis: str
    site_id: int | None
    event_id: int | None
    case_id: int | None
    state: str
    result: str
    sent_at: datetime
    closed_at: datetime | None
    available_actions: list[str]
    entries: list[ReferralEntryOut]
    version: int


class ReferralFilters(Schema):
    direction: Referral.Direction | None = None
    state: Referral.State | None = None
    department: Id | None = None
    todo: bool = Field(False, description="Only open referrals waiting for the caller's side.")


def _referral_json(r: Referral, user) -> dict:
    return {"id": r.pk, "number": r.number, "direction": r.direction, "department_id": r.department_id,
            "department": r.department.name, "area": r.jurisdiction.code, "subject": r.subject, "facts": r.facts,
            "legal_basis": r.legal_basis, "site_id": r.site_id, "event_id": r.event_id, "case_id": r.case_id,
            "state": r.state, "result": r.result, "sent_at": r.sent_at, "closed_at": r.closed_at,
            "available_actions": [n for n, _t in sel.referral_actions(r, user)],
            "entries": [{"kind": e.kind, "text": e.text, "actor": e.actor.display_name, "at": e.at,
                         "attachment_ids": sorted(a.pk for a in e.attachments.all())} for e in r.entries.all()],
            "version": r.version}


def _referrals(qs):
    return qs.prefetch_related("entries__actor", "entries__attachments")


@router.get("/collab/referrals", response=list[ReferralOut])
@paginate(mapped_pagination(lambda r, request: _referral_json(r, request.user)))
def list_referrals(request, filters: Query[ReferralFilters]):
    _require(request)
    qs = sel.referrals_visible_to(request.user)
    if filters.direction:
        qs = qs.filter(direction=filters.direction.value)
    if filters.state:
        qs = qs.filter(state=filters.state.value)
    if filters.department:
        qs = qs.filter(department_id=filters.department)
    if filters.todo:
        qs = sel.referrals_to_handle(qs, request.user)
    return _referrals(qs).order_by("-sent_at", "-pk")


@router.post("/collab/referrals", response={201: ReferralOut})
def send_referral(request, payload: ReferralIn):
    """An officer refers a matter to a department; a partner user refers one to the bureau's officers of an area."""
    from parcelwatch.enforcement.selectors import cases_visible_to
    from parcelwatch.events.selectors import events_visible_to

    partner = sel.is_partner(request.user)
    if not sel.may_refer(request.user):
        raise PermissionDenied
    department = _department(request, payload.department)
    allowed = services.referral_areas_for(department) if partner else services.areas_for(request.user)
    area = _area(request, payload.area, allowed=allowed)
    site = event = case = None
    if payload.site is not None:
        site = sites_visible_to(request.user, REGISTRY_VIEW).filter(pk=payload.site).first()
        if site is None:
            raise HttpError(422, "site 不在您可以查看的范围内。")
    if payload.event is not None:
        event = None if partner else events_visible_to(request.user).filter(pk=payload.event).first()
        if event is None:
            raise HttpError(422, "event 不在您的辖区内。")
    if payload.case is not None:
        case = None if partner else cases_visible_to(request.user).filter(pk=payload.case).first()
        if case is None:
            raise HttpError(422, "case 不在您的辖区内。")
    files = own_uploads_or_422(request, payload.attachment_ids)
    referral = save_or_refuse(lambda: services.send_referral(
        actor=request.user, department=department, jurisdiction=area, subject=payload.subject, facts=payload.facts,
        legal_basis=payload.legal_basis, site=site, event=event, case=case, attachments=files))
    return Status(201, _referral_json(referral, request.user))


@router.get("/collab/referrals/{referral_id}", response=ReferralOut)
def get_referral(request, referral_id: int):
    return _referral_json(sel.get_referral_for_user(request.user, referral_id), request.user)


@router.post("/collab/referrals/{referral_id}/transitions", response=ReferralOut)
def act_on_referral(request, referral_id: int, payload: ReferralActionIn):
    referral = sel.get_referral_for_user(request.user, referral_id)
    files = own_uploads_or_422(request, payload.attachment_ids)
    save_or_refuse(lambda: services.act_on_referral(referral, payload.action, actor=request.user, text=payload.text,
                                                    attachments=files, expected_version=payload.version))
    return _referral_json(sel.get_referral_for_user(request.user, referral_id), request.user)
