"""The enforcement case workflow of DESIGN §3 as one table (read by pages, API and services)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts import permissions as p

from .models import EnforcementCase

C = EnforcementCase.State


@dataclass(frozen=True)
class CaseTransition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    permission: str
    needs_note: bool = False
    needs_evidence: bool = False
    form: str = ""  # which extra inputs the step asks for
    style: str = "primary"


CASE_TRANSITIONS: dict[str, CaseTransition] = {
    t.action: t
    for t in [
        CaseTransition("approve_filing", _("Approve filing"), (C.PROPOSED,), C.FILED, p.CASES_APPROVE, style="success"),
        CaseTransition("reject_filing", _("Do not file"), (C.PROPOSED,), C.NOT_FILED, p.CASES_APPROVE,
                       needs_note=True, style="outline-danger"),
        CaseTransition("start_investigation", _("Start investigation"), (C.FILED,), C.INVESTIGATING, p.CASES_HANDLE),
        CaseTransition("notify_penalty", _("Notify intended penalty"), (C.INVESTIGATING,), C.NOTIFIED,
                       p.CASES_HANDLE, form="penalty"),
        CaseTransition("decide", _("Approve penalty decision"), (C.NOTIFIED,), C.DECIDED, p.CASES_APPROVE,
                       form="decision", style="success"),
        CaseTransition("no_penalty", _("Close without penalty"), (C.INVESTIGATING, C.NOTIFIED), C.NO_PENALTY,
                       p.CASES_APPROVE, needs_note=True, style="outline-secondary"),
        CaseTransition("serve", _("Record service of the decision"), (C.DECIDED,), C.SERVED, p.CASES_HANDLE),
        CaseTransition("record_payment", _("Record payment of the fine"), (C.SERVED,), C.EXECUTED, p.CASES_HANDLE,
                       needs_evidence=True),
        CaseTransition("close", _("Close the case"), (C.EXECUTED,), C.CLOSED, p.CASES_HANDLE, style="success"),
    ]
}

PROPOSE = "propose"
CASE_ACTION_LABELS = {PROPOSE: _("Case proposed"), **{a: t.label for a, t in CASE_TRANSITIONS.items()}}


# Whose step each open state is (the to-do lists and home pages read this), and what is said about it.
WAITING_FOR: dict[str, str] = {
    C.PROPOSED: p.CASES_APPROVE,
    C.FILED: p.CASES_HANDLE,
    C.INVESTIGATING: p.CASES_HANDLE,
    C.NOTIFIED: p.CASES_APPROVE,
    C.DECIDED: p.CASES_HANDLE,
    C.SERVED: p.CASES_HANDLE,
    C.EXECUTED: p.CASES_HANDLE,
}

NEXT_STEPS: dict[str, object] = {
    C.PROPOSED: _("Waiting for a bureau leader to approve or refuse the filing."),
    C.FILED: _("Waiting for the enforcement officers to start the investigation."),
    C.INVESTIGATING: _("Investigating: next, the officers notify the intended penalty (or a leader closes the case "
                       "without penalty)."),
    C.NOTIFIED: _("The party may make statements or request a hearing until %(deadline)s; then a bureau leader "
                  "approves the penalty decision."),
    C.DECIDED: _("Waiting for the officers to serve the penalty decision on the party."),
    C.SERVED: _("Waiting for the party to pay the fine; the officers record the payment."),
    C.EXECUTED: _("Fine paid: waiting for the officers to close the case."),
    C.CLOSED: _("Closed."),
    C.NOT_FILED: _("Not filed as a case: the event is back with the city bureau."),
    C.NO_PENALTY: _("Closed without penalty."),
}


def case_next_step(case: EnforcementCase) -> str:
    text = str(NEXT_STEPS.get(case.state, ""))
    if "%(deadline)s" in text:
        text = text % {"deadline": case.hearing_deadline.isoformat() if case.hearing_deadline else "—"}
    return text
