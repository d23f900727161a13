"""Background work of the remote-video library, run by the task worker."""

from django_tasks import task

from . import services


@task()
def probe_cameras() -> dict[str, int]:
    """Check the health of every camera whose last check is due (bounded concurrency)."""
    return services.probe_due_cameras()
