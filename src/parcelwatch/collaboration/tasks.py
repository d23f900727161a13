from django_tasks import task

from . import services


@task()
def remind_expiring_memoranda() -> int:
    """Tell the officers of the signing area once when a memorandum of collaboration lapses within 30 days."""
    return services.remind_expiring_memoranda()
