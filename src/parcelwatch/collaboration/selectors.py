"""Scoped reads of collaboration. Views and the API read only through these.

Officers reach records by area (their own and, for reading, the areas above it: a district reads what the city
signed); partner users by their department only (accounts.access, `department_field`)."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from parcelwatch.accounts.access import Scope, get_object_for_user, has_permission, memberships, scoped, user_can
from parcelwatch.accounts.models import Role, User
from parcelwatch.accounts.permissions import COLLAB_MANAGE, COLLAB_RESPOND, COLLAB_VIEW

from .models import EXPIRY_NOTICE_DAYS, JointMeeting, Memorandum, PartnerDepartment, Referral, Share, Task

DEPARTMENT_SCOPE = Scope(path_field="jurisdiction__path", department_field="id", upward=True)
MEMORANDUM_SCOPE = Scope(path_field="jurisdiction__path", department_field="department_id", upward=True)
MEETING_SCOPE = Scope(path_field="jurisdiction__path", department_field="departments__id", upward=True)
TASK_SCOPE = Scope(path_field="meeting__jurisdiction__path", department_field="meeting__departments__id",
                   upward=True)
SHARE_SCOPE = Scope(path_field="jurisdiction__path", department_field="department_id")
REFERRAL_SCOPE = Scope(path_field="jurisdiction__path", department_field="department_id")
# Writing is never upward: a district records its own memoranda and meetings, not the city's.
MANAGE_MEMORANDUM_SCOPE = Scope(path_field="jurisdiction__path", department_field="department_id")
MANAGE_MEETING_SCOPE = Scope(path_field="jurisdiction__path", department_field="departments__id")
MANAGE_TASK_SCOPE = Scope(path_field="meeting__jurisdiction__path", department_field="lead_id")


def departments_of(user: User) -> list[int]:
    """The partner departments the user works for."""
    return [m.partner_department_id for m in memberships(user) if m.role == Role.PARTNER and m.partner_department_id]


def responding_departments(user: User) -> list[int]:
    """The departments the user answers for (comments, tasks, referrals): theirs, if their role may respond."""
    return departments_of(user) if has_permission(user, COLLAB_RESPOND) else []


def responds_for(user: User, department_id: int | None) -> bool:
    return department_id is not None and department_id in responding_departments(user)


def may_refer(user: User) -> bool:
    """An officer refers to departments; a partner user refers to the bureau for their department."""
    return has_permission(user, COLLAB_MANAGE) or bool(is_partner(user) and responding_departments(user))


def is_partner(user: User) -> bool:
    """A partner department's user (and nothing else that reaches collaboration records by area)."""
    ms = [m for m in memberships(user) if COLLAB_VIEW in _perms(m.role)]
    return bool(ms) and all(m.role == Role.PARTNER for m in ms)


def _perms(role: str):
    from parcelwatch.accounts.permissions import permissions_for_role

    return permissions_for_role(role)


def departments_visible_to(user: User, perm: str = COLLAB_VIEW) -> QuerySet[PartnerDepartment]:
    return scoped(PartnerDepartment.objects.all(), user, perm, DEPARTMENT_SCOPE).select_related("jurisdiction")


def departments_to_work_with(user: User) -> QuerySet[PartnerDepartment]:
    """The departments an officer may share with, refer to or meet: active ones of their area or above it."""
    return departments_visible_to(user, COLLAB_MANAGE).filter(active=True).order_by("sort_order", "name")


def departments_for_meeting(user: User, meeting: JointMeeting | None = None) -> QuerySet[PartnerDepartment]:
    """The departments that may be recorded as taking part: those the officer works with, and (when a record is
    corrected) those already on it, even if taken out of use since."""
    qs = departments_visible_to(user, COLLAB_MANAGE)
    if meeting is None:
        return qs.filter(active=True).order_by("sort_order", "name")
    return qs.filter(Q(active=True) | Q(meetings=meeting)).distinct().order_by("sort_order", "name")


def memoranda_visible_to(user: User, perm: str = COLLAB_VIEW) -> QuerySet[Memorandum]:
    return scoped(Memorandum.objects.all(), user, perm, MEMORANDUM_SCOPE).select_related("department",
                                                                                          "jurisdiction")


