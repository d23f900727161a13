"""Public reports (举报) of violations, and the rewards for reports that prove true (three rule sets: grid workers,
the public, insiders). The reporter's identity is confidential (条例 §39): only the roles allowed see it, and every
look is logged."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.models import Jurisdiction


class RewardRuleSet(models.Model):
    """One of the bureau's reward documents: for grid workers, for the public, for insiders."""

    class Audience(models.TextChoices):
        GRID = "grid", _("Grid workers")
        PUBLIC = "public", _("The public")
        INSIDER = "insider", _("Insiders of delivery enterprises")

    audience = models.CharField(_("for"), max_length=8, choices=Audience.choices, unique=True)
    title = models.CharField(_("title"), max_length=200)
    default_amount = models.DecimalField(_("reward when no rule names the category (yuan)"), max_digits=10,
                                         decimal_places=2)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("reward rule set")
        verbose_name_plural = _("reward rule sets")
        ordering = ["audience"]

    def __str__(self) -> str:
        return self.title


class RewardRule(models.Model):
    rule_set = models.ForeignKey(RewardRuleSet, on_delete=models.CASCADE, related_name="rules")
    category = models.ForeignKey("events.EventCategory", verbose_name=_("category"), on_delete=models.CASCADE,
                                 related_name="+")
    amount = models.DecimalField(_("reward (yuan)"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("reward rule")
        verbose_name_plural = _("reward rules")
        constraints = [models.UniqueConstraint(fields=["rule_set", "category"], name="one_rule_per_category")]

    def __str__(self) -> str:
        return f"{self.rule_set} · {self.category} · {self.amount}"


class TipOff(models.Model):
    """A report from a member of the public or an insider, received without login, followed by a tracking code."""

    class State(models.TextChoices):
        RECEIVED = "received", _("Received, being checked")
        SUBSTANTIATED = "substantiated", _("Substantiated: handled as an event")
        UNSUBSTANTIATED = "unsubstantiated", _("Not substantiated")

    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True)
    district = models.ForeignKey(Jurisdiction, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    place = models.CharField(_("where"), max_length=200)
    category = models.ForeignKey("events.EventCategory", verbose_name=_("what kind of violation"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("what was seen"))
    attachments = models.ManyToManyField("evidence.Attachment", blank=True, related_name="+")
    # The reporter: confidential. Empty name and phone: anonymous (no reward can be paid, no outcome told).
    reporter_name = models.CharField(_("reporter's name"), max_length=32, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    insider = models.BooleanField(_("the reporter works in the delivery industry"), default=False)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RECEIVED,
                             db_index=True)
    outcome = models.TextField(_("outcome told to the reporter"), blank=True)
    event = models.OneToOneField("events.Event", verbose_name=_("event"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="tipoff")
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    # The challenge it was sent with: the same form sent twice (a double tap) shows the same tracking code.
    challenge = models.CharField(max_length=32, blank=True, db_index=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("public report")
        verbose_name_plural = _("public reports")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return self.tracking_code

    @property
    def anonymous(self) -> bool:
        return not (self.reporter_name or self.reporter_phone)


class IdentityView(models.Model):
    """Who looked at a reporter's identity, and when: kept for every look."""

    tipoff = models.ForeignKey(TipOff, on_delete=models.CASCADE, related_name="identity_views")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.tipoff} · {self.viewer} · {self.at:%Y-%m-%d %H:%M}"


class Reward(models.Model):
    """A reward for a report that proved true: proposed, approved by a leader, recorded as paid."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed, awaiting approval")
        APPROVED = "approved", _("Approved, to be paid")
        PAID = "paid", _("Paid")
        REFUSED = "refused", _("Refused")

    rule_set = models.ForeignKey(RewardRuleSet, verbose_name=_("rule set"), on_delete=models.PROTECT,
                                 related_name="rewards")
    tipoff = models.OneToOneField(TipOff, null=True, blank=True, on_delete=models.PROTECT, related_name="reward")
    event = models.ForeignKey("events.Event", verbose_name=_("event"), on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(Jurisdiction, verbose_name=_("district"), on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    basis = models.CharField(_("basis"), max_length=300)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PROPOSED, db_index=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"), db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True, db_index=True)
    voucher = models.CharField(_("payment voucher number"), max_length=64, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["-proposed_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["event", "rule_set"], name="one_reward_per_event_and_set")]

    def __str__(self) -> str:
        return f"{self.rule_set.get_audience_display()} · {self.amount}"
