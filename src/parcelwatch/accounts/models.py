from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


def ancestor_paths(path: str) -> list[str]:
    """The paths of the nodes above the node at `path` (a materialised path, "350300/350303/"), root first."""
    parts = path.strip("/").split("/")
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts))]


class Jurisdiction(models.Model):
    """A node of the jurisdiction tree: city → district/zone → town → grid.

    `path` is the materialised path of codes ("350300/350303/350303001/") so a
    whole subtree is one `path__startswith` query.
    """

    class Level(models.TextChoices):
        CITY = "city", _("City")
        DISTRICT = "district", _("District / county")
        ZONE = "zone", _("Management zone")
        TOWN = "town", _("Town / street")
        GRID = "grid", _("Grid")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Only meaningful on the city node: the box every coordinate must fall in.
    bounds = models.JSONField(_("bounds [min lng, min lat, max lng, max lat]"), null=True, blank=True)
    # The ECharts map registered by a boundary script from the npm package (city node only).
    map_name = models.CharField(_("map name"), max_length=32, blank=True)
    map_script = models.CharField(_("map boundary script"), max_length=128, blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def district(self) -> Jurisdiction | None:
        """The district or management zone this node belongs to (itself if it is one)."""
        node: Jurisdiction | None = self
        while node is not None and node.level not in (self.Level.DISTRICT, self.Level.ZONE):
            node = node.parent
        return node


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # 执法证号: only officers holding one are drawn as inspectors (邮政法 §63: two of them on every inspection).
    enforcement_id = models.CharField(_("enforcement ID number"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    DISTRICT_OFFICER = "district_officer", _("District safety centre officer")
    CITY_OFFICER = "city_officer", _("City bureau enforcement officer")
    CITY_LEADER = "city_leader", _("Bureau leader")
    ENTERPRISE_SAFETY = "enterprise_safety", _("Enterprise safety officer")
    PARTNER = "partner", _("Partner department")
    ADMIN = "admin", _("System administrator")


class Membership(models.Model):
    """A user holds a role at a jurisdiction node (and, for enterprise staff, for one enterprise)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships")
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    # For partner departments' users: the department they work for (what is shared with it, they see).
    partner_department = models.ForeignKey(
        "collaboration.PartnerDepartment",
        verbose_name=_("partner department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "jurisdiction", "role", "enterprise"], name="unique_membership"),
            models.CheckConstraint(
                condition=~models.Q(role="enterprise_safety") | models.Q(enterprise__isnull=False),
                name="enterprise_safety_needs_enterprise",
            ),
            models.CheckConstraint(
                condition=~models.Q(role="partner") | models.Q(partner_department__isnull=False),
                name="partner_needs_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} · {self.jurisdiction}"


class LoginFailure(models.Model):
    """One failed login attempt; recent ones lock the account name."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"


class LoginThrottle(models.Model):
    """Failed logins counted per (username, client address) and per client address, with a growing lock.

    A stranger's failures lock only the stranger's address, never the account for its owner elsewhere.
    """

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.key


class RateBucket(models.Model):
    """Requests counted per key in fixed time windows (rate limits shared by every web process)."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="unique_rate_bucket")]
        indexes = [models.Index(fields=["window_start"])]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%H:%M}: {self.count}"


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored.

    `password_fingerprint` ties the token to the password it was issued under: changing the password
    (anywhere: profile, admin, command line) ends every token at once.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=64, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    password_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    def __str__(self) -> str:
        return f"API token of {self.user} until {self.expires_at:%Y-%m-%d}"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class MembershipChange(models.Model):
    """Who granted or removed which role, where, for whom: the record of every change of access."""

    class Action(models.TextChoices):
        GRANT = "grant", _("Granted")
        CHANGE = "change", _("Changed")
        REVOKE = "revoke", _("Removed")

    actor = models.ForeignKey(User, verbose_name=_("changed by"), null=True, on_delete=models.SET_NULL,
                              related_name="+")
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="membership_changes")
    action = models.CharField(_("change"), max_length=8, choices=Action.choices)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT,
                                     related_name="+")
    enterprise_name = models.CharField(_("enterprise"), max_length=128, blank=True)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("change of access")
        verbose_name_plural = _("changes of access")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.get_role_display()} @ {self.jurisdiction}"


class TwoFactor(models.Model):
    """A user's authenticator (TOTP): in force once confirmed with a first code. Each code is accepted once."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)  # the last time step used: a code is never accepted twice

    class Meta:
        verbose_name = _("two-factor authentication")
        verbose_name_plural = _("two-factor authentication")

    def __str__(self) -> str:
        return f"{self.user} ({'on' if self.confirmed_at else 'being set up'})"
