from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.lib.queries import ChoiceLabels, PreparedInsert
from parcelwatch.registry.models import Site


class EventCategory(models.Model):
    """A kind of problem a grid worker can report; legal basis and penalties are data, not code."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("category"), max_length=64)
    legal_basis = models.CharField(_("legal basis"), max_length=255, blank=True)
    penalty_range = models.CharField(_("typical penalty"), max_length=255, blank=True)
    fine_min = models.DecimalField(_("minimum fine (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    fine_max = models.DecimalField(_("maximum fine (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    rectification_days = models.PositiveIntegerField(_("rectification period (working days)"), default=5)
    # Workflow actions that must carry at least one attachment for this category.
    evidence_required = models.JSONField(_("actions that require evidence"), default=list, blank=True)
    # Whether the enterprise's rectification may file a change of the site's registered details (备案变更).
    allows_filing_change = models.BooleanField(
        _("rectification may file a change of the site's registration"), default=False,
        help_text=_("For filing problems (BA01–BA03): the enterprise enters the new filed address when it "
                    "submits its rectification, and the site's record is changed and versioned."),
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Event(ChoiceLabels, PreparedInsert, models.Model):
    """A problem found at a site, followed from report to on-site confirmation."""

    class State(models.TextChoices):
        REPORTED = "reported", _("Reported")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        RECTIFYING = "rectifying", _("Rectifying")
        RECTIFICATION_SUBMITTED = "rectification_submitted", _("Rectification submitted")
        ESCALATED = "escalated", _("Escalated to the city bureau")
        UNDER_ENFORCEMENT = "under_enforcement", _("Under enforcement")
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting on-site confirmation")
        CLOSED = "closed", _("Closed: confirmed on site")
        MERGED = "merged", _("Merged as duplicate")

    class Level(models.TextChoices):
        DISTRICT = "district", _("District")
        CITY = "city", _("City")

    class Source(models.TextChoices):
        # How the problem was found: a grid worker's patrol, or a regulator's own inspection.
        GRID = "grid", _("Grid patrol")
        INSPECTION = "inspection", _("Regulator's inspection")
        VIDEO_PATROL = "video_patrol", _("Video patrol")
        SPOT_CHECK = "spot_check", _("Duty-report spot check")
        PUBLIC_REPORT = "public_report", _("Public report")

    OPEN_STATES = (
        State.REPORTED, State.ACCEPTED, State.RECTIFYING, State.RECTIFICATION_SUBMITTED, State.ESCALATED,
        State.UNDER_ENFORCEMENT, State.AWAITING_CONFIRMATION,
    )

    number = models.CharField(_("event number"), max_length=32, unique=True)
    site = models.ForeignKey(Site, verbose_name=_("site"), on_delete=models.PROTECT, related_name="events",
                             db_index=False)
    category = models.ForeignKey(EventCategory, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="events")
    description = models.TextField(_("description"))
    # Where the site was when reported: the event stays in that jurisdiction.
    # These three are indexed by the composite indexes below (as their first column).
    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("town / grid"), on_delete=models.PROTECT,
                                     related_name="events", db_index=False)
    district = models.ForeignKey(Jurisdiction, verbose_name=_("district"), on_delete=models.PROTECT,
                                 related_name="district_events", db_index=False)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT,
                                    related_name="reported_events", db_index=False)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now, db_index=True)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.GRID)
    state = models.CharField(_("state"), max_length=32, choices=State.choices, default=State.REPORTED)
    deadline = models.DateField(_("rectification deadline"), null=True, blank=True)
    handled_level = models.CharField(_("handled at"), max_length=8, choices=Level.choices, default=Level.DISTRICT)
    closure_level = models.CharField(_("closed at level"), max_length=8, choices=Level.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rework_count = models.PositiveIntegerField(_("rework"), default=0)
    # When each stage was reached: the statistics' stage times and on-time rates read these.
    decided_at = models.DateTimeField(_("accepted or rejected"), null=True, blank=True)
    letter_at = models.DateTimeField(_("first reminder letter"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("letter acknowledged"), null=True, blank=True)
    rectified_at = models.DateTimeField(_("rectified"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    awaiting_since = models.DateTimeField(_("awaiting on-site confirmation since"), null=True, blank=True)
    # A rectification came after its deadline, or the event was escalated instead of rectified in time.
    missed_deadline = models.BooleanField(_("deadline missed"), default=False)
    duplicate_of = models.ForeignKey("self", verbose_name=_("duplicate of"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="duplicates")
    # Bumped by every transition: a form submitted against an older version is refused.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-reported_at", "-pk"]
        # Lists filter by district, state or place and show the newest first; "my reports" by reporter, newest
        # first; the deadline sweep and "overdue" by state and deadline. Each index serves a page that must stay
        # fast at a million events (bench/scale.py).
        indexes = [models.Index(fields=["state", "deadline"]),
                   models.Index(fields=["state", "reported_at"], name="event_state_time"),
                   models.Index(fields=["district", "state", "reported_at"], name="event_district_state_time"),
                   models.Index(fields=["reported_by", "reported_at"], name="event_reporter_time"),
                   models.Index(fields=["jurisdiction", "reported_at"], name="event_place_time"),
                   # Open work per grid (the grid worker's home) and per site (the enterprise's home) counted from
                   # the index alone; the site's index also answers every lookup by site.
                   models.Index(fields=["jurisdiction", "state"], name="event_place_state"),
                   models.Index(fields=["site", "state"], name="event_site_state"),
                   # Counts by district and category (the statistics' usual cut) read the index alone.
                   models.Index(fields=["district", "category", "state"], name="event_district_category"),
                   # Today's closures and escalations, and the latest of them (home pages, the wall screen).
                   models.Index(fields=["closed_at"], name="event_closed_at"),
                   models.Index(fields=["escalated_at"], name="event_escalated_at")]

    def __str__(self) -> str:
        return f"{self.number} {self.site.name}"

    def is_overdue(self, today: date | None = None) -> bool:
        """The rectification deadline has passed and the enterprise has not submitted its fix."""
        if self.state != self.State.RECTIFYING or self.deadline is None:
            return False
        return self.deadline < (today or timezone.localdate())

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES
