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
ACTION_LABELS = {REPORT: _("Reported"), **{a: t.label for a, t in TRANSITIONS.items()}}


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
