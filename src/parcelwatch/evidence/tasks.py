"""Background work on evidence files, run by the task worker."""

from django_tasks import task

from . import thumbnails


@task()
def make_thumbnails() -> int:
    """Make the thumbnails of the photos uploaded since the last run (queued every few seconds by the scheduler)."""
    return thumbnails.make_waiting_thumbnails()
