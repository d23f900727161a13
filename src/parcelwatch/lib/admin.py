"""The background task results in the admin, with headers the administrator reads."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

admin.site.unregister(DBTaskResult)
# The package names its records "DBTaskResult object (uuid)" and its key "Id": say what they are.
TASK = _("Task")
DBTaskResult.__str__ = lambda self: f"{TASK} {str(self.id)[:8]}"
DBTaskResult._meta.get_field("id").verbose_name = _("task number")


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    list_display = ("short_id", "task", "status", "enqueued_at", "started_at", "finished_at", "priority",
                    "queue_name")

    @admin.display(description=_("task number"))
    def short_id(self, obj: DBTaskResult) -> str:
        return str(obj.id)[:8]

    @admin.display(description=_("task"))
    def task(self, obj: DBTaskResult) -> str:
        return str(TASK_NAMES.get(obj.task_path, obj.task_path.rsplit(".", 1)[-1]))

    @admin.display(description=_("traceback"))
    def formatted_traceback(self, obj: DBTaskResult) -> str:
        return super().formatted_traceback(obj)

    @admin.display(description=_("run after"))
    def display_run_after(self, obj: DBTaskResult) -> str:
        return super().display_run_after(obj)


TASK_NAMES = {
    "parcelwatch.events.tasks.sweep_deadlines": _("Deadline sweep"),
    "parcelwatch.exports.tasks.run_export": _("Export"),
    "parcelwatch.exports.tasks.delete_old_exports": _("Delete old exports"),
    "parcelwatch.housekeeping.housekeeping": _("Housekeeping"),
    "parcelwatch.video.tasks.probe_cameras": _("Camera health probes"),
    "parcelwatch.selfcheck.tasks.remind_duty_reports": _("Duty report reminders"),
}
