"""Background work of the remote-video library, run by the task worker."""

from django_tasks import task

from . import services


@task()
def probe_cameras() -> dict[str, int]:
    """Check the health of every camera whose last check is due (bounded concurrency), and alert about sorting
    centres' X-ray machines that are off during working hours."""
    counts = services.probe_due_cameras()
    from .xray import check_machines

    counts["xray_alerts"] = check_machines()
    return counts
