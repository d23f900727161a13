"""The authorisation matrix of the REST API: every operation that names an object in its path × every role ×
objects inside and outside the caller's jurisdiction, for writes as well as reads. Generated from the served
OpenAPI schema, so a new endpoint is in the matrix without anyone remembering.

Each operation's request is the hostile-input harness's baseline (test_hostile.py: the plausible valid values, the
objects its SETUPS create, and the object the path names), which that harness proves succeeds for its caller. This
test replays it with the token of every role of the cast and of another city, against the object it names and
against the same kind of object elsewhere: in the sibling district, in another city, and registered with the city
(an enterprise and its safety officer registered with the bureau, running an outlet in the district).

Whether an object is inside a caller's reach is decided here, from where the object is and whom it belongs to, not
by asking the application (see `reach`):
  * the city's roles reach everything in the city; the district officer, what is in their district; the grid
    worker, what is in their grid; the enterprise's safety officer, what belongs to their enterprise; the partner
    (police), what belongs to their department; another city's officer, nothing here;
  * reading upward is allowed (a district reads the city's circulars, plans and memoranda), so a read of an object
    registered above the caller's area is not judged; a write there is: a district never writes to an object
    registered with the city or with another district.
An outsider's request must be refused with 403 or 404 (401 without a token), and leave every table with as many
rows as before and the object named unchanged. Writes that create something (POST to a collection) are replayed by
another district's officer and another city's: refused, nothing written. What an insider may do also depends on their role, which the other
tests judge; here an insider's success is what proves that the replayed request is valid, so that an outsider's
refusal is about jurisdiction and not about a malformed request (`test_the_matrix_is_not_vacuous`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.db import models, transaction
from django.test import Client
from django.test.utils import override_settings

from parcelwatch.accounts.models import Jurisdiction, User
from parcelwatch.accounts.services import issue_api_token
from parcelwatch.registry.models import Site
from tests import factories as f
from tests.api import test_hostile
from tests.api.test_hostile import (
    OPERATIONS,
    PERSONAL_KINDS,
    SCHEMA_URL,
    WRITE_METHODS,
    _context,
    _operation,
    _requests,
    _row_counter,
    as_text,
)

pytestmark = pytest.mark.matrix

world = test_hostile.world  # the hostile-input harness's cast, event, case and objects elsewhere

INSIDE, OUTSIDE, UNJUDGED = "inside", "outside", "unjudged"
PUBLIC = ("/api/v1/public/", "/api/v1/auth/")  # the only operations that take no token
ROLES = ("city_leader", "city_officer", "hanjiang_officer", "licheng_officer", "hanjiang_grid", "zto_safety",
         "police_partner", "fz_city_officer")
# Objects whose place cannot be read from the object itself: uploads are their uploader's (the hostile harness
# judges another user's upload), personal objects are their owner's (ditto).
UNPLACED = ("attachment", *PERSONAL_KINDS)
# How to reach the jurisdiction an object is registered in, tried in order.
PLACE_PATH = ("jurisdiction", "district", "area", "site", "enterprise", "meeting", "evaluation", "report", "event",
              "case", "plan", "filing", "officer")


def _subject(obj: models.Model) -> models.Model | None:
    """An official document's event or case (documents name their subject by type and id)."""
    from parcelwatch.enforcement.models import EnforcementCase
    from parcelwatch.events.models import Event

    model = {"event": Event, "enforcementcase": EnforcementCase}.get(getattr(obj, "subject_type", ""))
    return model.objects.filter(pk=obj.subject_id).first() if model else None


def place(obj: models.Model, depth: int = 0) -> Jurisdiction | None:
    """The most precise jurisdiction the object is registered in (a camera: its site's grid, not its district)."""
    if isinstance(obj, Jurisdiction):
        return obj
    if hasattr(obj, "subject_type"):
        subject = _subject(obj)
        return place(subject, depth + 1) if subject is not None else None
    if depth > 4:
        return None
    found = []
    for name in PLACE_PATH:
        try:
            value = getattr(obj, name, None)
        except Exception:  # noqa: BLE001 - a missing related object is no place
            value = None
        where = place(value, depth + 1) if isinstance(value, models.Model) else None
        if where is not None:
            found.append(where)
            if name in ("jurisdiction", "area"):
                break  # registered there: what it concerns (a site, an enterprise) does not move it
    return max(found, key=lambda j: len(j.path)) if found else None


def owner_enterprise(obj: models.Model, depth: int = 0):
    from parcelwatch.registry.models import Enterprise

    if isinstance(obj, Enterprise):
        return obj
    if hasattr(obj, "subject_type"):
        obj = _subject(obj) or obj
    if depth > 3:
        return None
    for name in ("enterprise", "site", "officer", "report", "filing", "plan", "event"):
        value = getattr(obj, name, None)
        if isinstance(value, models.Model):
            found = owner_enterprise(value, depth + 1)
            if found is not None:
                return found
    return None


