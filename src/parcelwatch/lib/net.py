"""The client's address, as far as this deployment can know it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str:
    """REMOTE_ADDR, or the address the trusted proxies (TRUSTED_PROXY_COUNT of them) saw."""
    if request is None:
        return ""
    address = request.META.get("REMOTE_ADDR", "") or ""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address.strip()[:64]))
    except ValueError:
        return ""
