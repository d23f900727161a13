from django_tasks import task

from . import services


@task()
def remind_duty_reports() -> dict[str, int]:
    """Remind the enterprises that have not sent last month's duty report (before the due day and after it)."""
    return services.remind_duty_reports()
