"""The event workflow of DESIGN §3 as one table.

Pages, API and tests read this table: the buttons a user sees are exactly the
actions it allows them, and `services.perform` enforces the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts import permissions as p

from .models import Event

S = Event.State


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    # Target state; None keeps the state; a dict picks the target by the source state.
    target: str | dict[str, str] | None
    permission: str | None  # None: only the system performs it
    needs_note: bool = False
    sets_deadline: bool = False
    evidence_by_default: bool = False
    style: str = "primary"


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("accept", _("Accept"), (S.REPORTED,), S.ACCEPTED, p.EVENTS_DISTRICT),
        Transition("reject", _("Reject"), (S.REPORTED,), S.REJECTED, p.EVENTS_DISTRICT, needs_note=True,
                   style="outline-danger"),
        Transition("merge", _("Merge as duplicate"), (S.REPORTED,), S.MERGED, p.EVENTS_DISTRICT,
                   style="outline-secondary"),
        Transition("resolve_on_spot", _("Resolved on the spot"), (S.ACCEPTED,), S.AWAITING_CONFIRMATION,
                   p.EVENTS_DISTRICT, evidence_by_default=True, style="outline-success"),
        Transition("issue_letter", _("Issue reminder letter"), (S.ACCEPTED,), S.RECTIFYING, p.EVENTS_DISTRICT,
                   sets_deadline=True),
        Transition("acknowledge", _("Acknowledge receipt"), (S.RECTIFYING,), None, p.EVENTS_ENTERPRISE,
                   style="outline-primary"),
        Transition("submit_rectification", _("Submit rectification"), (S.RECTIFYING, S.UNDER_ENFORCEMENT),
                   {S.RECTIFYING: S.RECTIFICATION_SUBMITTED, S.UNDER_ENFORCEMENT: S.UNDER_ENFORCEMENT},
                   p.EVENTS_ENTERPRISE, evidence_by_default=True),
        Transition("verify_pass", _("Rectification passes"), (S.RECTIFICATION_SUBMITTED,), S.AWAITING_CONFIRMATION,
                   p.EVENTS_DISTRICT, style="success"),
        Transition("verify_fail", _("Rectification fails: rework"), (S.RECTIFICATION_SUBMITTED,), S.RECTIFYING,
                   p.EVENTS_DISTRICT, needs_note=True, sets_deadline=True, style="outline-danger"),
        Transition("escalate", _("Escalate to the city bureau"), (S.RECTIFYING, S.RECTIFICATION_SUBMITTED),
                   S.ESCALATED, p.EVENTS_DISTRICT, needs_note=True, style="outline-danger"),
        Transition("auto_escalate", _("Escalated automatically: deadline passed"), (S.RECTIFYING,), S.ESCALATED,
                   None),
        Transition("return_to_district", _("Return to the district"), (S.ESCALATED,), S.RECTIFYING, p.EVENTS_CITY,
                   needs_note=True, sets_deadline=True, style="outline-secondary"),
        Transition("open_case", _("Open an enforcement case"), (S.ESCALATED,), S.UNDER_ENFORCEMENT, p.EVENTS_CITY,
                   needs_note=True),
        Transition("case_concluded", _("Enforcement concluded, problem fixed"), (S.UNDER_ENFORCEMENT,),
                   S.AWAITING_CONFIRMATION, None),
        Transition("case_dropped", _("Enforcement ended without a fix"), (S.UNDER_ENFORCEMENT,), S.ESCALATED, None),
        Transition("confirm", _("Confirm the fix on site"), (S.AWAITING_CONFIRMATION,), S.CLOSED, p.EVENTS_CONFIRM,
                   evidence_by_default=True, style="success"),
        Transition("dispute", _("Dispute: not fixed"), (S.AWAITING_CONFIRMATION,), None, p.EVENTS_CONFIRM,
                   needs_note=True, evidence_by_default=True, style="outline-danger"),
    ]
}

# The report itself is the first timeline entry of every event.
REPORT = "report"
# Recorded by the administrator's recomputation when a year's holiday schedule is entered (workdays.recompute).
DEADLINE_RECOMPUTED = "deadline_recomputed"
ACTION_LABELS = {REPORT: _("Reported"), DEADLINE_RECOMPUTED: _("Deadline recomputed for the holiday schedule"),
                 **{a: t.label for a, t in TRANSITIONS.items()}}


def target_state(transition: Transition, event: Event) -> str:
    if transition.action == "dispute":
        # Back to the level that handled it.
        return S.ESCALATED if event.handled_level == Event.Level.CITY else S.ACCEPTED
    if isinstance(transition.target, dict):
        return transition.target[event.state]
    return transition.target or event.state


def requires_evidence(transition: Transition, event: Event) -> bool:
    configured = event.category.evidence_required
    if configured:
        return transition.action in configured
    return transition.evidence_by_default


# What happens next, and who acts, in each state: said after every action and on the event page.
NEXT_STEPS: dict[str, object] = {
    S.REPORTED: _("Waiting for the district safety centre to accept the report."),
    S.ACCEPTED: _("Waiting for the district safety centre to resolve it on the spot or issue a reminder letter."),
    S.RECTIFYING: _("Waiting for the enterprise to rectify and submit its evidence by %(deadline)s."),
    S.RECTIFICATION_SUBMITTED: _("Waiting for the district safety centre to check the rectification."),
    S.ESCALATED: _("Waiting for the city bureau to open an enforcement case or return the event to the district."),
    S.UNDER_ENFORCEMENT: _("The city bureau is handling an enforcement case; the enterprise still submits its "
                           "rectification."),
    S.AWAITING_CONFIRMATION: _("Waiting for the grid worker to confirm the fix on site."),
    S.CLOSED: _("Closed: the fix was confirmed on site."),
    S.REJECTED: _("Rejected: nothing more is done."),
    S.MERGED: _("Merged into another event, which is followed instead."),
}


def next_step(event: Event) -> str:
    if event.is_overdue():
        return str(_("The deadline of %(deadline)s has passed without a fix: the system escalates the event to the "
                     "city bureau (the district may escalate it now).") % {"deadline": event.deadline.isoformat()})
    text = str(NEXT_STEPS.get(event.state, ""))
    if "%(deadline)s" in text:
        text = text % {"deadline": event.deadline.isoformat() if event.deadline else "—"}
    if event.state == S.UNDER_ENFORCEMENT and event.rectified_at:
        text = str(_("The city bureau is handling an enforcement case; the enterprise has submitted its "
                     "rectification."))
    return text
