"""Navigation for the base template: only what the user's roles allow."""

from __future__ import annotations

from django.http import HttpRequest

from .access import memberships, user_permissions
from .permissions import ACCOUNTS_MANAGE, REGISTRY_VIEW


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    perms = user_permissions(user)
    ms = memberships(user)
    return {
        "nav_perms": perms,
        "nav_registry": REGISTRY_VIEW in perms,
        "nav_admin": ACCOUNTS_MANAGE in perms or user.is_superuser,
        "nav_roles": ms,
    }
