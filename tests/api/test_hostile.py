"""Every operation of the REST API, fed the project's list of hostile inputs, generated from its schema.

The operations are read from the OpenAPI schema when the tests are collected (``api.get_openapi_schema()``
needs no database), one test per operation, so a new endpoint is a new test without anyone remembering. The
requests are generated when the test runs from the schema served at GET /api/v1/openapi.json: the request
body (application/json, or multipart form fields and files; ``$ref`` resolved into components/schemas), the
query parameters and the path parameters. Writes (POST, PUT, PATCH, DELETE) and reads (GET) alike.

Each operation gets a baseline request of plausible valid values, which must succeed and mean something: the
values come from the cast and PLAUSIBLE, from the object the path names (``action`` and ``version``), and, for
operations that need more than a field name says (a fresh credit code, a staged import, a rendered letter, a
finished export, one's own notification or token), from the operation's entry in SETUPS, which also says what
its answer must show (the record created with the values sent, the import staged with one row to create). The
baseline of a read that answers a list must list something. Then each hostile value once in each field, the
other fields staying at the baseline; then the request-level cases once.

Every response, whatever was sent:
  * is never 5xx;
  * is JSON (Content-Type application/json; a 204 has an empty body), parses with a strict parser that refuses
    NaN and Infinity, holds no C0 control character (other than tab and newline) in any string or key, and
    has a ``detail`` when it is a 4xx. The one exception is the success of an operation whose schema declares
    a success without JSON content (a file download: import template, evidence file and thumbnail, document
    PDF, export): that is the file, whose bytes must be what its Content-Type says (JPEG, PDF or .xlsx, never
    HTML or JSON), sent with a Content-Disposition. Its refusals are JSON like any other;
  * after a 4xx, leaves every table with exactly as many rows as before (login failures, login throttles and
    rate buckets are bookkeeping a refused request may write).

What a hostile value must get, class by class (the judgement calls):
  * Numbers out of the declared range, not finite (1e20, 40 digits, 99999999999999999999, Infinity, NaN, inf;
    as text, as JSON numbers and as raw JSON tokens) and wrong types: 4xx. A value the schema itself declares
    valid for that field (offset=0 where the minimum is 0, fine=0) is not hostile there and may succeed.
  * Coordinates (where the baseline carries both lng and lat): outside the city's box, swapped: 4xx; one
    without the other: 4xx, except in a PATCH (the other stays as stored); more decimals than the column holds
    may succeed (rounded).
  * Dates -1, 10000-01-01, 2019-02-30, and anything else that is not a date: 4xx.
  * Ids (another jurisdiction's object, another user's own object (token, import, export, notification),
    99999999999999999999, 0, -1, 40 digits, 1e20, NaN, Infinity) in a path or a body: 4xx (404 for one the
    caller may not see); the other numbers and look-alikes are judged as numbers ("１２３" may be read as 123).
    In a query *filter*, an in-range id the caller may not see may succeed as a filter that matches nothing,
    and then the page must be empty.
  * Codes that name something are treated like ids: another jurisdiction's district, town or grid code, a
    brand, category, export source, state or action that names nothing: 4xx in a body; in a query filter a
    2xx must be an empty page.
  * Lists of ids (attachment_ids, site_ids, notification ids): another user's or another jurisdiction's
    object, ids naming nothing, too many, wrong types: 4xx.
  * Free text (notes, descriptions, search; fields without an enum or a format): markup, formulas, full-width
    digits, non-breaking spaces and numbers written as text are text, so a 2xx is fine; but control
    characters must not survive: after any write that carried them, no string in the database (any table,
    bookkeeping included: PostgreSQL refuses NUL in text) and none in the response holds one. Text longer
    than the schema's maxLength (one character over; 3 MB in one field per operation) is a 4xx, and every
    free-text input must declare a maxLength (the values of a text-to-text object such as export filters
    included). Text in an enum, date, number or boolean field is a 4xx.
  * Identifiers the registry checks (credit code, phones, ID number) are not free text: the hostile texts
    are a 4xx there. Every identifier (those and filing and licence numbers) given in full-width characters
    or with spaces around and inside must be accepted and answered in its plain ASCII form.
  * Files: empty, HTML renamed .jpg, SVG, an executable, decompression bombs, a truncated photo: 4xx. A good
    photo under a hostile name (../../x, CRLF, control characters, 300 characters, markup) may succeed if the
    name is stored without path, line breaks or control characters and at most 255 characters long.
  * Spreadsheets for imports: empty, truncated, a zip bomb, a zip or photo or CSV named .xlsx, a good sheet
    under the wrong extension, no data rows, missing columns, a CSV field over the csv module's limit, UTF-16,
    too many rows, too many bytes: 4xx and nothing staged. The same sheet as CSV in UTF-8 with and without a
    BOM and in GBK must be staged like the .xlsx; control characters in cells must not be stored; a good
    sheet under a hostile name is judged like a photo's.
  * Request level: invalid JSON (and other bodies that are not an object), the wrong content type (the
    baseline body as text/plain or form-encoded; JSON to a multipart endpoint), a broken multipart body,
    each missing required field, an extra field (refused, not silently ignored: HOSTILE.md asks for a clear
    refusal, and an ignored misspelt field would do nothing without telling anyone): 4xx. A body of
    DATA_UPLOAD_MAX_MEMORY_SIZE + 1 bytes: exactly 413. Expired, revoked and malformed bearer tokens and no
    token at all: exactly 401 (only for operations that require a token).

Each request runs in a savepoint that is rolled back afterwards, so an accepted value does not change what the
next request meets (the event is still "reported", rate limits and lockouts start afresh, a credit code or
filing number created by one request is free again for the next). All problems of an operation are collected
and reported together, each with the request that caused it.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import override_settings
from django.utils import timezone

from parcelwatch.accounts.models import (
    ApiToken,
    Jurisdiction,
    LoginFailure,
    LoginThrottle,
    Membership,
    RateBucket,
    Role,
)
from parcelwatch.accounts.services import issue_api_token
from parcelwatch.documents.models import DocumentKind, OfficialDocument
from parcelwatch.documents.services import record_paper_document
from parcelwatch.enforcement.models import EnforcementCase
from parcelwatch.enforcement.services import perform_case, propose_case
from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import perform, report_event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.evidence.models import Attachment
from parcelwatch.exports.models import ExportJob
from parcelwatch.exports.services import request_export, run_export
from parcelwatch.notifications.models import Notification
from parcelwatch.registry import importing
from parcelwatch.registry.models import ImportBatch
from parcelwatch.video.models import Camera
from tests import factories as f
from tests.factories import PASSWORD
from tests.hostile import (
    BAD_JSON_BODIES,
    BIG_TEXT,
    CONTROL,
    DATES,
    IDS,
    MALFORMED_AUTHORIZATION,
    MARKUP,
    NUMBER_LOOKALIKES,
    NUMBERS,
    TEXTS,
    XLSX_TYPE,
    Hostile,
    Upload,
    as_text,
    bad_file_names,
    bad_files,
    bad_sheets,
    good_jpeg,
    good_sheets,
    hostile_cells,
    sheet_names,
    xlsx,
)

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
SCHEMA_URL = "/api/v1/openapi.json"
BOOKKEEPING = (LoginFailure, LoginThrottle, RateBucket)
VERBOSE = bool(os.environ.get("HOSTILE_VERBOSE"))  # HOSTILE_VERBOSE=1 pytest -s: every request and its status


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation, from the schema, when the tests are collected."""
    from parcelwatch.api import api

    schema = api.get_openapi_schema()
    return [(method.upper(), path) for path, methods in schema["paths"].items() for method in methods
            if method.upper() in (*WRITE_METHODS, "GET")]


OPERATIONS = _operations()


# --- who calls, and with what --------------------------------------------------------------------------------

# (method or None for any, path prefix, cast member): the first match calls the operation. Operations without
# security in the schema are called anonymously; anything else by the city officer. A district officer calls
# where objects of the sibling district must then be refused (registry writes, imports, evidence, documents).
CALLERS = (
    # A partner department's system: what is shared with it, comments, and the bureau's referrals it answers.
    ("GET", "/api/v1/collab/shares", "police_partner"),
    ("POST", "/api/v1/collab/shares/{share_id}/comments", "police_partner"),
    ("POST", "/api/v1/collab/referrals/{referral_id}/transitions", "police_partner"),
    ("GET", "/api/v1/collab/referrals", "police_partner"),
    ("POST", "/api/v1/selfcheck/filings/{filing_id}/transitions", "hanjiang_officer"),  # the district decides
    ("POST", "/api/v1/selfcheck/filings", "zto_safety"),  # the enterprise files (and corrects)
    ("POST", "/api/v1/selfcheck/reports/{", "hanjiang_officer"),  # the district reviews
    ("POST", "/api/v1/selfcheck/reports", "zto_safety"),  # the enterprise reports
    ("POST", "/api/v1/selfcheck/circulars/{circular_id}/read", "zto_safety"),  # the recipient signs for it
    (None, "/api/v1/selfcheck/circulars", "hanjiang_officer"),
    (None, "/api/v1/selfcheck/spot-check", "hanjiang_officer"),
    (None, "/api/v1/assessment", "hanjiang_officer"),
    (None, "/api/v1/inspections", "hanjiang_officer"),
    ("POST", "/api/v1/emergency/plans/{", "hanjiang_officer"),  # the district reviews
    ("POST", "/api/v1/emergency/drills/{drill_id}/evaluation", "hanjiang_officer"),
    ("POST", "/api/v1/emergency/incidents/{", "hanjiang_officer"),  # the district follows the incident up
    ("POST", "/api/v1/emergency", "zto_safety"),  # plans, drills and incidents of the enterprise
    ("PUT", "/api/v1/emergency", "zto_safety"),
    (None, "/api/v1/emergency", "hanjiang_officer"),
    ("POST", "/api/v1/tips/{tip_id}/identity", "city_officer"),  # only the city bureau may know who reported
    (None, "/api/v1/tips", "hanjiang_officer"),
    ("POST", "/api/v1/rewards/{reward_id}/decision", "city_leader"),
    ("POST", "/api/v1/rewards/{reward_id}/payment", "city_officer"),
    (None, "/api/v1/rewards", "hanjiang_officer"),
    ("POST", "/api/v1/events/{", "hanjiang_officer"),  # transitions
    ("POST", "/api/v1/events", "hanjiang_grid"),  # reporting
    (None, "/api/v1/events", "hanjiang_officer"),
    (None, "/api/v1/cases", "city_officer"),
    ("GET", "/api/v1/sites/nearby", "hanjiang_grid"),  # the sites one may report on: needs events.report
    *((method, prefix, "hanjiang_officer") for method in ("POST", "PATCH")
      for prefix in ("/api/v1/enterprises", "/api/v1/sites", "/api/v1/safety-officers")),
    (None, "/api/v1/imports", "hanjiang_officer"),
    (None, "/api/v1/video/patrol", "hanjiang_officer"),  # patrols are the district safety centre's
    ("GET", "/api/v1/evidence/", "hanjiang_officer"),
    (None, "/api/v1/documents", "hanjiang_officer"),
    ("GET", "/api/v1/todo/events", "hanjiang_officer"),  # the reported event waits for the district
)
DEFAULT_CALLER = "city_officer"

# Plausible valid values by field name; ids, id lists and files come from the object kind the name names.
# What only one operation can say (a fresh credit code, its own object) is in SETUPS below.
PLAUSIBLE = {
    "username": "city_officer",
    "password": PASSWORD,
    "old_password": PASSWORD,
    "new_password": "Hostile-Check-2026!",
    "category": "BA02",
    "description": "备案地址与实际经营地址不符",
    "lng": "119.12",
    "lat": "25.46",
    "note": "经核实属实",
    "findings": "现场检查发现未按规定执行收寄验视制度",
    "legal_basis": "《快递暂行条例》第四十条",
    "fine": "1500.00",
    "justification": "情节较重",
    "hearing_days": 5,
    "hearing_waived": False,
    "deadline_days": 10,
}
# For a field named action, the first of these the object allows; else the first it allows.
PREFERRED_ACTIONS = ("accept", "notify_penalty")
OBJECT_KINDS = ("site", "enterprise", "officer", "event", "case", "camera", "patrol", "draw", "attachment", "token",
                "batch", "document", "filing", "report", "spotdraw", "check", "circular", "evaluation", "evalresult",
                "plan", "inspection", "emplan", "drill", "incident", "tip", "reward", "department", "memorandum",
                "meeting", "task", "share", "referral", "export", "notification")
