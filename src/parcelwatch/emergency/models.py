"""Emergency management (应急管理): each enterprise's emergency organisation and plans, its drills, and incidents
(突发事件) with their own timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import EMERGENCY_REVIEW
from parcelwatch.lib.transitions import Transition
from parcelwatch.registry.models import Enterprise, Site

EXPIRY_NOTICE_DAYS = 30  # a plan's enterprise is told this long before it expires, and again when it has
DRILL_NOTICE_DAYS = 30  # a planned drill is "due" this long before its day


class EmergencyOrganisation(models.Model):
    """The enterprise's emergency command (应急管理机构): who leads, who is on it, the number on duty."""

    enterprise = models.OneToOneField(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                      related_name="emergency_organisation")
    head = models.CharField(_("head of the emergency command"), max_length=32)
    deputy = models.CharField(_("deputy"), max_length=32, blank=True)
    members = models.TextField(_("members and their duties"), blank=True)
    duty_phone = models.CharField(_("phone on duty (24 h)"), max_length=20)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("emergency organisation")
        verbose_name_plural = _("emergency organisations")

    def __str__(self) -> str:
        return f"{self.enterprise} — {self.head}"


class EmergencyPlan(models.Model):
    """An emergency plan (应急预案) the enterprise files; the district reviews it; it expires."""

    class Kind(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("Comprehensive plan")
        SPECIAL = "special", _("Special plan")
        ON_SITE = "on_site", _("On-site response procedure")

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting review")
        ACCEPTED = "accepted", _("Approved, in force")
        RETURNED = "returned", _("Returned")
        SUPERSEDED = "superseded", _("Replaced by a newer plan")

    TRANSITIONS = {
        "accept": Transition((State.SUBMITTED,), State.ACCEPTED, EMERGENCY_REVIEW, _("Accept the plan")),
        "return": Transition((State.SUBMITTED,), State.RETURNED, EMERGENCY_REVIEW, _("Return with a reason"),
                             needs_reason=True, style="outline-danger"),
    }

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="emergency_plans")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=100)
    document = models.ForeignKey("evidence.Attachment", verbose_name=_("plan document (PDF)"), on_delete=models.PROTECT,
                                 related_name="+")
    effective_on = models.DateField(_("in force from"))
    expires_on = models.DateField(_("expires on"), db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.SUBMITTED,
                             db_index=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        ordering = ["-submitted_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class Drill(models.Model):
    """An emergency drill (应急演练): planned, held with its participants and photos, evaluated by the district."""

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held, awaiting evaluation")
        EVALUATED = "evaluated", _("Evaluated")

    class Rating(models.TextChoices):
        GOOD = "good", _("Effective")
        FAIR = "fair", _("Basically effective")
        POOR = "poor", _("Needs a new drill")

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="drills")
    plan = models.ForeignKey(EmergencyPlan, verbose_name=_("plan drilled"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="drills")
    site = models.ForeignKey(Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    title = models.CharField(_("title"), max_length=100)
    scenario = models.TextField(_("scenario"))
    planned_on = models.DateField(_("planned for"), db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PLANNED, db_index=True)
    held_on = models.DateField(_("held on"), null=True, blank=True)
    participants = models.PositiveIntegerField(_("number of participants"), null=True, blank=True)
    participant_names = models.TextField(_("participants"), blank=True)
    summary = models.TextField(_("what happened and what was learnt"), blank=True)
    attachments = models.ManyToManyField("evidence.Attachment", blank=True, related_name="+")
    rating = models.CharField(_("evaluation"), max_length=8, choices=Rating.choices, blank=True)
    evaluation = models.TextField(_("evaluation comments"), blank=True)
    evaluated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("emergency drill")
        verbose_name_plural = _("emergency drills")
        ordering = ["-planned_on", "-pk"]

    def __str__(self) -> str:
        return self.title


class Incident(models.Model):
    """A sudden incident (突发事件) in the delivery channel, reported at once up the levels, with its timeline."""

    class Kind(models.TextChoices):
        DANGEROUS_GOODS = "dangerous_goods", _("Dangerous or prohibited goods found in the channel")
        FIRE = "fire", _("Fire or explosion")
        INJURY = "injury", _("Injury or death at work")
        TRAFFIC = "traffic", _("Traffic accident of a delivery vehicle")
        DATA = "data", _("Leak of personal data")
        DISRUPTION = "disruption", _("Large-scale delay or stoppage")
        PUBLIC_HEALTH = "public_health", _("Public-health incident")
        OTHER = "other", _("Other")

    class Severity(models.TextChoices):
        GENERAL = "general", _("General (IV)")
        LARGER = "larger", _("Larger (III)")
        MAJOR = "major", _("Major (II)")
        EXTREME = "extreme", _("Extremely serious (I)")

    class State(models.TextChoices):
        OPEN = "open", _("Being handled")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("incident number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("what happened"))
    occurred_at = models.DateTimeField(_("occurred at"))
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="incidents")
    site = models.ForeignKey(Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="incidents")
    district = models.ForeignKey(Jurisdiction, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN, db_index=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-reported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class IncidentUpdate(models.Model):
    """One entry of an incident's timeline: never changed, never deleted."""

    class Kind(models.TextChoices):
        REPORT = "report", _("Reported")
        UPDATE = "update", _("Progress")
        CLOSE = "close", _("Closed")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.TextField(_("text"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    attachments = models.ManyToManyField("evidence.Attachment", blank=True, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident.number} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
