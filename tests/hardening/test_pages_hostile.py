"""Every page of the URL configuration, fed hostile query strings and bodies: a clear answer, never a 500.

Generated from the URLconf, so a new page is covered without anyone remembering.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import report_event
from parcelwatch.evidence.attachments import store_attachment
from tests.evidence_files import jpeg

HOSTILE_QUERY = {"page": "99999999999999999999", "year": "-1", "q": "<script>alert(1)</script>\x00",
                 "district": "%00'; DROP TABLE x", "state": "{{ 7*7 }}", "overdue": "maybe", "sort": "-password",
                 "reported_from": "2019-02-30", "enterprise": "1e20", "site": "-1", "kind": "=cmd", "days": "inf",
                 "lng": "nan", "lat": "Infinity", "fresh": "1"}
# Digits that str.isdigit() accepts and int() refuses, dates at the ends of the calendar, junk choices.
LOOKALIKE_QUERY = {"page": "٣", "year": "²", "days": "²", "enterprise": "²", "reporter": "١", "site": "³",
                   "photo_ids": "²,٣", "reported_from": "0001-01-01", "reported_to": "9999-12-31",
                   "closed_from": "9999-12-31", "escalated_to": "0001-01-01", "by": "<x>", "sort": "'",
                   "dir": "sideways", "flag": "password", "scope": "all", "mode": "x", "source": "x", "level": "x",
                   "start": "9999-12-31", "end": "0001-01-01"}


def _patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            yield from _patterns(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{namespace}:{p.name}" if namespace else p.name


PAGES = sorted({(route, name) for route, name in _patterns()
                if not route.startswith(("admin/", "api/", "i18n/", "static/", "media/"))})


def _fill(route: str, ids: dict) -> str:
    path = "/" + route.lstrip("^").rstrip("$")
    for token, value in ids.items():
        path = path.replace(token, str(value))
    return path


@pytest.fixture
def ids(cast):
    from parcelwatch.ops.tasks import heartbeat

    heartbeat.call()  # a worker is alive: /healthz answers 200, and no hostile input may turn it into a 5xx
    event = report_event(actor=cast.hanjiang_grid, site=cast.hanjiang_outlet, description="x",
                         category=EventCategory.objects.get(code="BA02"),
                         photos=[store_attachment(jpeg(), name="a.jpg", actor=cast.hanjiang_grid)])
    return {"<int:pk>": event.pk, "<str:kind>": "sites", "<int:pk>/": f"{event.pk}/"}


@pytest.mark.parametrize(("route", "name"), PAGES, ids=[n or r for r, n in PAGES])
def test_every_page_survives_hostile_input(client, cast, ids, route, name):
    path = _fill(route, ids)
    for user in (cast.city_officer, cast.hanjiang_grid, cast.zto_safety):
        client.force_login(user)
        responses = [
            client.get(path, HOSTILE_QUERY),
            client.get(path, LOOKALIKE_QUERY),
            client.post(path, LOOKALIKE_QUERY),
            client.post(path, {}),
            client.post(path, {k: v.replace("\x00", "") for k, v in HOSTILE_QUERY.items()}),
            client.generic("POST", path, b"--x\r\nbroken", content_type="multipart/form-data; boundary=x"),
            client.generic("POST", path, b"xx", content_type="multipart/form-data"),
        ]
        for response in responses:
            assert response.status_code < 500, (path, user, response.status_code)


def test_no_template_runs_inline_script():
    """The Content-Security-Policy allows scripts from our static files only: no inline code may creep back."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "src" / "parcelwatch"
    offenders = []
    for template in root.rglob("templates/**/*.html"):
        text = template.read_text()
        for m in re.finditer(r"<script\b([^>]*)>", text):
            attrs = m.group(1)
            if "src=" not in attrs and "application/json" not in attrs:
                offenders.append(f"{template.relative_to(root)}: inline <script>")
        for m in re.finditer(r"\son[a-z]+\s*=", text):
            offenders.append(f"{template.relative_to(root)}: inline handler {m.group(0).strip()}")
        if "javascript:" in text:
            offenders.append(f"{template.relative_to(root)}: javascript: URL")
    assert offenders == []
