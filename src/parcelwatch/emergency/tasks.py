from django_tasks import task

from . import services


@task()
def remind_expiring_plans() -> int:
    """Tell the enterprises whose emergency plans expire within 30 days (and once more when they have)."""
    return services.remind_expiring_plans()
