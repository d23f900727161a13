from django_tasks import task

from . import credit, services


@task()
def compute_evaluation_task(evaluation_id: int) -> int:
    """Score every enterprise or site of an evaluation (with progress), then rank them."""
    return services.compute_evaluation(evaluation_id).results.count()


@task()
def recalculate_credit(enterprise_ids: list[int]) -> int:
    """Recompute the credit grades of these enterprises and their sites (queued by earlier versions for each
    change; changes now put the enterprise on the waiting list, see recalculate_requested_credit)."""
    return credit.recalculate(enterprise_ids)


@task()
def recalculate_requested_credit() -> int:
    """Recompute the credit grades of the enterprises whose inputs changed since the last run (queued every minute
    by the scheduler)."""
    return credit.recalculate_requested()


@task()
def recalculate_all_credit() -> int:
    """Recompute every credit grade (nightly: old events, cases and reports age out of the windows)."""
    return credit.recalculate_all()


@task()
def evaluation_published_task(evaluation_id: int) -> int:
    """Tell the enterprises of a published evaluation, and queue their credit regrading."""
    return services.after_publication(evaluation_id)
