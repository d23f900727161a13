"""Navigation for the base template: only what the user's roles allow."""

from __future__ import annotations

from django.http import HttpRequest

from .access import memberships, user_permissions
from .permissions import ACCOUNTS_MANAGE, CASES_VIEW, EVENTS_REPORT, EVENTS_VIEW, REGISTRY_VIEW


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    perms = user_permissions(user)
    ms = memberships(user)
    from parcelwatch.notifications.services import unread_count

    return {
        "nav_events": EVENTS_VIEW in perms,
        "nav_report": EVENTS_REPORT in perms,
        "nav_cases": CASES_VIEW in perms,
        "nav_unread": unread_count(user),
        "nav_perms": perms,
        "nav_registry": REGISTRY_VIEW in perms,
        "nav_admin": ACCOUNTS_MANAGE in perms or user.is_superuser,
        "nav_roles": ms,
    }
