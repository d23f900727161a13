"""The safe-delivery assessment (平安寄递业考评) and the credit grades (信用分级) built on it.

A scoring sheet is configuration: criteria with their points, each scored by hand or computed from the data.
An evaluation applies a sheet to every enterprise (or site) of an area for a year; its results carry each
criterion's score with the figures behind it, a total, a grade and a rank. Credit ratings are recomputed by
the worker within a minute of a change of an input; a new row is kept only when the grade or the score changes,
so the rows are the rating's history.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.registry.models import Enterprise, Site

STALLED_AFTER = timedelta(minutes=30)


class ScoringSheet(models.Model):
    class Subject(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprises")
        SITE = "site", _("Sites")

    name = models.CharField(_("name"), max_length=64)
    subject = models.CharField(_("evaluates"), max_length=16, choices=Subject.choices, default=Subject.ENTERPRISE)
    active = models.BooleanField(_("in use"), default=True)
    excellent_from = models.DecimalField(_("excellent from (points)"), max_digits=6, decimal_places=1,
                                         default=Decimal("90"))
    good_from = models.DecimalField(_("good from (points)"), max_digits=6, decimal_places=1, default=Decimal("80"))
    pass_from = models.DecimalField(_("pass from (points)"), max_digits=6, decimal_places=1, default=Decimal("60"))

    class Meta:
        verbose_name = _("scoring sheet")
        verbose_name_plural = _("scoring sheets")
        ordering = ["subject", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def total_points(self) -> Decimal:
        return sum((c.points for c in self.criteria.all()), Decimal(0))


class Criterion(models.Model):
    class Method(models.TextChoices):
        MANUAL = "manual", _("Scored by hand")
        COMPUTED = "computed", _("Computed from the data")

    class Metric(models.TextChoices):
        EVENTS = "events", _("Problems found (deduct per event)")
        OVERDUE = "overdue_rectifications", _("Rectifications past their deadline (deduct per event)")
        REPORTS_ON_TIME = "reports_on_time", _("Monthly duty reports on time (share of the months due)")
        OFFICER_FILED = "officer_filed", _("Operating sites with a filed safety officer (share)")
        DRILLS_HELD = "drills_held", _("Emergency drills held in the year (all points for at least one)")

    sheet = models.ForeignKey(ScoringSheet, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(_("code"), max_length=32)
    text = models.CharField(_("criterion"), max_length=200)
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    method = models.CharField(_("scored"), max_length=16, choices=Method.choices, default=Method.MANUAL)
    metric = models.CharField(_("computed from"), max_length=32, choices=Metric.choices, blank=True)
    deduction = models.DecimalField(_("deduction per event"), max_digits=5, decimal_places=1, default=Decimal("1"),
                                    validators=[MinValueValidator(0)])
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["sheet", "code"], name="unique_criterion_code")]

    def __str__(self) -> str:
        return self.text


class Evaluation(models.Model):
    class State(models.TextChoices):
        COMPUTING = "computing", _("Computing")
        OPEN = "open", _("Being scored")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")

    sheet = models.ForeignKey(ScoringSheet, verbose_name=_("scoring sheet"), on_delete=models.PROTECT,
                              related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    area = models.ForeignKey(Jurisdiction, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.COMPUTING)
    criteria = models.JSONField(default=list)  # the sheet's criteria as they were when evaluated
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(null=True, blank=True)  # the last computation was asked for
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [models.UniqueConstraint(fields=["sheet", "year", "area"], name="unique_evaluation")]

    def __str__(self) -> str:
        return f"{self.year} {self.area.name} {self.sheet.name}"

    @property
    def stalled(self) -> bool:
        """Computing for longer than any computation takes: the worker stopped; it may be asked again."""
        from django.utils import timezone

        started = self.started_at or self.created_at
        return self.state == self.State.COMPUTING and timezone.now() - started > STALLED_AFTER


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


class EvaluationResult(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="results")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="+")
    site = models.ForeignKey(Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    lines = models.JSONField(default=list)  # [{code, score, detail}] for computed criteria
    manual = models.JSONField(default=dict)  # {code: score} scored by hand
    total = models.DecimalField(_("score"), max_digits=6, decimal_places=1, default=Decimal(0))
    grade = models.CharField(_("grade"), max_length=16, choices=Grade.choices, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    scored_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("evaluation result")
        indexes = [models.Index(fields=["evaluation", "rank"]), models.Index(fields=["evaluation", "total"]),
                   models.Index(fields=["enterprise", "evaluation"])]

    def __str__(self) -> str:
        return f"{self.evaluation}: {self.site or self.enterprise} {self.total}"


class CreditRating(models.Model):
    class Level(models.TextChoices):
        A = "A", _("A: trustworthy")
        B = "B", _("B: generally trustworthy")
        C = "C", _("C: watch")
        D = "D", _("D: untrustworthy")

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                   related_name="credit_ratings")
    site = models.ForeignKey(Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="credit_ratings")
    grade = models.CharField(_("credit grade"), max_length=1, choices=Level.choices)
    score = models.DecimalField(_("credit score"), max_digits=5, decimal_places=1)
    lines = models.JSONField(default=list)  # why: [{label, points, detail}]
    current = models.BooleanField(default=True)
    computed_at = models.DateTimeField(_("computed at"))  # last recomputed (with the same result)
    since = models.DateTimeField(_("since"))  # when this grade and score were first computed

    class Meta:
        verbose_name = _("credit rating")
        indexes = [models.Index(fields=["enterprise", "site", "current"]), models.Index(fields=["current", "grade"])]
        constraints = [
            models.UniqueConstraint(fields=["enterprise"], condition=models.Q(current=True, site__isnull=True),
                                    name="one_current_enterprise_rating"),
            models.UniqueConstraint(fields=["site"], condition=models.Q(current=True, site__isnull=False),
                                    name="one_current_site_rating"),
        ]

    def __str__(self) -> str:
        return f"{self.site or self.enterprise}: {self.grade}"


class CreditRecalculation(models.Model):
    """An enterprise whose credit grades wait for the worker to recompute them, because an input of theirs changed.

    One row per enterprise however many changes come in before the worker gets to it: a busy district's reports
    ask for one recalculation of each enterprise, not one per report."""

    enterprise = models.OneToOneField(Enterprise, primary_key=True, on_delete=models.CASCADE, related_name="+",
                                      verbose_name=_("enterprise"))
    requested_at = models.DateTimeField(_("requested at"))

    class Meta:
        verbose_name = _("credit recalculation waiting")
        verbose_name_plural = _("credit recalculations waiting")

    def __str__(self) -> str:
        return f"{self.enterprise_id} @ {self.requested_at}"