def departments_of(obj: models.Model) -> set[int]:
    from parcelwatch.collaboration.models import PartnerDepartment

    if isinstance(obj, PartnerDepartment):
        return {obj.pk}
    found = set()
    for name in ("department", "lead"):
        value = getattr(obj, name, None)
        if isinstance(value, PartnerDepartment):
            found.add(value.pk)
    for holder in (obj, getattr(obj, "meeting", None)):
        related = getattr(holder, "departments", None)
        if related is not None and hasattr(related, "values_list"):
            found |= set(related.values_list("pk", flat=True))
    return found


# What an enterprise never sees, even about itself: the regulators' draws and patrols, public and grid workers'
# tip-offs and their rewards, and the bureau's dealings with other departments.
REGULATORS_ONLY = ("draw", "spotdraw", "patrol", "tip", "reward", "memorandum", "meeting", "task", "share",
                   "referral", "department")


@dataclass
class Caller:
    name: str
    user: User
    area: Jurisdiction | None  # None: no area (an enterprise)
    enterprise_id: int | None = None
    department_id: int | None = None
    enterprise_paths: tuple[str, ...] = ()  # where the caller's enterprise is registered and runs sites
    headers: dict = field(default_factory=dict)


def reach(caller: Caller, obj: models.Model, kind: str, write: bool) -> str:
    """Whether `obj` is inside the caller's reach, from where it is and whom it belongs to."""
    if kind in UNPLACED:
        return UNJUDGED
    where = place(obj)
    if where is None:
        return UNJUDGED
    if caller.department_id is not None:  # a partner department's user
        if kind in ("department", "memorandum", "meeting", "task", "share", "referral"):
            return INSIDE if caller.department_id in departments_of(obj) else OUTSIDE
        if write:
            return OUTSIDE  # a partner writes only through its department's records (comments, answers)
        if kind in ("event", "case", "document"):
            return UNJUDGED  # may be shared with the department
        return UNJUDGED if kind in ("site", "enterprise") and where.path.startswith(caller.area.path) else OUTSIDE
    if caller.enterprise_id is not None:  # an enterprise's safety officer
        if kind in REGULATORS_ONLY:
            return OUTSIDE
        owner = owner_enterprise(obj)
        if owner is not None:
            return INSIDE if owner.pk == caller.enterprise_id else OUTSIDE
        # Addressed to the enterprises of an area (a circular): inside where the enterprise is or runs a site.
        if any(p.startswith(where.path) for p in caller.enterprise_paths):
            return INSIDE
        return OUTSIDE
    below = where.path.startswith(caller.area.path)
    above = caller.area.path.startswith(where.path) and not below
    if below:
        return INSIDE
    if above:
        return UNJUDGED if not write else OUTSIDE
    return OUTSIDE


@pytest.fixture
def callers(world):
    from parcelwatch.accounts.models import Membership

    cast = world.cast
    out = {}
    for name in ROLES:
        user = getattr(cast, name, None) or User.objects.get(username=name)
        m = Membership.objects.filter(user=user).select_related("jurisdiction").first()
        key, _token = issue_api_token(user)
        paths = ()
        if m.enterprise_id:
            paths = (m.enterprise.jurisdiction.path,
                     *Site.objects.filter(enterprise_id=m.enterprise_id).values_list("jurisdiction__path", flat=True))
        out[name] = Caller(
            name=name, user=user,
            area=None if m.enterprise_id else m.jurisdiction,
            enterprise_id=m.enterprise_id, department_id=m.partner_department_id, enterprise_paths=paths,
            headers={"HTTP_AUTHORIZATION": f"Bearer {key}"})
    return out


@pytest.fixture
def city_registered(world):
    """An enterprise registered with the city bureau, running an outlet in 涵江, with its safety officer: visible to
    涵江, not theirs to change."""
    cast = world.cast
    ems = f.enterprise("中国邮政集团有限公司莆田市分公司", cast.city)
    outlet = f.site("邮政涵东营业部", cast.handong_g1, ems)
    officer = f.officer("郑安全", ems, outlet, id_number="350300198804045678", phone="13600004444")
    return {"enterprise": ems, "officer": officer}


def _row(obj: models.Model) -> dict | None:
    return type(obj).objects.filter(pk=obj.pk).values().first()


@dataclass
class Outcome:
    operation: str
    variant: str
    caller: str
    verdict: str
    status: int
    changed: bool


def _variants(kind: str, ctx, city_registered, sibling: dict) -> list[tuple[str, models.Model]]:
    out = [("the operation's own object", ctx.objects[kind])]
    out += [(f"another place's {kind}", obj) for obj in ctx.foreign.get(kind, ())]
    if kind in sibling and all(obj.pk != sibling[kind].pk for _label, obj in out):
        out.append((f"荔城's {kind}", sibling[kind]))  # the harness leaves it out where its caller reaches 荔城
    if kind in city_registered:
        out.append((f"a {kind} registered with the city", city_registered[kind]))
    return out


MATRIX = []
for _method, _path in OPERATIONS:
    if "{" in _path:
        MATRIX.append((_method, _path))

RESULTS: list[Outcome] = []

