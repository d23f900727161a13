"""Background work of exports, run by the task worker."""

from django_tasks import task

from . import services


@task()
def run_export(job_id: int) -> str:
    return services.run_export(job_id)


@task()
def delete_old_exports() -> int:
    return services.delete_old_exports()
