"""Statistics storage: one fact row per event, and monthly rollups of the same measures.

Both are maintained by the workflow in the transaction that changes the event
(services.record_event_facts), so a figure is never older than the data it counts.
`manage.py rebuild_statistics` recomputes them from the events (after a bulk load).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcelwatch.events.models import Event

from .measures import MEASURES


class Dimensions(models.Model):
    """Who and where an event counts for, fixed when it is reported (a later change of the site's
    enterprise does not move its history), and its contribution to every measure (measures.py)."""

    month = models.PositiveIntegerField()  # yyyymm of the local report date
    district_id = models.PositiveBigIntegerField()
    category_id = models.PositiveBigIntegerField(default=0)
    brand_id = models.PositiveBigIntegerField(default=0)
    enterprise_id = models.PositiveBigIntegerField(default=0)
    reporter_id = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=16, blank=True)
    level = models.CharField(max_length=8, blank=True)
    # One integer column per measure; minutes are summed over many events, hence 64 bits.
    for _name in MEASURES:
        vars()[_name] = models.BigIntegerField(default=0) if _name.endswith("_minutes") else models.IntegerField(
            default=0)
    del _name

    class Meta:
        abstract = True


class EventFact(Dimensions):
    event = models.OneToOneField(Event, primary_key=True, on_delete=models.CASCADE, related_name="fact",
                                 verbose_name=_("event"))
    jurisdiction_id = models.PositiveBigIntegerField()
    site_id = models.PositiveBigIntegerField()
    reported_on = models.DateField()
    # An earlier report of the same category at the same site within a year (the event itself may still
    # not count as a repeat: rejected reports and merged duplicates never do).
    repeat_candidate = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("event statistics")
        verbose_name_plural = _("event statistics")
        indexes = [
            models.Index(fields=["reported_on"], name="fact_day"),
            models.Index(fields=["enterprise_id", "reported_on"], name="fact_enterprise_day"),
            models.Index(fields=["reporter_id", "reported_on"], name="fact_reporter_day"),
            models.Index(fields=["site_id", "category_id", "reported_on"], name="fact_site_category_day"),
            # A district's days (partial months), also narrowed to a category inside the index (a district and a
            # category broken down by enterprise or grid worker: no rollup has all three).
            models.Index(fields=["district_id", "reported_on", "category_id"], name="fact_district_day"),
            # Repeat problems per site: the few repeat rows, with what the query reads, in the index itself.
            models.Index(fields=["repeat", "reported_on", "district_id", "site_id"], name="fact_repeat"),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} ({self.month})"


class StatsCube(Dimensions):
    """Sums of the measures per month at one grain: the dimensions a grain does not split by are 0 or ''."""

    grain = models.CharField(max_length=4)

    class Meta:
        verbose_name = _("monthly statistics")
        verbose_name_plural = _("monthly statistics")
        constraints = [models.UniqueConstraint(
            fields=["grain", "month", "district_id", "category_id", "brand_id", "enterprise_id", "reporter_id",
                    "source", "level"], name="cube_key")]

    def __str__(self) -> str:
        return f"{self.grain} {self.month} district {self.district_id}"


class DistrictIndicatorWeight(models.Model):
    """How much one indicator of the workflow weighs in the city's assessment of its districts (市对县综治考评)."""

    class Indicator(models.TextChoices):
        ACCEPTANCE = "acceptance_rate", _("Acceptance rate")
        ON_TIME_HANDLING = "on_time_rectification_rate", _("On-time handling rate")
        CLOSURE = "closure_rate", _("Closure rate")
        ON_TIME_CLOSURE = "on_time_closure_rate", _("On-time closure rate")
        DISTRICT_CLOSURE = "district_closure_share", _("Closed at district level")
        REWORK = "rework_rate", _("Rework rate (counts against)")

    indicator = models.CharField(_("indicator"), max_length=32, choices=Indicator.choices, unique=True)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=1, default=0,
                                 validators=[MinValueValidator(0), MaxValueValidator(100)])
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("district assessment weight")
        verbose_name_plural = _("district assessment weights")
        ordering = ["sort_order", "indicator"]

    def __str__(self) -> str:
        return f"{self.get_indicator_display()}: {self.weight}"
