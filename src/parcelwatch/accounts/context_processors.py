"""Navigation for the base template: only what the user's roles allow."""

from __future__ import annotations

from django.http import HttpRequest

from .access import memberships, user_permissions
from .permissions import (
    ACCOUNTS_MANAGE,
    CASES_VIEW,
    COLLAB_VIEW,
    EMERGENCY_VIEW,
    EVENTS_REPORT,
    EVENTS_VIEW,
    INSPECTIONS_VIEW,
    REGISTRY_EXPORT,
    REGISTRY_VIEW,
    REGISTRY_VIEW_PEOPLE,
    REWARDS_VIEW,
    SELFCHECK_REVIEW,
    SELFCHECK_VIEW,
    STATS_VIEW,
    TIPS_HANDLE,
    VIDEO_PATROL,
    VIDEO_VIEW,
)


def upload_limits() -> dict:
    from django.conf import settings
    from django.utils.translation import gettext as _

    return {"file": settings.EVIDENCE_MAX_BYTES, "request": settings.REQUEST_MAX_BYTES,
            "message": _("Files larger than %(mb)d MB cannot be sent; choose smaller ones. Nothing was sent.")
            % {"mb": settings.EVIDENCE_MAX_BYTES // 2**20}}


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"upload_limits": upload_limits()}
    perms = user_permissions(user)
    ms = memberships(user)
    from parcelwatch.notifications.services import unread_count

    return {
        "nav_events": EVENTS_VIEW in perms,
        "nav_report": EVENTS_REPORT in perms,
        "nav_cases": CASES_VIEW in perms,
        "nav_inspections": INSPECTIONS_VIEW in perms,
        "nav_emergency": EMERGENCY_VIEW in perms,
        "nav_collab": COLLAB_VIEW in perms,
        "nav_tips": TIPS_HANDLE in perms,
        "nav_rewards": REWARDS_VIEW in perms,
        "nav_stats": STATS_VIEW in perms,
        "nav_video": VIDEO_VIEW in perms,
        "nav_patrol": VIDEO_PATROL in perms,
        "nav_selfcheck": SELFCHECK_VIEW in perms,
        "nav_selfcheck_review": SELFCHECK_REVIEW in perms,
        "nav_unread": unread_count(user),
        "nav_perms": perms,
        "nav_registry": REGISTRY_VIEW in perms,
        "nav_officers": REGISTRY_VIEW_PEOPLE in perms,
        "nav_admin": ACCOUNTS_MANAGE in perms or user.is_superuser,
        "nav_exports": bool(perms & {EVENTS_VIEW, CASES_VIEW, REGISTRY_EXPORT}),
        "upload_limits": upload_limits(),
        "nav_roles": ms,
    }