PERSONAL_KINDS = ("token", "batch", "export", "notification")  # one's own: anybody else's is "another user's"
# Fields whose name does not say what they name: (path, field) -> object kind.
FIELD_OBJECT_KINDS = {("/api/v1/notifications/read", "ids"): "notification",
                      ("/api/v1/collab/meetings", "departments"): "department",
                      ("/api/v1/collab/meetings/{meeting_id}", "departments"): "department",
                      ("/api/v1/collab/meetings/{meeting_id}/decisions", "lead"): "department"}

# Identifiers with a format the registry checks (hostile text is refused there), and free-form ones; all are
# normalised. The sample is the valid value whose full-width and spaced forms are sent (credit codes are fresh
# per test, see _context).
CHECKED_IDENTIFIERS = ("credit_code", "phone", "contact_phone", "manager_phone", "id_number")
IDENTIFIER_SAMPLES = {
    "phone": "13700000000",
    "contact_phone": "13800001234",
    "manager_phone": "13900001234",
    "id_number": "35030319900101123X",
    "filing_number": "PT-HOSTILE-0001",
    "licence_number": "XK-2026-0001",
}
# Coordinates outside the city's box (Shanghai), and with more decimals than the column's six.
OUTSIDE_THE_CITY = {"lng": "121.47", "lat": "31.23"}
TOO_PRECISE = {"lng": "119.123456789012", "lat": "25.460000000001"}

ACCEPT, REFUSE, MAY_ACCEPT, MAY_ACCEPT_EMPTY, MAY_ACCEPT_NAME, STATUS_401, STATUS_413 = (
    "accept", "refuse", "may-accept", "may-accept-empty", "may-accept-name", "401", "413")


# --- the world ----------------------------------------------------------------------------------------------


@pytest.fixture
def world(cast):
    """The cast, an event and a case to act on, and objects the callers may not see (a sibling district, and
    another city altogether)."""
    ba02 = EventCategory.objects.get(code="BA02")
    photos = {}

    def photo(actor, colour):
        return store_attachment(good_jpeg(colour), name="现场.jpg", actor=actor)

    def reported(actor, site, colour):
        shot = photo(actor, colour)
        event = report_event(actor=actor, site=site, category=ba02, description="备案地址不符", photos=[shot])
        photos[event.pk] = shot
        return event

    event = reported(cast.hanjiang_grid, cast.hanjiang_outlet, (200, 30, 30))
    escalated = reported(cast.hanjiang_officer, cast.hanjiang_outlet_g2, (30, 200, 30))
    perform(escalated, "accept", actor=cast.hanjiang_officer)
    perform(escalated, "issue_letter", actor=cast.hanjiang_officer, render_documents=False)
    perform(escalated, "escalate", actor=cast.hanjiang_officer, note="拒不整改")
    perform(escalated, "open_case", actor=cast.city_officer, note="立案")
    case = EnforcementCase.objects.get(events=escalated)
    perform_case(case, "approve_filing", actor=cast.city_leader)
    perform_case(case, "start_investigation", actor=cast.city_officer)
    licheng_event = reported(cast.licheng_officer, cast.licheng_outlet, (30, 30, 200))

    level = Jurisdiction.Level
    fuzhou = f.node("350100", "福州市", level.CITY, None, lng=119.2965, lat=26.0745, bounds=[118.0, 25.2, 120.6, 26.8])
    gulou = f.node("350102", "鼓楼区", level.DISTRICT, fuzhou)
    gudong = f.node("350102001", "鼓东街道", level.TOWN, gulou)
    grid = f.node("350102001001", "鼓东第一网格", level.GRID, gudong)
    fz_enterprise = f.enterprise("福州市鼓楼区中通快递有限公司", gulou, brand=f.brand("zto"))
    fz_site = f.site("中通鼓东营业部", grid, fz_enterprise, lng=Decimal("119.300000"), lat=Decimal("26.080000"))
    fz_officer = f.officer("陈安全", fz_enterprise, fz_site, id_number="350102198003033456", phone="13700003333")
    fz_worker = f.user("fz_grid", (Role.GRID_WORKER, grid))
    fz_city = f.user("fz_city_officer", (Role.CITY_OFFICER, fuzhou))
    fz_event = reported(fz_worker, fz_site, (100, 100, 20))
    fz_case = propose_case(fz_event, actor=fz_city, note="立案")

    def camera(site, name):
        return Camera.objects.create(site=site, name=name, position="sorting", source_url="rtsp://127.0.0.1:9/x",
                                     gb_channel_id=f"{site.district.code}00481328{site.pk:06d}")

    return SimpleNamespace(
        cast=cast,
        mine={"site": cast.hanjiang_outlet, "enterprise": cast.zto_hanjiang, "officer": cast.zto_officer,
              "event": event, "case": case, "camera": camera(cast.hanjiang_outlet, "分拣区")},
        sibling={"site": cast.licheng_outlet, "enterprise": cast.yto_licheng, "officer": cast.yto_officer,
                 "event": licheng_event, "camera": camera(cast.licheng_outlet, "分拣区")},
        elsewhere={"site": fz_site, "enterprise": fz_enterprise, "officer": fz_officer, "event": fz_event,
                   "case": fz_case, "camera": camera(fz_site, "分拣区")},
        sibling_codes={"district": cast.licheng.code, "town": cast.zhenhai.code, "grid": cast.zhenhai_g1.code},
        elsewhere_codes={"district": gulou.code, "town": gudong.code, "grid": grid.code},
        others_uploads=[Attachment.objects.filter(uploaded_by=u).first() for u in (cast.licheng_officer, fz_worker)],
        report_photos=photos,
        photo=photo,
    )


Verify = Callable[[Any, bytes, Any], "str | None"]  # (parsed JSON or None, body, response) -> a problem or None


@dataclass
class Context:
    caller: Any
    headers: dict
    objects: dict  # kind -> a plausible object
    foreign: dict  # kind -> objects the caller may not see (or uploads that are not theirs)
    plausible: dict
    sees_sibling: bool = True  # the caller's jurisdiction covers the sibling district
    problems: list = field(default_factory=list)
    baseline: dict = field(default_factory=dict)  # field -> value for this operation, before PLAUSIBLE
    samples: dict = field(default_factory=dict)  # identifier field -> a valid value of it
    codes: dict = field(default_factory=dict)  # code field -> [(label, a code naming what the caller may not use)]
    verify: Verify | None = None  # what the baseline's answer must show
    bad_files: tuple | None = None  # hostile files for this operation (default: bad photos)
    file_names: tuple | None = None  # a good file under hostile names (default: a photo's)
    good_files: tuple = ()  # other forms of the baseline file that must be accepted like it
    settings: dict = field(default_factory=dict)  # settings the operation's requests run under (live video)
    odd_files: tuple = ()  # valid files with hostile content that may be accepted


def _context(world, method: str, path: str, op: dict) -> Context:
    cast = world.cast
    caller = None
    if op.get("security"):
        name = next((who for m, prefix, who in CALLERS if (m is None or m == method) and path.startswith(prefix)),
                    DEFAULT_CALLER)
        caller = getattr(cast, name)
    headers = {}
    objects = dict(world.mine)
    foreign = {kind: [obj] for kind, obj in world.elsewhere.items()}
    sees_sibling = True
    if caller is not None:
        key, _token = issue_api_token(caller)
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
        paths = [m.jurisdiction.path for m in Membership.objects.filter(user=caller).select_related("jurisdiction")]
        sees_sibling = any(cast.licheng.path.startswith(p) for p in paths)
        for kind, obj in world.sibling.items():
            place = (obj.enterprise.jurisdiction if kind == "officer" else obj.site.jurisdiction if kind == "camera"
                     else obj.jurisdiction)
            if not any(place.path.startswith(p) for p in paths):
                foreign[kind].insert(0, obj)
        objects["attachment"] = world.photo(caller, (123, 45, 67))
    foreign["attachment"] = world.others_uploads
    ctx = Context(caller=caller, headers=headers, objects=objects, foreign=foreign, plausible=dict(PLAUSIBLE),
                  sees_sibling=sees_sibling)
    ctx.samples = {**IDENTIFIER_SAMPLES, "credit_code": f.credit_code(cast.hanjiang.code)}
    ctx.codes = _codes(world, ctx)
    for m, pattern, setup in SETUPS:
        if (m is None or m == method) and (path.startswith(pattern[:-1]) if pattern.endswith("*") else path == pattern):
            setup(world, ctx)
    return ctx


def _codes(world, ctx: Context) -> dict:
    """Codes that name what the caller may not use (another jurisdiction's places), or nothing at all."""
    sibling, elsewhere = world.sibling_codes, world.elsewhere_codes
    districts = ([] if ctx.sees_sibling else [("another jurisdiction's district code", sibling["district"])]) + [
        ("another city's district code", elsewhere["district"])]
    places = ([] if ctx.sees_sibling else [("another jurisdiction's town code", sibling["town"]),
                                            ("another jurisdiction's grid code", sibling["grid"])]) + [
        ("another city's grid code", elsewhere["grid"]),
        ("a district code where a town or grid is expected", world.cast.hanjiang.code)]
    return {
        "district": districts,
        "parent": districts,
        "jurisdiction": places,
        "brand": [("a brand code naming nothing", "nosuch")],
        "category": [("a category code naming nothing", "ZZ99")],
        "source": [("an export source naming nothing", "nosuch")],
        "state": [("a state naming nothing", "nosuch")],
        "action": [("an action naming nothing", "no_such_action")],
    }


# --- what some operations need beyond their field names --------------------------------------------------------

# (method or None, path, setup): every match runs, in order; a path ending in * is a prefix.
SETUPS: list[tuple[str | None, str, Callable[[Any, Context], None]]] = []


def setup_for(method: str | None, pattern: str):
    def register(fn):
        SETUPS.append((method, pattern, fn))
        return fn
    return register


def _expect(**want) -> Verify:
    """The answer must hold these values (a__b reads data["a"]["b"])."""
    def verify(data, _body, _response):
        wrong = []
        for key, value in want.items():
            got = data
            for part in key.split("__"):
                got = got.get(part) if isinstance(got, dict) else None
            if got != value:
                wrong.append(f"{key}={got!r}, expected {value!r}")
        return "; ".join(wrong) or None
    return verify


def _magic(prefix: bytes, what: str) -> Verify:
    return lambda _data, body, _response: None if body.startswith(prefix) else f"not {what}: {body[:20]!r}"


def _workbook_with(first_cell: str, min_rows: int) -> Verify:
    def verify(_data, body, _response):
        from openpyxl import load_workbook

        try:
            rows = list(load_workbook(io.BytesIO(body), read_only=True).worksheets[0].iter_rows(values_only=True))
        except Exception as exc:  # noqa: BLE001 - any failure to read is the finding
            return f"not a readable workbook: {exc!r}"
        if len(rows) < min_rows or first_cell not in [c for c in rows[0] if c]:
            return f"a workbook of {len(rows)} rows, first row {rows[0] if rows else None!r}"
        return None
    return verify


def _site_row(cast, filing_number: str) -> tuple[list[str], list[str]]:
    """The site sheet's header and one valid row for Hanjiang (a site to create)."""
    header = importing.SITE_SHEET.header_labels()
    values = {"网点名称": "中通涵东导入营业部", "网点类型": "营业网点", "运营企业统一社会信用代码": cast.zto_hanjiang.credit_code,
              "备案编号": filing_number, "地址": "莆田市涵江区涵东街道导入路1号", "县区": "涵江", "乡镇街道": "涵东街道",
              "负责人电话": "13900005678"}
    return header, [values.get(h, "") for h in header]


def _staged_one(data, _body, _response):
    summary = data.get("summary", {})
    if summary.get("create") != 1 or summary.get("errors") or data.get("state") != "preview":
        return f"expected one row to create and none in error: {_short(data, 300)}"
    values = data["rows"][0]["values"]
    if values.get("name") != "中通涵东导入营业部" or values.get("district") != "涵江":
        return f"the row was not read as written: {_short(values, 200)}"
    return None


@setup_for("POST", "/api/v1/enterprises")
def _new_enterprise(world, ctx):
    code = ctx.samples["credit_code"]
    ctx.baseline.update(name="莆田市涵江区极兔速递有限公司", credit_code=code, district=world.cast.hanjiang.code,
                        brand="zto", contact_phone=ctx.samples["contact_phone"])
    ctx.verify = _expect(credit_code=code, district_code=world.cast.hanjiang.code, brand__code="zto",
                         contact_phone=ctx.samples["contact_phone"])


@setup_for("PATCH", "/api/v1/enterprises/{enterprise_id}")
def _change_enterprise(world, ctx):
    ctx.baseline.update(contact_person="张联系", address="莆田市涵江区涵东街道涵华路100号")
    ctx.verify = _expect(id=world.cast.zto_hanjiang.pk, contact_person="张联系")


