from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class LibConfig(AppConfig):
    name = "parcelwatch.lib"
    label = "pwlib"


class TasksDatabaseConfig(TasksAppConfig):
    """The database task backend, under a name the administrator reads."""

    verbose_name = _("Background tasks")
