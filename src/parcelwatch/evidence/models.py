"""Evidence files and the append-only, hash-chained timeline (留痕)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcelwatch.lib.queries import PreparedInsert


class Attachment(PreparedInsert, models.Model):
    """An uploaded evidence file, never changed. The bytes are stored once under their SHA-256; each upload
    (even of the same bytes) is its own record, owned by its uploader."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Photo")
        PDF = "pdf", _("PDF document")
        VIDEO = "video", _("Video")

    # Not indexed: nothing looks a file up by its hash (the file is stored under it), and each upload would write two
    # index entries at random places (PostgreSQL indexes a CharField twice, once for LIKE).
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    file = models.FileField(upload_to="evidence/", max_length=255)
    thumbnail = models.FileField(upload_to="evidence/thumbs/", max_length=255, blank=True)
    # A photo's thumbnail is made after the upload (evidence.thumbnails: by the worker, or by the first request
    # that shows it), unless the same bytes already have one: True until it has been made (or found impossible).
    thumbnail_pending = models.BooleanField(default=False)
    original_name = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        indexes = [models.Index(fields=["id"], condition=models.Q(thumbnail_pending=True),
                                name="evidence_thumbnail_waiting")]

    def __str__(self) -> str:
        return self.original_name or self.sha256[:12]

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.pop("_allow_update", False):
            raise RuntimeError("Evidence files are immutable.")
        super().save(*args, **kwargs)

    @property
    def shows_thumbnail(self) -> bool:
        """It has a thumbnail to show: made, or made by the request that asks for it (evidence.thumbnails)."""
        return bool(self.thumbnail) or self.thumbnail_pending


class TimelineEntry(PreparedInsert, models.Model):
    """One step in the legal record of an event or a case. Never updated or deleted.

    `entry_hash` covers the entry's canonical content, the SHA-256 of each
    attachment and `prev_hash`, the hash of the subject's previous entry.
    """

    subject_type = models.CharField(max_length=16)
    subject_id = models.PositiveBigIntegerField()
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150)
    actor_role = models.CharField(max_length=32)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    note = models.TextField(blank=True)
    deadline = models.DateField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    attachments = models.ManyToManyField(Attachment, blank=True, related_name="timeline_entries")
    prev_hash = models.CharField(max_length=64, blank=True)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["subject_type", "subject_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["subject_type", "subject_id", "seq"], name="unique_timeline_seq"),
        ]
        indexes = [models.Index(fields=["subject_type", "subject_id", "seq"])]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id} · #{self.seq} · {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise RuntimeError("Timeline entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Timeline entries are append-only.")