@setup_for("POST", "/api/v1/sites")
def _new_site(world, ctx):
    cast = world.cast
    ctx.baseline.update(kind="outlet", name="中通涵东新街营业部", enterprise=cast.zto_hanjiang.pk, brand="zto",
                        address="莆田市涵江区涵东街道新街1号", jurisdiction=cast.handong_g1.code, lng=119.12, lat=25.46,
                        filing_number=ctx.samples["filing_number"], manager_phone=ctx.samples["manager_phone"])
    ctx.verify = _expect(enterprise_id=cast.zto_hanjiang.pk, jurisdiction_code=cast.handong_g1.code,
                         district_code=cast.hanjiang.code, filing_number=ctx.samples["filing_number"], lng=119.12)


@setup_for("PATCH", "/api/v1/sites/{site_id}")
def _change_site(world, ctx):
    ctx.baseline.update(name="中通涵东营业部（迁址）", address="莆田市涵江区涵东街道涵华路120号")
    ctx.verify = _expect(id=world.cast.hanjiang_outlet.pk, name="中通涵东营业部（迁址）")


@setup_for("POST", "/api/v1/safety-officers")
def _new_officer(world, ctx):
    cast = world.cast
    ctx.baseline.update(enterprise=cast.zto_hanjiang.pk, name="郑安全", id_number=ctx.samples["id_number"],
                        phone=ctx.samples["phone"], site_ids=[cast.hanjiang_outlet.pk])
    ctx.verify = _expect(enterprise_id=cast.zto_hanjiang.pk, name="郑安全", site_ids=[cast.hanjiang_outlet.pk],
                         id_number=ctx.samples["id_number"])


@setup_for("PATCH", "/api/v1/safety-officers/{officer_id}")
def _change_officer(world, ctx):
    outlet = world.cast.hanjiang_outlet
    ctx.baseline.update(phone="13700009999", site_ids=[outlet.pk])
    ctx.verify = _expect(id=world.cast.zto_officer.pk, phone="13700009999", site_ids=[outlet.pk])


@setup_for("POST", "/api/v1/safety-officers/{officer_id}/trainings")
def _training(world, ctx):
    day = timezone.localdate().isoformat()
    ctx.baseline.update(date=day, topic="寄递安全生产培训", hours=2.5, organiser="涵江区邮政管理局")
    ctx.verify = _expect(date=day, topic="寄递安全生产培训", hours=2.5)


@setup_for("GET", "/api/v1/sites/nearby")
def _nearby(world, ctx):
    ctx.baseline.update(lng="119.12", lat="25.46", q="中通")
    ctx.verify = lambda data, _b, _r: None if data and data[0].get("distance_km") is not None else \
        f"no site with its distance: {_short(data)}"


@setup_for("GET", "/api/v1/calendar/due-date")
def _due_date(world, ctx):
    ctx.baseline.update(days=10, start="2025-06-03")  # a Tuesday: 10 working days later, after the weekends
    ctx.verify = _expect(start="2025-06-03", working_days=10, date="2025-06-17")


@setup_for("GET", "/api/v1/imports/{kind}/template")
def _template(world, ctx):
    ctx.verify = _workbook_with("网点名称", 1)


@setup_for("POST", "/api/v1/imports/{kind}")
def _stage(world, ctx):
    header, row = _site_row(world.cast, "PT-IMPORT-0001")
    good = xlsx([header, row])
    ctx.baseline["file"] = Upload("网点.xlsx", good, XLSX_TYPE)
    ctx.verify = _staged_one
    ctx.bad_files = bad_sheets(header, row, max_bytes=settings.IMPORT_MAX_BYTES, max_rows=settings.IMPORT_MAX_ROWS,
                               max_unpacked=settings.IMPORT_MAX_UNPACKED_BYTES)
    ctx.file_names = sheet_names(good)
    ctx.good_files = good_sheets(header, row)
    ctx.odd_files = (Hostile("a CSV with control characters, formulas and markup in its cells", hostile_cells(
        header, row, {"网点名称": "中通\x00涵东\x0b营业部\x1f", "地址": MARKUP, "驿站品牌": '=HYPERLINK("http://evil","x")',
                      "负责人": "@SUM(A1)"})),)


@setup_for(None, "/api/v1/imports/batches/*")
def _batches(world, ctx):
    header, row = _site_row(world.cast, "PT-IMPORT-0002")

    def stage(user):
        upload = SimpleUploadedFile("网点.xlsx", xlsx([header, row]), content_type=XLSX_TYPE)
        return importing.stage_import(importing.SITE_SHEET, upload, actor=user)

    batch = stage(ctx.caller)
    ctx.objects["batch"] = batch
    ctx.foreign["batch"] = [stage(world.cast.city_officer)]  # another user's, in the same city
    ctx.verify = _expect(id=batch.pk, state="preview", summary__create=1)


@setup_for("POST", "/api/v1/imports/batches/{batch_id}/commit")
def _commit(world, ctx):
    ctx.verify = _expect(id=ctx.objects["batch"].pk, state="committed", result__created=1)


@setup_for("POST", "/api/v1/imports/batches/{batch_id}/discard")
def _discard(world, ctx):
    ctx.verify = _expect(id=ctx.objects["batch"].pk, state="discarded")


@setup_for("POST", "/api/v1/cameras")
def _new_camera(world, ctx):
    ctx.baseline.update(site=world.cast.hanjiang_outlet.pk, name="出入口", position="entrance",
                        source_url="rtsp://admin:pw@10.0.0.5:554/1", gb_channel_id="35030300481328000777")
    ctx.verify = _expect(site_id=world.cast.hanjiang_outlet.pk, name="出入口", source_url="rtsp://admin:***@10.0.0.5:554/1")


@setup_for("PATCH", "/api/v1/cameras/{camera_id}")
def _change_camera(world, ctx):
    ctx.baseline.update(name="分拣区2号", source_url="rtsp://10.0.0.6:554/2")
    ctx.verify = _expect(id=world.mine["camera"].pk, name="分拣区2号", status="unknown")


@setup_for("GET", "/api/v1/cameras/{camera_id}/probes")
def _probes(world, ctx):
    from parcelwatch.video.models import CameraProbe

    CameraProbe.objects.create(camera=world.mine["camera"], at=timezone.now(), online=False, error="timeout")
    ctx.verify = lambda data, _b, _r: None if data.get("count") == 1 else f"not one probe: {_short(data)}"


@setup_for("GET", "/api/v1/cameras/{camera_id}/snapshots")
def _snapshots(world, ctx):
    from parcelwatch.video.models import Snapshot

    shot = world.photo(world.cast.hanjiang_officer, (90, 90, 90))
    Snapshot.objects.create(camera=world.mine["camera"], attachment=shot, taken_at=timezone.now(),
                            taken_by=world.cast.hanjiang_officer)
    ctx.verify = _expect(count=1)


@setup_for("POST", "/api/v1/cameras/{camera_id}/snapshots")
def _take_snapshot(world, ctx):
    camera = world.mine["camera"]
    camera.source_url = live_video().source_url
    camera.save(update_fields=["source_url"])
    ctx.settings = live_video().settings
    ctx.verify = lambda data, _b, _r: None if len(data["attachment"]["sha256"]) == 64 else f"no still: {_short(data)}"


@setup_for(None, "/api/v1/cameras/{camera_id}/live*")
def _live(world, ctx):
    from parcelwatch.video.gateway import FfmpegGateway

    camera = world.mine["camera"]
    camera.source_url = live_video().source_url
    camera.save(update_fields=["source_url"])
    ctx.settings = live_video().settings
    ctx.plausible["filename"] = "index.m3u8"
    with override_settings(**ctx.settings):
        deadline = time.monotonic() + 30
        while not FfmpegGateway().play(camera).ready and time.monotonic() < deadline:
            time.sleep(0.3)


_LIVE = None


def live_video():
    """One test source and one embedded gateway for the whole run (started the first time they are needed)."""
    global _LIVE
    if _LIVE is None:
        import atexit
        import shutil
        import tempfile
        import threading
        from pathlib import Path

        from parcelwatch.video.gateway import gateway_token
        from parcelwatch.video.supervisor import StreamSupervisor, serve
        from tests.video.conftest import Sources, free_port

        root = Path(tempfile.mkdtemp(prefix="pw-hostile-video-"))
        sources = Sources(root / "sources")
        url = sources.start("hostile", "寄递网点 · 分拣区")
        port = free_port()
        # Each test's world has its own camera, so each live test starts a stream of its own: room for those of
        # the tests run within the idle time (the limit itself is tested in tests/video).
        supervisor = StreamSupervisor(root / "hls", max_streams=6, idle_seconds=45, source_timeout=5)
        stop = threading.Event()
        threading.Thread(target=serve, args=(supervisor, ("127.0.0.1", port), gateway_token(), stop),
                         daemon=True).start()
        time.sleep(0.5)

        def close():
            stop.set()
            sources.close()
            shutil.rmtree(root, ignore_errors=True)

        atexit.register(close)
        _LIVE = SimpleNamespace(source_url=url, settings={
            "VIDEO_GATEWAY": "ffmpeg", "VIDEO_GATEWAY_ADDRESS": f"127.0.0.1:{port}", "VIDEO_HLS_DIR": root / "hls"})
    return _LIVE


@setup_for(None, "/api/v1/video/patrol*")
def _patrols(world, ctx):
    from parcelwatch.video import patrols
    from parcelwatch.video.models import Snapshot

    cast = world.cast
    mine = patrols.draw_patrols(actor=cast.hanjiang_officer, area=cast.hanjiang, outlet_percent=100, seed="hostile-1")
    sibling = patrols.draw_patrols(actor=cast.licheng_officer, area=cast.licheng, outlet_percent=100)
    patrol = mine.patrols.get()
    ctx.objects.update(patrol=patrol, draw=mine)
    ctx.foreign["patrol"] = [sibling.patrols.get()]
    ctx.foreign["draw"] = [sibling]
    ctx.baseline.update(area=cast.hanjiang.code, outlet_percent=50)
    ctx.codes["area"] = [("another jurisdiction's district code", cast.licheng.code), ("a code naming nothing", "nosuch")]
    ctx.plausible["results"] = {code: "ok" for code, _l, _c in patrols.PATROL_CHECKLIST}
    ctx.plausible["item"] = "contents_inspected"
    patrols.record_patrol(patrol, actor=cast.hanjiang_officer, results={**ctx.plausible["results"],
                                                                       "contents_inspected": "problem"})
    if ctx.caller is not None and ctx.caller == cast.hanjiang_officer:
        Snapshot.objects.create(camera=world.mine["camera"], attachment=world.photo(cast.hanjiang_officer, (5, 5, 5)),
                                taken_at=timezone.now(), taken_by=cast.hanjiang_officer, patrol=patrol)


@setup_for(None, "/api/v1/xray/*")
def _xray(world, ctx):
    from parcelwatch.video.models import XrayMachine
    from parcelwatch.video.xray import device_key

    machine = XrayMachine.objects.create(site=world.cast.hanjiang_outlet, serial="XR-HOSTILE-1", name="1号安检机")
    XrayMachine.objects.create(site=world.cast.licheng_outlet, serial="XR-HOSTILE-2", name="1号安检机")
    ctx.headers["HTTP_X_DEVICE_KEY"] = device_key(machine)
    ctx.baseline.update(serial=machine.serial, powered_on=True, scans=12, site=world.cast.hanjiang_outlet.pk,
                        name="2号安检机")


@setup_for("POST", "/api/v1/xray/machines")
def _new_machine(world, ctx):
    ctx.baseline["serial"] = "XR-HOSTILE-NEW"
    ctx.verify = lambda data, _b, _r: None if len(data.get("device_key", "")) == 32 else f"no key: {_short(data)}"


@setup_for("GET", "/api/v1/evidence/{attachment_id}*")
def _evidence(world, ctx):
    photo = world.report_photos[world.mine["event"].pk]
    ctx.objects["attachment"] = photo  # attached to an event the caller sees, by somebody else
    ctx.foreign["attachment"] = [
        *([] if ctx.sees_sibling else [world.report_photos[world.sibling["event"].pk]]),
        world.report_photos[world.elsewhere["event"].pk],
        world.photo(world.cast.hanjiang_grid, (77, 77, 77)),  # another user's upload, attached to nothing yet
    ]
    ctx.verify = _expect(id=photo.pk, sha256=photo.sha256)


@setup_for("GET", "/api/v1/evidence/{attachment_id}/file")
def _evidence_file(world, ctx):
    photo = ctx.objects["attachment"]
    jpeg = _magic(b"\xff\xd8\xff", "a JPEG")
    ctx.verify = lambda data, body, response: jpeg(data, body, response) or (
        None if response.get("X-Evidence-SHA256") == photo.sha256 else "no or a wrong X-Evidence-SHA256")


