"""Role → permission names. Roles are memberships; what a role may do lives here, in code."""

from __future__ import annotations

from .models import Role

REGISTRY_VIEW = "registry.view"
REGISTRY_VIEW_SENSITIVE = "registry.view_sensitive"
REGISTRY_EDIT = "registry.edit"
REGISTRY_IMPORT = "registry.import"
REGISTRY_EXPORT = "registry.export"
ACCOUNTS_MANAGE = "accounts.manage"
CONFIG_MANAGE = "config.manage"

_REGULATOR = frozenset(
    {REGISTRY_VIEW, REGISTRY_VIEW_SENSITIVE, REGISTRY_EDIT, REGISTRY_IMPORT, REGISTRY_EXPORT}
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.GRID_WORKER: frozenset({REGISTRY_VIEW}),
    Role.DISTRICT_OFFICER: _REGULATOR,
    Role.CITY_OFFICER: _REGULATOR,
    Role.CITY_LEADER: frozenset({REGISTRY_VIEW, REGISTRY_VIEW_SENSITIVE, REGISTRY_EXPORT}),
    # Enterprise staff see their own enterprise's records, including their own staff's details.
    Role.ENTERPRISE_SAFETY: frozenset({REGISTRY_VIEW, REGISTRY_VIEW_SENSITIVE}),
    # Partner departments see the public register of legal sites in their area, nothing private.
    Role.PARTNER: frozenset({REGISTRY_VIEW}),
    # IT administration: configuration only, no workflow actions.
    Role.ADMIN: frozenset({REGISTRY_VIEW, ACCOUNTS_MANAGE, CONFIG_MANAGE}),
}


def permissions_for_role(role: str) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role, frozenset())
