"""Small query helpers for the hot paths."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators
from django.db.transaction import TransactionManagementError
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

M = TypeVar("M", bound=Model)


def unique_or_none(queryset: QuerySet) -> Model | None:
    """The row a lookup on a unique key matches, or None.

    Like `.first()` without the ORDER BY that `.first()` adds (the model's ordering, or the primary key): one
    row cannot need ordering, and an ordering through a relation costs a join and its compilation on every call."""
    return next(iter(queryset.order_by()[:1]), None)


def kept_cursor(using: str = DEFAULT_DB_ALIAS):
    """The connection's cursor for the statements of the hot paths: one per connection, kept from one statement
    (and request) to the next instead of made and closed for each.

    Making a cursor (the driver's, and Django's wrapper around it) cost more CPU than running some of the
    statements: an event report ran fourteen. The kept one is made again when the connection is new or the cursor
    was closed, when Django starts or stops logging queries (tests, DEBUG), and when the connection's time zone
    changes (Django sets the zone of a new cursor's datetimes): logging, error translation and `execute_wrapper()`
    see these statements as any other. It holds its last result (a few rows: lookups by key) until the next
    statement. Read a statement's results before anything else runs on the connection: the next statement may
    reuse the cursor. Its statements are the ones PostgreSQL prepares and may plan once for all values
    (`lib.pgcursor`): give it lookups and writes by key, never a list query whose best plan depends on the values.

    PostgreSQL only (psycopg holds a statement's whole result on the client, nothing stays open on the server).
    Elsewhere a new cursor each time, closed when the caller lets go of it: an SQLite statement stays open until
    its cursor moves on, and an open one would hold the connection's read snapshot, or its write, past its end."""
    return _kept_cursor(connections[using])


def _kept_cursor(connection):
    if connection.vendor != "postgresql":
        return connection.cursor()
    # What connection.cursor() does before it makes a cursor (it also checks the thread, below).
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    made_for = (connection.queries_logged, connection.timezone)
    kept = connection.__dict__.get("_pw_cursor")
    if kept is None or kept[0] is not connection.connection or kept[1] != made_for or kept[2].cursor.closed:
        kept = connection.__dict__["_pw_cursor"] = (connection.connection, made_for, connection.cursor())
        if hasattr(kept[2].cursor, "prepares"):
            kept[2].cursor.prepares = True  # its statements are the ones prepared on the server (lib.pgcursor)
    else:
        connection.validate_thread_sharing()
    return kept[2]


class ChoiceLabels:
    """A model mixin: `get_FOO_display()` finds the label in a table made once per field.

    Django's makes the table again on every call, hashing every label (a translation each): most of the cost of
    showing an event's state, which lists and API answers do for every row."""

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        return force_str(_choice_labels(field).get(make_hashable(value), value), strings_only=True)


@functools.cache
def _choice_labels(field) -> dict:
    # The labels stay lazy: each call translates its own into the language active then.
    return dict(make_hashable(field.flatchoices))


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[int, ...]
    locks: bool
    compiler: Any
    model: type[Model]
    init_list: list[str]
    start: int
    end: int
    populators: list
    annotations: dict
    converters: dict


class PreparedSelect(Generic[M]):
    """A query for model instances that the ORM compiles once per database connection and then only runs.

    Building and compiling a queryset costs more CPU than the database spends answering a lookup by key, on every
    request. `build(*values)` returns the queryset for the values; its SQL must be the same whatever they are.
    The first call builds it with stand-in values, has Django compile it, and notes where each value lands among
    the SQL parameters; later calls execute that SQL with the new values and make the instances exactly as the
    queryset would (select_related objects, database converters, annotations).

    `kinds` gives each value's type: int or str only, the types no field converts on its way to either database
    (a datetime or a decimal would be adapted by the field at compile time, which this skips), and each must
    reach the SQL exactly once. Both are checked: at compile time for the SQL, at every call for the values.
    """

    def __init__(self, build: Callable[..., QuerySet[M]], *kinds: type) -> None:
        if any(kind not in (int, str) for kind in kinds):
            raise ImproperlyConfigured("PreparedSelect takes int and str values only.")
        self.build = build
        self.kinds = kinds

    def _stand_ins(self) -> list:
        # Within a 32-bit integer's range, so that no lookup turns a stand-in into a constant "matches nothing".
        return [-(1_987_654_000 + i) if kind is int else f"\x1fprepared-stand-in-{i}\x1f"
                for i, kind in enumerate(self.kinds)]

    def _compile(self, alias: str) -> _Compiled:
        stand_ins = self._stand_ins()
        queryset = self.build(*stand_ins)
        if queryset._iterable_class is not ModelIterable or queryset._prefetch_related_lookups:
            raise ImproperlyConfigured("PreparedSelect runs plain model querysets (no values(), no prefetch).")
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = tuple(params)
        slots = []
        for stand_in in stand_ins:
            found = [n for n, p in enumerate(params) if type(p) is type(stand_in) and p == stand_in]
            if len(found) != 1:
                raise ImproperlyConfigured(f"A value of a prepared query must reach its SQL once, unchanged: {sql}")
            slots.append(found[0])
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Compiled(
            sql=sql, params=params, slots=tuple(slots), compiler=compiler, model=klass_info["model"],
            locks=bool(queryset.query.select_for_update and compiler.connection.features.has_select_for_update
                       and compiler.connection.features.supports_transactions),
            init_list=[f[0].target.attname for f in select[start:end]], start=start, end=end,
            populators=get_related_populators(klass_info, select, alias), annotations=compiler.annotation_col_map,
            converters=compiler.get_converters([s[0] for s in select[:compiler.col_count]]),
        )

    def all(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> list[M]:
        if len(values) != len(self.kinds) or any(type(v) is not k for v, k in zip(values, self.kinds, strict=True)):
            raise TypeError(f"PreparedSelect expects values of types {self.kinds}, got {values!r}")
        connection = connections[using]
        # Kept on the connection object (one per thread and alias), whose converters the compiler holds: it goes
        # with the connection.
        cache = connection.__dict__.setdefault("_pw_prepared", {})
        compiled = cache.get(self)
        if compiled is None:
            compiled = cache[self] = self._compile(using)
        if compiled.locks and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        params = list(compiled.params)
        for slot, value in zip(compiled.slots, values, strict=True):
            params[slot] = value
        cursor = _kept_cursor(connection)
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        objects = []
        for row in rows:
            obj = compiled.model.from_db(using, compiled.init_list, row[compiled.start:compiled.end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    def one(self, *values: Any, using: str = DEFAULT_DB_ALIAS) -> M | None:
        """The row a lookup on a unique key matches, or None."""
        objects = self.all(*values, using=using)
        return objects[0] if objects else None


@dataclass(frozen=True)
class _InsertPlan:
    sql: str
    compiler: Any
    converters: dict


class PreparedInsert:
    """A model mixin for rows inserted on hot paths (every event report inserts several): `save()` of a new row
    reuses the INSERT statement Django compiled for this model's first such save on the database connection.

    Django compiles the statement on every insert, which costs more CPU than the database spends running it. Here
    only the values are prepared on each save, by the fields' own methods as Django's compiler calls them
    (`pre_save`: auto_now_add and the like, then `get_db_prep_save`), so the statement and its parameters are those
    `save()` would send (a test compares them); signals and `save()` overrides run as before. A raw save (fixtures,
    restore), a value that is an SQL expression, a field with its own placeholder, or a database that cannot return
    the new id take Django's own path.
    """

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        connection = connections[using]
        plan = None if raw else _insert_plan(self, manager, connection, fields, returning_fields)
        if plan is None:
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        # What the compiler's pre_save_val() and prepare_value() do for a value that is not an expression (and a
        # save that is not raw), called directly.
        values = [field.pre_save(self, True) for field in fields]
        if any(hasattr(value, "resolve_expression") for value in values):
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values, strict=True)]
        cursor = _kept_cursor(connection)
        cursor.execute(plan.sql, params)
        if not returning_fields:
            return []
        compiler = plan.compiler
        rows = [connection.ops.fetch_returned_insert_columns(cursor, compiler.returning_params)]
        if plan.converters:
            rows = compiler.apply_converters(rows, plan.converters)
        return list(rows)


def _insert_plan(obj: Model, manager, connection, fields, returning_fields) -> _InsertPlan | None:
    from django.db.models.sql.subqueries import InsertQuery

    model = manager.model  # the table being written: Django's own _do_insert inserts through this manager
    key = ("insert", model, tuple(f.attname for f in fields), tuple(f.attname for f in returning_fields or ()))
    cache = connection.__dict__.setdefault("_pw_prepared", {})
    if key in cache:
        return cache[key]  # the caller checks this object's values for expressions
    if any(hasattr(getattr(obj, f.attname, None), "resolve_expression") for f in fields):
        return None  # compiled with this object, the SQL would hold its expression (and is not kept)
    plan = None
    if (fields and not any(hasattr(f, "get_placeholder") for f in fields)
            and (not returning_fields or connection.features.can_return_columns_from_insert)):
        query = InsertQuery(model)
        query.insert_values(fields, [obj], raw=False)
        compiler = query.get_compiler(using=connection.alias)
        compiler.returning_fields = returning_fields
        statements = compiler.as_sql()
        query.objs = []  # the plan outlives this object
        if len(statements) == 1 and len(statements[0][1]) == len(fields) and not compiler.returning_params:
            columns = [f.get_col(model._meta.db_table) for f in returning_fields or ()]
            plan = _InsertPlan(sql=statements[0][0], compiler=compiler, converters=compiler.get_converters(columns))
    cache[key] = plan  # None: this model's inserts take Django's own path on this connection
    return plan


def analyze_own_rows(using: str = DEFAULT_DB_ALIAS) -> None:
    """PostgreSQL: bring the planner's statistics up to date inside a long transaction that writes many rows (the
    demo's load).

    An ANALYZE by another session meanwhile (autovacuum, when earlier work left dead rows to clear) sees none of the
    transaction's rows and records its tables as empty. The plans PostgreSQL then keeps for the transaction's
    prepared statements scan whole tables for lookups by key, over ever more rows: one ANALYZE early in the demo's
    load took it from under a minute to more than three. An ANALYZE in the transaction counts its own rows and
    replaces those plans. (SQLite: nothing; lib.apps refreshes its statistics after migrations.)"""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