@setup_for("GET", "/api/v1/evidence/{attachment_id}/thumbnail")
def _evidence_thumbnail(world, ctx):
    from parcelwatch.evidence.thumbnails import make_waiting_thumbnails

    make_waiting_thumbnails()  # the worker's job, seconds after the upload
    ctx.verify = _magic(b"\xff\xd8\xff", "a JPEG")


@setup_for(None, "/api/v1/documents*")
def _documents(world, ctx):
    cast, event = world.cast, world.mine["event"]
    perform(event, "accept", actor=cast.hanjiang_officer)
    perform(event, "issue_letter", actor=cast.hanjiang_officer)  # renders the PDF
    letter = OfficialDocument.objects.get(subject_type="event", subject_id=event.pk)
    ctx.objects["document"] = letter

    def paper(subject, actor):
        return record_paper_document(kind=DocumentKind.REMINDER_LETTER, subject=subject, title="提醒函", actor=actor)

    ctx.foreign["document"] = [*([] if ctx.sees_sibling else [paper(world.sibling["event"], cast.licheng_officer)]),
                               paper(world.elsewhere["event"], None)]
    ctx.verify = _expect(id=letter.pk, number=letter.number, paper_original=False)


@setup_for("GET", "/api/v1/documents")
def _document_list(world, ctx):
    ctx.verify = None


@setup_for("GET", "/api/v1/documents/{document_id}/file")
def _document_file(world, ctx):
    ctx.verify = _magic(b"%PDF-", "a PDF")


@setup_for(None, "/api/v1/exports*")
def _exports(world, ctx):
    job = request_export(actor=ctx.caller, source="events", params={})
    run_export(job.pk)
    ctx.objects["export"] = ExportJob.objects.get(pk=job.pk)
    ctx.foreign["export"] = [request_export(actor=world.cast.hanjiang_officer, source="events", params={})]
    ctx.verify = _expect(id=job.pk, state="done", file_url=f"/api/v1/exports/{job.pk}/file")


@setup_for("POST", "/api/v1/exports")
def _new_export(world, ctx):
    ctx.baseline.update(source="events", filters={"state": "reported"})
    ctx.verify = _expect(source="events", state="queued", filters={"state": "reported"})


@setup_for("GET", "/api/v1/exports")
def _export_list(world, ctx):
    ctx.verify = None


@setup_for("GET", "/api/v1/exports/{export_id}/file")
def _export_file(world, ctx):
    ctx.verify = _workbook_with("事件编号", 2)


@setup_for(None, "/api/v1/notifications*")
def _notifications(world, ctx):
    def note(user):
        return Notification.objects.create(recipient=user, kind="event_task", url="/events/",
                                           params={"number": "PT-1", "site": "中通涵东营业部", "action": "受理"})

    mine = note(ctx.caller)
    ctx.objects["notification"] = mine
    ctx.foreign["notification"] = [note(world.cast.hanjiang_officer)]


@setup_for("POST", "/api/v1/notifications/read")
def _read(world, ctx):
    ctx.baseline["ids"] = [ctx.objects["notification"].pk]
    ctx.verify = _expect(marked=1)


@setup_for(None, "/api/v1/me/tokens*")
def _tokens_of_mine(world, ctx):
    _key, spare = issue_api_token(ctx.caller, name="备用")
    ctx.objects["token"] = spare
    ctx.foreign["token"] = [issue_api_token(world.cast.hanjiang_officer, name="别人的")[1]]


@setup_for(None, "/api/v1/selfcheck/*")
def _selfcheck(world, ctx):
    """Filings, duty reports, spot checks and circulars: the caller's, the sibling district's and another city's."""
    from parcelwatch.accounts.models import User
    from parcelwatch.selfcheck import selectors as sc_sel
    from parcelwatch.selfcheck import services as sc
    from parcelwatch.selfcheck.models import OfficerFiling, month_start, previous_month

    cast = world.cast
    fz_enterprise, fz_site = world.elsewhere["enterprise"], world.elsewhere["site"]
    yto_safety = f.user("yto_safety", (Role.ENTERPRISE_SAFETY, cast.licheng, cast.yto_licheng))
    fz_safety = f.user("fz_safety", (Role.ENTERPRISE_SAFETY, fz_enterprise.jurisdiction, fz_enterprise))
    fz_city = User.objects.get(username="fz_city_officer")
    m1 = previous_month(month_start(timezone.localdate()))
    m2 = previous_month(m1)
    answers = {item.code: "yes" for item in sc_sel.active_template().items.all()}

    def filing(enterprise, actor, officer, site):
        return sc.submit_filing(enterprise, actor=actor, kind=OfficerFiling.Kind.CHANGE, officer=officer,
                                data={"name": officer.name, "id_number": officer.id_number, "phone": officer.phone},
                                sites=[site])

    def report(enterprise, actor):
        return sc.submit_report(enterprise, actor=actor, period=m2, answers=answers, narrative="本月开展安全检查。")

    def circular(area, actor, enterprise):
        return sc.draft_circular(actor=actor, area=area, kind="general", title="工作通报", body="通报正文",
                                 enterprises=[enterprise])

    mine_report = report(cast.zto_hanjiang, cast.zto_safety)
    report(cast.yto_licheng, yto_safety)
    report(fz_enterprise, fz_safety)
    mine_draw = sc.draw_spot_checks(actor=cast.hanjiang_officer, area=cast.hanjiang, period=m2, percent=100,
                                    seed="hostile")
    check = mine_draw.checks.get()
    sc.record_check(check, actor=cast.hanjiang_officer, method="on_site", result="failed", findings="台账与实际不符",
                    site=cast.hanjiang_outlet, attachments=[world.photo(cast.hanjiang_officer, (9, 9, 9))])
    sibling_draw = sc.draw_spot_checks(actor=cast.licheng_officer, area=cast.licheng, period=m2, percent=100)
    elsewhere_draw = sc.draw_spot_checks(actor=fz_city, area=fz_enterprise.jurisdiction, period=m2, percent=100)
    ctx.objects.update(
        filing=filing(cast.zto_hanjiang, cast.zto_safety, cast.zto_officer, cast.hanjiang_outlet),
        report=mine_report, spotdraw=mine_draw, check=check,
        circular=circular(cast.hanjiang, cast.hanjiang_officer, cast.zto_hanjiang))
    sibling = {
        "filing": filing(cast.yto_licheng, yto_safety, cast.yto_officer, cast.licheng_outlet),
        "report": sibling_draw.checks.get().report, "spotdraw": sibling_draw, "check": sibling_draw.checks.get(),
        "circular": circular(cast.licheng, cast.licheng_officer, cast.yto_licheng)}
    elsewhere = {
        "filing": filing(fz_enterprise, fz_safety, world.elsewhere["officer"], fz_site),
        "report": elsewhere_draw.checks.get().report, "spotdraw": elsewhere_draw, "check": elsewhere_draw.checks.get(),
        "circular": circular(fz_enterprise.jurisdiction, fz_city, fz_enterprise)}
    for kind in sibling:
        ctx.foreign[kind] = ([] if ctx.sees_sibling else [sibling[kind]]) + [elsewhere[kind]]
    ctx.codes["area"] = [*([] if ctx.sees_sibling else [("another jurisdiction's district code", cast.licheng.code)]),
                         ("another city's district code", fz_enterprise.jurisdiction.code),
                         ("a code naming nothing", "nosuch")]
    ctx.baseline.update(area=cast.hanjiang.code, month=m2.isoformat(), percent=100, answers=answers,
                        narrative="本月开展安全检查30次。", method="on_site", result="failed", title="工作通报",
                        body="通报正文")


@setup_for("POST", "/api/v1/selfcheck/filings")
def _new_filing(world, ctx):
    ctx.baseline.update(kind="new", name="郑晓明", id_number=IDENTIFIER_SAMPLES["id_number"], phone="13900001234")
    ctx.verify = _expect(kind="new", state="submitted", name="郑晓明")


@setup_for("POST", "/api/v1/selfcheck/filings/{filing_id}/resubmission")
def _returned_filing(world, ctx):
    from parcelwatch.selfcheck import services as sc

    sc.act_on_filing(ctx.objects["filing"], "return", actor=world.cast.hanjiang_officer, reason="请补充身份证号")
    ctx.baseline.update(name="吴安全", id_number=IDENTIFIER_SAMPLES["id_number"], phone="13900001234")
    ctx.verify = _expect(state="submitted")


@setup_for("POST", "/api/v1/selfcheck/reports")
def _new_report(world, ctx):
    from parcelwatch.selfcheck.models import month_start, previous_month

    ctx.baseline["month"] = previous_month(month_start(timezone.localdate())).isoformat()  # not yet reported
    ctx.verify = _expect(state="submitted", enterprise_id=world.cast.zto_hanjiang.pk)


@setup_for("GET", "/api/v1/selfcheck/circulars/draft")
def _draft_from_data(world, ctx):
    from parcelwatch.selfcheck.models import month_start, previous_month

    month = previous_month(previous_month(previous_month(month_start(timezone.localdate()))))
    ctx.baseline.update(kind="late_reports", month=month.isoformat())  # nobody reported that month
    ctx.verify = lambda data, _b, _r: None if data.get("enterprise_ids") == [world.cast.zto_hanjiang.pk] else \
        f"not the missing reporter: {_short(data)}"


@setup_for("POST", "/api/v1/selfcheck/circulars/{circular_id}/read")
def _published_circular(world, ctx):
    from parcelwatch.selfcheck import services as sc

    circular, cast = ctx.objects["circular"], world.cast
    sc.act_on_circular(circular, "submit", actor=cast.hanjiang_officer)
    sc.act_on_circular(circular, "approve", actor=cast.city_leader)
    sc.act_on_circular(circular, "publish", actor=cast.hanjiang_officer)
    ctx.verify = _expect(marked=1)


@setup_for(None, "/api/v1/assessment/*")
def _assessment(world, ctx):
    """A computed evaluation of 涵江 (the caller's), of 荔城 and of another city's district."""
    from parcelwatch.accounts.models import User
    from parcelwatch.assessment import services as am
    from parcelwatch.assessment.models import ScoringSheet

    cast = world.cast
    sheet = ScoringSheet.objects.get(subject="enterprise")
    year = timezone.localdate().year

    def evaluated(actor, area):
        return am.compute_evaluation(am.start_evaluation(actor=actor, sheet=sheet, year=year, area=area).pk)

    mine = evaluated(cast.hanjiang_officer, cast.hanjiang)
    sibling = evaluated(cast.licheng_officer, cast.licheng)
    elsewhere = evaluated(User.objects.get(username="fz_city_officer"), world.elsewhere["enterprise"].jurisdiction)
    ctx.objects.update(evaluation=mine, evalresult=mine.results.get())
    for kind, pick in (("evaluation", lambda e: e), ("evalresult", lambda e: e.results.get())):
        ctx.foreign[kind] = ([] if ctx.sees_sibling else [pick(sibling)]) + [pick(elsewhere)]
    ctx.codes["area"] = [*([] if ctx.sees_sibling else [("another jurisdiction's district code", cast.licheng.code)]),
                         ("another city's district code", world.elsewhere["enterprise"].jurisdiction.code),
                         ("a code naming nothing", "nosuch")]
    sheets = ScoringSheet.objects.filter(subject="site")
    ctx.baseline.update(sheet=sheets.get().pk, year=year, area=cast.hanjiang.code, scores={"three_rules": "18.5"})


@setup_for("PATCH", "/api/v1/assessment/results/{evalresult_id}")
def _hand_scores(world, ctx):
    # Computed: events 20 − 2×2, overdue 15 − 5 (the escalated one), reports 20 (none due yet: nobody has
    # reported), officers 0 (none filed) = 46.0; and 18.5 by hand.
    ctx.verify = _expect(total="64.5")


