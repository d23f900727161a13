from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentKind(models.TextChoices):
    REMINDER_LETTER = "reminder_letter", _("Reminder letter")
    PENALTY_NOTICE = "penalty_notice", _("Notice of intended penalty")
    PENALTY_DECISION = "penalty_decision", _("Penalty decision")
    EVENT = "event", _("Event number")
    CASE = "case", _("Enforcement case number")
    CIRCULAR = "circular", _("Circular")


class NumberTemplate(models.Model):
    """How documents of one kind are numbered, e.g. 莆邮管罚〔{year}〕{seq}号. Editable by the admin.

    Placeholders: {year}, {seq}, {seq:03d} style widths, and {issuer} (the issuing
    district's short name, for district documents).
    """

    kind = models.CharField(_("document kind"), max_length=32, choices=DocumentKind.choices, unique=True)
    template = models.CharField(
        _("numbering template"), max_length=64,
        help_text=_("Placeholders: {year}, {seq} (may be padded: {seq:03d}) and {issuer} (the issuing district, "
                    "for district documents). Example: 莆邮管罚〔{year}〕{seq}号"),
    )
    # Numbers restart each year and, when set, count separately per issuing district.
    per_issuer = models.BooleanField(_("separate numbering per district"), default=False)

    class Meta:
        verbose_name = _("numbering template")
        verbose_name_plural = _("numbering templates")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.template}"

    def clean(self) -> None:
        from .services import template_problem

        problem = template_problem(self.template, needs_issuer=self.per_issuer)
        if problem:
            raise ValidationError({"template": problem})


class Counter(models.Model):
    kind = models.CharField(max_length=32)
    scope = models.CharField(max_length=32, blank=True)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "scope", "year"], name="unique_counter")]

    def __str__(self) -> str:
        return f"{self.kind}/{self.scope}/{self.year}: {self.last}"


class OfficialDocument(models.Model):
    """A generated document: its number, its PDF (as evidence, with its hash) and what it concerns."""

    kind = models.CharField(_("document kind"), max_length=32, choices=DocumentKind.choices)
    number = models.CharField(_("document number"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=128)
    subject_type = models.CharField(max_length=16)
    subject_id = models.PositiveBigIntegerField()
    # The PDF as issued; none for a paper original recorded by its number (imported history).
    attachment = models.ForeignKey("evidence.Attachment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    paper_original = models.BooleanField(_("paper original"), default=False)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("official document")
        verbose_name_plural = _("official documents")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return self.number
