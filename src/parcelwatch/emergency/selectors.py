"""Scoped reads of emergency management. Views and the API read only through these."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from parcelwatch.accounts.access import Scope, get_object_for_user, scoped, user_can
from parcelwatch.accounts.models import User
from parcelwatch.accounts.permissions import EMERGENCY_VIEW
from parcelwatch.registry.models import Enterprise

from .models import DRILL_NOTICE_DAYS, EXPIRY_NOTICE_DAYS, Drill, EmergencyPlan, Incident

# Plans and drills belong to an enterprise: its staff and the regulators where it is registered see them.
ENTERPRISE_SCOPE = Scope(path_field="enterprise__jurisdiction__path", enterprise_field="enterprise_id")
INCIDENT_SCOPE = Scope(path_field="district__path", enterprise_field="enterprise_id",
                       ids=(("district__path", "district_id", "district_id"),))


def plans_visible_to(user: User, perm: str = EMERGENCY_VIEW) -> QuerySet[EmergencyPlan]:
    return scoped(EmergencyPlan.objects.all(), user, perm, ENTERPRISE_SCOPE).select_related(
        "enterprise__jurisdiction", "document")


def get_plan_for_user(user: User, pk: object, need: str = EMERGENCY_VIEW) -> EmergencyPlan:
    return get_object_for_user(plans_visible_to(user), user, pk, scope=ENTERPRISE_SCOPE, view=EMERGENCY_VIEW,
                               need=need)


def drills_visible_to(user: User, perm: str = EMERGENCY_VIEW) -> QuerySet[Drill]:
    return scoped(Drill.objects.all(), user, perm, ENTERPRISE_SCOPE).select_related("enterprise", "plan", "site")


def get_drill_for_user(user: User, pk: object, need: str = EMERGENCY_VIEW) -> Drill:
    return get_object_for_user(drills_visible_to(user), user, pk, scope=ENTERPRISE_SCOPE, view=EMERGENCY_VIEW,
                               need=need)


def incidents_visible_to(user: User, perm: str = EMERGENCY_VIEW) -> QuerySet[Incident]:
    return scoped(Incident.objects.all(), user, perm, INCIDENT_SCOPE).select_related("enterprise", "site",
                                                                                     "district", "reported_by")


def get_incident_for_user(user: User, pk: object, need: str = EMERGENCY_VIEW) -> Incident:
    return get_object_for_user(incidents_visible_to(user), user, pk, scope=INCIDENT_SCOPE, view=EMERGENCY_VIEW,
                               need=need)


def can_on(user: User, perm: str, obj) -> bool:
    return user_can(user, perm, obj, scope=INCIDENT_SCOPE if isinstance(obj, Incident) else ENTERPRISE_SCOPE)


def enterprises_for(user: User, perm: str) -> QuerySet[Enterprise]:
    """The enterprises whose emergency records the user may write with `perm` (their own, for enterprise staff)."""
    return scoped(Enterprise.objects.all(), user, perm, Scope(path_field="jurisdiction__path",
                                                             enterprise_field="id")).order_by("name")


def drills_due(qs: QuerySet[Drill], today: date | None = None) -> QuerySet[Drill]:
    """Planned drills not yet held whose day is within DRILL_NOTICE_DAYS, or past."""
    today = today or timezone.localdate()
    return qs.filter(state=Drill.State.PLANNED, planned_on__lte=today + timedelta(days=DRILL_NOTICE_DAYS))


def plans_expiring(qs: QuerySet[EmergencyPlan], today: date | None = None) -> QuerySet[EmergencyPlan]:
    """Plans in force that expire within EXPIRY_NOTICE_DAYS, or have expired: to be revised and filed again."""
    today = today or timezone.localdate()
    return qs.filter(state=EmergencyPlan.State.ACCEPTED, expires_on__lte=today + timedelta(days=EXPIRY_NOTICE_DAYS))
