from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.registry.models import Enterprise, Site


class EnforcementCase(models.Model):
    """An administrative penalty case of the city bureau (执法案件)."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed, awaiting approval")
        FILED = "filed", _("Filed")
        INVESTIGATING = "investigating", _("Investigating")
        NOTIFIED = "notified", _("Intended penalty notified")
        DECIDED = "decided", _("Penalty decided")
        SERVED = "served", _("Decision served")
        EXECUTED = "executed", _("Fine paid")
        CLOSED = "closed", _("Case closed")
        NOT_FILED = "not_filed", _("Filing refused (not filed as a case)")
        NO_PENALTY = "no_penalty", _("Closed without penalty")

    FINISHED = (State.CLOSED, State.NOT_FILED, State.NO_PENALTY)
    # States in which a penalty has been decided (counted in fine totals).
    PENALISED = (State.DECIDED, State.SERVED, State.EXECUTED, State.CLOSED)

    number = models.CharField(_("case number"), max_length=64, unique=True, null=True, blank=True)
    events = models.ManyToManyField(Event, verbose_name=_("events"), related_name="cases")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("party"), on_delete=models.PROTECT, related_name="cases")
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="cases")
    category = models.ForeignKey(EventCategory, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="cases")
    district = models.ForeignKey(Jurisdiction, verbose_name=_("district"), on_delete=models.PROTECT,
                                 related_name="cases")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PROPOSED, db_index=True)
    proposal = models.TextField(_("reasons for filing"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT,
                                    related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filing approved by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True, db_index=True)
    findings = models.TextField(_("facts found"), blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=255, blank=True)
    proposed_fine = models.DecimalField(_("intended fine (yuan)"), max_digits=12, decimal_places=2, null=True,
                                        blank=True)
    fine_amount = models.DecimalField(_("fine (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    justification = models.TextField(_("justification of the amount"), blank=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    hearing_deadline = models.DateField(_("statement and hearing deadline"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_number = models.CharField(_("decision number"), max_length=64, blank=True)
    served_at = models.DateTimeField(_("served at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("enforcement case")
        verbose_name_plural = _("enforcement cases")
        ordering = ["-proposed_at", "-pk"]

    def __str__(self) -> str:
        return self.number or _("Case proposal #%(pk)s") % {"pk": self.pk}

    @property
    def display_number(self) -> str:
        return str(self)

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED


class EnforcementSettings(models.Model):
    """The bureau's procedural settings, one row, edited by the administrator."""

    hearing_days = models.PositiveSmallIntegerField(
        _("statement and hearing period (working days)"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("Administrative Penalty Law Article 64: a hearing is requested within 5 days of being "
                    "informed; Article 85: such periods are working days."),
    )

    class Meta:
        verbose_name = _("enforcement settings")
        verbose_name_plural = _("enforcement settings")

    def __str__(self) -> str:
        return str(_("Enforcement settings"))

    @classmethod
    def current(cls) -> EnforcementSettings:
        return cls.objects.order_by("pk").first() or cls()