def get_memorandum_for_user(user: User, pk: object) -> Memorandum:
    return get_object_for_user(memoranda_visible_to(user), user, pk, scope=MEMORANDUM_SCOPE, view=COLLAB_VIEW)


def memoranda_expiring(qs: QuerySet[Memorandum], today: date | None = None) -> QuerySet[Memorandum]:
    """In force and lapsing within EXPIRY_NOTICE_DAYS: to be renewed."""
    from datetime import timedelta

    today = today or timezone.localdate()
    return qs.filter(valid_from__lte=today, valid_until__gte=today,
                     valid_until__lte=today + timedelta(days=EXPIRY_NOTICE_DAYS))


def memoranda_in_force(qs: QuerySet[Memorandum], today: date | None = None) -> QuerySet[Memorandum]:
    """In force today, lapsing soon or not."""
    today = today or timezone.localdate()
    return qs.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today), valid_from__lte=today)


def memoranda_with_status(qs: QuerySet[Memorandum], status: str, today: date | None = None) -> QuerySet[Memorandum]:
    """The memoranda whose `Memorandum.status()` is `status` today (pages and API filter alike)."""
    from datetime import timedelta

    today = today or timezone.localdate()
    if status == Memorandum.Status.PENDING:
        return qs.filter(valid_from__gt=today)
    if status == Memorandum.Status.EXPIRED:
        return qs.filter(valid_until__lt=today)
    if status == Memorandum.Status.EXPIRING:
        return memoranda_expiring(qs, today)
    if status == Memorandum.Status.IN_FORCE:
        return memoranda_in_force(qs, today).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=today + timedelta(days=EXPIRY_NOTICE_DAYS)))
    return qs


def meetings_visible_to(user: User, perm: str = COLLAB_VIEW) -> QuerySet[JointMeeting]:
    return scoped(JointMeeting.objects.all(), user, perm, MEETING_SCOPE).select_related("jurisdiction")


def get_meeting_for_user(user: User, pk: object, need: str = COLLAB_VIEW) -> JointMeeting:
    return get_object_for_user(meetings_visible_to(user), user, pk, scope=MEETING_SCOPE, view=COLLAB_VIEW,
                               need=need, need_scope=MANAGE_MEETING_SCOPE if need != COLLAB_VIEW else None)


def can_manage_meeting(user: User, meeting: JointMeeting) -> bool:
    return user_can(user, COLLAB_MANAGE, meeting, scope=MANAGE_MEETING_SCOPE)


def tasks_visible_to(user: User, perm: str = COLLAB_VIEW) -> QuerySet[Task]:
    return scoped(Task.objects.all(), user, perm, TASK_SCOPE).select_related("meeting", "lead")


def get_task_for_user(user: User, pk: object) -> Task:
    return get_object_for_user(tasks_visible_to(user), user, pk, scope=TASK_SCOPE, view=COLLAB_VIEW)


def can_report_on_task(user: User, task: Task) -> bool:
    """The officers of the meeting's area, and the users of the department that leads the task."""
    if user_can(user, COLLAB_MANAGE, task, scope=MANAGE_TASK_SCOPE):
        return True
    return responds_for(user, task.lead_id)


def tasks_open(qs: QuerySet[Task]) -> QuerySet[Task]:
    return qs.filter(state=Task.State.OPEN)


def tasks_overdue(qs: QuerySet[Task], today: date | None = None) -> QuerySet[Task]:
    return qs.filter(state=Task.State.OPEN, due_on__lt=today or timezone.localdate())


def tasks_led_by_me(qs: QuerySet[Task], user: User) -> QuerySet[Task]:
    """The tasks this user reports on as their side's lead: a partner's department's; an officer's, those the bureau
    leads for a meeting of their own area (not the city's, which they only read)."""
    if is_partner(user):
        return qs.filter(lead_id__in=responding_departments(user))
    return scoped(qs.filter(lead__isnull=True), user, COLLAB_MANAGE, MANAGE_TASK_SCOPE)


