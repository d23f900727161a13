"""Inter-department collaboration (部门协作联动): the partner departments (police, state security, customs, …), the
memoranda signed with them, the joint meetings (寄递安全联席会议) and the tasks their decisions set, events and cases
shared with a department (read-only, with comments), and referrals in both directions (移送).

Partner users reach these records through their department, never through a jurisdiction: they see what is shared
with their department, what their department attended or signed, and what was referred to or by it."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.models import Jurisdiction
from parcelwatch.accounts.permissions import COLLAB_MANAGE, COLLAB_RESPOND
from parcelwatch.lib.transitions import Transition

EXPIRY_NOTICE_DAYS = 30  # a memorandum's signatories on the bureau's side are told this long before it lapses


class PartnerDepartment(models.Model):
    """A department the bureau works with. Its users are memberships with the partner role and this department."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    short_name = models.CharField(_("short name"), max_length=16, blank=True)
    # The area the department works in: the bureau's officers there collaborate with it.
    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    duties = models.TextField(_("what it does with the bureau"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=32, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("partner department")
        verbose_name_plural = _("partner departments")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return self.short_name or self.name


class Memorandum(models.Model):
    """A memorandum of collaboration (协作备忘录) signed with one department, with its signed copy and validity."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not yet in force")
        IN_FORCE = "in_force", _("In force")
        EXPIRING = "expiring", _("Expiring within 30 days")
        EXPIRED = "expired", _("Expired")

    department = models.ForeignKey(PartnerDepartment, verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="memoranda")
    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("signed for"), on_delete=models.PROTECT,
                                     related_name="+")
    title = models.CharField(_("title"), max_length=100)
    number = models.CharField(_("document number"), max_length=64, blank=True)
    summary = models.TextField(_("what the parties agreed"))
    signed_on = models.DateField(_("signed on"))
    valid_from = models.DateField(_("in force from"))
    valid_until = models.DateField(_("in force until"), null=True, blank=True, db_index=True,
                                   help_text=_("Empty: in force until replaced."))
    attachments = models.ManyToManyField("evidence.Attachment", verbose_name=_("signed copy"), related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("memorandum of collaboration")
        verbose_name_plural = _("memoranda of collaboration")
        ordering = ["-signed_on", "-pk"]

    def __str__(self) -> str:
        return self.title

    def status(self, today: date) -> str:
        if self.valid_from > today:
            return self.Status.PENDING
        if self.valid_until is None:
            return self.Status.IN_FORCE
        if self.valid_until < today:
            return self.Status.EXPIRED
        if self.valid_until <= today + timedelta(days=EXPIRY_NOTICE_DAYS):
            return self.Status.EXPIRING
        return self.Status.IN_FORCE


class JointMeeting(models.Model):
    """A joint meeting (联席会议): who came, the minutes, and the decisions, each of which becomes a tracked task."""

    class Kind(models.TextChoices):
        PLENARY = "plenary", _("Joint meeting on delivery safety")
        TOPICAL = "topical", _("Topical coordination meeting")

    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("convened by (area)"), on_delete=models.PROTECT,
                                     related_name="+")
    kind = models.CharField(_("kind of meeting"), max_length=8, choices=Kind.choices, default=Kind.PLENARY)
    title = models.CharField(_("title"), max_length=100)
    held_on = models.DateField(_("date of the meeting"), db_index=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    departments = models.ManyToManyField(PartnerDepartment, verbose_name=_("departments taking part"),
                                         related_name="meetings")
    attendees = models.TextField(_("attendees"), help_text=_("One per line: name, unit, post."))
    minutes = models.TextField(_("minutes"))
    attachments = models.ManyToManyField("evidence.Attachment", blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def attendee_lines(self) -> list[str]:
        return [line for line in self.attendees.splitlines() if line.strip()]


class Task(models.Model):
    """A decision of a joint meeting, tracked until done: led by a department, or by the bureau itself."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    meeting = models.ForeignKey(JointMeeting, verbose_name=_("meeting"), on_delete=models.CASCADE,
                                related_name="tasks")
    decision = models.TextField(_("decision"))
    # Empty: the bureau's own officers of the meeting's area lead it.
    lead = models.ForeignKey(PartnerDepartment, verbose_name=_("led by"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="tasks")
    due_on = models.DateField(_("due on"), null=True, blank=True, db_index=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN, db_index=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("meeting task")
        verbose_name_plural = _("meeting tasks")
        ordering = ["state", "due_on", "pk"]

    def __str__(self) -> str:
        return self.decision[:40]

    def is_overdue(self, today: date) -> bool:
        return self.state == self.State.OPEN and self.due_on is not None and self.due_on < today


class TaskUpdate(models.Model):
    """Progress on a task, as reported by either side: never changed, never deleted."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="updates")
    text = models.TextField(_("progress"))
    done = models.BooleanField(_("marks the task done"), default=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.task_id} · {self.at:%Y-%m-%d %H:%M}"


class Share(models.Model):
    """An event or an enforcement case shared with a department: its users read it, never change it, and may comment.

    Withdrawing ends their access; the share and its comments stay on record."""

    department = models.ForeignKey(PartnerDepartment, verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="shares")
    event = models.ForeignKey("events.Event", verbose_name=_("event"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="shares")
    case = models.ForeignKey("enforcement.EnforcementCase", verbose_name=_("enforcement case"), null=True,
                             blank=True, on_delete=models.PROTECT, related_name="shares")
    # The district of the record shared: the regulators of that area see and manage the share.
    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("why it is shared"), max_length=500)
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField(_("shared at"), db_index=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("shared record")
        verbose_name_plural = _("shared records")
        ordering = ["-shared_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(event__isnull=False, case__isnull=True)
                                   | models.Q(event__isnull=True, case__isnull=False), name="share_one_record"),
            # One live share of a record with a department; a withdrawn one may be followed by a new one.
            models.UniqueConstraint(fields=["department", "event"], condition=models.Q(withdrawn_at__isnull=True,
                                    event__isnull=False), name="one_live_event_share"),
            models.UniqueConstraint(fields=["department", "case"], condition=models.Q(withdrawn_at__isnull=True,
                                    case__isnull=False), name="one_live_case_share"),
        ]

    def __str__(self) -> str:
        return f"{self.record_number} → {self.department}"

    @property
    def record(self):
        return self.event if self.event_id else self.case

    @property
    def record_number(self) -> str:
        return self.event.number if self.event_id else self.case.display_number

    @property
    def live(self) -> bool:
        return self.withdrawn_at is None


class Comment(models.Model):
    """A comment on a shared record, by the department's users or the bureau's officers: never changed."""

    share = models.ForeignKey(Share, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.share_id} · {self.author} · {self.at:%Y-%m-%d %H:%M}"


class Referral(models.Model):
    """A referral (移送) of a matter from the bureau to a department, or from a department to the bureau.

    The receiving side acknowledges it, then answers with what it did, or declines it with a reason."""

    class Direction(models.TextChoices):
        OUTGOING = "out", _("From the bureau to the department")
        INCOMING = "in", _("From the department to the bureau")

    class State(models.TextChoices):
        SENT = "sent", _("Sent, awaiting receipt")
        RECEIVED = "received", _("Received, being handled")
        ANSWERED = "answered", _("Answered")
        DECLINED = "declined", _("Declined")

    # The receiving side acts: the department's users for what the bureau sends, the bureau's officers for the rest.
    OUTGOING_TRANSITIONS = {
        "receive": Transition((State.SENT,), State.RECEIVED, COLLAB_RESPOND, _("Acknowledge the referral")),
        "answer": Transition((State.SENT, State.RECEIVED), State.ANSWERED, COLLAB_RESPOND,
                             _("Answer with the result"), needs_reason=True, style="success"),
        "decline": Transition((State.SENT, State.RECEIVED), State.DECLINED, COLLAB_RESPOND,
                              _("Decline with a reason"), needs_reason=True, style="outline-danger"),
    }
    INCOMING_TRANSITIONS = {
        name: Transition(t.sources, t.target, COLLAB_MANAGE, t.label, t.needs_reason, t.style)
        for name, t in OUTGOING_TRANSITIONS.items()
    }

    number = models.CharField(_("referral number"), max_length=32, unique=True)
    direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices)
    department = models.ForeignKey(PartnerDepartment, verbose_name=_("department"), on_delete=models.PROTECT,
                                   related_name="referrals")
    # The bureau's side: the area whose officers send it, or receive it.
    jurisdiction = models.ForeignKey(Jurisdiction, verbose_name=_("area of the bureau"), on_delete=models.PROTECT,
                                     related_name="+")
    subject = models.CharField(_("subject"), max_length=100)
    facts = models.TextField(_("facts and what is asked"))
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    site = models.ForeignKey("registry.Site", verbose_name=_("site"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("events.Event", verbose_name=_("event"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="referrals")
    case = models.ForeignKey("enforcement.EnforcementCase", verbose_name=_("enforcement case"), null=True,
                             blank=True, on_delete=models.PROTECT, related_name="referrals")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.SENT, db_index=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    result = models.TextField(_("result"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def transitions(self) -> dict[str, Transition]:
        return self.OUTGOING_TRANSITIONS if self.direction == self.Direction.OUTGOING else self.INCOMING_TRANSITIONS

    @property
    def open(self) -> bool:
        return self.state in (self.State.SENT, self.State.RECEIVED)


class ReferralEntry(models.Model):
    """One step of a referral: sent, received, answered, declined — with its files. Never changed."""

    class Kind(models.TextChoices):
        SEND = "send", _("Sent")
        RECEIVE = "receive", _("Receipt acknowledged")
        ANSWER = "answer", _("Answered")
        DECLINE = "decline", _("Declined")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.TextField(_("text"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))
    attachments = models.ManyToManyField("evidence.Attachment", blank=True, related_name="+")

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
