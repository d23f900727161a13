"""Public reports and rewards: receiving a report without login, checking it, handling it as an event, and the
reward's proposal, approval and payment."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parcelwatch.accounts.models import Jurisdiction, Role, User
from parcelwatch.accounts.permissions import (
    REWARDS_APPROVE,
    REWARDS_PAY,
    REWARDS_PROPOSE,
    TIPS_HANDLE,
    TIPS_IDENTITY,
)
from parcelwatch.events.models import Event, EventCategory
from parcelwatch.evidence.models import Attachment
from parcelwatch.lib.apitypes import Stale
from parcelwatch.lib.forms import field_text, field_texts
from parcelwatch.lib.phones import parse_phone
from parcelwatch.lib.text import clean_text
from parcelwatch.notifications.services import notify, on_commit, users_with_role_covering
from parcelwatch.registry.models import Site

from . import selectors as sel
from .models import IdentityView, Reward, RewardRule, RewardRuleSet, TipOff

PLACE_MAX, TEXT_MAX, NAME_MAX, OUTCOME_MAX = 200, 2000, 32, 500
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


class StaleError(Stale):
    """Somebody else acted first."""


def new_tracking_code() -> str:
    return "JB" + "".join(secrets.choice(CODE_ALPHABET) for _i in range(10))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in clean_text(code or "", multiline=False).upper() if ch.isalnum())[:16]


# --- receiving and tracking ----------------------------------------------------------------------------------


@transaction.atomic
def submit_tipoff(*, district: Jurisdiction | None, place: str, description: str, category: EventCategory | None,
                  reporter_name: str = "", reporter_phone: str = "", insider: bool = False,
                  attachments: Sequence[Attachment] = (), challenge: str = "") -> TipOff:
    """A report from anyone, without login. Name and phone are optional: without them it is anonymous."""
    errors: dict = {}
    values: dict = {}
    if district is None or district.level not in ("district", "zone"):
        errors["district"] = _("Choose the district where you saw it.")
    values.update(field_texts(errors, ("place", place, PLACE_MAX, True, False),
                              ("description", description, TEXT_MAX, True, True),
                              ("reporter_name", reporter_name, NAME_MAX, False, False)))
    try:
        values["reporter_phone"] = parse_phone(reporter_phone).value
    except ValidationError as exc:
        errors["reporter_phone"] = exc.messages
    if category is not None and not category.active:
        errors["category"] = _("Choose a kind of violation from the list.")
    for a in attachments:
        if a.kind not in (Attachment.Kind.IMAGE, Attachment.Kind.PDF) or a.uploaded_by_id is not None:
            errors["attachments"] = _("Attach photos taken for this report.")
    if errors:
        raise ValidationError(errors)
    code = new_tracking_code()
    while TipOff.objects.filter(tracking_code=code).exists():
        code = new_tracking_code()
    tip = TipOff.objects.create(tracking_code=code, district=district, category=category, insider=bool(insider),
                                received_at=timezone.now(), challenge=challenge[:32], **values)
    tip.attachments.add(*attachments)
    users = users_with_role_covering(Role.DISTRICT_OFFICER, district.path)
    on_commit(lambda: notify(users, kind="tipoff_received", url=f"/tips/{tip.pk}/", code=tip.tracking_code,
                             district=district.name))
    return tip


def sent_with(challenge: str) -> TipOff | None:
    """The report already received with this challenge: the same form sent again."""
    return TipOff.objects.filter(challenge=challenge).first() if challenge else None


def track(code: str) -> TipOff | None:
    code = normalise_code(code)
    if len(code) < 8:
        return None
    return TipOff.objects.filter(tracking_code=code).select_related("district", "category").first()


# --- checking a report ---------------------------------------------------------------------------------------


def _locked(tip: TipOff, actor: User, expected_version: int | None) -> TipOff:
    tip = TipOff.objects.select_for_update(of=("self",)).select_related("district", "category").get(pk=tip.pk)
    if not sel.can_on(actor, TIPS_HANDLE, tip):
        raise PermissionDenied
    if expected_version is not None and expected_version != tip.version:
        raise StaleError(_("Somebody else has handled this report in the meantime. Reload the page."))
    if tip.state != TipOff.State.RECEIVED:
        raise ValidationError(_("This report has been handled already."))
    return tip


def _amount(rule_set: RewardRuleSet, category: EventCategory) -> Decimal:
    rule = RewardRule.objects.filter(rule_set=rule_set, category=category).first()
    return rule.amount if rule else rule_set.default_amount


def _propose(*, rule_set: RewardRuleSet, event: Event, actor: User | None, tipoff: TipOff | None = None,
             recipient: User | None = None) -> Reward:
    amount = _amount(rule_set, event.category)
    basis = _("%(rules)s; %(category)s; event %(number)s") % {
        "rules": rule_set.title, "category": event.category.name, "number": event.number}
    reward = Reward.objects.create(rule_set=rule_set, tipoff=tipoff, event=event, recipient=recipient,
                                   district=event.district, amount=amount, basis=basis[:300], proposed_by=actor,
                                   proposed_at=timezone.now())
    leaders = users_with_role_covering(Role.CITY_LEADER, event.district.path)
    on_commit(lambda: notify(leaders, kind="reward_proposed", url=f"/rewards/{reward.pk}/",
                             amount=str(reward.amount), number=event.number))
    return reward


@transaction.atomic
def substantiate_tipoff(tip: TipOff, *, actor: User, site: Site | None, category: EventCategory | None,
                        description: str, outcome: str, photos: Sequence[Attachment] = (),
                        expected_version: int | None = None) -> TipOff:
    """The report proved true: it becomes an event at the site (source "public report"); a reporter who left a name or phone is proposed a reward. The event's description and
    photos are the officer's own account of what was found: the enterprise reads it, so nothing of the reporter's
    (words, photos, tracking code) goes into it."""
    from parcelwatch.events.services import TransitionError, report_event

    tip = _locked(tip, actor, expected_version)
    errors = {}
    if site is None or site.district_id != tip.district_id:
        errors["site"] = _("Choose the site, in the report's district, where the violation was found.")
    if category is None or not category.active:
        errors["category"] = _("Choose the category of the violation.")
    for field, value, limit in (("outcome", outcome, OUTCOME_MAX), ("description", description, TEXT_MAX)):
        try:
            value = field_text(value, field, limit=limit, required=True)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if field == "outcome":
            outcome = value
        else:
            description = value
    for a in photos:
        if a.uploaded_by_id != actor.pk:
            errors["attachments"] = _("Attach only files you uploaded yourself.")
    # The event's evidence is the officer's own photos: the enterprise reads the event, and the reporter's photos
    # (their metadata, their viewpoint) could tell it who reported.
    images = [a for a in photos if a.kind == Attachment.Kind.IMAGE]
    if not images and "attachments" not in errors:
        errors["attachments"] = _("Attach a photo taken when checking the report: it is the event's evidence.")
    if errors:
        raise ValidationError(errors)
    try:
        event = report_event(actor=actor, site=site, category=category, description=description,
                             photos=images, source=Event.Source.PUBLIC_REPORT, lng=site.lng, lat=site.lat)
    except TransitionError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from None
        raise ValidationError(str(exc.message)) from None
    tip.state, tip.event, tip.outcome = TipOff.State.SUBSTANTIATED, event, outcome
    tip.handled_by, tip.handled_at = actor, timezone.now()
    tip.version += 1
    tip.save(update_fields=["state", "event", "outcome", "handled_by", "handled_at", "version"])
    if not tip.anonymous:
        audience = RewardRuleSet.Audience.INSIDER if tip.insider else RewardRuleSet.Audience.PUBLIC
        rule_set = RewardRuleSet.objects.filter(audience=audience, active=True).first()
        if rule_set is not None:
            _propose(rule_set=rule_set, event=event, actor=actor, tipoff=tip)
    return tip


@transaction.atomic
def dismiss_tipoff(tip: TipOff, *, actor: User, outcome: str, expected_version: int | None = None) -> TipOff:
    tip = _locked(tip, actor, expected_version)
    tip.outcome = field_text(outcome, "outcome", limit=OUTCOME_MAX, required=True)
    tip.state, tip.handled_by, tip.handled_at = TipOff.State.UNSUBSTANTIATED, actor, timezone.now()
    tip.version += 1
    tip.save(update_fields=["state", "outcome", "handled_by", "handled_at", "version"])
    return tip


def reveal_identity(tip: TipOff, *, actor: User) -> tuple[str, str]:
    """The reporter's name and phone, for those allowed; the look is logged first."""
    if not sel.can_on(actor, TIPS_IDENTITY, tip):
        raise PermissionDenied
    IdentityView.objects.create(tipoff=tip, viewer=actor, at=timezone.now())
    return tip.reporter_name, tip.reporter_phone


