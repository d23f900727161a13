"""X-ray machines: heartbeats through the API with a device key, the power-on rate, and the alert when a
sorting centre's machine is off during working hours."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from parcelwatch.notifications.models import Notification
from parcelwatch.registry.models import Site
from parcelwatch.video import xray
from parcelwatch.video.models import XrayHeartbeat, XrayMachine
from tests import factories as f
from tests.conftest import login
from tests.hardening.conftest import bearer

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def machines(cast):
    centre = f.site("中通涵江分拨中心", cast.handong_g1, cast.zto_hanjiang, kind=Site.Kind.SORTING_CENTER)
    return {
        "centre1": XrayMachine.objects.create(site=centre, serial="XR-HJ-1", name="1号安检机"),
        "centre2": XrayMachine.objects.create(site=centre, serial="XR-HJ-2", name="2号安检机"),
        "outlet": XrayMachine.objects.create(site=cast.hanjiang_outlet, serial="XR-HJ-3", name="1号安检机"),
        "licheng": XrayMachine.objects.create(site=cast.licheng_outlet, serial="XR-LC-1", name="1号安检机"),
    }


def _beat(client, machine, key=None, **body):
    payload = {"serial": machine.serial, "powered_on": True, "scans": 42, **body}
    return client.post("/api/v1/xray/heartbeats", payload, content_type="application/json",
                       HTTP_X_DEVICE_KEY=key if key is not None else xray.device_key(machine))


def test_a_machine_reports_with_its_own_key_and_nothing_else_gets_in(client, machines):
    machine = machines["centre1"]
    assert _beat(client, machine).status_code == 201
    machine.refresh_from_db()
    assert machine.powered_on and machine.scans == 42 and machine.is_on(timezone.now())
    assert _beat(client, machine, key="0" * 32).status_code == 401
    assert _beat(client, machine, key="密钥é").status_code == 401  # not ASCII: refused, not a crash
    assert _beat(client, machine, key=xray.device_key(machines["centre2"])).status_code == 401  # another's key
    assert client.post("/api/v1/xray/heartbeats", {"serial": "NOSUCH", "powered_on": True},
                       content_type="application/json", HTTP_X_DEVICE_KEY="x").status_code == 401
    assert _beat(client, machine, scans=-1).status_code == 422
    assert _beat(client, machine, scans=10**9).status_code == 422
    XrayMachine.objects.filter(pk=machine.pk).update(enabled=False)
    assert _beat(client, machine).status_code == 401


def test_the_history_keeps_changes_and_an_hourly_beat(machines):
    machine = machines["centre1"]
    start = timezone.now()
    for minutes, on in ((0, True), (1, True), (2, True), (3, False), (4, False), (70, False)):
        xray.record_heartbeat(machine, powered_on=on, scans=5 if on else 0, at=start + timedelta(minutes=minutes))
    assert [b.powered_on for b in XrayHeartbeat.objects.filter(machine=machine).order_by("at")] == [True, False, False]
    machine.refresh_from_db()
    assert machine.state_since == start + timedelta(minutes=3)


def test_the_power_on_rate_counts_machines_on_now_by_district_and_brand(client, cast, machines):
    now = timezone.now()
    xray.record_heartbeat(machines["centre1"], powered_on=True, scans=1, at=now)
    xray.record_heartbeat(machines["centre2"], powered_on=False, scans=0, at=now)
    xray.record_heartbeat(machines["outlet"], powered_on=True, scans=1, at=now - timedelta(minutes=40))  # silent
    xray.record_heartbeat(machines["licheng"], powered_on=True, scans=1, at=now)
    rates = client.get("/api/v1/xray/power-on-rates", **bearer(cast.city_officer)).json()
    assert (rates["enabled"], rates["online"], rates["rate"]) == (4, 2, 0.5)
    hanjiang = next(r for r in rates["by_district"] if r["key"] == "350303")
    assert (hanjiang["enabled"], hanjiang["online"]) == (3, 1)
    assert client.get("/api/v1/xray/power-on-rates", **bearer(cast.licheng_officer)).json()["enabled"] == 1
    login(client, cast.hanjiang_officer)
    page = client.get(reverse("video:overview")).content.decode()
    assert 'data-testid="xray-rate">33.3%' in page
    assert "中通涵江分拨中心" in page  # its machine no. 2 is off now


def test_a_sorting_centres_machine_off_in_working_hours_alerts_once(cast, machines):
    morning = datetime(2026, 6, 3, 10, 0, tzinfo=SH)
    with time_machine.travel(morning, tick=False):
        for machine in machines.values():
            xray.record_heartbeat(machine, powered_on=machine.serial != "XR-HJ-2", scans=0)
        assert xray.check_machines() == 1
        assert xray.check_machines() == 0  # the same time off: told once
    alerts = Notification.objects.filter(kind="xray_off")
    assert set(alerts.values_list("recipient__username", flat=True)) == {"hanjiang_officer", "zto_safety"}
    assert "2号安检机" in alerts.first().text
    with time_machine.travel(datetime(2026, 6, 3, 22, 0, tzinfo=SH), tick=False):
        Notification.objects.all().delete()
        assert xray.check_machines() == 0  # after working hours nobody is woken up
    with time_machine.travel(morning + timedelta(days=1), tick=False):
        # Silent all night: every machine's heartbeat is stale, but only sorting centres alert.
        assert xray.check_machines() == 2
        assert not Notification.objects.filter(kind="xray_off", params__machine="1号安检机",
                                               params__site=cast.hanjiang_outlet.name).exists()


def test_registering_a_machine_shows_its_key_once(client, cast):
    login(client, cast.hanjiang_officer)
    page = client.post(reverse("video:machine_create", args=[cast.hanjiang_outlet.pk]),
                       {"serial": "xr-2026-001", "name": "2号安检机"}).content.decode()
    machine = XrayMachine.objects.get(serial="XR-2026-001")
    assert xray.device_key(machine) in page
    assert xray.device_key(machine) not in client.get(reverse("registry:site_detail",
                                                              args=[cast.hanjiang_outlet.pk])).content.decode()
    duplicate = client.post(reverse("video:machine_create", args=[cast.hanjiang_outlet.pk]),
                            {"serial": "XR-2026-001", "name": "又一台"})
    assert "is-invalid" in duplicate.content.decode() and XrayMachine.objects.count() == 1
    assert client.get(reverse("video:machine_create", args=[cast.licheng_outlet.pk])).status_code == 404
    made = client.post("/api/v1/xray/machines", {"site": cast.hanjiang_outlet.pk, "serial": "XR/9", "name": "三号"},
                       content_type="application/json", **bearer(cast.hanjiang_officer))
    assert made.status_code == 422  # a slash is not part of a serial number
    made = client.post("/api/v1/xray/machines", {"site": cast.hanjiang_outlet.pk, "serial": "XR-9", "name": "三号"},
                       content_type="application/json", **bearer(cast.hanjiang_officer))
    assert made.status_code == 201 and len(made.json()["device_key"]) == 32


def test_the_simulated_machines_report_through_the_api(transactional_db, cast, live_server):
    from parcelwatch.demo.loader import DEMO_XRAY_OFF
    from parcelwatch.video.management.commands.simulate_cameras import send_heartbeats

    on = XrayMachine.objects.create(site=cast.hanjiang_outlet, serial="PT-XR-1", name="1号安检机", simulated=True)
    off = XrayMachine.objects.create(site=cast.hanjiang_outlet, serial=DEMO_XRAY_OFF, name="2号安检机", simulated=True)
    XrayMachine.objects.create(site=cast.hanjiang_outlet, serial="REAL-1", name="3号安检机")  # a real one: not faked
    assert send_heartbeats(live_server.url, random.Random(1)) == (2, 0)
    on.refresh_from_db()
    off.refresh_from_db()
    assert on.powered_on is True and on.scans > 0 and off.powered_on is False
    assert XrayMachine.objects.get(serial="REAL-1").last_heartbeat_at is None
