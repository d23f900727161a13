"""Every access function, for every member of the cast."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from parcelwatch.accounts.permissions import REGISTRY_EDIT, REGISTRY_VIEW_SENSITIVE
from parcelwatch.accounts.selectors import jurisdictions_visible_to
from parcelwatch.registry.selectors import (
    enterprises_visible_to,
    get_enterprise_for_user,
    get_officer_for_user,
    get_site_for_user,
    officers_visible_to,
    sites_visible_to,
)

USERS = ["hanjiang_grid", "hanjiang_officer", "licheng_officer", "city_officer", "city_leader", "zto_safety",
         "police_partner", "sysadmin", "nobody"]

# user -> (sites seen, enterprises seen, officers seen, may edit, sees personal data)
EXPECTED = {
    "hanjiang_grid": ({"hanjiang_outlet"}, {"zto_hanjiang"}, {"zto_officer"}, False, False),
    "hanjiang_officer": ({"hanjiang_outlet", "hanjiang_outlet_g2"}, {"zto_hanjiang"}, {"zto_officer"}, True, True),
    "licheng_officer": ({"licheng_outlet"}, {"yto_licheng"}, {"yto_officer"}, True, True),
    "city_officer": ({"hanjiang_outlet", "hanjiang_outlet_g2", "licheng_outlet"}, {"zto_hanjiang", "yto_licheng"},
                     {"zto_officer", "yto_officer"}, True, True),
    "city_leader": ({"hanjiang_outlet", "hanjiang_outlet_g2", "licheng_outlet"}, {"zto_hanjiang", "yto_licheng"},
                    {"zto_officer", "yto_officer"}, False, True),
    "zto_safety": ({"hanjiang_outlet", "hanjiang_outlet_g2"}, {"zto_hanjiang"}, {"zto_officer"}, False, True),
    # The register of sites and enterprises, but not the people: safety officers are not shared with a partner
    # department, nor part of IT administration.
    "police_partner": ({"hanjiang_outlet", "hanjiang_outlet_g2", "licheng_outlet"}, {"zto_hanjiang", "yto_licheng"},
                       set(), False, False),
    "sysadmin": ({"hanjiang_outlet", "hanjiang_outlet_g2", "licheng_outlet"}, {"zto_hanjiang", "yto_licheng"},
                 set(), False, False),
    "nobody": (set(), set(), set(), False, False),
}
SITES = ["hanjiang_outlet", "hanjiang_outlet_g2", "licheng_outlet"]
ENTERPRISES = ["zto_hanjiang", "yto_licheng"]
OFFICERS = ["zto_officer", "yto_officer"]


def _check(getter, user, obj, visible, allowed, need):
    if not visible:
        with pytest.raises(Http404):
            getter(user, obj.pk)
        return
    assert getter(user, obj.pk) == obj
    if allowed:
        assert getter(user, obj.pk, need=need) == obj
    else:
        with pytest.raises(PermissionDenied):
            getter(user, obj.pk, need=need)


@pytest.mark.parametrize("username", USERS)
def test_scoped_selectors_match_jurisdiction(cast, username):
    user = getattr(cast, username)
    sites, enterprises, officers, _edit, _sensitive = EXPECTED[username]
    assert set(sites_visible_to(user)) == {getattr(cast, s) for s in sites}
    assert set(enterprises_visible_to(user)) == {getattr(cast, e) for e in enterprises}
    assert set(officers_visible_to(user)) == {getattr(cast, o) for o in officers}


@pytest.mark.parametrize("username", USERS)
def test_access_functions_give_404_outside_and_403_without_permission(cast, username):
    user = getattr(cast, username)
    sites, enterprises, officers, edit, sensitive = EXPECTED[username]
    for name in SITES:
        _check(get_site_for_user, user, getattr(cast, name), name in sites, edit, REGISTRY_EDIT)
    for name in ENTERPRISES:
        _check(get_enterprise_for_user, user, getattr(cast, name), name in enterprises, edit, REGISTRY_EDIT)
    for name in OFFICERS:
        _check(get_officer_for_user, user, getattr(cast, name), name in officers, edit, REGISTRY_EDIT)
        _check(get_officer_for_user, user, getattr(cast, name), name in officers, sensitive, REGISTRY_VIEW_SENSITIVE)


def test_nonsense_ids_are_not_found(cast):
    with pytest.raises(Http404):
        get_site_for_user(cast.city_officer, "abc")
    with pytest.raises(Http404):
        get_site_for_user(cast.city_officer, 999999)


def test_jurisdiction_tree_shows_own_subtree_and_path_up(cast):
    codes = set(jurisdictions_visible_to(cast.hanjiang_officer).values_list("code", flat=True))
    assert codes == {"350300", "350303", "350303001", "350303001001", "350303001002"}
    grid_codes = set(jurisdictions_visible_to(cast.hanjiang_grid).values_list("code", flat=True))
    assert grid_codes == {"350300", "350303", "350303001", "350303001001"}


def test_a_deactivated_user_sees_nothing(cast):
    cast.city_officer.is_active = False
    cast.city_officer.save()
    assert not sites_visible_to(cast.city_officer).exists()
