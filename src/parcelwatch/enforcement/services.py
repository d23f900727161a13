"""Every change of an enforcement case goes through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parcelwatch.accounts.access import granting_role
from parcelwatch.accounts.models import Role, User
from parcelwatch.documents.models import DocumentKind
from parcelwatch.documents.services import issue_document, next_number, record_paper_document
from parcelwatch.events.models import Event
from parcelwatch.events.services import TransitionError
from parcelwatch.evidence import timeline
from parcelwatch.evidence.models import Attachment
from parcelwatch.lib.apitypes import FINDINGS_MAX, NOTE_MAX
from parcelwatch.lib.money import yuan_in_words
from parcelwatch.lib.text import clean_text
from parcelwatch.notifications.services import notify as notify_users
from parcelwatch.notifications.services import on_commit as notify_on_commit
from parcelwatch.notifications.services import users_with_role_covering
from parcelwatch.workdays.services import add_working_days

from .models import EnforcementCase, EnforcementSettings
from .selectors import can_on_case
from .workflow import CASE_TRANSITIONS, PROPOSE

C = EnforcementCase.State


def propose_case(event: Event, *, actor: User, note: str, when: datetime | None = None) -> EnforcementCase:
    """Called by the event workflow when the city bureau opens a case on an escalated event."""
    when = when or timezone.now()
    case = EnforcementCase.objects.create(
        enterprise=event.site.enterprise, site=event.site, category=event.category, district=event.district,
        proposal=note, proposed_by=actor, proposed_at=when, legal_basis=event.category.legal_basis,
    )
    case.events.add(event)
    role = granting_role(actor, "cases.handle", path=event.district.path)
    timeline.append(case, action=PROPOSE, actor=actor, actor_role=role, to_state=C.PROPOSED, note=note,
                    data={"event": event.number}, at=when)
    notify_on_commit(lambda: _notify(case, PROPOSE, actor=actor))
    return case


def _money(value, label: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise TransitionError(_("%(label)s must be an amount in yuan.") % {"label": label}) from None
    if amount <= 0:
        raise TransitionError(_("%(label)s must be more than zero.") % {"label": label})
    return amount


def _check_range(case: EnforcementCase, amount: Decimal, justification: str) -> None:
    low, high = case.category.fine_min, case.category.fine_max
    outside = (low is not None and amount < low) or (high is not None and amount > high)
    if outside and not justification.strip():
        raise TransitionError(
            _("%(amount)s yuan is outside this category's range (%(range)s): write a justification.")
            % {"amount": amount, "range": case.category.penalty_range or f"{low}–{high}"}
        )


def perform_case(
    case: EnforcementCase,
    action: str,
    *,
    actor: User,
    note: str = "",
    attachments: Sequence[Attachment] = (),
    findings: str = "",
    legal_basis: str = "",
    fine: Decimal | str | None = None,
    justification: str = "",
    hearing_days: int | None = None,
    hearing_waived: bool = False,
    expected_version: int | None = None,
    when: datetime | None = None,
    render_documents: bool = True,
) -> EnforcementCase:
    """Perform one case action. `render_documents=False` only numbers documents (imported history)."""
    transition = CASE_TRANSITIONS.get(action)
    if transition is None:
        raise TransitionError(_("Unknown action “%(action)s”.") % {"action": action})
    with transaction.atomic():
        case = EnforcementCase.objects.select_for_update(of=("self",), no_key=True).select_related(
            "enterprise", "site", "category", "district").get(pk=case.pk)
        if expected_version is not None and expected_version != case.version:
            raise TransitionError(_("This case was changed by someone else. Reload and check."), code="conflict")
        if case.state not in transition.sources:
            raise TransitionError(
                _("This case is now “%(state)s”: “%(action)s” is no longer possible.")
                % {"state": case.get_state_display(), "action": transition.label}, code="conflict")
        if not can_on_case(actor, transition.permission, case):
            raise TransitionError(_("You may not do this on this case."), code="forbidden")
        note = clean_text(note)
        findings, justification, legal_basis = clean_text(findings), clean_text(justification), clean_text(
            legal_basis, multiline=False)
        for text, limit, label in ((note, NOTE_MAX, _("The note")), (findings, FINDINGS_MAX, _("The facts found")),
                                   (justification, NOTE_MAX, _("The justification")),
                                   (legal_basis, 255, _("The legal basis"))):
            if len(text) > limit:
                raise TransitionError(_("%(label)s is too long: at most %(limit)d characters (it has %(n)d).")
                                      % {"label": label, "limit": limit, "n": len(text)})
        if transition.needs_note and not note:
            raise TransitionError(_("Give a reason or note for “%(action)s”.") % {"action": transition.label})
        if transition.needs_evidence and not attachments:
            raise TransitionError(_("“%(action)s” needs at least one attachment as evidence.") % {
                "action": transition.label})
        now = when or timezone.now()
        today = timezone.localdate(now)
        fields = {"state", "version", "updated_at"}
        data: dict = {}
        deadline = None
        documents = []
        from_state = case.state

        if action == "approve_filing":
            case.number = next_number(DocumentKind.CASE, year=today.year)
            case.approved_by, case.filed_at = actor, now
            fields |= {"number", "approved_by", "filed_at"}
            data["number"] = case.number
        elif action == "notify_penalty":
            findings, legal_basis = findings.strip(), (legal_basis.strip() or case.legal_basis)
            if not findings:
                raise TransitionError(_("Write down the facts found by the investigation."))
            if not legal_basis:
                raise TransitionError(_("Give the legal basis."))
            amount = _money(fine, _("The intended fine"))
            _check_range(case, amount, justification)
            days = hearing_days if hearing_days is not None else EnforcementSettings.current().hearing_days
            if not 1 <= days <= 30:
                raise TransitionError(_("The hearing period must be 1 to 30 working days."))
            case.findings, case.legal_basis, case.proposed_fine = findings, legal_basis, amount
            case.justification = justification.strip()
            case.notified_at = now
            case.hearing_deadline = deadline = add_working_days(today, days)
            fields |= {"findings", "legal_basis", "proposed_fine", "justification", "notified_at", "hearing_deadline"}
            data.update({"fine": str(amount), "hearing_days": days})
            if render_documents:
                documents.append(_document(case, DocumentKind.PENALTY_NOTICE, "行政处罚事先告知书",
                                           "documents/penalty_notice.html", actor, now, amount, hearing_days=days))
                data["document"] = documents[-1].number
            else:
                data["document"] = record_paper_document(kind=DocumentKind.PENALTY_NOTICE, subject=case,
                                                         title="行政处罚事先告知书", actor=actor, when=now).number
                data["imported"] = True
        elif action == "decide":
            if case.hearing_deadline and today <= case.hearing_deadline and not hearing_waived:
                raise TransitionError(
                    _("The party may still make statements until %(date)s; decide after that, or record that "
                      "they waived the right.") % {"date": case.hearing_deadline.isoformat()})
            amount = _money(fine if fine not in (None, "") else case.proposed_fine, _("The fine"))
            justification = justification.strip() or case.justification
            _check_range(case, amount, justification)
            if legal_basis.strip():
                case.legal_basis = legal_basis.strip()
            case.fine_amount, case.justification = amount, justification
            case.decided_by, case.decided_at = actor, now
            fields |= {"fine_amount", "justification", "decided_by", "decided_at", "legal_basis"}
            if render_documents:
                decision = _document(case, DocumentKind.PENALTY_DECISION, "行政处罚决定书",
                                     "documents/penalty_decision.html", actor, now, amount,
                                     hearing_text="你单位在规定期限内未提出陈述、申辩和听证要求。" if not hearing_waived
                                     else "你单位明确表示放弃陈述、申辩和听证的权利。")
                documents.append(decision)
                case.decision_number = decision.number
            else:
                case.decision_number = record_paper_document(kind=DocumentKind.PENALTY_DECISION, subject=case,
                                                             title="行政处罚决定书", actor=actor, when=now).number
                data["imported"] = True
            fields.add("decision_number")
            data.update({"fine": str(amount), "decision": case.decision_number, "hearing_waived": hearing_waived})
        elif action == "serve":
            case.served_at = now
            fields.add("served_at")
        elif action == "record_payment":
            case.paid_at = now
            fields.add("paid_at")
        elif action in ("close", "no_penalty", "reject_filing"):
            case.closed_at = now
            fields.add("closed_at")

        case.state = transition.target
        case.version += 1
        case.save(update_fields=sorted(fields))
        role = granting_role(actor, transition.permission, path=case.district.path)
        timeline.append(case, action=action, actor=actor, actor_role=role, from_state=from_state,
                        to_state=case.state, note=note, deadline=deadline, data=data,
                        attachments=[*attachments, *(d.attachment for d in documents)], at=when)
        if case.is_finished:
            _conclude_events(case, when=when)
        notify_on_commit(lambda: _notify(case, action, actor=actor))
    return case


def _document(case, kind, title, template, actor, when, amount, hearing_text="", hearing_days=None):
    return issue_document(
        kind=kind, subject=case, title=title, template=template, actor=actor, when=when,
        context={
            "issuer_name": f"{case.district.parent.name if case.district.parent else ''}邮政管理局",
            "case": case, "enterprise": case.enterprise, "site": case.site, "category": case.category,
            "findings": case.findings, "legal_basis": case.legal_basis, "fine": amount,
            "fine_chinese": yuan_in_words(amount), "justification": case.justification,
            "hearing_deadline": case.hearing_deadline, "hearing_text": hearing_text,
            "hearing_days": hearing_days,
        },
    )


def _conclude_events(case: EnforcementCase, *, when: datetime | None) -> None:
    """A finished case hands its events back: to on-site confirmation if fixed, else to the city's desk."""
    from parcelwatch.events.services import perform

    with translation.override(settings.LANGUAGE_CODE):
        _conclude(case, when, perform)


