"""The one way in: how a user's memberships scope what they may see and do.

Each kind of object declares how a membership covers it (a jurisdiction path
field, and optionally the enterprise field for enterprise staff). Selectors
and access functions in the domain apps are built from `scope_q` and
`get_object_for_user`; views and the API use only those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from parcelwatch.lib.queries import PreparedSelect

from .models import Membership, Role, User, ancestor_paths
from .permissions import permissions_for_role

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    """How memberships reach one model.

    path_field: lookup to a jurisdiction path ("jurisdiction__path").
    enterprise_field: lookup to the enterprise id, for enterprise staff.
    extra: further jurisdiction paths that also place the object in an area (an enterprise is in every
    district where it runs a site).
    ids: for any of those path lookups, the equivalent lookups by id — (district lookup or None, node
    lookup) — so that scoping is an indexed `IN` on the object's own columns instead of a join and a
    LIKE on every row. The district lookup is used for memberships at district level and above, and is
    only correct for objects that lie in a district (sites, events, cases); the node lookup for the rest.
    """

    path_field: str | None
    enterprise_field: str | None = None
    extra: tuple[str, ...] = ()
    ids: tuple[tuple[str, str | None, str], ...] = ()
    # Scope through a join instead of a subquery: right when the relation is to-one and the related table is
    # the larger one (cameras of sites: `site_id IN (SELECT id FROM site …)` would list every site of a city).
    join: bool = False
    # Lookup to the partner department id, for partner departments' users: they reach such objects through their
    # department only, never through an area. Without it, a partner membership reaches objects by area like others.
    department_field: str | None = None
    # Objects placed at a node above the membership's also reach it (a district's officers read the memoranda the
    # city signed); only for reading scopes.
    upward: bool = False


ABOVE_TOWN = ("city", "district", "zone")


def _subtree(m: Membership) -> tuple[list[int], list[int]]:
    """(ids of every node under the membership's node, ids of the districts and zones among them), cached."""
    cached = getattr(m, "_pw_subtree", None)
    if cached is None:
        from .models import Jurisdiction

        rows = list(Jurisdiction.objects.filter(path__startswith=m.jurisdiction.path).values_list("pk", "level"))
        cached = ([pk for pk, _level in rows], [pk for pk, level in rows if level in ("district", "zone")])
        m._pw_subtree = cached
    return cached


def _place(m: Membership, field: str, scope: Scope) -> tuple[str | None, list[int]]:
    """(id lookup, ids) for a membership's reach through a path field, or (None, []) to match by path."""
    for path_lookup, district_lookup, node_lookup in scope.ids:
        if path_lookup != field:
            continue
        nodes, districts = _subtree(m)
        if district_lookup and m.jurisdiction.level in ABOVE_TOWN:
            return district_lookup, districts
        return node_lookup, nodes
    return None, []


# Every request reads the user's memberships: compiled once.
_MEMBERSHIPS = PreparedSelect(lambda user_id: Membership.objects.filter(user_id=user_id).select_related(
    "jurisdiction", "enterprise", "partner_department").order_by(), int)


def memberships(user: User) -> list[Membership]:
    """The user's memberships, loaded once per request/user object."""
    if not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_pw_memberships", None)
    if cached is None:
        # Sorted here rather than by the query: an ORDER BY through the relation costs every request its compilation.
        cached = sorted(_MEMBERSHIPS.all(user.pk), key=lambda m: (m.jurisdiction.path, m.pk))
        user._pw_memberships = cached
    return cached


def user_permissions(user: User) -> frozenset[str]:
    perms: set[str] = set()
    for m in memberships(user):
        perms |= permissions_for_role(m.role)
    return frozenset(perms)


def has_permission(user: User, perm: str) -> bool:
    """True if any membership grants `perm` somewhere (used for menus, not for objects)."""
    return perm in user_permissions(user)


def scope_q(user: User, perm: str, scope: Scope, *, model: type[models.Model] | None = None) -> Q:
    """A Q matching the objects some membership granting `perm` covers; matches nothing if none.

    Id lookups of several memberships are merged into one `IN` per column, which planners handle far
    better than an OR of several. With `model`, lookups through a to-many relation (an enterprise's
    sites) become a subquery on the related table (`pk IN (SELECT enterprise_id FROM site WHERE …)`),
    which its own index answers, instead of a join of every row with all its related rows.
    """
    q = Q(pk__in=[])
    merged: dict[str, set] = {}
    for m in memberships(user):
        if perm not in permissions_for_role(m.role):
            continue
        if m.role == Role.ENTERPRISE_SAFETY:
            if scope.enterprise_field:
                merged.setdefault(scope.enterprise_field, set()).add(m.enterprise_id)
            continue
        if m.role == Role.PARTNER and scope.department_field:
            if m.partner_department_id:
                merged.setdefault(scope.department_field, set()).add(m.partner_department_id)
            continue
        if scope.upward and scope.path_field:
            ancestors = ancestor_paths(m.jurisdiction.path)
            if ancestors:
                q |= Q(**{f"{scope.path_field}__in": ancestors})
        for field in (scope.path_field, *scope.extra):
            if not field:
                continue
            lookup, values = _place(m, field, scope)
            if lookup is None:
                q |= Q(**{f"{field}__startswith": m.jurisdiction.path})
            else:
                merged.setdefault(lookup, set()).update(values)
    for lookup, values in merged.items():
        q |= _through_relation(model, lookup, "in", sorted(values))
    if model is not None:
        # Path lookups through a relation, likewise.
        q.children = [_through_relation(model, *_split_lookup(child)) if isinstance(child, tuple) else child
                      for child in q.children]
    return q


def _split_lookup(child: tuple) -> tuple[str, str, object]:
    lookup, value = child
    field, _sep, operator = lookup.rpartition("__")
    return field, operator, value


def _through_relation(model: type[models.Model] | None, field: str, operator: str, value) -> Q:
    """`field__operator=value`, as a subquery on the related table when `field` crosses a to-many relation."""
    first, _sep, rest = field.partition("__")
    if model is not None and rest:
        try:
            relation = model._meta.get_field(first)
        except Exception:  # noqa: BLE001 - not a field name: leave the lookup as it is
            relation = None
        if relation is not None and relation.one_to_many:
            related = relation.related_model.objects.filter(**{f"{rest}__{operator}": value})
            return Q(pk__in=related.values(relation.field.attname))
        if relation is not None and relation.many_to_one:
            # site__enterprise_id IN (…) → site_id IN (SELECT id FROM site WHERE enterprise_id IN (…)): the
            # object's own indexed column, instead of a join of every candidate row with its site.
            related = relation.related_model.objects.filter(**{f"{rest}__{operator}": value})
            return Q(**{f"{relation.attname}__in": related.values("pk")})
        if relation is not None and relation.many_to_many:
            # Through the link table, inside a subquery: the outer rows stay unique.
            return Q(pk__in=model.objects.filter(**{f"{field}__{operator}": value}).values("pk"))
    return Q(**{f"{field}__{operator}": value})


def scoped(queryset: QuerySet[M], user: User, perm: str, scope: Scope) -> QuerySet[M]:
    # Paths through relations are subqueries on the related table: rows stay unique, indexes answer.
    return queryset.filter(scope_q(user, perm, scope, model=None if scope.join else queryset.model))


# The largest primary key any database here can hold; larger "ids" name nothing.
MAX_PK = 2**63 - 1


def valid_pk(value: object) -> int | None:
    """The value as a primary key, or None when it cannot name a row (junk, zero, negative, too large)."""
    if isinstance(value, bool):
        return None
    try:
        pk = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        return None
    return pk if 1 <= pk <= MAX_PK else None


def get_object_for_user(
    queryset: QuerySet[M],
    user: User,
    pk: object,
    *,
    scope: Scope,
    view: str,
    need: str | None = None,
    need_scope: Scope | None = None,
) -> M:
    """Return the object, 404 if outside what the user may see, 403 if visible but `need` is missing.

    `need_scope` is how the needed permission reaches the object when it differs from how it is
    seen (an enterprise is seen wherever it runs a site but edited only where it is registered).
    """
    pk = valid_pk(pk)
    if pk is None:
        raise Http404
    try:
        obj = scoped(queryset, user, view, scope).get(pk=pk)
    except queryset.model.DoesNotExist:
        raise Http404 from None
    if need and (need != view or need_scope is not None) and not user_can(user, need, obj, scope=need_scope or scope):
        raise PermissionDenied
    return obj


def user_can(user: User, perm: str, obj: models.Model, *, scope: Scope) -> bool:
    if not has_permission(user, perm):
        return False  # no membership grants it: it reaches nothing (scope_q would match nothing), no query to build
    return scoped(type(obj).objects.filter(pk=obj.pk), user, perm, scope).exists()


def jurisdictions_q(user: User, perm: str) -> Q:
    """Jurisdiction nodes the user may see with `perm`: their subtrees and the ancestors leading to them."""
    q = Q(pk__in=[])
    for m in memberships(user):
        if perm not in permissions_for_role(m.role):
            continue
        q |= Q(path__startswith=m.jurisdiction.path)
        ancestors = ancestor_paths(m.jurisdiction.path)
        if ancestors:
            q |= Q(path__in=ancestors)
    return q


def covers(user: User, perm: str, node_path: str) -> bool:
    """True if a jurisdiction membership granting `perm` covers the node with this path."""
    return any(
        perm in permissions_for_role(m.role)
        and m.role != Role.ENTERPRISE_SAFETY
        and not (m.role == Role.PARTNER and perm.startswith("collab."))
        and node_path.startswith(m.jurisdiction.path)
        for m in memberships(user)
    )


def granting_role(user: User, perm: str, *, path: str, enterprise_id: int | None = None) -> str:
    """The role under which the user holds `perm` for an object at `path` (for the record)."""
    for m in memberships(user):
        if perm not in permissions_for_role(m.role):
            continue
        if m.role == Role.ENTERPRISE_SAFETY:
            if enterprise_id is not None and m.enterprise_id == enterprise_id:
                return m.role
        elif path.startswith(m.jurisdiction.path):
            return m.role
    return ""