# --- rewards -------------------------------------------------------------------------------------------------


@transaction.atomic
def propose_grid_reward(event: Event, *, actor: User) -> Reward:
    """A grid worker's report that proved true (accepted by the district or further): a reward under the grid
    workers' rules."""
    from parcelwatch.events.selectors import can_on_event

    event = Event.objects.select_for_update(of=("self",)).select_related("reported_by", "category", "district").get(
        pk=event.pk)
    if not can_on_event(actor, REWARDS_PROPOSE, event):
        raise PermissionDenied
    if event.source != Event.Source.GRID:
        raise ValidationError(_("Only an event reported by a grid worker earns a grid worker's reward."))
    if event.state in (Event.State.REPORTED, Event.State.REJECTED, Event.State.MERGED):
        raise ValidationError(_("The event must be accepted before its reporter is rewarded."))
    rule_set = RewardRuleSet.objects.filter(audience=RewardRuleSet.Audience.GRID, active=True).first()
    if rule_set is None:
        raise ValidationError(_("No reward rules for grid workers are in use."))
    if Reward.objects.filter(event=event, rule_set=rule_set).exists():
        raise ValidationError(_("A reward was already proposed for this event."))
    return _propose(rule_set=rule_set, event=event, actor=actor, recipient=event.reported_by)