def _conclude(case: EnforcementCase, when: datetime | None, perform) -> None:
    for event in case.events.filter(state=Event.State.UNDER_ENFORCEMENT):
        if EnforcementCase.objects.filter(events=event).exclude(pk=case.pk).exclude(
                state__in=EnforcementCase.FINISHED).exists():
            continue
        if event.rectified_at:
            perform(event, "case_concluded", actor=None, _system=True, when=when,
                    note=_("Case %(case)s concluded; the problem was fixed.") % {"case": case.display_number})
        elif case.state != C.CLOSED:
            perform(event, "case_dropped", actor=None, _system=True, when=when,
                    note=_("Case %(case)s ended without a penalty; the event is back with the city bureau.")
                    % {"case": case.display_number})


def _notify(case: EnforcementCase, action: str, actor: User | None = None) -> None:
    """Tell whoever must take the next step; never the person who just acted."""
    from .workflow import CASE_ACTION_LABELS

    notify = partial(notify_users, exclude=actor)
    path = case.district.path
    params = {"number": case.display_number, "action": str(CASE_ACTION_LABELS[action])}
    url = f"/enforcement/cases/{case.pk}/"
    if case.state in (C.PROPOSED, C.NOTIFIED):
        notify(users_with_role_covering(Role.CITY_LEADER, path), kind="case_task", url=url, **params)
    elif case.state in (C.FILED, C.INVESTIGATING, C.DECIDED, C.SERVED, C.EXECUTED):
        notify(users_with_role_covering(Role.CITY_OFFICER, path), kind="case_task", url=url, **params)
