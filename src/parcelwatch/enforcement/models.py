from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.lib.queries import ChoiceLabels
from parcelwatch.registry.models import Enterprise, Site


class EnforcementCase(ChoiceLabels, models.Model):
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


# --- inspections (执法检查): yearly plans and campaigns, the 双随机一公开 draw, inspection records -------------


class InspectionChecklistItem(models.Model):
    """One point an inspector checks on site; the checklist is configuration, copied into each record."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    text = models.CharField(_("what is checked"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("inspection checklist item")
        verbose_name_plural = _("inspection checklist")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


def default_shares() -> dict[str, int]:
    # Differentiated supervision (条例 §8): the worse the credit grade, the larger the share of sites inspected.
    return {"A": 5, "B": 10, "C": 30, "D": 60}


class InspectionPlan(models.Model):
    """A yearly inspection plan or a special campaign of one area; publishing it draws targets and inspectors."""

    class Kind(models.TextChoices):
        YEARLY = "yearly", _("Yearly random inspection plan")
        CAMPAIGN = "campaign", _("Special campaign")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published: drawn")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.YEARLY)
    title = models.CharField(_("title"), max_length=100)
    area = models.ForeignKey(Jurisdiction, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    focus = models.TextField(_("what the inspections look at"), blank=True)
    site_kinds = models.JSONField(_("kinds of site"), default=list)  # Site.Kind values; empty: every kind
    shares = models.JSONField(_("share drawn per credit grade (%)"), default=default_shares)
    team_size = models.PositiveSmallIntegerField(_("inspectors per inspection"), default=2,
                                                 validators=[MinValueValidator(2), MaxValueValidator(5)])
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.DRAFT, db_index=True)
    # The draw, recorded so that anyone can re-run it (lib/draws.py): [[site id, grade]] and
    # [[user id, name, enforcement ID]], both in id order.
    seed = models.CharField(_("seed"), max_length=40, blank=True)
    candidates = models.JSONField(default=list)
    inspector_pool = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("inspection plan")
        verbose_name_plural = _("inspection plans")
        ordering = ["-starts_on", "-pk"]

    def __str__(self) -> str:
        return self.title


class Inspection(models.Model):
    """One drawn target: its team of inspectors and, once done, the record of what they found."""

    class State(models.TextChoices):
        PLANNED = "planned", _("To inspect")
        DONE = "done", _("Inspected")

    class Result(models.TextChoices):
        COMPLIANT = "compliant", _("No problem found")
        PROBLEMS = "problems", _("Problems found")

    class Answer(models.TextChoices):
        YES = "yes", _("Meets the requirement")
        NO = "no", _("Does not meet it")
        NA = "na", _("Not applicable")

    plan = models.ForeignKey(InspectionPlan, verbose_name=_("plan"), on_delete=models.CASCADE,
                             related_name="inspections")
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="inspections")
    position = models.PositiveIntegerField(_("order drawn"))
    grade = models.CharField(_("credit grade when drawn"), max_length=1, blank=True)
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("inspectors"), related_name="+")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PLANNED, db_index=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, blank=True)
    inspected_on = models.DateField(_("inspected on"), null=True, blank=True)
    checklist = models.JSONField(default=list)  # [{code, text}] as it was when recorded
    answers = models.JSONField(default=dict)  # {code: yes/no/na}
    findings = models.TextField(_("findings of the inspection"), blank=True)
    attachments = models.ManyToManyField("evidence.Attachment", blank=True, related_name="+")
    events = models.ManyToManyField(Event, verbose_name=_("events raised"), blank=True, related_name="inspections")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "site"], name="one_inspection_per_site_and_plan")]

    def __str__(self) -> str:
        return f"{self.plan} — {self.site}"

    def failed_items(self) -> list[dict]:
        return [item for item in self.checklist if self.answers.get(item.get("code")) == self.Answer.NO]
