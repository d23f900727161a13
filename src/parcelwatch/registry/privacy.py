"""Personal data in the registry: who sees it in full, and how it is masked for everybody else.

ID numbers and phones of safety officers, site managers' phones and enterprise
contacts' phones are shown in full only to roles holding `registry.view_sensitive`
over the record (the regulator of its area, the enterprise itself). Pages,
version history, the API and exports all mask through here.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, Model, OuterRef, QuerySet

from parcelwatch.accounts.access import Scope, scoped, user_can
from parcelwatch.accounts.models import User
from parcelwatch.accounts.permissions import REGISTRY_VIEW_SENSITIVE
from parcelwatch.lib.masking import mask_id_number, mask_phone

from .models import Enterprise, SafetyOfficer, Site
from .selectors import ENTERPRISE_SCOPE, OFFICER_SCOPE, SITE_SCOPE

SCOPES: dict[type[Model], Scope] = {Site: SITE_SCOPE, Enterprise: ENTERPRISE_SCOPE, SafetyOfficer: OFFICER_SCOPE}
MASKERS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "manager_phone": mask_phone,
    "contact_phone": mask_phone,
}
FLAG = "pw_sensitive"


def sensitive_fields(model: type[Model]) -> tuple[str, ...]:
    return tuple(getattr(model, "SENSITIVE_FIELDS", ()))


def mask(field: str, value: str) -> str:
    return MASKERS.get(field, mask_phone)(value or "")


def can_see_sensitive(user: User, obj: Model) -> bool:
    return user_can(user, REGISTRY_VIEW_SENSITIVE, obj, scope=SCOPES[type(obj)])


def with_sensitive_flag(qs: QuerySet, user: User) -> QuerySet:
    """Annotate each row with whether this user may see its personal data (one subquery, any page size)."""
    model = qs.model
    allowed = scoped(model.objects.all(), user, REGISTRY_VIEW_SENSITIVE, SCOPES[model]).filter(pk=OuterRef("pk"))
    return qs.annotate(**{FLAG: Exists(allowed)})


def flag(objects: Iterable[Model], user: User) -> list[Model]:
    """Set the flag on already loaded objects of one model (one query)."""
    objects = list(objects)
    if not objects:
        return objects
    model = type(objects[0])
    ids = set(
        scoped(model.objects.filter(pk__in=[o.pk for o in objects]), user, REGISTRY_VIEW_SENSITIVE, SCOPES[model])
        .values_list("pk", flat=True)
    )
    for o in objects:
        setattr(o, FLAG, o.pk in ids)
    return objects


def shown(obj: Model, field: str) -> str:
    """The value as this viewer may see it; objects not flagged are masked (safe by default)."""
    value = getattr(obj, field) or ""
    if getattr(obj, FLAG, False) or field not in sensitive_fields(type(obj)):
        return value
    return mask(field, value)


def masked_history(history: list[dict], sensitive: bool) -> list[dict]:
    """Version history with personal values masked for viewers who may not see them."""
    if sensitive:
        return history
    for version in history:
        for change in version["changes"]:
            if change["sensitive"]:
                change["before"] = mask(change["field"], change["before"])
                change["after"] = mask(change["field"], change["after"])
    return history
