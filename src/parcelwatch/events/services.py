"""Every change of an event goes through here: authorised, recorded, notified."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import BigIntegerField, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from parcelwatch.accounts.access import granting_role
from parcelwatch.accounts.models import Role, User
from parcelwatch.accounts.permissions import EVENTS_REPORT
from parcelwatch.accounts.selectors import city_of
from parcelwatch.analytics.services import record_event_facts
from parcelwatch.documents.models import DocumentKind, NumberTemplate
from parcelwatch.documents.services import issue_document, next_number, record_paper_document, usable_template
from parcelwatch.evidence import timeline
from parcelwatch.evidence.models import Attachment
from parcelwatch.lib.apitypes import DESCRIPTION_MAX, NOTE_MAX
from parcelwatch.lib.geo import clean_point
from parcelwatch.lib.queries import PreparedSelect
from parcelwatch.lib.text import clean_text
from parcelwatch.notifications.services import notify as notify_users
from parcelwatch.notifications.services import notify_role_covering, users_with_role_covering
from parcelwatch.notifications.services import on_commit as notify_on_commit
from parcelwatch.registry.models import Site
from parcelwatch.workdays.services import add_working_days, working_days_between

from .models import Event, EventCategory
from .selectors import can_on_event
from .workflow import ACTION_LABELS, REPORT, TRANSITIONS, Transition, requires_evidence, target_state

logger = logging.getLogger(__name__)
S = Event.State
SYSTEM = "system"


class TransitionError(Exception):
    """A transition that cannot happen; `code` tells the API which status to answer with."""

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code  # invalid | forbidden | conflict

    @property
    def http_status(self) -> int:
        return {"invalid": 422, "forbidden": 403, "conflict": 409}[self.code]


def _check_length(text: str, limit: int, label) -> None:
    if len(text) > limit:
        raise TransitionError(_("%(label)s is too long: at most %(limit)d characters (it has %(n)d).")
                              % {"label": label, "limit": limit, "n": len(text)})


def _today(when: datetime | None) -> date:
    return timezone.localdate(when) if when else timezone.localdate()


# --- reporting -------------------------------------------------------------------------------------------------


def _site_to_report(pk: int):
    """The site of a report, locked until commit, with what the report reads of it; and, in the same statement,
    the event numbering template and (PostgreSQL) the new event's id, so that its row can be inserted last, whole.
    """
    numbering = NumberTemplate.objects.filter(kind=DocumentKind.EVENT).order_by()
    queryset = Site.objects.select_for_update(of=("self",), no_key=True).select_related(
        "enterprise", "jurisdiction", "district__parent").filter(pk=pk).annotate(
        event_template=Subquery(numbering.values("template")[:1]),
        event_template_per_issuer=Subquery(numbering.values("per_issuer")[:1]))
    if connection.vendor == "postgresql":
        queryset = queryset.annotate(next_event_id=RawSQL(
            "nextval(pg_get_serial_sequence(%s, %s))", (Event._meta.db_table, Event._meta.pk.column),
            output_field=BigIntegerField()))
    return queryset


_SITE_TO_REPORT = PreparedSelect(_site_to_report, int)  # compiled once


def report_event(
    *,
    actor: User,
    site: Site,
    category: EventCategory,
    description: str,
    photos: Sequence[Attachment],
    lng: Decimal | None = None,
    lat: Decimal | None = None,
    when: datetime | None = None,
    source: str | None = None,
    savepoint: bool = True,
) -> Event:
    """`source` says how the problem was found when it is not the reporter's role (a video patrol).

    Only `site.pk` is read from `site`: the site is read again and locked, then authorised. The returned event
    carries the timeline entry of its report as `report_entry`.

    One report per transaction: on PostgreSQL the event is numbered last, after its rollups are locked, so a
    transaction that reported a second event would wait for rollups while holding the year's counter (a deadlock
    with another report). Numbers therefore follow the order in which reports commit, not their `reported_at` to
    the microsecond; they are unique and gapless. The event's row itself is inserted last, numbered (its id is
    taken with the site; its facts name it before it exists, which the deferred foreign key allows), instead of
    inserted first and updated: the update rewrote the row and all sixteen of its index entries. On SQLite, where
    one writer works at a time, the row is numbered and inserted first.

    `savepoint=False` is for a caller whose transaction holds this report and nothing else it would keep: it rolls
    back whatever this raises (the API, which stores the photos in the same transaction). It saves the two round
    trips of a savepoint on every report.
    """
    with transaction.atomic(savepoint=savepoint):
        # The site's row is held until commit: two reports of one site are counted one after the other, so the
        # second sees the first (a repeat within the year; analytics.services). The role that lets the actor report
        # at the site is the authorisation (the site's place, or its enterprise for enterprise staff), as
        # sites_visible_to(actor, EVENTS_REPORT) would find it; a site outside it is released at rollback.
        site = _SITE_TO_REPORT.one(site.pk)
        role = site and granting_role(actor, EVENTS_REPORT, path=site.jurisdiction.path, enterprise_id=site.enterprise_id)
        if not role:
            raise TransitionError(_("You cannot report events for this site."), code="forbidden")
        if not category.active:
            raise TransitionError(_("This category is no longer in use."))
        description = clean_text(description)
        if not description:
            raise TransitionError(_("Describe what you found."))
        _check_length(description, DESCRIPTION_MAX, _("The description"))
        if not any(a.kind == Attachment.Kind.IMAGE for a in photos):
            raise TransitionError(_("Take at least one photo of the problem."))
        when = when or timezone.now()
        city = city_of(site.district)
        try:
            lng, lat = clean_point(lng, lat, bounds=city.bounds, place=city.name)
        except ValidationError as exc:
            raise TransitionError(_("Location: %(reason)s") % {"reason": exc.messages[0]}) from None
        numbering = usable_template(DocumentKind.EVENT, site.event_template, site.event_template_per_issuer)
        event = Event(
            pk=getattr(site, "next_event_id", None),
            site=site, category=category, description=description.strip(), jurisdiction=site.jurisdiction,
            district=site.district, reported_by=actor, reported_at=when, lng=lng, lat=lat,
            source=source if source in Event.Source.values else (
                Event.Source.GRID if role == Role.GRID_WORKER else Event.Source.INSPECTION),
        )
        # The number last: the year's counter is one row that every report locks until it commits, so the counter is
        # taken as late as possible (numbers stay gapless: a report that rolls back gives its number back). Without
        # an id taken ahead (SQLite, where one writer works at a time anyway), the row is numbered and inserted
        # first, to have its id.
        year = timezone.localtime(when).year
        if event.pk is None:
            if connection.vendor == "postgresql":
                _warn_no_sequence()
            event.number = next_number(DocumentKind.EVENT, year=year, template=numbering)
            event.save(force_insert=True)
        event.report_entry = timeline.append(
            event, action=REPORT, actor=actor, actor_role=role, to_state=S.REPORTED, note=event.description,
            attachments=list(photos), data={"lng": str(lng) if lng is not None else None,
                                            "lat": str(lat) if lat is not None else None}, at=when, first=True)
        record_event_facts(event, created=True)
        if event._state.adding:
            event.number = next_number(DocumentKind.EVENT, year=year, template=numbering)
            event.save(force_insert=True)
        # Notified in the report's own transaction, not after it as other actions are: one commit for the report
        # instead of two, and no report without its notification. It names the number, so it comes after it, and
        # the counter is held for one statement more (a tenth of a millisecond or two: the counter, held from here
        # to the commit, still lets through over a thousand reports a second, far above a province's peak).
        _notify_state(event, ACTION_LABELS[REPORT], actor=actor)
        return event


@functools.cache
def _warn_no_sequence() -> None:
    """Once per process: without the sequence, reports hold the year's counter for their whole transaction."""
    logger.error("events_event.id owns no sequence (a schema changed by hand?): reports are numbered first and "
                 "take turns on the year's counter; give the column its sequence back")