# Writes that create something in a place the body names. Their baseline (the hostile harness's) always places it in
# 涵江 or in the city: 荔城's district officer and another city's officer are outside, whatever their role allows.
# Left out: what is one's own or nobody's place: signing in, tokens, exports of what one may see, notifications,
# an upload (placed nowhere until attached, and then only by its uploader), and the public's reports.
OWN_WRITES = ("/api/v1/auth/", "/api/v1/me/", "/api/v1/exports", "/api/v1/notifications/", "/api/v1/evidence",
              "/api/v1/public/")
CREATES = [(m, p) for m, p in OPERATIONS if m == "POST" and "{" not in p and not p.startswith(OWN_WRITES)]


@pytest.mark.parametrize("operation", CREATES, ids=[f"{m} {p}" for m, p in CREATES])
def test_nobody_creates_in_another_district_or_city(world, callers, operation):
    method, path = operation
    client = Client(raise_request_exception=False)
    schema = client.get(SCHEMA_URL).json()
    op = _operation(schema, method, path)
    ctx = _context(world, method, path, op.op)
    baseline = _requests(op, ctx, {})[0]
    count = _row_counter()
    problems = []
    with override_settings(**ctx.settings):
        for name in ("licheng_officer", "fz_city_officer"):
            caller = callers[name]
            body = baseline.body()
            with transaction.atomic():
                rows = count()
                response = client.generic(method, baseline.url(), data=body[0], content_type=body[1],
                                          **caller.headers)
                changed = count() != rows
                transaction.set_rollback(True)
            if not 400 <= response.status_code < 500 or changed:
                problems.append(f"{name} -> {method} {path} {baseline.describe[:200]}: {response.status_code}"
                                f"{', and the database changed' if changed else ''}: {response.content[:200]!r}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("operation", MATRIX, ids=[f"{m} {p}" for m, p in MATRIX])
def test_authorisation_matrix(world, callers, city_registered, operation):
    method, path = operation
    client = Client(raise_request_exception=False)
    schema = client.get(SCHEMA_URL).json()
    op = _operation(schema, method, path)
    if not op.op.get("security"):
        assert path.startswith(PUBLIC), "an operation without a token outside the public API"
        pytest.skip("a public operation: nobody's jurisdiction")
    ctx = _context(world, method, path, op.op)
    baseline = _requests(op, ctx, {})[0]
    named = [fl for fl in op.fields if fl.where == "path" and fl.kind == "id" and fl.object_kind in ctx.objects]
    if not named:
        pytest.skip("names no object whose place the matrix can judge (a code or a personal object)")
    target = named[-1]  # the innermost object (…/{meeting_id}/decisions: the meeting)
    kind = target.object_kind
    write = method in WRITE_METHODS
    count = _row_counter()
    problems, outcomes = [], []
    with override_settings(**ctx.settings):  # live video operations run against the harness's stream
        for variant, obj in _variants(kind, ctx, city_registered, world.sibling):
            values = {fl.name: ctx.objects[fl.object_kind].pk for fl in named}
            values[target.name] = obj.pk
            url = path
            for name, value in values.items():
                url = url.replace("{" + name + "}", quote(as_text(value), safe=""))
            url += baseline.url()[len(baseline.path):]
            body = baseline.body() if baseline.body is not None else None
            for caller in callers.values():
                verdict = reach(caller, obj, kind, write)
                with transaction.atomic():
                    rows_before, object_before = count(), _row(obj)
                    if body is not None:
                        response = client.generic(method, url, data=body[0], content_type=body[1], **caller.headers)
                    else:
                        response = client.generic(method, url, **caller.headers)
                    changed = count() != rows_before or _row(obj) != object_before
                    transaction.set_rollback(True)
                outcomes.append(Outcome(f"{method} {path}", variant, caller.name, verdict, response.status_code, changed))
                if verdict == OUTSIDE and (response.status_code not in (403, 404) or changed):
                    problems.append(f"{caller.name} -> {method} {url} ({variant}, outside their reach): "
                                    f"{response.status_code}{', and the database changed' if changed else ''}: "
                                    f"{response.content[:200]!r}")
                # A gateway's answer about a camera it cannot reach (502/503 with a reason) is not a server error.
                gateway = response.status_code in (502, 503) and b'"detail"' in response.content
                if response.status_code >= 500 and not gateway:
                    problems.append(f"{caller.name} -> {method} {url} ({variant}): {response.status_code}")
            # Without a token, every secured operation answers 401.
            anonymous = client.generic(method, url)
            if anonymous.status_code != 401:
                problems.append(f"anonymous -> {method} {url}: {anonymous.status_code}")
    RESULTS.extend(outcomes)
    assert problems == [], "\n".join(problems)


def test_the_matrix_is_not_vacuous():
    """Runs after the matrix (same module, collected after it): most operations' requests were valid for somebody
    inside, so their outsiders' refusals are about jurisdiction."""
    if not RESULTS:
        pytest.skip("the matrix did not run in this session (a single test was selected)")
    judged = {o.operation for o in RESULTS if o.verdict == "outside"}
    proven = {o.operation for o in RESULTS if o.verdict == "inside" and 200 <= o.status < 300}
    assert len(judged) >= 0.8 * len({o.operation for o in RESULTS})
    assert len(proven & judged) >= 0.6 * len(judged), sorted(judged - proven)
