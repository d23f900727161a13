"""The authorisation matrix of the pages: every page of the URL configuration that names an object × every role ×
objects inside and outside the caller's jurisdiction, read (GET) and written (POST). Generated from the URLconf:
a new page that names an object fails `test_every_page_naming_an_object_is_in_the_matrix` until it says what it
names, and is then in the matrix without anyone writing a test for it.

The objects are the ones the REST API's matrix uses (tests/api/test_authz_matrix.py: the hostile-input harness's
objects for the kind, the same kind elsewhere, and an enterprise and its safety officer registered with the city),
and so is the judgement of who is inside (`reach`). An outsider's GET must answer 403 or 404 (405 for a page that
only accepts POST), their POST 403, 404 or 405 whatever the body, and neither may change a row. A POST is sent
without a body: a page that checked the form before the jurisdiction would answer 200 with the form's errors, and
fail here.
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client

from tests import factories as f
from tests.api import test_authz_matrix as matrix
from tests.api import test_hostile as hostile
from tests.hardening.test_pages_hostile import PAGES

pytestmark = pytest.mark.matrix

world = hostile.world
callers = matrix.callers
city_registered = matrix.city_registered

# What the id in each page's path names (None: nothing whose jurisdiction the matrix judges: one's own token, export,
# notification or import, an upload, which the hostile-input tests judge as another user's, and the public pages).
NAMES = {
    "accounts:token_revoke": None, "exports:download": None, "exports:status": None, "notifications:open": None,
    "registry:import_preview": None, "evidence:file": None, "evidence:thumb": None,
    "public:inspection_plan": None, "public:inspection_draw": None,
    "assessment:evaluation_detail": "evaluation", "assessment:evaluation_act": "evaluation",
    "assessment:result_detail": "evalresult", "assessment:site_rules": "site",
    "collaboration:meeting": "meeting", "collaboration:meeting_edit": "meeting",
    "collaboration:memorandum": "memorandum", "collaboration:referral": "referral",
    "collaboration:referral_act": "referral", "collaboration:share": "share", "collaboration:share_withdraw": "share",
    "collaboration:task": "task",
    "emergency:drill": "drill", "emergency:incident": "incident", "emergency:organisation": "enterprise",
    "emergency:plan": "emplan", "emergency:plan_review": "emplan",
    "enforcement:detail": "case", "enforcement:act": "case", "enforcement:inspection": "inspection",
    "enforcement:inspection_raise": "inspection", "enforcement:plan": "plan", "enforcement:plan_edit": "plan",
    "enforcement:plan_publish": "plan",
    "events:detail": "event", "events:act": "event",
    "registry:enterprise_detail": "enterprise", "registry:enterprise_edit": "enterprise",
    "registry:officer_detail": "officer", "registry:officer_edit": "officer", "registry:officer_add_training": "officer",
    "registry:site_detail": "site", "registry:site_edit": "site",
    "tipoffs:reward": "reward", "tipoffs:reward_decide": "reward", "tipoffs:reward_pay": "reward",
    "selfcheck:circular_detail": "circular", "selfcheck:circular_act": "circular",
    "selfcheck:circular_edit": "circular", "selfcheck:circular_read": "circular",
    "selfcheck:filing_detail": "filing", "selfcheck:filing_act": "filing",
    "selfcheck:report_detail": "report", "selfcheck:report_act": "report",
    "selfcheck:check_detail": "check", "selfcheck:check_raise": "check", "selfcheck:draw_detail": "spotdraw",
    "tipoffs:detail": "tip", "tipoffs:identity": "tip",
    "video:camera_detail": "camera", "video:camera_edit": "camera", "video:live_start": "camera",
    "video:live_file": "camera", "video:snapshot": "camera", "video:patrol_detail": "patrol",
    "video:patrol_raise": "patrol", "video:draw_detail": "draw",
    "video:camera_create": "site", "video:machine_create": "site",
}
NAMING = [(route, name) for route, name in PAGES if "<int:" in route]
JUDGED = [(route, name) for route, name in NAMING if NAMES.get(name)]
REFUSED = {"GET": (403, 404, 405), "POST": (403, 404, 405)}


def test_every_page_naming_an_object_is_in_the_matrix():
    assert sorted(name for _route, name in NAMING if name not in NAMES) == []
    assert len(JUDGED) > 50


def _objects_of(kind: str, world_) -> tuple[dict, dict]:
    """The harness's context for an API read of this kind: its objects, and the same kind elsewhere."""
    client = Client()
    schema = client.get(hostile.SCHEMA_URL).json()
    path = next(p for m, p in hostile.OPERATIONS if m == "GET" and p.endswith("{" + kind + "_id}"))
    op = hostile._operation(schema, "GET", path)
    ctx = hostile._context(world_, "GET", path, op.op)
    return ctx.objects, ctx.foreign


