"""PreparedSelect: the hot lookups compiled once give exactly what their querysets give."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from parcelwatch.accounts.access import _MEMBERSHIPS
from parcelwatch.accounts.models import ApiToken, Membership
from parcelwatch.accounts.services import _TOKEN_BY_HASH, issue_api_token
from parcelwatch.documents.services import _TEMPLATE_OF_KIND
from parcelwatch.events.api import _CATEGORY_BY_CODE
from parcelwatch.events.models import EventCategory
from parcelwatch.events.services import _SITE_TO_REPORT
from parcelwatch.lib.queries import PreparedSelect
from parcelwatch.registry.models import Site


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _same(prepared, expected, relations=()):
    """Equal rows, and the same related objects already loaded (no query to reach them)."""
    assert [o.pk for o in prepared] == [o.pk for o in expected]
    for got, want in zip(prepared, expected, strict=True):
        assert type(got) is type(want) and _fields(got) == _fields(want)
        assert not got._state.adding and got._state.db == want._state.db
        for path in relations:
            a, b = got, want
            for name in path.split("__"):
                assert type(a)._meta.get_field(name).is_cached(a), path
                a, b = getattr(a, name), getattr(b, name)
            assert (a is None and b is None) or _fields(a) == _fields(b), path


def test_each_prepared_lookup_gives_what_its_queryset_gives(cast):
    from parcelwatch.documents.models import DocumentKind, NumberTemplate

    key, row = issue_api_token(cast.hanjiang_grid, name="手机")
    _same(_TOKEN_BY_HASH.all(row.key_hash), ApiToken.objects.select_related("user").filter(key_hash=row.key_hash),
          ["user"])
    assert _TOKEN_BY_HASH.one(ApiToken.hash_key(key + "x")) is None
    for user in (cast.hanjiang_grid, cast.zto_safety, cast.police_partner, cast.city_officer):
        _same(_MEMBERSHIPS.all(user.pk), Membership.objects.filter(user=user).select_related(
            "jurisdiction", "enterprise", "partner_department").order_by("pk"),
            ["jurisdiction", "enterprise", "partner_department"])
    with transaction.atomic():
        for site in Site.objects.order_by("pk"):
            _same(_SITE_TO_REPORT.all(site.pk), Site.objects.select_related(
                "enterprise", "jurisdiction", "district__parent").filter(pk=site.pk),
                ["enterprise", "jurisdiction", "district", "district__parent"])
        assert _SITE_TO_REPORT.one(2**31 + 5) is None
    for category in EventCategory.objects.all():
        _same(_CATEGORY_BY_CODE.all(category.code), [category])  # decimals (fines) convert the same on SQLite
    NumberTemplate.objects.update_or_create(kind=DocumentKind.EVENT, defaults={"template": "莆邮事〔{year}〕{seq}号"})
    _same(_TEMPLATE_OF_KIND.all(str(DocumentKind.EVENT)), NumberTemplate.objects.filter(kind=DocumentKind.EVENT))


def test_a_prepared_lookup_runs_one_statement_and_sees_new_rows(cast):
    from tests import factories as f

    _CATEGORY_BY_CODE.one("BA02")  # compiled
    with CaptureQueriesContext(connection) as queries:
        assert _CATEGORY_BY_CODE.one("BA02").code == "BA02"
        assert _CATEGORY_BY_CODE.one("无此类别") is None
    assert len(queries) == 2
    site = f.site("新网点", cast.handong_g2, cast.zto_hanjiang)
    with transaction.atomic():
        assert _SITE_TO_REPORT.one(site.pk).name == "新网点"


def test_values_of_the_wrong_kind_are_refused(db):
    with pytest.raises(TypeError):
        _CATEGORY_BY_CODE.one(5)
    with pytest.raises(TypeError):
        _MEMBERSHIPS.all("5")
    with pytest.raises(TypeError):
        _MEMBERSHIPS.all(True)  # a bool is not an id
    with pytest.raises(TypeError):
        _MEMBERSHIPS.all()
    with pytest.raises(ImproperlyConfigured):
        PreparedSelect(lambda when: EventCategory.objects.filter(created_at__gt=when), object)


def test_a_query_whose_values_do_not_reach_its_sql_once_is_refused(db):
    with pytest.raises(ImproperlyConfigured):
        PreparedSelect(lambda code: EventCategory.objects.all(), str).one("BA02")
    with pytest.raises(ImproperlyConfigured):
        PreparedSelect(lambda code: EventCategory.objects.filter(code=code) | EventCategory.objects.filter(name=code),
                       str).one("BA02")
    with pytest.raises(ImproperlyConfigured):
        PreparedSelect(lambda code: EventCategory.objects.filter(code=code).values("pk"), str).one("BA02")


def test_a_locking_lookup_needs_a_transaction(transactional_db, cast):
    site = Site.objects.order_by("pk").first()
    with transaction.atomic():
        _SITE_TO_REPORT.one(site.pk)  # compiled inside one
    if not connection.features.has_select_for_update:
        assert _SITE_TO_REPORT.one(site.pk).pk == site.pk  # SQLite locks the whole database instead: nothing to refuse
        return
    with pytest.raises(TransactionManagementError):
        _SITE_TO_REPORT.one(site.pk)


def test_a_token_is_live_only_unexpired_for_an_active_user_under_the_same_password(cast):
    from datetime import timedelta

    from django.utils import timezone

    from parcelwatch.accounts.services import token_for_key

    key, token = issue_api_token(cast.hanjiang_grid)
    assert token_for_key(key).pk == token.pk
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert token_for_key(key) is None
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(days=1))
    assert token_for_key(key).pk == token.pk
    type(cast.hanjiang_grid).objects.filter(pk=cast.hanjiang_grid.pk).update(is_active=False)
    assert token_for_key(key) is None
    type(cast.hanjiang_grid).objects.filter(pk=cast.hanjiang_grid.pk).update(is_active=True)
    user = type(cast.hanjiang_grid).objects.get(pk=cast.hanjiang_grid.pk)
    user.set_password("另一个密码-2026")
    user.save()
    assert token_for_key(key) is None
