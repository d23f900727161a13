"""X-ray machines (安检机) of the 两联 programme: heartbeats, the power-on rate (开机率), and alerts when a sorting
centre's machine is off during working hours.

Each machine authenticates its heartbeats with its own device key, derived from the installation's secret and
the machine's serial (shown to whoever registers it; nothing secret is stored)."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from parcelwatch.accounts.models import User
from parcelwatch.accounts.permissions import VIDEO_MANAGE
from parcelwatch.lib.text import clean_text, normalise_identifier
from parcelwatch.registry.models import Site
from parcelwatch.registry.selectors import can_on_site

from .models import XrayHeartbeat, XrayMachine

HISTORY_EVERY = timedelta(hours=1)
MAX_SCANS = 100_000  # parcels in one interval: more is a broken counter


def device_key(machine: XrayMachine) -> str:
    return salted_hmac("parcelwatch.xray.device", machine.serial).hexdigest()[:32]


def machine_for_key(serial: str, key: str) -> XrayMachine | None:
    """The enabled machine with this serial if `key` is its device key (compared in constant time)."""
    machine = XrayMachine.objects.filter(serial=normalise_identifier(serial)[:40], enabled=True).select_related(
        "site__jurisdiction").first()
    if machine is None or not hmac.compare_digest(device_key(machine).encode(), str(key or "").encode()):
        return None
    return machine


@transaction.atomic
def register_machine(*, actor: User, site: Site, serial: str, name: str) -> XrayMachine:
    if not can_on_site(actor, VIDEO_MANAGE, site):
        raise ValidationError({"site": _("This site is outside your jurisdiction.")})
    serial = normalise_identifier(serial)
    name = clean_text(name, multiline=False)
    errors = {}
    if not serial or len(serial) > 40 or not all(ch.isascii() and (ch.isalnum() or ch in "-_.") for ch in serial):
        errors["serial"] = _("The serial number has 1–40 letters, digits, dots, dashes or underscores.")
    if not name or len(name) > 64:
        errors["name"] = _("Enter a name of at most %(n)d characters.") % {"n": 64}
    if not errors and XrayMachine.objects.filter(serial=serial).exists():
        errors["serial"] = _("A machine with this serial number is registered already.")
    if errors:
        raise ValidationError(errors)
    return XrayMachine.objects.create(site=site, serial=serial, name=name)


@transaction.atomic
def record_heartbeat(machine: XrayMachine, *, powered_on: bool, scans: int, at: datetime | None = None) -> XrayMachine:
    at = at or timezone.now()
    if not 0 <= scans <= MAX_SCANS:
        raise ValidationError({"scans": _("Scans must be between 0 and %(n)d.") % {"n": MAX_SCANS}})
    machine = XrayMachine.objects.select_for_update(of=("self",)).get(pk=machine.pk)
    # The state changes with what the machine reports (a silence in between is not a state it reported).
    was_on = bool(machine.powered_on)
    machine.powered_on, machine.scans, machine.last_heartbeat_at = powered_on, scans, at
    if was_on != powered_on or machine.state_since is None:
        machine.state_since = at
    machine.save(update_fields=["powered_on", "scans", "last_heartbeat_at", "state_since"])
    last = machine.heartbeats.order_by("-at").values_list("at", "powered_on").first()
    if last is None or last[1] != powered_on or at - last[0] >= HISTORY_EVERY:
        XrayHeartbeat.objects.create(machine=machine, at=at, powered_on=powered_on, scans=scans)
    return machine


def on_q(now: datetime) -> Q:
    return Q(powered_on=True, last_heartbeat_at__gte=now - timedelta(minutes=settings.XRAY_STALE_MINUTES))


def power_on_rates(qs: QuerySet[XrayMachine], by: str, *, now: datetime | None = None) -> list[dict]:
    """开机率 of enabled machines per district or brand: on now / enabled (a silent machine counts as off)."""
    from .selectors import rate_rows

    return rate_rows(qs, {"district": "site__district", "brand": "site__brand"}[by], by,
                     on=on_q(now or timezone.now()))


def within_working_hours(now: datetime) -> bool:
    local = timezone.localtime(now).time()
    return settings.XRAY_WORKING_FROM <= local < settings.XRAY_WORKING_TO


def check_machines(*, now: datetime | None = None) -> int:
    """Alert the district's officers and the enterprise's staff about each sorting centre's machine that is off
    (or silent) during working hours: once per time it goes off."""
    from parcelwatch.notifications.services import notify

    from .services import site_watchers

    now = now or timezone.now()
    if not within_working_hours(now):
        return 0
    alerted = 0
    off = (XrayMachine.objects.filter(enabled=True, site__kind=Site.Kind.SORTING_CENTER).exclude(on_q(now))
           .select_related("site__jurisdiction", "site__enterprise"))
    for machine in off:
        since = machine.state_since if machine.powered_on is False else machine.last_heartbeat_at
        sent = notify(site_watchers(machine.site), kind="xray_off", url=reverse("video:overview") + "#xray",
                      dedupe_key=f"xray_off:{machine.pk}:{(since or machine.created_at).isoformat()}",
                      site=machine.site.name, machine=machine.name,
                      since=timezone.localtime(since).strftime("%Y-%m-%d %H:%M") if since else "—")
        alerted += 1 if sent else 0
    return alerted
