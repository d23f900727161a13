"""Background work of the event workflow, run by the task worker."""

from django_tasks import task

from . import services


@task()
def sweep_deadlines() -> dict[str, int]:
    """Escalate overdue rectifications to the city bureau and remind before deadlines."""
    return services.sweep_deadlines()
