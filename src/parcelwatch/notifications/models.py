from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# What each kind of notification says; params fill the placeholders when it is shown.
MESSAGES = {
    "event_task": _("New task: %(number)s %(site)s — %(action)s"),
    "deadline_soon": _("Deadline on %(deadline)s: %(number)s %(site)s"),
    "escalated": _("Escalated to the city bureau: %(number)s %(site)s"),
    "letter": _("Reminder letter %(letter)s for %(site)s: rectify by %(deadline)s"),
    "case_task": _("Enforcement case %(number)s — %(action)s"),
    "video_patrol": _("Video patrol drawn for you: %(count)s sites in %(area)s"),
    "xray_off": _("X-ray machine off during working hours (since %(since)s): %(site)s · %(machine)s"),
    "camera_offline": _("Camera offline since %(at)s: %(site)s · %(camera)s"),
    "filing_submitted": _("Officer filing to decide: %(enterprise)s — %(name)s (%(filing_kind)s)"),
    "filing_approved": _("Officer filing approved: %(name)s"),
    "filing_returned": _("Officer filing returned: %(name)s — %(reason)s"),
    "duty_report_due": _("Duty report for %(month)s due by %(due)s"),
    "duty_report_overdue": _("Duty report for %(month)s overdue since %(due)s: send it now"),
    "duty_report_returned": _("Duty report for %(month)s returned: %(reason)s"),
    "circular_to_approve": _("Circular to approve: %(title)s"),
    "circular_approved": _("Circular approved: %(title)s"),
    "circular_returned": _("Circular returned: %(title)s — %(reason)s"),
    "circular_published": _("New circular %(number)s: %(title)s"),
    "credit_grade_changed": _("Your credit grade changed from %(before)s to %(after)s: see why"),
    "evaluation_published": _("The %(year)s safe-delivery assessment of %(area)s is published: see your score"),
    "inspection_drawn": _("Inspection drawn for you (%(plan)s): %(count)s sites, from %(starts)s to %(ends)s"),
    "emergency_plan_submitted": _("Emergency plan to review: %(enterprise)s — %(title)s"),
    "emergency_plan_accepted": _("Emergency plan accepted: %(title)s"),
    "emergency_plan_returned": _("Emergency plan returned: %(title)s — %(reason)s"),
    "emergency_plan_soon": _("Emergency plan %(title)s expires on %(expires)s: revise and file it again"),
    "emergency_plan_expired": _("Emergency plan %(title)s expired on %(expires)s: file the revised plan"),
    "drill_held": _("Drill to evaluate: %(enterprise)s — %(title)s"),
    "drill_evaluated": _("Drill evaluated: %(title)s — %(rating)s"),
    "incident_reported": _("Incident %(number)s (%(severity)s) in %(district)s: %(title)s"),
    "incident_update": _("Incident %(number)s updated: %(title)s"),
    "incident_closed": _("Incident %(number)s closed: %(title)s"),
    "tipoff_received": _("Public report %(code)s received for %(district)s: check it"),
    "reward_proposed": _("Reward of %(amount)s yuan to approve (event %(number)s)"),
    "reward_approved": _("Reward of %(amount)s yuan approved: record its payment (event %(number)s)"),
    "reward_paid": _("Your reward of %(amount)s yuan for event %(number)s has been paid"),
    "memorandum_recorded": _("Memorandum of collaboration on record: %(title)s"),
    "memorandum_expiring": _("Memorandum with %(department)s lapses on %(until)s: %(title)s — renew it"),
    "meeting_recorded": _("Joint meeting of %(held_on)s on record: %(title)s"),
    "task_assigned": _("Task from the joint meeting %(meeting)s, due %(due)s"),
    "task_progress": _("Progress reported on a task of the meeting %(meeting)s"),
    "task_done": _("Task of the meeting %(meeting)s done"),
    "record_shared": _("Shared with your department: %(number)s — %(reason)s"),
    "share_comment": _("New comment from %(department)s on %(number)s"),
    "referral_sent": _("Referral %(number)s from %(sender)s: %(subject)s"),
    "referral_receive": _("Referral %(number)s received: %(subject)s"),
    "referral_answer": _("Referral %(number)s answered: %(subject)s"),
    "referral_decline": _("Referral %(number)s declined: %(subject)s"),
    "calendar_missing": _("No complete holiday schedule for %(years)s: deadlines count the statutory holidays but no "
                          "make-up working days. Enter the schedule and mark the year complete."),
}


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32)
    params = models.JSONField(default=dict)
    url = models.CharField(max_length=255, blank=True)
    # Stops the same reminder being sent twice (e.g. one "deadline soon" per event and deadline).
    dedupe_key = models.CharField(max_length=128, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], condition=~models.Q(dedupe_key=""), name="unique_notification"
            )
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        template = MESSAGES.get(self.kind)
        if template is None:
            return self.kind
        params = {k: ("、".join(map(str, v)) if isinstance(v, list) else v) for k, v in self.params.items()}
        try:
            return str(template) % params
        except (KeyError, TypeError, ValueError):
            return str(template)
