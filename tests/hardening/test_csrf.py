"""CSRF on every form: a POST to any page of the URL configuration without the CSRF token is refused, whoever
sends it. Generated from the URLconf, so a new page is covered without anyone remembering.

The REST API authenticates with bearer tokens (no cookies, so no cross-site forgery) and is not a page; the media
server's play hook is called by ZLMediaKit with a shared secret, not by a browser."""

import re

from django.test import Client

from tests.hardening.test_pages_hostile import PAGES

NOT_FORMS = {"video:zlm_on_play"}


def test_every_page_refuses_a_post_without_its_csrf_token(cast):
    refused_wrongly = []
    anonymous, officer = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    officer.force_login(cast.city_officer)
    for route, name in PAGES:
        if name in NOT_FORMS:
            continue  # called by the media server with a shared secret, not from a browser
        path = "/" + re.sub(r"<str:[a-z_]+>", "sites", re.sub(r"<int:[a-z_]+>", "1", route.lstrip("^").rstrip("$")))
        for who, client in (("anonymous", anonymous), ("city_officer", officer)):
            response = client.post(path, {"anything": "x"})
            if response.status_code != 403 or "csrf" not in response.content.decode().lower():
                refused_wrongly.append(f"{path} as {who}: {response.status_code}")
    assert refused_wrongly == []
    assert len(PAGES) > 100  # the URL configuration was read
