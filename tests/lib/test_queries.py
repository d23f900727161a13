"""PreparedSelect and PreparedInsert: the hot lookups and inserts compiled once send and give exactly what the ORM
would."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

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


# --- PreparedInsert ---------------------------------------------------------------------------------------------


def _plain(params) -> list:
    return [getattr(p, "obj", p) for p in params]  # psycopg's Jsonb wrapper compares by identity


def test_prepared_inserts_send_the_statement_and_values_the_orm_compiles(client, cast, monkeypatch):
    """Every model that reuses its INSERT, through two API reports (the first compiles, the second reuses): the
    statement and parameters are those Django compiles for the same object, and the rows read back are whole."""
    import time_machine
    from django.apps import apps
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db.models.sql.subqueries import InsertQuery

    from parcelwatch.analytics.models import EventFact
    from parcelwatch.events.models import Event
    from parcelwatch.evidence.models import Attachment, TimelineEntry
    from parcelwatch.lib import queries
    from tests.evidence_files import jpeg

    prepared = {m for m in apps.get_models() if issubclass(m, queries.PreparedInsert)}
    assert prepared == {Attachment, Event, TimelineEntry}
    checked, expected, sent = [], [], []
    real = queries._insert_plan

    def checking(obj, manager, connection, fields, returning_fields):
        plan = real(obj, manager, connection, fields, returning_fields)
        assert plan is not None, type(obj)
        query = InsertQuery(manager.model)
        query.insert_values(fields, [obj])
        compiler = query.get_compiler(using=connection.alias)
        compiler.returning_fields = returning_fields
        [(sql, params)] = compiler.as_sql()
        assert plan.sql == sql, type(obj)
        expected.append((sql, _plain(params)))
        checked.append(type(obj))
        return plan

    def sending(execute, sql, params, many, context):
        if any(sql == e[0] for e in expected):
            sent.append((sql, _plain(params)))
        return execute(sql, params, many, context)

    monkeypatch.setattr(queries, "_insert_plan", checking)
    key, _ = issue_api_token(cast.hanjiang_grid)
    with time_machine.travel("2026-11-20 10:00 +0800", tick=False), connection.execute_wrapper(sending):
        for n in range(2):  # auto_now_add: one instant for Django's compile and the insert sent
            response = client.post("/api/v1/events", {
                "site": cast.hanjiang_outlet.pk, "category": "BA02", "description": f"备案地址不符 {n}",
                "photos": [SimpleUploadedFile("p.jpg", jpeg((n, 2, 3)))]}, HTTP_AUTHORIZATION=f"Bearer {key}")
            assert response.status_code == 201, response.content
    assert set(checked) == prepared and len(checked) == 2 * len(prepared)
    assert sent == expected  # what was sent, statement and values, is what Django compiles for the same object
    event = Event.objects.get(pk=response.json()["id"])
    fact = EventFact.objects.get(event=event)
    assert (event.description, event.site_id, event.reported_by_id) == ("备案地址不符 1", cast.hanjiang_outlet.pk,
                                                                        cast.hanjiang_grid.pk)
    assert (fact.district_id, fact.category_id, fact.reported) == (event.district_id, event.category_id, 1)
    entry = TimelineEntry.objects.get(subject_type="event", subject_id=event.pk)
    assert entry.data == response.json()["timeline"][0]["data"] and entry.attachments.get().original_name == "p.jpg"


def test_an_insert_holding_an_sql_expression_takes_the_orm_s_path(cast):
    from django.db.models.functions import Now

    from parcelwatch.evidence.models import TimelineEntry

    def entry(seq, created_at):
        return TimelineEntry(subject_type="case", subject_id=99, seq=seq, action="note", actor_name="system",
                             actor_role="system", created_at=created_at, data={"a": [1, "二"]}, entry_hash="x" * 64)

    connections["default"].__dict__.pop("_pw_prepared", None)  # the wrapper itself, not its proxy
    zeroth = entry(0, Now())
    zeroth.save(force_insert=True)  # the first on this connection: no statement is compiled with its expression
    assert not [key for key in connection._pw_prepared if isinstance(key, tuple) and key[:2] == ("insert", TimelineEntry)]
    first = entry(1, timezone.now())
    first.save(force_insert=True)  # compiles the plain statement
    second = entry(2, Now())
    second.save(force_insert=True)
    third = entry(3, timezone.now())
    third.save(force_insert=True)
    plans = [plan for key, plan in connection._pw_prepared.items()
             if isinstance(key, tuple) and key[:2] == ("insert", TimelineEntry)]
    assert len(plans) == 1 and plans[0] is not None and "NOW" not in plans[0].sql.upper()
    rows = {e.seq: e for e in TimelineEntry.objects.filter(subject_type="case", subject_id=99)}
    assert sorted(rows) == [0, 1, 2, 3] and all(r.data == {"a": [1, "二"]} for r in rows.values())
    assert rows[0].created_at is not None and rows[2].created_at is not None and rows[3].pk == third.pk


def test_a_choice_label_is_the_one_django_gives_in_the_language_active_at_the_call():
    from django.db import models
    from django.utils import translation

    from parcelwatch.enforcement.models import EnforcementCase
    from parcelwatch.events.models import Event

    for model, value in ((Event, Event.State.RECTIFYING), (EnforcementCase, EnforcementCase.State.PROPOSED)):
        obj, field = model(state=value), model._meta.get_field("state")
        labels = {}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                labels[language] = obj.get_state_display()
                assert labels[language] == models.Model._get_FIELD_display(obj, field)
        assert labels["zh-hans"] != labels["en"] and isinstance(labels["en"], str)
        obj.state = "no-such-state"  # a value outside the choices shows as itself, as Django shows it
        assert obj.get_state_display() == "no-such-state"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="kept on PostgreSQL only")
def test_the_kept_cursor_serves_one_connection_and_is_seen_by_logging_and_wrappers():
    from django.db import DatabaseError

    from parcelwatch.lib.queries import kept_cursor

    first = kept_cursor()
    first.execute("SELECT 1")
    assert kept_cursor() is first and first.fetchall() == [(1,)]
    seen = []
    with connection.execute_wrapper(lambda execute, sql, *rest: seen.append(sql) or execute(sql, *rest)):
        kept_cursor().execute("SELECT 2")
    assert seen == ["SELECT 2"]
    with CaptureQueriesContext(connection) as logged:  # logging on: a logging cursor, then back without
        kept_cursor().execute("SELECT 3")
    assert [q["sql"] for q in logged.captured_queries] == ["SELECT 3"]
    assert kept_cursor() is not first and kept_cursor() is kept_cursor()
    with pytest.raises(DatabaseError), transaction.atomic():  # the driver's error comes as Django's
        kept_cursor().execute("SELECT no_such_column FROM no_such_table")
    cursor = kept_cursor()
    cursor.execute("SELECT 4")
    assert cursor.fetchall() == [(4,)]
    with override_settings(USE_TZ=False):  # the datetimes' zone changes: a cursor made for it
        assert kept_cursor() is not cursor
    cursor = kept_cursor()
    assert kept_cursor() is cursor
    connection.close()  # a new connection gets a new cursor
    again = kept_cursor()
    assert again is not cursor
    again.execute("SELECT 5")
    assert again.fetchall() == [(5,)]
    again.close()
    assert kept_cursor() is not again


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor == "postgresql", reason="SQLite: nothing kept")
def test_on_sqlite_each_statement_has_its_own_cursor():
    from parcelwatch.lib.queries import kept_cursor

    assert kept_cursor() is not kept_cursor()


@pytest.mark.skipif(connection.vendor != "postgresql"
                    or not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding"),
                    reason="PostgreSQL, with prepared statements")
def test_only_the_hot_paths_statements_are_prepared_on_the_server(cast):
    """A list query run many times on a connection is still planned for its values each time: a generic plan once
    walked the whole events table for a quiet site's page. The hot paths' lookups are prepared."""
    from parcelwatch.events.models import Event

    for _ in range(12):  # psycopg prepares what a connection runs five times
        list(Event.objects.filter(site=cast.hanjiang_outlet).order_by("-reported_at")[:10])  # a site page's list
        _TOKEN_BY_HASH.one("no such key")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "accounts_apitoken"' in s for s in prepared), prepared
    assert not any('FROM "events_event"' in s and 'ORDER BY "events_event"."reported_at" DESC' in s
                   for s in prepared), prepared