@setup_for(None, "/api/v1/inspections*")
@setup_for(None, "/api/v1/public/inspection-plans*")
def _inspections(world, ctx):
    """A published draw of 涵江 (the caller drawn with city_officer), of 荔城 and of another city; a 涵江 draft."""
    from parcelwatch.accounts.models import User
    from parcelwatch.enforcement import services as es

    cast = world.cast
    fz_area = world.elsewhere["enterprise"].jurisdiction
    fz_city = User.objects.get(username="fz_city_officer")
    fz_other = f.user("fz_inspector", (Role.CITY_OFFICER, fz_area))
    for n, user in enumerate((cast.hanjiang_officer, cast.city_officer, cast.licheng_officer, fz_city, fz_other)):
        user.enforcement_id = f"闽邮执{n:04d}"
        user.save(update_fields=["enforcement_id"])
    today = timezone.localdate()

    def plan(actor, area, *, publish=True):
        made = es.create_plan(actor=actor, kind="yearly", title="双随机抽查", area=area, starts_on=today,
                              ends_on=today, focus="", site_kinds=[], shares={"A": 100, "B": 100, "C": 100, "D": 100},
                              team_size=2)
        return es.publish_plan(made, actor=actor, seed="hostile") if publish else made

    mine = plan(cast.hanjiang_officer, cast.hanjiang)
    draft = plan(cast.hanjiang_officer, cast.hanjiang, publish=False)
    sibling, elsewhere = plan(cast.licheng_officer, cast.licheng), plan(fz_city, fz_area)
    inspection = mine.inspections.get(site=cast.hanjiang_outlet)
    ctx.objects.update(plan=mine, inspection=inspection)
    ctx.foreign["plan"] = ([] if ctx.sees_sibling else [sibling]) + [elsewhere]
    ctx.foreign["inspection"] = ([] if ctx.sees_sibling else [sibling.inspections.first()]) + [
        elsewhere.inspections.first()]
    if ctx.caller is None:  # the public pages: a draft is not public
        ctx.foreign["plan"] = [draft]
    ctx.codes["area"] = [*([] if ctx.sees_sibling else [("another jurisdiction's district code", cast.licheng.code)]),
                         ("another city's district code", fz_area.code), ("a code naming nothing", "nosuch")]
    ctx.baseline.update(kind="yearly", title="2026年双随机抽查", area=cast.hanjiang.code, starts_on=today.isoformat(),
                        ends_on=today.isoformat(), shares={"A": 5, "B": 10, "C": 30, "D": 60}, team_size=2,
                        inspected_on=today.isoformat(), answers={i["code"]: "yes" for i in es.active_checklist()},
                        category="AJ01")
    ctx.draft_plan = draft


@setup_for("PUT", "/api/v1/inspections/plans/{plan_id}")
def _edit_draft(world, ctx):
    ctx.objects["plan"] = ctx.draft_plan
    ctx.verify = _expect(title="2026年双随机抽查", state="draft")


@setup_for("POST", "/api/v1/inspections/plans/{plan_id}/publication")
def _publish_draft(world, ctx):
    ctx.objects["plan"] = ctx.draft_plan
    ctx.verify = _expect(state="published")


@setup_for("POST", "/api/v1/inspections/plans")
def _new_plan(world, ctx):
    ctx.verify = _expect(state="draft", area=world.cast.hanjiang.code, candidates=2)


@setup_for("POST", "/api/v1/inspections/{inspection_id}/record")
def _record(world, ctx):
    ctx.verify = _expect(state="done", result="compliant")


@setup_for("POST", "/api/v1/inspections/{inspection_id}/events")
def _inspection_with_problems(world, ctx):
    from parcelwatch.enforcement import services as es

    cast = world.cast
    answers = {i["code"]: "yes" for i in es.active_checklist()} | {"AJ01": "no"}
    es.record_inspection(ctx.objects["inspection"], actor=cast.hanjiang_officer, inspected_on=timezone.localdate(),
                         answers=answers, findings="安检机未开机",
                         attachments=[world.photo(cast.hanjiang_officer, (1, 2, 3))])


@setup_for(None, "/api/v1/emergency/*")
def _emergency(world, ctx):
    """A plan, a drill and an incident of 中通涵江 (the caller's), of 圆通荔城 and of another city's enterprise."""
    from parcelwatch.emergency import services as em
    from tests.evidence_files import PDF

    cast = world.cast
    fz_enterprise, fz_site = world.elsewhere["enterprise"], world.elsewhere["site"]
    yto_safety = f.user("yto_em", (Role.ENTERPRISE_SAFETY, cast.licheng, cast.yto_licheng))
    fz_safety = f.user("fz_em", (Role.ENTERPRISE_SAFETY, fz_enterprise.jurisdiction, fz_enterprise))
    today = timezone.localdate()

    def records(enterprise, actor, site):
        pdf = store_attachment(PDF, name="预案.pdf", actor=actor)
        plan = em.submit_plan(enterprise, actor=actor, kind="comprehensive", title="综合应急预案", document=pdf,
                              effective_on=today, expires_on=today.replace(year=today.year + 2))
        drill = em.plan_drill(enterprise, actor=actor, title="消防疏散演练", scenario="起火疏散",
                              planned_on=today - timedelta(days=1), plan=plan, site=site)
        incident = em.report_incident(actor=actor, kind="fire", severity="general", title="起火", description="已扑灭",
                                      occurred_at=timezone.now() - timedelta(hours=1), site=site)
        return {"emplan": plan, "drill": drill, "incident": incident}

    mine = records(cast.zto_hanjiang, cast.zto_safety, cast.hanjiang_outlet)
    em.save_organisation(cast.zto_hanjiang, actor=cast.zto_safety, head="吴经理", duty_phone="13900001234")
    sibling = records(cast.yto_licheng, yto_safety, cast.licheng_outlet)
    elsewhere = records(fz_enterprise, fz_safety, fz_site)
    ctx.objects.update(mine)
    for kind in mine:
        ctx.foreign[kind] = ([] if ctx.sees_sibling else [sibling[kind]]) + [elsewhere[kind]]
    ctx.baseline.update(head="吴经理", duty_phone="13900001234", members="值班员：张三", kind="comprehensive",
                        title="综合应急预案", effective_on=today.isoformat(),
                        expires_on=today.replace(year=today.year + 1).isoformat(), scenario="分拨区起火疏散",
                        planned_on=today.isoformat(), held_on=today.isoformat(), participants=12,
                        summary="疏散用时3分钟", rating="good", severity="general", description="已处置",
                        occurred_at=timezone.now().isoformat(), text="公安已到场")
    if ctx.caller is not None:
        ctx.objects["pdf"] = store_attachment(PDF, name="预案.pdf", actor=ctx.caller)


@setup_for("POST", "/api/v1/emergency/plans")
def _new_emergency_plan(world, ctx):
    ctx.objects["attachment"] = ctx.objects["pdf"]
    ctx.verify = _expect(state="submitted", kind="comprehensive")


@setup_for("POST", "/api/v1/emergency/incidents")
def _new_incident(world, ctx):
    ctx.baseline["kind"] = "fire"
    ctx.verify = _expect(state="open", kind="fire")


@setup_for("POST", "/api/v1/emergency/drills/{drill_id}/evaluation")
def _held_drill(world, ctx):
    from parcelwatch.emergency import services as em

    cast = world.cast
    em.record_drill(ctx.objects["drill"], actor=cast.zto_safety, held_on=timezone.localdate(), participants=10,
                    participant_names="", summary="演练完成", attachments=[world.photo(cast.zto_safety, (5, 5, 5))])
    ctx.verify = _expect(state="evaluated", rating="good")


@setup_for("POST", "/api/v1/emergency/drills/{drill_id}/record")
def _record_drill(world, ctx):
    ctx.verify = _expect(state="held", participants=12)


@setup_for(None, "/api/v1/tips*")
@setup_for(None, "/api/v1/rewards*")
@setup_for(None, "/api/v1/public/reports*")
def _tipoffs(world, ctx):
    """A named public report with a photo in 涵江 (the caller's), 荔城 and another city, each also substantiated
    once (a proposed reward each); and an accepted grid event of 涵江 to reward."""
    from parcelwatch.events.models import EventCategory
    from parcelwatch.events.services import perform
    from parcelwatch.tipoffs import services as tp

    cast = world.cast
    fz_district, fz_site = world.elsewhere["enterprise"].jurisdiction, world.elsewhere["site"]
    fz_officer = f.user("fz_district", (Role.DISTRICT_OFFICER, fz_district))
    category = EventCategory.objects.get(code="RS01")

    def tip(district, colour):
        photo = store_attachment(good_jpeg(colour), name="现场.jpg", actor=None)
        return tp.submit_tipoff(district=district, place="某营业部", description="收件不验视", category=None,
                                reporter_name="王女士", reporter_phone="13900005678", attachments=[photo])

    def rewarded(district, officer, site, colour):
        return tp.substantiate_tipoff(tip(district, colour), actor=officer, site=site, category=category,
                                      description="现场核查属实", outcome="属实",
                                      photos=[world.photo(officer, tuple(c + 1 for c in colour))]).reward

    mine = {"tip": tip(cast.hanjiang, (1, 1, 1)),
            "reward": rewarded(cast.hanjiang, cast.hanjiang_officer, cast.hanjiang_outlet, (2, 2, 2))}
    sibling = {"tip": tip(cast.licheng, (3, 3, 3)),
               "reward": rewarded(cast.licheng, cast.licheng_officer, cast.licheng_outlet, (4, 4, 4))}
    elsewhere = {"tip": tip(fz_district, (5, 5, 5)), "reward": rewarded(fz_district, fz_officer, fz_site, (6, 6, 6))}
    ctx.objects.update(mine)
    for kind in mine:
        ctx.foreign[kind] = ([] if ctx.sees_sibling else [sibling[kind]]) + [elsewhere[kind]]
    grid_event = world.mine["event"]
    perform(grid_event, "accept", actor=cast.hanjiang_officer)
    ctx.objects["event"] = grid_event
    paid = rewarded(cast.hanjiang, cast.hanjiang_officer, cast.hanjiang_outlet_g2, (7, 7, 7))
    tp.pay_reward(tp.decide_reward(paid, actor=cast.city_leader, approve=True), actor=cast.city_officer, voucher="1")
    ctx.baseline.update(site=cast.hanjiang_outlet.pk, category="RS01", outcome="经查属实", voucher="莆邮奖〔2026〕1号",
                        approve=True, code=mine["tip"].tracking_code)


@setup_for("POST", "/api/v1/tips/{tip_id}/substantiation")
def _substantiation(world, ctx):
    ctx.verify = _expect(state="substantiated")


@setup_for("POST", "/api/v1/tips/{tip_id}/identity")
def _identity(world, ctx):
    ctx.verify = _expect(name="王女士", phone="13900005678")


@setup_for("POST", "/api/v1/rewards")
def _grid_reward(world, ctx):
    ctx.verify = _expect(audience="grid", state="proposed", amount="200.00")


@setup_for("POST", "/api/v1/rewards/{reward_id}/payment")
def _approved_reward(world, ctx):
    from parcelwatch.tipoffs import services as tp

    tp.decide_reward(ctx.objects["reward"], actor=world.cast.city_leader, approve=True)
    ctx.verify = _expect(state="paid")


@setup_for("POST", "/api/v1/public/reports")
def _public_report(world, ctx):
    import time

    from django.core import signing

    from parcelwatch.tipoffs import challenge

    ctx.settings = {"PUBLIC_REPORTS_PER_HOUR": 1_000_000}
    token = signing.dumps({"n": "hostile0", "h": challenge._digest("hostile0", 7), "t": int(time.time()) - 10},
                          salt=challenge.SALT)
    ctx.baseline.update(district=world.cast.hanjiang.code, place="涵华路88号", description="收件不看身份证",
                        token=token, answer="7", reporter_phone="13900005678")
    # Anyone may report anywhere the platform serves: only codes naming no district are wrong here.
    ctx.codes["district"] = [("a code naming nothing", "999999"), ("a town code", world.cast.handong.code)]
    ctx.verify = _expect(state="received", district="涵江区")


@setup_for(None, "/api/v1/collab/*")
def _collaboration(world, ctx):
    """The police (the cast's partner department), state security (another department of the same city) and a
    department of another city, each with a memorandum, a joint meeting with a task, a shared case and a referral
    each way. A partner caller must reach only the police's; an officer, only the city's."""
    from parcelwatch.accounts.models import User
    from parcelwatch.collaboration import services as co

    cast = world.cast
    today = timezone.localdate()
    fz_city = Jurisdiction.objects.get(code="350100")
    fz_officer = User.objects.get(username="fz_city_officer")
    fz_department = f.department("福州市公安局", fz_city, "公安")
    fz_partner = f.user("fz_partner", (Role.PARTNER, fz_city, fz_department))
    security = f.department("莆田市国家安全局", cast.city, "国安")
    security_partner = f.user("security_partner", (Role.PARTNER, cast.city, security))

    def records(department, officer, partner, city, case):
        memorandum = co.record_memorandum(
            actor=officer, department=department, jurisdiction=city, title="寄递渠道安全协作备忘录", summary="信息共享",
            signed_on=date(2019, 5, 20), valid_from=date(2019, 6, 1), attachments=[world.photo(officer, (8, 8, 8))])
        meeting = co.record_meeting(actor=officer, jurisdiction=city, kind="plenary", title="寄递安全联席会议",
                                    held_on=today - timedelta(days=7), departments=[department],
                                    attendees="江局长 市邮政管理局", minutes="加强信息共享")
        task = co.add_decision(meeting, actor=officer, decision="开展联合检查", lead=department,
                               due_on=today + timedelta(days=30))
        share = co.share_record(actor=officer, department=department, case=case, reason="请掌握情况")
        incoming = co.send_referral(actor=partner, department=department, jurisdiction=city, subject="疑似无证经营",
                                    facts="请核查")
        outgoing = co.send_referral(actor=officer, department=department, jurisdiction=city, subject="移送线索",
                                    facts="请依法处理")
        return {"department": department, "memorandum": memorandum, "meeting": meeting, "task": task,
                "share": share, "referral": outgoing if ctx.caller == cast.police_partner else incoming}

    police = cast.police_partner.memberships.get().partner_department
    mine = records(police, cast.city_officer, cast.police_partner, cast.city, world.mine["case"])
    elsewhere = records(fz_department, fz_officer, fz_partner, fz_city, world.elsewhere["case"])
    neighbour = records(security, cast.city_officer, security_partner, cast.city, world.mine["case"])
    ctx.objects.update(mine)
    for kind in mine:
        ctx.foreign[kind] = ([neighbour[kind]] if ctx.caller == cast.police_partner else []) + [elsewhere[kind]]
    ctx.baseline.update(area=cast.city.code, title="寄递渠道安全协作备忘录", summary="信息共享、案件移送",
                        signed_on="2019-05-20", valid_from="2019-06-01", kind="plenary",
                        held_on=(today - timedelta(days=1)).isoformat(), place="市局会议室", attendees="江局长 市邮政管理局",
                        minutes="加强信息共享", decision="开展联合检查", text="已落实", reason="请掌握情况",
                        subject="安检发现疑似管制刀具", facts="请依法核查", case=MISSING)


