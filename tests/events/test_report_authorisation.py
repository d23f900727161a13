"""Who may report at a site: the report's own check (the actor's memberships, once the site is locked) agrees with
the register's scope, sites_visible_to(user, EVENTS_REPORT), for every role and level of membership."""

import pytest
from django.db import transaction

from parcelwatch.accounts.models import Jurisdiction, Role
from parcelwatch.accounts.permissions import EVENTS_REPORT
from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import TransitionError, report_event
from parcelwatch.evidence.attachments import store_attachment
from parcelwatch.registry.models import Site
from parcelwatch.registry.selectors import sites_visible_to
from tests import factories as f
from tests.evidence_files import jpeg


class _Undo(Exception):
    pass


def _may_report(user, site, category) -> bool:
    try:
        with transaction.atomic():
            photo = store_attachment(jpeg(), name="现场.jpg", actor=user)
            report_event(actor=user, site=site, category=category, description="检查发现问题", photos=[photo])
            raise _Undo
    except _Undo:
        return True
    except TransitionError as exc:
        assert exc.code == "forbidden", exc.message
        return False


@pytest.mark.django_db
def test_the_report_check_agrees_with_the_register_scope_for_every_membership(cast):
    level = Jurisdiction.Level
    zone = f.node("350371", "莆田经济开发区", level.ZONE, cast.city)
    zone_site = f.site("开发区网点", zone, cast.zto_hanjiang)
    users = [cast.hanjiang_grid, cast.hanjiang_officer, cast.licheng_officer, cast.city_officer, cast.city_leader,
             cast.zto_safety, cast.police_partner, cast.sysadmin, cast.nobody,
             f.user("town_officer", (Role.DISTRICT_OFFICER, cast.handong)),
             f.user("grid_two", (Role.GRID_WORKER, cast.handong_g2)),
             f.user("zone_officer", (Role.DISTRICT_OFFICER, zone)),
             f.user("zone_grid", (Role.GRID_WORKER, zone)),
             f.user("two_places", (Role.GRID_WORKER, cast.handong_g1), (Role.DISTRICT_OFFICER, cast.licheng))]
    sites = list(Site.objects.order_by("pk"))
    assert zone_site in sites and len(sites) >= 4
    category = EventCategory.objects.get(code="BA02")
    allowed = 0
    for user in users:
        for site in sites:
            expected = sites_visible_to(user, EVENTS_REPORT).filter(pk=site.pk).exists()
            assert _may_report(user, site, category) == expected, (user.username, site.name)
            allowed += expected
    assert 0 < allowed < len(users) * len(sites)  # both answers occur