def _path(route: str, pk: int) -> str:
    path = "/" + route
    path = path.replace("<str:filename>", "index.m3u8")
    for token in ("<int:pk>", "<int:enterprise_id>", "<int:site_pk>"):
        path = path.replace(token, str(pk))
    return path


class _Forms(HTMLParser):
    """The POST forms of a page: their action and the values a browser would send as the page stands."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path, self.forms, self.current, self.select, self.textarea = page_path, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.current = {"action": urlsplit(a.get("action") or self.page_path).path, "data": {}, "types": {}}
            self.forms.append(self.current)
        elif tag == "option" and self.current is not None and self.select:
            if a.get("value") and (self.select not in self.current["data"] or "selected" in a):
                self.current["data"][self.select] = a["value"]
        elif self.current is None or not a.get("name") or a["name"] == "csrfmiddlewaretoken":
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "file", "reset"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.current["data"].setdefault(a["name"], a.get("value") or "")
            self.current["types"][a["name"]] = a.get("type") or "text"
        elif tag == "select":
            self.select = a["name"]
        elif tag == "textarea":
            self.textarea = a["name"]
            self.current["data"][a["name"]] = ""

    def handle_data(self, data):
        if self.current is not None and self.textarea:
            self.current["data"][self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            if self.current is not None and self.textarea and not self.current["data"].get(self.textarea, "").strip():
                self.current["data"][self.textarea] = "经核实属实"  # a note or reason the form asks for
            self.textarea = None
        elif tag == "select":
            self.select = None


def _forms_for(client: Client, routes: list[str], pk: int, with_types: bool = False) -> dict[str, dict]:
    """action path -> form values, from every page of the object as the caller logged in sees it."""
    found: dict[str, dict] = {}
    for route in routes:
        path = _path(route, pk)
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = _Forms(path)
        parser.feed(response.content.decode())
        for form in parser.forms:
            found.setdefault(form["action"], {**form["data"], **({"__types__": form["types"]} if with_types else {})})
    return found


def _filled(form: dict) -> dict:
    """A creation form with its empty fields given plausible values, as a user would type them."""
    from django.utils import timezone

    types = form.get("__types__", {})
    out = {}
    for name, value in form.items():
        if name == "__types__":
            continue
        kind = types.get(name, "text")
        if value == "" and kind in ("text", "date", "number", "tel", "email", "datetime-local", "url"):
            if name in ("lng", "lat"):
                value = {"lng": "119.12", "lat": "25.46"}[name]
            elif kind == "date" or name.endswith(("_on", "_date", "_from", "_until")):
                later = name.startswith(("valid_until", "expires", "ends"))
                value = (timezone.localdate() + timedelta(days=365 if later else 0)).isoformat()
            elif name == "id_number":
                value = "35030319900101123X"
            elif kind == "number":
                value = "1"
            elif "phone" in name or kind == "tel":
                value = "13900001234"
            elif kind == "email":
                value = "a@example.cn"
            elif kind == "datetime-local":
                value = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
            elif "credit_code" in name:
                value = f.credit_code("350303")
            else:
                value = "核查测试"
        out[name] = value
    return out


INSIDERS = ("city_officer", "hanjiang_officer", "zto_safety", "police_partner", "city_leader", "hanjiang_grid",
            "licheng_officer", "fz_city_officer")
PROVEN: list[str] = []


@pytest.mark.parametrize(("route", "name"), JUDGED, ids=[n for _r, n in JUDGED])
def test_page_authorisation_matrix(world, callers, city_registered, route, name):
    kind = NAMES[name]
    objects, foreign = _objects_of(kind, world)
    variants = [("its own object", objects[kind]), *((f"another place's {kind}", o) for o in foreign.get(kind, ()))]
    if kind in world.sibling and all(o.pk != world.sibling[kind].pk for _v, o in variants):
        variants.append((f"荔城's {kind}", world.sibling[kind]))
    if kind in city_registered:
        variants.append((f"a {kind} registered with the city", city_registered[kind]))
    count = hostile._row_counter()
    client = Client(raise_request_exception=False)
    problems = []
    same_kind = [r for r, n in JUDGED if NAMES[n] == kind]
    for variant, obj in variants:
        path = _path(route, obj.pk)
        # The body: the form this page's insider is offered for this path (prefilled as it stands), else none.
        insider = next((c for n in INSIDERS if matrix.reach(c := callers[n], obj, kind, write=True) == matrix.INSIDE),
                       None)
        body = None
        if insider is not None:
            client.force_login(insider.user)
            body = _forms_for(client, same_kind, obj.pk).get(path)
        if body is not None:
            with transaction.atomic():
                rows, before = count(), matrix._row(obj)
                response = client.post(path, body)
                if response.status_code == 302 or (response.status_code == 200
                                                    and (count() != rows or matrix._row(obj) != before)):
                    PROVEN.append(f"{name} by {insider.name}")
                transaction.set_rollback(True)
        for caller in callers.values():
            client.force_login(caller.user)
            for method in ("GET", "POST"):
                verdict = matrix.reach(caller, obj, kind, write=method == "POST")
                reads = matrix.reach(caller, obj, kind, write=False) != matrix.OUTSIDE
                with transaction.atomic():
                    rows, before = count(), matrix._row(obj)
                    response = client.get(path) if method == "GET" else client.post(path, body or {})
                    changed = count() != rows or matrix._row(obj) != before
                    transaction.set_rollback(True)
                refused = response.status_code in REFUSED[method] or (
                    # A page the caller may read, which offers no form posting to itself, answers a POST as a read.
                    method == "POST" and body is None and reads and response.status_code == 200 and not changed)
                if verdict == matrix.OUTSIDE and (not refused or changed):
                    problems.append(f"{caller.name} -> {method} {path} ({variant}, outside their reach"
                                    f"{', with the insider form' if body else ''}): {response.status_code}"
                                    f"{', and the database changed' if changed else ''}")
                if response.status_code >= 500 and response.status_code not in (502, 503):
                    problems.append(f"{caller.name} -> {method} {path} ({variant}): {response.status_code}")
        client.logout()
        anonymous = client.get(path)
        if anonymous.status_code != 302 or "/accounts/login" not in anonymous.get("Location", ""):
            problems.append(f"anonymous -> GET {path}: {anonymous.status_code} {anonymous.get('Location', '')}")
    assert problems == [], "\n".join(problems)



# Pages that create something where their form says (a site, a meeting, a report on an outlet): replayed by another
# district's officer and by another city's, with the form a user of this city was offered and had accepted.
CREATE_PAGES = [(route, name) for route, name in PAGES if "<" not in route and (
    name.endswith(("_new", "_create", "_propose")) or name == "events:report") and not name.startswith("exports:")]
CREATORS = ("city_officer", "hanjiang_officer", "zto_safety", "hanjiang_grid", "police_partner")


@pytest.mark.parametrize(("route", "name"), CREATE_PAGES, ids=[n for _r, n in CREATE_PAGES])
def test_nobody_creates_in_another_district_or_city_through_a_page(world, callers, route, name):
    path = "/" + route
    count = hostile._row_counter()
    client = Client(raise_request_exception=False)
    accepted = None
    for creator in CREATORS:
        client.force_login(callers[creator].user)
        form = _forms_for(client, [route], 0, with_types=True).get(path)
        if form is None:
            continue
        body = _filled(form)
        with transaction.atomic():
            rows = count()
            response = client.post(path, body)
            created = count() != rows
            transaction.set_rollback(True)
        if created and response.status_code in (200, 302):
            accepted = (creator, body)
            break
    if accepted is None:
        pytest.skip("no user of this city had this form accepted as offered (it needs a file or a choice)")
    creator, body = accepted
    PROVEN.append(f"{name} by {creator}")
    problems = []
    for outsider in ("licheng_officer", "fz_city_officer"):
        client.force_login(callers[outsider].user)
        with transaction.atomic():
            rows = count()
            response = client.post(path, body)
            changed = count() != rows
            transaction.set_rollback(True)
        if changed or response.status_code >= 500:
            problems.append(f"{outsider} -> POST {path} with {creator}'s accepted form: {response.status_code}"
                            f"{', and it was created' if changed else ''}")
    assert problems == [], "\n".join(problems)


def test_the_page_matrix_is_not_vacuous():
    """Runs last, after both matrices of this module: the insiders' own forms, replayed, were accepted on many
    pages (edits and creations), so the outsiders' refusals of the same bodies are about jurisdiction."""
    if not PROVEN:
        pytest.skip("the matrix did not run in this session (a single test was selected)")
    assert len(set(PROVEN)) >= 10, PROVEN