@setup_for("POST", "/api/v1/collab/memoranda")
def _new_memorandum(world, ctx):
    ctx.verify = _expect(status="in_force", title="寄递渠道安全协作备忘录")


@setup_for("POST", "/api/v1/collab/meetings")
def _new_meeting(world, ctx):
    ctx.verify = _expect(title="寄递渠道安全协作备忘录", place="市局会议室")


@setup_for("POST", "/api/v1/collab/shares")
def _new_share(world, ctx):
    ctx.verify = _expect(record_number=world.mine["event"].number)


@setup_for("POST", "/api/v1/collab/referrals")
def _new_referral(world, ctx):
    ctx.verify = _expect(direction="out", state="sent", subject="安检发现疑似管制刀具")


@setup_for("POST", "/api/v1/collab/referrals/{referral_id}/transitions")
def _receive_referral(world, ctx):
    ctx.verify = _expect(state="received")


@setup_for("POST", "/api/v1/collab/tasks/{task_id}/updates")
def _task_progress(world, ctx):
    ctx.verify = _expect(state="open")


# --- reading the schema ---------------------------------------------------------------------------------------


def _resolve(schema: dict, node: dict) -> dict:
    node = node or {}
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = {**schema["components"]["schemas"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    if len(node.get("allOf", ())) == 1:
        rest = {k: v for k, v in node.items() if k != "allOf"}
        node = {**_resolve(schema, node["allOf"][0]), **rest}
    return node


def _variants(schema: dict, node: dict) -> list[dict]:
    node = _resolve(schema, node)
    alternatives = node.get("anyOf") or node.get("oneOf")
    return [_resolve(schema, a) for a in alternatives] if alternatives else [node]


def _object_kind(name: str) -> str | None:
    base = name.removesuffix("_ids").removesuffix("_id")
    return base if base in OBJECT_KINDS else None


@dataclass
class Field:
    name: str
    where: str  # path, query, json, form
    kind: str  # id, ids, number, boolean, date, enum, text, file, files, array, object, unknown
    node: dict  # the schema alternative the value is checked against
    required: bool
    nullable: bool
    object_kind: str | None


def _field(schema: dict, name: str, node: dict, where: str, required: bool, object_kind: str | None = None) -> Field:
    variants = _variants(schema, node)
    real = [v for v in variants if v.get("type") != "null"] or variants
    nullable = len(real) < len(variants)

    def rank(v):
        if "enum" in v:
            return 0
        return ["integer", "number", "boolean", "array", "string", "object"].index(v["type"]) + 1 \
            if v.get("type") in ("integer", "number", "boolean", "array", "string", "object") else 9

    main = min(real, key=rank)
    kind_of_object = object_kind or _object_kind(name)
    typ, fmt = main.get("type"), main.get("format")
    if typ == "string" and fmt == "binary":
        kind = "file"
    elif typ == "array":
        items = _resolve(schema, main.get("items", {}))
        if items.get("type") == "string" and items.get("format") == "binary":
            kind = "files"
        elif items.get("type") == "integer" and kind_of_object:
            kind = "ids"
        else:
            kind = "array"
    elif "enum" in main:
        kind = "enum"
    elif typ == "integer" and kind_of_object:
        kind = "id"
    elif typ in ("integer", "number"):
        kind = "number"
    elif typ == "boolean":
        kind = "boolean"
    elif typ == "string" and fmt in ("date", "date-time", "time"):
        kind = "date"
    elif typ == "string":
        kind = "text"
    elif typ == "object":
        kind = "object"
    else:
        kind = "unknown"
    return Field(name, where, kind, main, required, nullable, kind_of_object)


@dataclass
class Operation:
    method: str
    path: str
    op: dict
    fields: list[Field]
    body_type: str | None  # json, form, or None
    file_download: bool = False  # its success is a file, not JSON (the schema declares no content for it)


def _operation(schema: dict, method: str, path: str) -> Operation:
    op = schema["paths"][path][method.lower()]
    fields = []
    for p in op.get("parameters", []):
        p = _resolve(schema, p)
        if p["in"] in ("path", "query"):
            fields.append(_field(schema, p["name"], p.get("schema", {}), p["in"], p.get("required", False),
                                 FIELD_OBJECT_KINDS.get((path, p["name"]))))
    body_type = None
    content = _resolve(schema, op.get("requestBody", {})).get("content", {})
    for media_type, spec in content.items():
        body = _resolve(schema, spec.get("schema", {}))
        body_type = "json" if "json" in media_type else "form"
        required = set(body.get("required", ()))
        for name, node in body.get("properties", {}).items():
            fields.append(_field(schema, name, node, body_type, name in required,
                                 FIELD_OBJECT_KINDS.get((path, name))))
        break
    file_download = any(code.startswith("2") and code != "204" and not spec.get("content")
                        for code, spec in op.get("responses", {}).items())
    return Operation(method, path, op, fields, body_type, file_download)


# --- values ---------------------------------------------------------------------------------------------------


MISSING = object()


def _number_ok(value: Any, node: dict) -> bool:
    """Whether the schema itself declares this value valid (so it is not hostile for this field)."""
    if isinstance(value, bool) or value is None:
        return False
    try:
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except (InvalidOperation, ValueError):
        return False
    if not number.is_finite():
        return False
    if node.get("type") == "integer" and number != number.to_integral_value():
        return False
    if "minimum" in node and number < Decimal(str(node["minimum"])):
        return False
    if "maximum" in node and number > Decimal(str(node["maximum"])):
        return False
    if "exclusiveMinimum" in node and number <= Decimal(str(node["exclusiveMinimum"])):
        return False
    return not ("exclusiveMaximum" in node and number >= Decimal(str(node["exclusiveMaximum"])))


def _plausible(fld: Field, ctx: Context) -> Any:
    if fld.name in ctx.baseline:
        return ctx.baseline[fld.name]
    if fld.where == "query" and not fld.required:
        return MISSING  # no filters: a filter that leaks shows up as a non-empty page
    if fld.name in ctx.plausible:
        return ctx.plausible[fld.name]
    if fld.kind == "id" and fld.object_kind in ctx.objects:
        return ctx.objects[fld.object_kind].pk
    if fld.kind == "ids" and fld.object_kind in ctx.objects:
        return [ctx.objects[fld.object_kind].pk]
    if fld.kind == "file":
        return Upload("现场.jpg", good_jpeg((1, 99, 199)), "image/jpeg")
    if fld.kind == "files":
        return [Upload("现场.jpg", good_jpeg((1, 99, 199)), "image/jpeg")]
    if not fld.required:
        return MISSING
    # A required field nobody has described yet: a value of the right type (the baseline says if it is enough).
    if fld.kind == "enum":
        return fld.node["enum"][0]
    if fld.kind in ("number", "id"):
        return fld.node.get("minimum", 1)
    return {"boolean": False, "date": timezone.localdate().isoformat(), "array": [], "object": {},
            "ids": []}.get(fld.kind, "测试")


def _whose(kind: str, listed: bool = False) -> str:
    """Whose object a foreign id names: uploads in a list are another user's (only one's own may be attached)."""
    return "another user's" if kind in PERSONAL_KINDS or (listed and kind == "attachment") else \
        "another jurisdiction's"


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# Texts that look like an id, or must never reach one: judged like numbers (by what the schema allows).
ID_LOOKALIKES = NUMBER_LOOKALIKES


def _hostile_values(fld: Field, ctx: Context, big: bool) -> list[tuple[str, Any, str, Verify | None]]:
    """(label, value, expectation, check of an accepted answer) for one field. Values are JSON values; text
    contexts get as_text()."""
    out: list[tuple[str, Any, str, Verify | None]] = []
    json_body = fld.where == "json"
    in_query = fld.where == "query"
    in_body = fld.where in ("json", "form")

    def add(label: str, value: Any, expect: str, verify: Verify | None = None) -> None:
        files = isinstance(value, Upload) or (isinstance(value, list) and value
                                              and all(isinstance(v, Upload) for v in value))
        out.append((label, value if json_body or files else as_text(value), expect, verify))

    wrong_scalars = (Hostile("an object", {"x": 1}), Hostile("a list", [1]), Hostile("text", "abc"))
    if fld.kind == "number":
        for h in (*NUMBERS, *NUMBER_LOOKALIKES, *wrong_scalars):
            value = h.value if json_body else as_text(h.value)
            add(h.label, value, MAY_ACCEPT if _number_ok(value, fld.node) else REFUSE)
    elif fld.kind == "id":
        for obj in ctx.foreign.get(fld.object_kind, ()):
            add(f"{_whose(fld.object_kind)} {fld.object_kind} id", obj.pk, MAY_ACCEPT_EMPTY if in_query else REFUSE)
        for h in (*IDS, Hostile("1e20", "1e20"), Hostile("raw NaN token", math.nan), *wrong_scalars):
            value = h.value if json_body else as_text(h.value)
            add(h.label, value, MAY_ACCEPT_EMPTY if in_query and _number_ok(value, fld.node) else REFUSE)
        for h in (*NUMBERS, *ID_LOOKALIKES):  # judged like numbers: "１２３" may be read as the id it shows
            value = h.value if json_body else as_text(h.value)
            add(h.label, value, MAY_ACCEPT if _number_ok(value, fld.node) else REFUSE)
    elif fld.kind == "ids":
        mine = ctx.objects[fld.object_kind].pk
        for obj in ctx.foreign.get(fld.object_kind, ()):
            whose = _whose(fld.object_kind, listed=True)
            add(f"{whose} {fld.object_kind} id in the list", [obj.pk], REFUSE)
            add(f"one's own and {whose} {fld.object_kind} id", [mine, obj.pk], REFUSE)
        for h in (*IDS, Hostile("raw NaN token", math.nan), Hostile("null", None), Hostile("text", "abc"),
                  Hostile("an object", {"x": 1})):
            add(f"[{h.label}]", [h.value], REFUSE)
        for h in (Hostile("text where a list is expected", "1"), Hostile("an object where a list is expected",
                                                                          {"x": 1}),
                  Hostile("a number where a list is expected", 1)):
            add(h.label, h.value, REFUSE)
        if "maxItems" in fld.node:
            add(f"{fld.node['maxItems'] + 1} items", [mine] * (fld.node["maxItems"] + 1), REFUSE)
    elif fld.kind == "boolean":
        for h in (Hostile("-1", -1), Hostile("2", 2), Hostile("maybe", "maybe"), Hostile("'NaN'", "NaN"),
                  Hostile("1e20", "1e20"), Hostile("control characters", CONTROL), Hostile("markup", MARKUP),
                  Hostile("an object", {"x": 1}), Hostile("a list", [True])):
            add(h.label, h.value, REFUSE)
    elif fld.kind == "date":
        for h in (*DATES, Hostile("text", "abc"), Hostile("control characters", CONTROL), Hostile("markup", MARKUP)):
            add(h.label, h.value, REFUSE)
        if json_body:
            for h in (Hostile("a number", 20190101), Hostile("an object", {"x": 1})):
                add(h.label, h.value, REFUSE)
    elif fld.kind in ("text", "enum"):
        free = fld.kind == "text"
        # An identifier the registry checks is no free text: text that cannot be one is refused there.
        text_expect = MAY_ACCEPT if free and not (in_body and fld.name in CHECKED_IDENTIFIERS) else REFUSE
        for label, code in ctx.codes.get(fld.name, ()) if free else ():
            add(label, code, MAY_ACCEPT_EMPTY if in_query else REFUSE)
        for h in TEXTS:
            add(h.label, h.value, text_expect)
        # Numbers written as text are just text in a free-text field: two suffice there (each success of a
        # case step renders a PDF); an enum must refuse them all.
        for h in NUMBERS if not free else [n for n in NUMBERS if n.value in ("1e20", "NaN")]:
            if isinstance(h.value, str) or not free or not json_body:
                label = h.label if isinstance(h.value, str) else f"{as_text(h.value)} as text"
                add(label, as_text(h.value), text_expect)
        if free and in_body and fld.name in ctx.samples:
            sample = ctx.samples[fld.name]
            answer = _expect(**{fld.name: sample})
            add("a valid value in full-width characters", _fullwidth(sample), ACCEPT, answer)
            add("a valid value with spaces around and inside", f"\u00a0{sample[:3]} {sample[3:]}\u3000", ACCEPT,
                answer)
        limit = fld.node.get("maxLength")
        if limit is not None:
            add(f"{limit + 1} characters (maxLength {limit})", "x" * (limit + 1), REFUSE)
        elif free:
            ctx.problems.append(f"{fld.where} field {fld.name!r}: free text without a maxLength in the schema")
        if big:
            add("3 MB of text", BIG_TEXT, REFUSE)
        if json_body:
            for h in (Hostile("a number where text is expected", 12), Hostile("raw NaN token", math.nan),
                      Hostile("raw Infinity token", math.inf), Hostile("1e20 as a JSON number", 1e20),
                      Hostile("an object where text is expected", {"x": "y"}),
                      Hostile("a list where text is expected", ["a"]), Hostile("a boolean", True)):
                add(h.label, h.value, REFUSE)
    elif fld.kind == "file":
        for h in bad_files() if ctx.bad_files is None else ctx.bad_files:
            add(h.label, h.value, REFUSE)
        for h in bad_file_names() if ctx.file_names is None else ctx.file_names:
            add(h.label, h.value, MAY_ACCEPT_NAME)
        for h in ctx.good_files:
            add(h.label, h.value, ACCEPT, ctx.verify)
        for h in ctx.odd_files:
            add(h.label, h.value, MAY_ACCEPT)
        add("text where a file is expected", "not a file", REFUSE)
    elif fld.kind == "files":
        for h in bad_files():
            add(h.label, [h.value], REFUSE)
        good = _plausible(fld, ctx)
        for h in bad_files()[:2]:
            add(f"a good photo and {h.label}", [*good, h.value], REFUSE)
        for h in bad_file_names():
            add(h.label, [h.value], MAY_ACCEPT_NAME)
        add("text where files are expected", "not a file", REFUSE)
    elif fld.kind in ("array", "object"):
        for h in (Hostile("text", "x"), Hostile("a number", 1), Hostile("raw NaN token", math.nan),
                  Hostile("a list" if fld.kind == "object" else "an object", [] if fld.kind == "object" else {})):
            add(h.label, h.value, REFUSE)
        values = fld.node.get("additionalProperties")
        if fld.kind == "object" and isinstance(values, dict) and values.get("type") == "string":
            _text_map_values(fld, ctx, add)
    else:
        for h in (*NUMBERS, *TEXTS):
            add(h.label, h.value, MAY_ACCEPT)
    if json_body and not fld.nullable and fld.kind not in ("file", "files"):
        add("null", None, REFUSE)
    seen, unique = set(), []
    for label, value, expect, verify in out:
        key = repr(value) if not isinstance(value, float) else repr(("float", str(value)))
        if key not in seen:
            seen.add(key)
            unique.append((label, value, expect, verify))
    return unique


def _text_map_values(fld: Field, ctx: Context, add: Callable) -> None:
    """An object of text values (export filters): its values are free text, its size bounded."""
    key = next(iter(ctx.baseline.get(fld.name) or {}), "q")
    for h in TEXTS:
        add(f"a value: {h.label}", {key: h.value}, MAY_ACCEPT)
    add("a key with control characters", {CONTROL: "x"}, MAY_ACCEPT)
    for h in (Hostile("a number", 1), Hostile("null", None), Hostile("a list", ["a"]), Hostile("an object", {"x": "y"}),
              Hostile("raw NaN token", math.nan), Hostile("a boolean", True)):
        add(f"a value that is {h.label}", {key: h.value}, REFUSE)
    if "maxProperties" in fld.node:
        add(f"{fld.node['maxProperties'] + 1} keys (maxProperties {fld.node['maxProperties']})",
            {f"k{i}": "x" for i in range(fld.node["maxProperties"] + 1)}, REFUSE)
    limit = fld.node["additionalProperties"].get("maxLength")
    if limit is not None:
        add(f"a value of {limit + 1} characters (maxLength {limit})", {key: "x" * (limit + 1)}, REFUSE)
    else:
        ctx.problems.append(f"{fld.where} field {fld.name!r}: its values are free text without a maxLength in the "
                            "schema")


# --- requests -------------------------------------------------------------------------------------------------


@dataclass
class Request:
    label: str
    method: str
    path: str
    query: list
    body: Callable[[], tuple[bytes, str]] | None
    headers: dict
    expect: str
    describe: str = ""
    carries_control: bool = False
    who: str = ""
    verify: Verify | None = None  # what an accepted answer must show
    nonempty: bool = False  # a list answer must not be empty (the baseline of a read)
    file_download: bool = False  # a success is a file

    def url(self) -> str:
        return self.path + ("?" + urlencode(self.query, doseq=True) if self.query else "")

    def summary(self) -> str:
        url = self.url()
        if len(url) > 200:
            url = url[:200] + f"…({len(url)} chars)"
        auth = self.headers.get("HTTP_AUTHORIZATION")
        who = self.who or ("without a token" if auth is None else f"with Authorization: {_short(auth, 60)}")
        return f"{self.method} {url} {who}{(' body: ' + self.describe) if self.describe else ''}"


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"…({len(text)} chars)"


def _materialise(value: Any) -> Any:
    if isinstance(value, Upload):
        return SimpleUploadedFile(value.name, value.content, content_type=value.content_type)
    if isinstance(value, list):
        return [_materialise(v) for v in value]
    return value


def _json_body(data: dict) -> Callable[[], tuple[bytes, str]]:
    return lambda: (json.dumps(data, ensure_ascii=False).encode(), "application/json")


def _form_body(data: dict) -> Callable[[], tuple[bytes, str]]:
    def make():
        fields = {}
        for k, v in data.items():
            v = _materialise(v)
            fields[k] = v if isinstance(v, (SimpleUploadedFile, list)) else as_text(v)
        return encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT
    return make


def _describe(data: dict) -> str:
    def one(v):
        if isinstance(v, Upload):
            return f"<file {_short(v.name, 60)}, {len(v.content)} bytes>"
        if isinstance(v, list) and v and all(isinstance(u, Upload) for u in v):
            return "[" + ", ".join(one(u) for u in v) + "]"
        return _short(v, 80)
    return "{" + ", ".join(f"{k!r}: {one(v)}" for k, v in data.items()) + "}"


def _raw(body: bytes) -> str:
    return _short(body.decode("utf-8", "backslashreplace"))


def _contains_control(value: Any) -> bool:
    if isinstance(value, str):
        return any(c in value for c in "\x00\x0b\x1f\r")
    if isinstance(value, Upload):
        return value.control or _contains_control(value.name)
    if isinstance(value, (list, tuple)):
        return any(_contains_control(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_control(k) or _contains_control(v) for k, v in value.items())
    return False


def _requests(operation: Operation, ctx: Context, tokens: dict) -> list[Request]:
    method, fields = operation.method, operation.fields
    path_values = {fl.name: _plausible(fl, ctx) for fl in fields if fl.where == "path"}
    for name, value in path_values.items():
        if value is MISSING:
            ctx.problems.append(f"no plausible value for path parameter {name!r}: add it to PLAUSIBLE")

    def fill(values: dict) -> str:
        path = operation.path
        for name, value in values.items():
            path = path.replace("{" + name + "}", quote(as_text(value), safe=""))
        return path

    # action and version come from the object the path names (its detail, read with the caller's token).
    if path_values and any(fl.name in ("action", "version") for fl in fields if fl.where in ("json", "form")):
        resource = operation.path[: operation.path.rindex("}") + 1]
        for name, value in path_values.items():
            resource = resource.replace("{" + name + "}", str(value))
        detail = Client().get(resource, **ctx.headers).json()
        if "version" in detail:
            ctx.plausible.setdefault("version", detail["version"])
        actions = detail.get("available_actions") or []
        chosen = next((a for a in PREFERRED_ACTIONS if a in actions), actions[0] if actions else None)
        if chosen:
            ctx.plausible.setdefault("action", chosen)

    query_base = {fl.name: _plausible(fl, ctx) for fl in fields if fl.where == "query"}
    query_base = {k: v for k, v in query_base.items() if v is not MISSING}
    body_base = {fl.name: _plausible(fl, ctx) for fl in fields if fl.where == operation.body_type}
    body_base = {k: v for k, v in body_base.items() if v is not MISSING}
    make_body = _json_body if operation.body_type == "json" else _form_body

    def request(label, expect, *, path=None, query=None, body=None, headers=None, raw=None, describe=None,
                verify=None, nonempty=False):
        path_v = path_values if path is None else path
        query_v = query_base if query is None else query
        body_v = body_base if body is None else body
        if raw is not None:
            body_fn = raw
        elif operation.body_type:
            body_fn = make_body(body_v)
        else:
            body_fn = None
        return Request(
            label=label, method=method, path=fill(path_v), query=sorted(query_v.items()), body=body_fn,
            headers=ctx.headers if headers is None else headers, expect=expect,
            who=(f"as {ctx.caller.username}" if ctx.caller else "anonymously") if headers is None else "",
            describe=describe if describe is not None else (_describe(body_v) if operation.body_type else ""),
            carries_control=_contains_control([path_v, query_v, body_v]), verify=verify, nonempty=nonempty,
            file_download=operation.file_download,
        )

    out = [request("baseline", ACCEPT, verify=ctx.verify, nonempty=method == "GET")]
    big_used = False
    for fl in fields:
        big = fl.kind == "text" and not big_used
        big_used = big_used or big
        for label, value, expect, verify in _hostile_values(fl, ctx, big):
            where = {"path": "path", "query": "query"}.get(fl.where, "body")
            label = f"{where} {fl.name} = {label}"
            if fl.where == "path":
                out.append(request(label, expect, path={**path_values, fl.name: value}, verify=verify))
            elif fl.where == "query":
                out.append(request(label, expect, query={**query_base, fl.name: value}, verify=verify))
            else:
                out.append(request(label, expect, body={**body_base, fl.name: value}, verify=verify))
        if fl.required and fl.where in ("query", "json", "form"):
            if fl.where == "query":
                out.append(request(f"query {fl.name} missing", REFUSE,
                                   query={k: v for k, v in query_base.items() if k != fl.name}))
            else:
                out.append(request(f"body {fl.name} missing", REFUSE,
                                   body={k: v for k, v in body_base.items() if k != fl.name}))

    # Coordinates are judged as a pair: outside the city's box, swapped, one without the other.
    for where, base in (("query", query_base), ("body", body_base)):
        if "lng" not in base or "lat" not in base:
            continue

        def sent(changes: dict, where=where, base=base) -> dict:
            values = {k: v for k, v in {**base, **changes}.items() if v is not MISSING}
            return {"query": values} if where == "query" else {"body": values}

        def like(text: str, name: str, base=base):
            return float(text) if isinstance(base[name], float) else text

        for name in ("lng", "lat"):
            out.append(request(f"{where} {name} outside the city's box", REFUSE,
                               **sent({name: like(OUTSIDE_THE_CITY[name], name)})))
            out.append(request(f"{where} {name} with more decimals than the column holds", MAY_ACCEPT,
                               **sent({name: like(TOO_PRECISE[name], name)})))
        out.append(request(f"{where} longitude and latitude swapped", REFUSE,
                           **sent({"lng": base["lat"], "lat": base["lng"]})))
        if method != "PATCH":  # a partial update may change one coordinate: the other is stored
            out.append(request(f"{where} lat without lng", REFUSE, **sent({"lng": MISSING})))

    limit = _data_upload_max()
    if operation.body_type == "json":
        out.append(request("an extra field", REFUSE, body={**body_base, "unexpected_field": "x"}))
        for h in BAD_JSON_BODIES:
            out.append(request(h.label, REFUSE, raw=lambda b=h.value: (b, "application/json"),
                               describe=_raw(h.value)))
        text = json.dumps(body_base, ensure_ascii=False).encode()
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            out.append(request(f"the baseline JSON sent as {content_type}", REFUSE,
                               raw=lambda ct=content_type: (text, ct), describe=f"{_raw(text)} as {content_type}"))
        prefix = b'{"padding": "'
        oversize = prefix + b"x" * (limit + 1 - len(prefix) - 2) + b'"}'
        out.append(request(f"a JSON body of {limit + 1} bytes", STATUS_413,
                           raw=lambda: (oversize, "application/json"), describe=f"{len(oversize)} bytes of JSON"))
    elif operation.body_type == "form":
        out.append(request("an extra field", REFUSE, body={**body_base, "unexpected_field": "x"}))
        plain = {k: v for k, v in body_base.items() if not isinstance(v, (Upload, list))}
        out.append(request("JSON sent to a multipart endpoint", REFUSE,
                           raw=lambda: (json.dumps(plain).encode(), "application/json"), describe=_short(plain)))
        out.append(request("a broken multipart body", REFUSE,
                           raw=lambda: (b"--" + BOUNDARY.encode() + b"\r\ngarbage", MULTIPART_CONTENT),
                           describe="'--BoUnDaRy\\r\\ngarbage'"))
        out.append(request("multipart without a boundary", REFUSE,
                           raw=lambda: (_form_body(body_base)()[0], "multipart/form-data"),
                           describe="baseline body, Content-Type multipart/form-data without boundary"))
        text_fields = [fl.name for fl in fields if fl.where == "form" and fl.kind == "text"] or ["padding"]
        out.append(request(f"a form field of {limit + 1} bytes", STATUS_413,
                           body={**body_base, text_fields[0]: "x" * (limit + 1)},
                           describe=f"baseline with {text_fields[0]!r} = {limit + 1} bytes"))

    if operation.op.get("security"):
        out.append(request("no token", STATUS_401, headers={}))
        for label, header in tokens.items():
            out.append(request(label, STATUS_401, headers={"HTTP_AUTHORIZATION": header}))
        for h in MALFORMED_AUTHORIZATION:
            out.append(request(f"Authorization: {h.label}", STATUS_401, headers={"HTTP_AUTHORIZATION": h.value}))
    return out


def _data_upload_max() -> int:
    from django.conf import settings

    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


# --- the database ---------------------------------------------------------------------------------------------


def _counted_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models(include_auto_created=True)
            if m._meta.managed and not m._meta.proxy and m not in BOOKKEEPING]


def _row_counter() -> Callable[[], tuple[int, ...]]:
    counted = _counted_models()
    qn = connection.ops.quote_name
    sql = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {qn(m._meta.db_table)})" for m in counted)

    def count() -> tuple[int, ...]:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return tuple(cursor.fetchone())

    count.models = counted
    return count


CONTROL_CHARS = {chr(c) for c in range(32)} - {"\t", "\n"}


def _strings_with_control(value: Any, where: str = "") -> list[str]:
    if isinstance(value, str):
        return [f"{where}={_short(value, 80)}"] if CONTROL_CHARS.intersection(value) else []
    if isinstance(value, dict):
        return [*(f"{where} key {_short(k, 80)}" for k in value if CONTROL_CHARS.intersection(str(k))),
                *(s for k, v in value.items() for s in _strings_with_control(v, f"{where}.{k}"))]
    if isinstance(value, (list, tuple)):
        return [s for i, v in enumerate(value) for s in _strings_with_control(v, f"{where}[{i}]")]
    return []


def _stored_control_characters() -> list[str]:
    """Every stored string, in every table, that holds a control character other than tab and newline."""
    found = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        names = [fl.attname for fl in model._meta.concrete_fields
                 if isinstance(fl, (models.CharField, models.TextField, models.FileField, models.JSONField))]
        if not names:
            continue
        for row in model.objects.values_list("pk", *names):
            for name, value in zip(names, row[1:], strict=True):
                for hit in _strings_with_control(value):
                    found.append(f"{model._meta.label}#{row[0]}.{name}{hit}")
    return found


def _bad_stored_names() -> list[str]:
    bad = []
    for model, attribute in ((Attachment, "original_name"), (ImportBatch, "filename")):
        for pk, name in model.objects.values_list("pk", attribute):
            if "/" in name or "\\" in name or "\r" in name or "\n" in name or len(name) > 255 \
                    or CONTROL_CHARS.intersection(name):
                bad.append(f"{model._meta.label}#{pk}.{attribute}={_short(name, 80)}")
    return bad


# --- checking -------------------------------------------------------------------------------------------------


class _Tracebacks(logging.Handler):
    """Collects the exceptions logged while a request runs (the API logs what it turns into a 500)."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.exc_info:
            self.records.append(record)


def _traceback_summary(exc_info) -> str:
    if not exc_info or not exc_info[1]:
        return ""
    exc = exc_info[1]
    frames = traceback.extract_tb(exc_info[2])
    ours = [fr for fr in frames if "/src/parcelwatch/" in fr.filename] or frames
    where = " <- ".join(f"{fr.filename.split('/src/')[-1].split('site-packages/')[-1]}:{fr.lineno} {fr.name}"
                        for fr in reversed(ours[-3:]))
    return f"{type(exc).__name__}: {str(exc)[:200]} at {where}"


def _refuse_constant(name: str):
    raise ValueError(f"not JSON: {name}")


def _content(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _check(req: Request, response, counts_before, counts_after, count, logged: list, problems: list) -> None:
    status = response.status_code

    def problem(text: str) -> None:
        problems.append(f"[{req.label}] {req.summary()}\n      -> {status}: {text}")

    body = _content(response)
    data = None
    ok = 200 <= status < 300
    if status >= 500:
        tb = _traceback_summary(getattr(response, "exc_info", None)) or "; ".join(
            _traceback_summary(r.exc_info) for r in logged)
        problem(f"server error. {tb or body[:200]!r}")
    if status == 204:
        if body:
            problem(f"a 204 with a body: {body[:100]!r}")
    elif ok and req.file_download:
        trouble = _file_problem(response, body)
        if trouble:
            problem(trouble)
    else:
        content_type = response.get("Content-Type", "")
        if not content_type.startswith("application/json"):
            problem(f"not JSON: Content-Type {content_type!r}, body {body[:120]!r}")
        try:
            data = json.loads(body, parse_constant=_refuse_constant)
        except ValueError as exc:
            problem(f"invalid JSON ({exc}): {body[:160]!r}")
        else:
            if 400 <= status < 500 and not (isinstance(data, dict) and "detail" in data):
                problem(f"a {status} without 'detail': {body[:160]!r}")
            hits = _strings_with_control(data, "response")
            if hits:
                problem(f"control characters in the response: {hits[:3]}")
    if 400 <= status < 500 and counts_after is not None and counts_before != counts_after:
        changed = [f"{m._meta.label} {a}->{b}" for m, a, b in zip(count.models, counts_before, counts_after,
                                                                      strict=True) if a != b]
        problem(f"refused, but the database changed: {', '.join(changed)}")
    detail = data.get("detail") if isinstance(data, dict) else None
    refused = 400 <= status < 500
    if req.expect == ACCEPT and not ok:
        problem(f"the baseline request must succeed (fix its SETUPS entry, PLAUSIBLE or the cast): {_short(detail or body, 300)}"
                if req.label == "baseline" else f"a valid input must be accepted: {_short(detail or body, 300)}")
    elif req.expect == REFUSE and not refused and status < 500:
        problem("a hostile value was accepted; expected a 4xx")
    elif req.expect in (MAY_ACCEPT, MAY_ACCEPT_EMPTY, MAY_ACCEPT_NAME) and not (ok or refused) and status < 500:
        problem("expected a 2xx or a 4xx")
    elif req.expect == STATUS_401 and status != 401:
        problem("expected 401")
    elif req.expect == STATUS_413 and status != 413:
        problem("expected 413")
    if ok and req.expect == MAY_ACCEPT_EMPTY and isinstance(data, dict):
        if data.get("count") or data.get("items"):
            problem(f"a filter by an id or code the caller may not see found something: count={data.get('count')}")
    if ok and req.verify is not None and (data is not None or req.file_download):
        try:
            trouble = req.verify(data, body, response)
        except Exception as exc:  # noqa: BLE001 - an answer of the wrong shape is the finding
            trouble = f"an answer of an unexpected shape ({exc!r}): {body[:160]!r}"
        if trouble:
            problem(f"accepted, but the answer does not show it: {trouble}")
    if ok and req.nonempty and (data == [] or (isinstance(data, dict) and "items" in data and not data["items"])):
        problem("the baseline list is empty, so the hostile values meet nothing: give the caller something to list "
                "(its SETUPS entry)")


FILE_MAGIC = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "application/pdf": b"%PDF-",
    XLSX_TYPE: b"PK\x03\x04",
    "application/vnd.apple.mpegurl": b"#EXTM3U",  # a live stream's HLS playlist
    "video/mp2t": b"G",  # and its MPEG-TS segments
}


def _file_problem(response, body: bytes) -> str | None:
    """A download must be the file its Content-Type names (never HTML, SVG or JSON), sent as an attachment or
    inline with a name."""
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    magic = FILE_MAGIC.get(content_type)
    if magic is None:
        return f"a download of an unexpected Content-Type {content_type!r}: {body[:60]!r}"
    if not body.startswith(magic):
        return f"a download whose bytes are not {content_type}: {body[:60]!r}"
    if not response.get("Content-Disposition"):
        return "a download without a Content-Disposition"
    return None


def _run(client: Client, req: Request, count, handler: _Tracebacks, problems: list) -> None:
    handler.records.clear()
    with transaction.atomic():
        before = count()
        if req.body is not None:
            data, content_type = req.body()
            response = client.generic(req.method, req.url(), data=data, content_type=content_type, **req.headers)
        else:
            response = client.generic(req.method, req.url(), **req.headers)
        try:
            after = count()
        except Exception as exc:  # the request broke the transaction
            after = None
            problems.append(f"[{req.label}] {req.summary()}\n      -> the database is unusable after it: {exc!r}")
        _check(req, response, before, after, count, list(handler.records), problems)
        if VERBOSE:
            print(f"{response.status_code} [{req.label}] {req.summary()[:160]}")
        if after is not None and req.method != "GET":
            if req.carries_control:
                hits = _stored_control_characters()
                if hits:
                    problems.append(f"[{req.label}] {req.summary()}\n      -> {response.status_code}: control "
                                    f"characters stored: {hits[:3]}")
            if req.expect == MAY_ACCEPT_NAME and 200 <= response.status_code < 300:
                bad = _bad_stored_names()
                if bad:
                    problems.append(f"[{req.label}] {req.summary()}\n      -> {response.status_code}: file name "
                                    f"stored uncleaned: {bad[:3]}")
        transaction.set_rollback(True)


def _tokens(caller) -> dict:
    if caller is None:
        return {}
    expired_key, expired = issue_api_token(caller)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    revoked_key, revoked = issue_api_token(caller)
    revoked.delete()
    return {"an expired token": f"Bearer {expired_key}", "a revoked token": f"Bearer {revoked_key}"}


# --- the tests ------------------------------------------------------------------------------------------------


def test_every_operation_of_the_served_schema_is_covered(client, db):
    schema = client.get(SCHEMA_URL).json()
    served = [(m.upper(), p) for p, ms in schema["paths"].items() for m in ms if m.upper() in (*WRITE_METHODS, "GET")]
    assert sorted(served) == sorted(OPERATIONS)
    assert any(m in WRITE_METHODS for m, _p in OPERATIONS)


@pytest.mark.parametrize("operation", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_hostile_input(world, operation):
    method, path = operation
    client = Client(raise_request_exception=False)
    schema = client.get(SCHEMA_URL).json()
    assert path in schema["paths"] and method.lower() in schema["paths"][path], "the served schema changed"
    op = _operation(schema, method, path)
    ctx = _context(world, method, path, op.op)
    requests = _requests(op, ctx, _tokens(ctx.caller))
    assert not _stored_control_characters(), "the cast itself holds control characters"
    count = _row_counter()
    handler = _Tracebacks()
    root, django_request = logging.getLogger(), logging.getLogger("django.request")
    root.addHandler(handler)
    level = django_request.level
    django_request.setLevel(logging.ERROR)  # hundreds of expected 4xx warnings would bury the report
    problems = list(ctx.problems)
    started = time.monotonic()
    try:
        with override_settings(**ctx.settings):
            for req in requests:
                _run(client, req, count, handler, problems)
    finally:
        root.removeHandler(handler)
        django_request.setLevel(level)
    elapsed = time.monotonic() - started
    if problems:
        pytest.fail(f"{len(problems)} problem(s) in {len(requests)} requests ({elapsed:.1f}s):\n" + "\n".join(problems),
                    pytrace=False)