def _locked_reward(reward: Reward, actor: User, perm: str, state: str, expected_version: int | None) -> Reward:
    reward = Reward.objects.select_for_update(of=("self",)).select_related("event", "district").get(pk=reward.pk)
    if not sel.can_on(actor, perm, reward):
        raise PermissionDenied
    if expected_version is not None and expected_version != reward.version:
        raise StaleError(_("Somebody else has acted on this reward in the meantime. Reload the page."))
    if reward.state != state:
        raise ValidationError(_("This is not possible in the current state (%(state)s).") % {
            "state": reward.get_state_display()})
    return reward


@transaction.atomic
def decide_reward(reward: Reward, *, actor: User, approve: bool, reason: str = "",
                  expected_version: int | None = None) -> Reward:
    reward = _locked_reward(reward, actor, REWARDS_APPROVE, Reward.State.PROPOSED, expected_version)
    reward.reason = field_text(reason, "reason", limit=OUTCOME_MAX, required=not approve)
    reward.state = Reward.State.APPROVED if approve else Reward.State.REFUSED
    reward.decided_by, reward.decided_at = actor, timezone.now()
    reward.version += 1
    reward.save(update_fields=["reason", "state", "decided_by", "decided_at", "version"])
    if approve:
        payers = users_with_role_covering(Role.CITY_OFFICER, reward.district.path)
        on_commit(lambda: notify(payers, kind="reward_approved", url=f"/rewards/{reward.pk}/",
                                 amount=str(reward.amount), number=reward.event.number))
    return reward


@transaction.atomic
def pay_reward(reward: Reward, *, actor: User, voucher: str, expected_version: int | None = None) -> Reward:
    reward = _locked_reward(reward, actor, REWARDS_PAY, Reward.State.APPROVED, expected_version)
    reward.voucher = field_text(voucher, "voucher", limit=64, required=True, multiline=False)
    reward.state, reward.paid_by, reward.paid_at = Reward.State.PAID, actor, timezone.now()
    reward.version += 1
    reward.save(update_fields=["voucher", "state", "paid_by", "paid_at", "version"])
    if reward.tipoff_id:
        TipOff.objects.filter(pk=reward.tipoff_id).update(
            outcome=_("%(outcome)s A reward of %(amount)s yuan has been paid.") % {
                "outcome": reward.tipoff.outcome, "amount": reward.amount})
    elif reward.recipient_id:
        on_commit(lambda: notify([reward.recipient], kind="reward_paid", url="/", amount=str(reward.amount),
                                 number=reward.event.number))
    return reward