# --- the workflow ----------------------------------------------------------------------------------------------


def _authorise(event: Event, transition: Transition, actor: User | None) -> str:
    """The actor's role for this transition, or raise. The one place transitions are authorised."""
    if event.state not in transition.sources:
        raise TransitionError(
            _("This event is now “%(state)s”: “%(action)s” is no longer possible. Someone else may have acted first.")
            % {"state": event.get_state_display(), "action": transition.label},
            code="conflict",
        )
    if transition.permission is None:
        return SYSTEM
    if actor is None or not can_on_event(actor, transition.permission, event):
        raise TransitionError(_("You may not do this on this event."), code="forbidden")
    if transition.action == "acknowledge" and event.acknowledged_at:
        raise TransitionError(_("Receipt was already acknowledged."), code="conflict")
    return granting_role(actor, transition.permission, path=event.jurisdiction.path,
                         enterprise_id=event.site.enterprise_id)


def perform(
    event: Event,
    action: str,
    *,
    actor: User | None,
    note: str = "",
    attachments: Sequence[Attachment] = (),
    deadline_days: int | None = None,
    expected_version: int | None = None,
    duplicate_of: Event | None = None,
    site_changes: dict | None = None,
    when: datetime | None = None,
    render_documents: bool = True,
    _system: bool = False,
) -> Event:
    """Perform one workflow action; exactly one of two concurrent attempts succeeds.

    `render_documents=False` is for importing historical records whose paper documents exist
    elsewhere: the document number is assigned and recorded, but no PDF is generated.
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionError(_("Unknown action “%(action)s”.") % {"action": action})
    with transaction.atomic():
        # Only the event's row is locked (with select_related, PostgreSQL would also lock the site, enterprise,
        # category and district rows, and every report in the district would queue behind this transaction).
        event = (
            Event.objects.select_for_update(of=("self",), no_key=True)
            .select_related("site__enterprise", "category", "jurisdiction", "district")
            .get(pk=event.pk)
        )
        if expected_version is not None and expected_version != event.version:
            raise TransitionError(
                _("This event was changed by someone else while you were looking at it. Reload and check."),
                code="conflict",
            )
        if transition.permission is None and not _system:
            raise TransitionError(_("Only the system performs this step."), code="forbidden")
        role = _authorise(event, transition, actor)
        note = clean_text(note)
        _check_length(note, NOTE_MAX, _("The note"))
        if transition.needs_note and not note:
            raise TransitionError(_("Give a reason or note for “%(action)s”.") % {"action": transition.label})
        if requires_evidence(transition, event) and not attachments:
            raise TransitionError(_("“%(action)s” needs at least one attachment as evidence.") % {
                "action": transition.label})
        from_state = event.state
        to_state = target_state(transition, event)
        today = _today(when)
        now = when or timezone.now()
        fields = {"state", "version", "updated_at"}
        data: dict = {}
        entry_attachments = list(attachments)
        deadline = None

        if transition.sets_deadline:
            days = deadline_days if deadline_days is not None else event.category.rectification_days
            if not 1 <= days <= 60:
                raise TransitionError(_("The rectification period must be 1 to 60 working days."))
            deadline = add_working_days(today, days)
            event.deadline = deadline
            fields.add("deadline")
            data["working_days"] = days

        if action in ("accept", "reject", "merge"):
            event.decided_at = now
            fields.add("decided_at")
        if action == "merge":
            if (duplicate_of is None or duplicate_of.pk == event.pk or duplicate_of.site_id != event.site_id
                    or duplicate_of.category_id != event.category_id or not duplicate_of.is_open):
                raise TransitionError(_("Choose an open event for the same site and category to merge into."))
            event.duplicate_of = duplicate_of
            fields.add("duplicate_of")
            data["duplicate_of"] = duplicate_of.number
        elif action in ("issue_letter", "resolve_on_spot"):
            event.handled_level = Event.Level.DISTRICT
            fields.add("handled_level")
            if action == "issue_letter" and event.letter_at is None:
                event.letter_at = now
                fields.add("letter_at")
        elif action == "acknowledge":
            event.acknowledged_at = now
            fields.add("acknowledged_at")
        elif action == "submit_rectification":
            event.rectified_at = now
            fields.add("rectified_at")
            if from_state == S.RECTIFYING and event.deadline and today > event.deadline:
                event.missed_deadline = True
                fields.add("missed_deadline")
            if site_changes:
                from parcelwatch.registry.services import file_site_change

                if not event.category.allows_filing_change:
                    raise TransitionError(
                        _("Category %(category)s does not involve the site's registration; a filing change cannot "
                          "be submitted with this rectification.") % {"category": event.category.name})
                try:
                    changed = file_site_change(event.site, actor=actor, data=site_changes,
                                               note=_("Filing change for event %(number)s") % {"number": event.number})
                except ValidationError as exc:
                    raise TransitionError("；".join(exc.messages)) from None
                data["site_changes"] = {k: str(v) for k, v in site_changes.items()} if changed else {}
            if from_state == S.UNDER_ENFORCEMENT and _case_finished(event):
                to_state = S.AWAITING_CONFIRMATION
        elif action == "verify_fail":
            event.rework_count += 1
            fields.add("rework_count")
        elif action in ("escalate", "auto_escalate"):
            event.escalated_at = now
            event.handled_level = Event.Level.CITY
            # Escalated instead of rectified in time: the deadline counts as missed.
            event.missed_deadline = True
            fields |= {"escalated_at", "handled_level", "missed_deadline"}
            if event.deadline:
                data["deadline_was"] = event.deadline.isoformat()
                data["overdue_working_days"] = max(working_days_between(event.deadline, today), 0)
        elif action == "return_to_district":
            event.handled_level = Event.Level.DISTRICT
            fields.add("handled_level")
        elif action == "confirm":
            event.closure_level = event.handled_level
            event.closed_at = now
            fields |= {"closure_level", "closed_at"}
            data["closure_level"] = event.closure_level
        elif action == "dispute":
            event.rework_count += 1
            fields.add("rework_count")

        if to_state == S.AWAITING_CONFIRMATION and from_state != to_state:
            event.awaiting_since = now
            fields.add("awaiting_since")
        event.state = to_state
        event.version += 1
        event.save(update_fields=sorted(fields))

        if action == "issue_letter":
            if render_documents:
                letter = _issue_reminder_letter(event, actor=actor, note=note, days=data["working_days"], when=now)
                entry_attachments.append(letter.attachment)
                data["document"] = letter.number
            else:
                paper = record_paper_document(kind=DocumentKind.REMINDER_LETTER, subject=event, title="提醒函",
                                              actor=actor, issuer=_issuer(event), when=now)
                data["document"] = paper.number
                data["imported"] = True
        timeline.append(event, action=action, actor=actor, actor_role=role, from_state=from_state,
                        to_state=to_state, note=note, deadline=deadline, data=data,
                        attachments=entry_attachments, at=when)
        if action == "open_case":
            from parcelwatch.enforcement.services import propose_case

            propose_case(event, actor=actor, note=note, when=now)
        # Last: the shared monthly rollup rows stay locked only from here to the commit.
        record_event_facts(event)
        notify_on_commit(lambda: _notify_state(event, transition.label, entry_data=data, action=action, actor=actor))
    return event


def _case_finished(event: Event) -> bool:
    from parcelwatch.enforcement.models import EnforcementCase

    return not EnforcementCase.objects.filter(events=event).exclude(state__in=EnforcementCase.FINISHED).exists()


def _issuer(event: Event) -> str:
    return event.district.name.removesuffix("区").removesuffix("县")


def _issue_reminder_letter(event: Event, *, actor: User, note: str, days: int, when: datetime):
    district = event.district
    issuer_short = _issuer(event)
    return issue_document(
        kind=DocumentKind.REMINDER_LETTER,
        subject=event,
        title="提醒函",
        template="documents/reminder_letter.html",
        issuer=issuer_short,
        actor=actor,
        when=when,
        context={
            "issuer_name": f"{district.name}邮政业安全中心",
            "city_bureau": f"{district.parent.name if district.parent else ''}邮政管理局",
            "event": event,
            "site": event.site,
            "enterprise": event.site.enterprise,
            "category": event.category,
            "note": note,
            "days": days,
            "deadline": event.deadline,
            "officer_name": actor.display_name if actor else "",
        },
    )


# --- notifications -----------------------------------------------------------------------------------------------


def enterprise_staff(event: Event) -> list[User]:
    return [
        m.user for m in event.site.enterprise.memberships.filter(role=Role.ENTERPRISE_SAFETY, user__is_active=True)
        .select_related("user")
    ]


def _notify_state(event: Event, action_label, entry_data: dict | None = None, action: str = "",
                  actor: User | None = None) -> None:
    """Tell whoever acts next; never the person who just acted."""
    notify = partial(notify_users, exclude=actor)
    path = event.jurisdiction.path
    params = {"number": event.number, "site": event.site.name, "action": str(action_label)}
    url = f"/events/{event.pk}/"
    state = event.state
    if state in (S.REPORTED, S.RECTIFICATION_SUBMITTED) or (state == S.ACCEPTED and action == "dispute"):
        notify_role_covering(Role.DISTRICT_OFFICER, path, kind="event_task", url=url, exclude=actor, **params)
    elif state == S.RECTIFYING:
        letter = (entry_data or {}).get("document", "")
        if letter:
            notify(enterprise_staff(event), kind="letter", url=url, letter=letter, site=event.site.name,
                   deadline=event.deadline.isoformat())
        else:
            notify(enterprise_staff(event), kind="event_task", url=url, **params)
    elif state == S.ESCALATED:
        recipients = users_with_role_covering(Role.CITY_OFFICER, path) + users_with_role_covering(
            Role.DISTRICT_OFFICER, path)
        notify(recipients, kind="escalated", url=url, number=event.number, site=event.site.name)
    elif state == S.AWAITING_CONFIRMATION:
        notify_role_covering(Role.GRID_WORKER, path, kind="event_task", url=url, exclude=actor, **params)


# --- the deadline sweep --------------------------------------------------------------------------------------------


def sweep_deadlines(today: date | None = None) -> dict[str, int]:
    """Escalate overdue rectifications and remind before deadlines. Safe with several workers."""
    with translation.override(settings.LANGUAGE_CODE):
        return _sweep(today or timezone.localdate())


def _sweep(today: date) -> dict[str, int]:
    escalated = 0
    for event in Event.objects.filter(state=S.RECTIFYING, deadline__lt=today).only("pk").iterator():
        try:
            perform(event, "auto_escalate", actor=None, _system=True,
                    note=_("The rectification deadline passed without a fix."))
        except TransitionError:
            continue  # another worker or a person acted first
        except DatabaseError:
            # A lock conflict or lost connection for this one event must not stop the sweep; it is retried next time.
            logger.exception("Escalating event %s failed; it will be retried", event.pk)
            continue
        escalated += 1
    reminded = 0
    tomorrow = add_working_days(today, 1)
    for event in Event.objects.filter(state=S.RECTIFYING, deadline__gte=today, deadline__lte=tomorrow).select_related(
            "site__enterprise", "jurisdiction"):
        recipients = enterprise_staff(event) + users_with_role_covering(Role.DISTRICT_OFFICER, event.jurisdiction.path)
        reminded += notify_users(recipients, kind="deadline_soon", url=f"/events/{event.pk}/",
                           dedupe_key=f"deadline:{event.pk}:{event.deadline}", number=event.number,
                           site=event.site.name, deadline=event.deadline.isoformat())
    return {"escalated": escalated, "reminded": reminded}
