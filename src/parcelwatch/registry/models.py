from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.models import Jurisdiction


class Brand(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("brand name"), max_length=64, unique=True)
    short_name = models.CharField(_("short name"), max_length=16)
    is_historical = models.BooleanField(_("historical only"), default=False)
    color = models.CharField(_("colour"), max_length=7, default="#5470c6")
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class ChangeRecord(models.Model):
    """One version of a registry record: who changed which fields, from what to what. Never edited."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Edited")
        IMPORT_CREATE = "import_create", _("Created by import")
        IMPORT_UPDATE = "import_update", _("Updated by import")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # {field name: [before, after]} as display strings.
    changes = models.JSONField(_("changes"), default=dict)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("change record")
        verbose_name_plural = _("change records")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.content_type.model}#{self.object_id} {self.at:%Y-%m-%d %H:%M}"


class Enterprise(models.Model):
    class Status(models.TextChoices):
        OPERATING = "operating", _("Operating")
        SUSPENDED = "suspended", _("Suspended")
        DEREGISTERED = "deregistered", _("Deregistered")

    name = models.CharField(_("enterprise name"), max_length=128)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    brand = models.ForeignKey(
        Brand, verbose_name=_("brand"), null=True, blank=True, on_delete=models.PROTECT, related_name="enterprises"
    )
    licence_number = models.CharField(_("express business licence number"), max_length=32, blank=True)
    licence_valid_until = models.DateField(_("licence valid until"), null=True, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=32, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=32, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    address = models.CharField(_("registered address"), max_length=255, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("district"), on_delete=models.PROTECT, related_name="enterprises"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPERATING)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    versions = GenericRelation(ChangeRecord)

    VERSIONED_FIELDS = (
        "name", "credit_code", "brand", "licence_number", "licence_valid_until", "legal_representative",
        "contact_person", "contact_phone", "address", "jurisdiction", "status",
    )
    SENSITIVE_FIELDS = ("contact_phone",)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    class Kind(models.TextChoices):
        OUTLET = "outlet", _("Business outlet")
        TERMINAL = "terminal", _("Terminal outlet")
        SORTING_CENTER = "sorting_center", _("Sorting centre")

    class Status(models.TextChoices):
        OPERATING = "operating", _("Operating")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("site name"), max_length=128)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("operating enterprise"), on_delete=models.PROTECT, related_name="sites",
        db_index=False,  # the index (enterprise, id) below serves it
    )
    brand = models.ForeignKey(
        Brand, verbose_name=_("brand"), null=True, blank=True, on_delete=models.PROTECT, related_name="sites"
    )
    station_operator = models.CharField(
        _("courier station network"), max_length=32, blank=True, help_text=_("e.g. 菜鸟驿站, for terminal outlets")
    )
    filing_number = models.CharField(_("filing number"), max_length=32, unique=True, null=True, blank=True)
    filing_date = models.DateField(_("filing date"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=255)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("town / grid"), on_delete=models.PROTECT, related_name="sites"
    )
    # The district or zone the site lies in; follows from `jurisdiction`, kept for filtering and statistics.
    district = models.ForeignKey(
        Jurisdiction, verbose_name=_("district"), on_delete=models.PROTECT, related_name="district_sites"
    )
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPERATING)
    xray_count = models.PositiveIntegerField(_("X-ray machines"), default=0)
    opening_date = models.DateField(_("opening date"), null=True, blank=True)
    manager_name = models.CharField(_("manager"), max_length=32, blank=True)
    manager_phone = models.CharField(_("manager phone"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    versions = GenericRelation(ChangeRecord)

    VERSIONED_FIELDS = (
        "kind", "name", "enterprise", "brand", "station_operator", "filing_number", "filing_date", "address",
        "jurisdiction", "lng", "lat", "status", "xray_count", "opening_date", "manager_name", "manager_phone",
    )
    SENSITIVE_FIELDS = ("manager_phone",)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["district__sort_order", "name"]
        # (enterprise, id) instead of the foreign key's own index on enterprise: an enterprise's sites from the index
        # alone, for every enterprise-scoped query's `site_id IN (SELECT id FROM site WHERE enterprise_id = …)`
        # (PostgreSQL, which would have to read the scattered rows behind the plain index, scanned the whole table).
        indexes = [models.Index(fields=["kind", "district"]), models.Index(fields=["name"]),
                   models.Index(fields=["enterprise", "id"], name="site_enterprise_id")]

    def __str__(self) -> str:
        return self.name


class SafetyOfficer(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("In post")
        LEFT = "left", _("Left")

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="safety_officers"
    )
    name = models.CharField(_("name"), max_length=32)
    id_number = models.CharField(_("ID card number"), max_length=18)
    phone = models.CharField(_("phone"), max_length=32)
    sites = models.ManyToManyField(Site, verbose_name=_("sites covered"), blank=True, related_name="safety_officers")
    filing_date = models.DateField(_("filing date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    versions = GenericRelation(ChangeRecord)

    VERSIONED_FIELDS = ("enterprise", "name", "id_number", "phone", "sites", "filing_date", "status")
    SENSITIVE_FIELDS = ("id_number", "phone")

    class Meta:
        verbose_name = _("safety officer")
        verbose_name_plural = _("safety officers")
        ordering = ["enterprise__name", "name"]

    def __str__(self) -> str:
        return self.name


class TrainingRecord(models.Model):
    officer = models.ForeignKey(
        SafetyOfficer, verbose_name=_("safety officer"), on_delete=models.CASCADE, related_name="trainings"
    )
    date = models.DateField(_("date"))
    topic = models.CharField(_("topic"), max_length=128)
    hours = models.DecimalField(_("hours"), max_digits=4, decimal_places=1)
    organiser = models.CharField(_("organiser"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date} {self.topic}"


class ImportBatch(models.Model):
    """An uploaded spreadsheet waiting for review; committed in one transaction or not at all."""

    class Kind(models.TextChoices):
        ENTERPRISES = "enterprises", _("Enterprises")
        SITES = "sites", _("Sites")
        CAMERAS = "cameras", _("Cameras")

    class State(models.TextChoices):
        PREVIEW = "preview", _("Awaiting review")
        COMMITTED = "committed", _("Committed")
        DISCARDED = "discarded", _("Discarded")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PREVIEW)
    filename = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # Parsed rows: [{"line": n, "values": {...}, "errors": [...], "action": "create|update|unchanged"}]
    rows = models.JSONField(default=list)
    result = models.JSONField(default=dict)

    def __str__(self) -> str:
        return self.filename
