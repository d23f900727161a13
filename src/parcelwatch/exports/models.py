from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportJob(models.Model):
    """A spreadsheet export written by the background worker; its owner downloads it when it is ready."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("In progress")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE,
                              related_name="export_jobs")
    source = models.CharField(_("list"), max_length=32)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    label = models.CharField(_("export"), max_length=128)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(upload_to="exports/", max_length=255, blank=True)
    filename = models.CharField(_("file name"), max_length=128, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "created_at"])]

    def __str__(self) -> str:
        return self.label

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_done * 100 / self.rows_total))

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
