"""Enterprise self-inspection (mechanism 2): safety-officer filings, monthly duty reports, spot checks of
those reports, and circulars to the enterprises.

Each workflow's allowed actions are one table next to its model (`TRANSITIONS`); pages, the API and the
services read that same table.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import CIRCULARS_APPROVE, SELFCHECK_REVIEW, SELFCHECK_SUBMIT
from parcelwatch.lib.transitions import Transition
from parcelwatch.registry.models import Enterprise, SafetyOfficer, Site


class OfficerFiling(models.Model):
    """An enterprise files a safety officer (备案) — a new one, a change, or a departure; the district decides."""

    class Kind(models.TextChoices):
        NEW = "new", _("New officer")
        CHANGE = "change", _("Change of details")
        DEPARTURE = "departure", _("Departure")

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Filing awaiting decision")
        RETURNED = "returned", _("Filing returned")
        APPROVED = "approved", _("Filing approved")
        WITHDRAWN = "withdrawn", _("Filing withdrawn")

    TRANSITIONS = {
        "approve": Transition((State.SUBMITTED,), State.APPROVED, SELFCHECK_REVIEW, _("Approve the filing")),
        "return": Transition((State.SUBMITTED,), State.RETURNED, SELFCHECK_REVIEW, _("Return with a reason"),
                             needs_reason=True, style="outline-danger"),
        "withdraw": Transition((State.SUBMITTED, State.RETURNED), State.WITHDRAWN, SELFCHECK_SUBMIT,
                               _("Withdraw"), style="outline-secondary"),
    }
    OPEN_STATES = (State.SUBMITTED, State.RETURNED)

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="officer_filings")
    officer = models.ForeignKey(SafetyOfficer, verbose_name=_("safety officer"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="filings")
    kind = models.CharField(_("kind of filing"), max_length=16, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.SUBMITTED)
    # What the enterprise files; written to the officer's record when the district approves.
    name = models.CharField(_("name"), max_length=32)
    id_number = models.CharField(_("ID card number"), max_length=18)
    phone = models.CharField(_("phone"), max_length=32)
    sites = models.ManyToManyField(Site, verbose_name=_("sites covered"), blank=True, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("submitted by"),
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"))
    decide_by = models.DateField(_("decision due"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason for return"), max_length=500, blank=True)
    # Every step: [{"at": iso, "actor": name, "action": name, "reason": text}], appended, never edited.
    history = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("safety-officer filing")
        verbose_name_plural = _("safety-officer filings")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["state", "decide_by"]), models.Index(fields=["enterprise", "state"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class DutyReportTemplate(models.Model):
    """The monthly duty report's form, as configuration: its checklist, what else it needs, when it is due."""

    name = models.CharField(_("name"), max_length=64)
    active = models.BooleanField(_("in use"), default=True,
                                 help_text=_("New reports use the newest template in use."))
    due_day = models.PositiveSmallIntegerField(
        _("due on day"), default=10, help_text=_("Day of the following month by which the report is due (1–28)."))
    remind_days_before = models.PositiveSmallIntegerField(
        _("remind days before"), default=3, help_text=_("Enterprises are reminded this many days before the due "
                                                        "day, and again the day after it if nothing came."))
    narrative_required = models.BooleanField(_("narrative required"), default=True)
    attachment_required = models.BooleanField(_("attachment required"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("duty report template")
        verbose_name_plural = _("duty report templates")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not 1 <= self.due_day <= 28:
            raise ValidationError({"due_day": _("Choose a day from 1 to 28: every month has it.")})
        if self.remind_days_before > 20:
            raise ValidationError({"remind_days_before": _("At most 20 days.")})


class DutyReportItem(models.Model):
    class Rule(models.TextChoices):
        INSPECTION = "inspection", _("Inspection at acceptance (收寄验视)")
        REAL_NAME = "real_name", _("Real-name acceptance (实名收寄)")
        XRAY = "xray", _("X-ray screening (过机安检)")

    template = models.ForeignKey(DutyReportTemplate, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(_("code"), max_length=32)
    text = models.CharField(_("checklist item"), max_length=200)
    rule = models.CharField(_("safety rule"), max_length=16, choices=Rule.choices, blank=True,
                            help_text=_("Items that check one of the three safety rules feed the per-site view."))
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["sort_order", "pk"]
        constraints = [models.UniqueConstraint(fields=["template", "code"], name="unique_duty_item_code")]

    def __str__(self) -> str:
        return self.text


class DutyReport(models.Model):
    """An enterprise's monthly duty report (履职月报告) for one month."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Report awaiting review")
        RETURNED = "returned", _("Report returned")
        ACCEPTED = "accepted", _("Report accepted")

    class Answer(models.TextChoices):
        YES = "yes", _("Complied")
        NO = "no", _("Not complied")

    TRANSITIONS = {
        "accept": Transition((State.SUBMITTED,), State.ACCEPTED, SELFCHECK_REVIEW, _("Accept the report")),
        "return": Transition((State.SUBMITTED,), State.RETURNED, SELFCHECK_REVIEW, _("Return with a reason"),
                             needs_reason=True, style="outline-danger"),
    }

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="duty_reports")
    period = models.DateField(_("month"), help_text=_("The first day of the month reported on."))
    template = models.ForeignKey(DutyReportTemplate, on_delete=models.PROTECT, related_name="+")
    # The checklist as it was when the report was written: [{"code", "text", "rule"}].
    items = models.JSONField(default=list)
    answers = models.JSONField(_("checklist"), default=dict)
    narrative = models.TextField(_("narrative"), blank=True)
    attachments = models.ManyToManyField("evidence.Attachment", blank=True, related_name="+")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.SUBMITTED)
    due_date = models.DateField(_("due date"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    first_submitted_at = models.DateTimeField(_("first submitted at"))
    submitted_at = models.DateTimeField(_("submitted at"))
    late = models.BooleanField(_("late"), default=False)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reason = models.CharField(_("reason for return"), max_length=500, blank=True)
    history = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("monthly duty report")
        verbose_name_plural = _("monthly duty reports")
        ordering = ["-period", "enterprise__name"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "period"], name="unique_duty_report_month")]
        indexes = [models.Index(fields=["period", "state"])]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.period:%Y-%m}"

    @property
    def failed_items(self) -> list[dict]:
        return [item for item in self.items if self.answers.get(item["code"]) == self.Answer.NO]


class SpotCheckDraw(models.Model):
    """A random draw of submitted duty reports to check (履职抽查); re-runnable from its seed and candidates."""

    area = models.ForeignKey(Jurisdiction, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    period = models.DateField(_("month"))
    percent = models.PositiveSmallIntegerField(_("share drawn (%)"))
    seed = models.CharField(_("seed"), max_length=40)
    # [[report id, weight]] in id order; a report's weight follows its enterprise's credit grade.
    candidates = models.JSONField(default=list)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"))

    class Meta:
        verbose_name = _("spot-check draw")
        verbose_name_plural = _("spot-check draws")
        ordering = ["-drawn_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.area} {self.period:%Y-%m} ({self.seed})"


class SpotCheck(models.Model):
    class Method(models.TextChoices):
        DOCUMENTARY = "documentary", _("Documentary check")
        ON_SITE = "on_site", _("On-site check")

    class Result(models.TextChoices):
        PENDING = "pending", _("To check")
        PASSED = "passed", _("Passed the check")
        FAILED = "failed", _("Failed the check")

    draw = models.ForeignKey(SpotCheckDraw, on_delete=models.CASCADE, related_name="checks")
    report = models.ForeignKey(DutyReport, verbose_name=_("duty report"), on_delete=models.PROTECT,
                               related_name="spot_checks")
    method = models.CharField(_("method"), max_length=16, choices=Method.choices, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices, default=Result.PENDING)
    findings = models.TextField(_("findings"), blank=True)
    site = models.ForeignKey(Site, verbose_name=_("site checked"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    attachments = models.ManyToManyField("evidence.Attachment", blank=True, related_name="+")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.report} — {self.get_result_display()}"


class Circular(models.Model):
    """A circular (工作通报) to enterprises: drafted, approved, published as a numbered PDF, read receipts kept."""

    class Kind(models.TextChoices):
        LATE_REPORTS = "late_reports", _("Late and missing duty reports")
        REPEAT_PROBLEMS = "repeat_problems", _("Repeat problems")
        GOOD_PRACTICE = "good_practice", _("Good practice")
        GENERAL = "general", _("General")

    class State(models.TextChoices):
        DRAFT = "draft", _("Circular draft")
        AWAITING_APPROVAL = "awaiting_approval", _("Circular awaiting approval")
        APPROVED = "approved", _("Circular approved")
        PUBLISHED = "published", _("Circular published")

    TRANSITIONS = {
        "submit": Transition((State.DRAFT,), State.AWAITING_APPROVAL, SELFCHECK_REVIEW, _("Submit for approval")),
        "approve": Transition((State.AWAITING_APPROVAL,), State.APPROVED, CIRCULARS_APPROVE, _("Approve")),
        "return": Transition((State.AWAITING_APPROVAL,), State.DRAFT, CIRCULARS_APPROVE, _("Return with a reason"),
                             needs_reason=True, style="outline-danger"),
        "publish": Transition((State.APPROVED,), State.PUBLISHED, SELFCHECK_REVIEW, _("Publish")),
    }

    area = models.ForeignKey(Jurisdiction, verbose_name=_("issued for"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(_("drafted at"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    document = models.ForeignKey("documents.OfficialDocument", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    reason = models.CharField(_("reason for return"), max_length=500, blank=True)
    history = models.JSONField(default=list)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("circular")
        verbose_name_plural = _("circulars")
        ordering = ["-drafted_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class CircularRecipient(models.Model):
    circular = models.ForeignKey(Circular, on_delete=models.CASCADE, related_name="recipients")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT,
                                   related_name="circulars_received")
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["enterprise__name"]
        constraints = [models.UniqueConstraint(fields=["circular", "enterprise"], name="unique_circular_recipient")]

    def __str__(self) -> str:
        return f"{self.circular} → {self.enterprise}"


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(period: date) -> date:
    return date(period.year + (period.month == 12), period.month % 12 + 1, 1)


def previous_month(period: date) -> date:
    return date(period.year - (period.month == 1), (period.month - 2) % 12 + 1, 1)
