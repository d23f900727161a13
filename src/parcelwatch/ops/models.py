"""What the operators of a deployment need: proof that the background workers run."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time a background worker ran the heartbeat task (whatever queue backend carries it)."""

    worker = models.CharField(max_length=200, unique=True)
    beat_at = models.DateTimeField(db_index=True)
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.worker} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