def shares_visible_to(user: User, perm: str = COLLAB_VIEW) -> QuerySet[Share]:
    """Officers: the shares of their area, withdrawn ones included. Partners: what is shared with their department
    now (a withdrawn share is closed to them)."""
    qs = scoped(Share.objects.all(), user, perm, SHARE_SCOPE)
    if is_partner(user):
        qs = qs.filter(withdrawn_at__isnull=True)
    return qs.select_related("department", "event__site__enterprise", "event__category", "case__enterprise",
                             "case__category", "case__site", "shared_by")


def get_share_for_user(user: User, pk: object) -> Share:
    return get_object_for_user(shares_visible_to(user), user, pk, scope=SHARE_SCOPE, view=COLLAB_VIEW)


def can_on(user: User, perm: str, obj) -> bool:
    scope = {Share: SHARE_SCOPE, Referral: REFERRAL_SCOPE, Memorandum: MANAGE_MEMORANDUM_SCOPE}[type(obj)]
    return user_can(user, perm, obj, scope=scope)


def shared_event_ids(user: User, ids) -> set[int]:
    """Of these events, those shared with the user's department now."""
    departments = departments_of(user)
    if not departments or not ids:
        return set()
    return set(Share.objects.filter(department_id__in=departments, withdrawn_at__isnull=True, event_id__in=list(ids))
               .values_list("event_id", flat=True))


def shared_case_ids(user: User, ids) -> set[int]:
    departments = departments_of(user)
    if not departments or not ids:
        return set()
    return set(Share.objects.filter(department_id__in=departments, withdrawn_at__isnull=True, case_id__in=list(ids))
               .values_list("case_id", flat=True))


def referrals_visible_to(user: User, perm: str = COLLAB_VIEW) -> QuerySet[Referral]:
    return scoped(Referral.objects.all(), user, perm, REFERRAL_SCOPE).select_related(
        "department", "jurisdiction", "site", "event", "case", "sent_by")


def get_referral_for_user(user: User, pk: object) -> Referral:
    return get_object_for_user(referrals_visible_to(user), user, pk, scope=REFERRAL_SCOPE, view=COLLAB_VIEW)


def receives(user: User, referral: Referral) -> bool:
    """The receiving side of a referral, from the user's memberships alone (no query: lists call it per row): the
    department's users for what the bureau sends it, the officers of the area for what a department sends."""
    from parcelwatch.accounts.access import covers

    if referral.direction == Referral.Direction.OUTGOING:
        return responds_for(user, referral.department_id)
    return covers(user, COLLAB_MANAGE, referral.jurisdiction.path)


def referral_actions(referral: Referral, user: User) -> list[tuple[str, object]]:
    """The buttons this user has on a referral now: the receiving side's."""
    if not referral.open or not receives(user, referral):
        return []
    return [(name, t) for name, t in referral.transitions.items() if referral.state in t.sources]


def referrals_to_handle(qs: QuerySet[Referral], user: User) -> QuerySet[Referral]:
    """Open referrals waiting for this user to act: sent to their department (a partner with the right to answer),
    or to the bureau's officers of their area (an officer); nothing for those who only read."""
    open_ = qs.filter(state__in=(Referral.State.SENT, Referral.State.RECEIVED))
    if is_partner(user):
        return open_.filter(direction=Referral.Direction.OUTGOING, department_id__in=responding_departments(user))
    return scoped(open_.filter(direction=Referral.Direction.INCOMING), user, COLLAB_MANAGE, REFERRAL_SCOPE)


def sharing_panel(user: User, *, event=None, case=None) -> dict:
    """For an event's or a case's page: with whom it is shared (and their comments), and whether this user may
    share it or refer it. Empty for users without collaboration."""
    if not has_permission(user, COLLAB_VIEW) or is_partner(user):
        return {"collab": None}
    record = {"event": event} if event is not None else {"case": case}
    shares = list(shares_visible_to(user).filter(**record).order_by("-shared_at")
                  .prefetch_related("comments__author"))
    for share in shares:
        comments = list(share.comments.all())
        share.comment_count, share.last_comment = len(comments), comments[-1] if comments else None
    area = event.district if event is not None else case.district
    from parcelwatch.accounts.access import covers

    can_share = covers(user, COLLAB_MANAGE, area.path)
    return {"collab": {
        "shares": shares, "can_share": can_share,
        "departments": list(departments_to_work_with(user)) if can_share else [],
        "kind": "event" if event is not None else "case", "record_id": (event or case).pk,
    }}
