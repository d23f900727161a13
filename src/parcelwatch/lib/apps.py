from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


def refresh_planner_statistics(app_config=None, using: str = "default", **kwargs) -> None:
    """SQLite: gather planner statistics for every table that has none.

    A migration that alters a column rebuilds the table on SQLite, and the rebuilt table has lost its
    statistics; without them the planner may sort a million events to find the newest twelve. ANALYZE of
    just those tables restores them (PostgreSQL keeps its statistics and its autovacuum refreshes them).
    """
    from django.apps import apps
    from django.db import connections

    # Sent once per app with models, after all migrations have run: act on the last one only.
    if app_config is not None and app_config is not [a for a in apps.get_app_configs() if a.models_module][-1]:
        return
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        tables = [row[0] for row in cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        has_stats = bool(list(cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")))
        known = {row[0] for row in cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")} if has_stats else set()
        for table in tables:
            if table not in known:
                cursor.execute(f'ANALYZE "{table}"')


class LibConfig(AppConfig):
    default = True  # this module defines other AppConfigs too
    name = "parcelwatch.lib"
    label = "pwlib"

    def ready(self) -> None:
        post_migrate.connect(refresh_planner_statistics, dispatch_uid="pw_refresh_planner_statistics")


class TasksDatabaseConfig(TasksAppConfig):
    """The database task backend, under a name the administrator reads."""

    verbose_name = _("Background tasks")
