"""The PostgreSQL cursor: only the hot paths' statements are prepared on the server.

With server-side binding, psycopg prepares any statement a connection has run five times (`prepare_threshold`),
and PostgreSQL then plans it once for all values (a generic plan) when five plans for particular values looked no
cheaper. That suits the statements every event report runs, lookups and inserts by key: they are no longer
planned at all. For the ORM's list queries it can be ruinous: a site's latest events, ordered by time, got a generic
plan that walks the whole events table backwards, fast for a busy site and 250 ms at a million events for a quiet
one, from the eleventh view of a site's page on a connection on.

So a statement is prepared only when it goes through the kept cursor of the hot paths (`lib.queries.kept_cursor`:
the prepared lookups and inserts, the facts, the counter, the notification and the credit list), or through
`executemany` (the rollups), which psycopg always prepares. Every other statement is planned for its own values on
every run, as Django does by default.
"""

from __future__ import annotations

from django.db.backends.postgresql.base import ServerBindingCursor


class HotPathCursor(ServerBindingCursor):
    prepares = False  # True on the hot paths' kept cursor

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and not self.prepares:
            prepare = False
        return super().execute(query, params, prepare=prepare, binary=binary)
