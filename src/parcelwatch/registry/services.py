"""Every write to the registry goes through here: validated, authorised, versioned."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.access import covers
from parcelwatch.accounts.models import Jurisdiction, User
from parcelwatch.accounts.permissions import REGISTRY_EDIT
from parcelwatch.accounts.selectors import city_of
from parcelwatch.lib.credit_code import credit_code_problem, normalise
from parcelwatch.lib.geo import clean_point
from parcelwatch.lib.phones import parse_phone
from parcelwatch.lib.text import clean_text, is_ascii_digits, normalise_identifier

from .models import ChangeRecord, Enterprise, SafetyOfficer, Site, TrainingRecord
from .selectors import can_on_enterprise, enterprises_visible_to
from .versioning import record_change, snapshot

CREDIT_CODE_MESSAGES = {
    "length": _("The unified social credit code must have 18 characters."),
    "characters": _("The unified social credit code contains characters that are not allowed (I, O, Z, S, V)."),
    "region": _("Characters 3–8 of the unified social credit code must be an administrative division code."),
    "check": _("The check character of the unified social credit code is wrong."),
}

SITE_LEVELS = (Jurisdiction.Level.TOWN, Jurisdiction.Level.GRID)
ENTERPRISE_LEVELS = (Jurisdiction.Level.CITY, Jurisdiction.Level.DISTRICT, Jurisdiction.Level.ZONE)


def _require_edit_at(actor: User, node: Jurisdiction) -> None:
    if not covers(actor, REGISTRY_EDIT, node.path):
        raise ValidationError({"jurisdiction": _("This place is outside your jurisdiction.")})


def _apply(obj: Any, data: dict[str, Any]) -> None:
    """Set the fields; every registry text is one line, without control characters."""
    for key, value in data.items():
        if isinstance(value, str):
            value = clean_text(value, multiline=False)
        setattr(obj, key, value)


def _phone_field(obj: Any, name: str) -> None:
    try:
        setattr(obj, name, parse_phone(getattr(obj, name)).value)
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from None


def _save(obj: Any, update_fields: list[str] | None, unique_field: str, unique_message: Any) -> None:
    try:
        with transaction.atomic():
            obj.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise ValidationError({unique_field: unique_message}) from exc


# --- enterprises -----------------------------------------------------------------------------------------


def _validate_enterprise(enterprise: Enterprise) -> None:
    enterprise.credit_code = normalise(enterprise.credit_code)
    enterprise.licence_number = normalise_identifier(enterprise.licence_number)
    _phone_field(enterprise, "contact_phone")
    problem = credit_code_problem(enterprise.credit_code)
    if problem:
        raise ValidationError({"credit_code": CREDIT_CODE_MESSAGES[problem]})
    if enterprise.jurisdiction.level not in ENTERPRISE_LEVELS:
        raise ValidationError({"jurisdiction": _("An enterprise is registered to the city, a district or a zone.")})
    clash = Enterprise.objects.filter(credit_code=enterprise.credit_code).exclude(pk=enterprise.pk)
    if clash.exists():
        raise ValidationError({"credit_code": _("Another enterprise already has this credit code.")})


@transaction.atomic
def create_enterprise(*, actor: User, data: dict[str, Any], action: str = ChangeRecord.Action.CREATE) -> Enterprise:
    enterprise = Enterprise()
    _apply(enterprise, data)
    _require_edit_at(actor, enterprise.jurisdiction)
    _validate_enterprise(enterprise)
    _save(enterprise, None, "credit_code", _("Another enterprise already has this credit code."))
    record_change(enterprise, actor=actor, before=None, action=action)
    return enterprise


@transaction.atomic
def update_enterprise(
    enterprise: Enterprise, *, actor: User, data: dict[str, Any], action: str = ChangeRecord.Action.UPDATE
) -> bool:
    """Apply changes; returns False when nothing changed (no version is recorded)."""
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    _require_edit_enterprise(actor, enterprise)
    before = snapshot(enterprise)
    _apply(enterprise, data)
    if "jurisdiction" in data:
        _require_edit_at(actor, enterprise.jurisdiction)
    _validate_enterprise(enterprise)
    if snapshot(enterprise) == before:
        return False
    _save(enterprise, [*data.keys(), "updated_at"], "credit_code", _("Another enterprise already has this credit code."))
    record_change(enterprise, actor=actor, before=before, action=action)
    return True


# --- sites -----------------------------------------------------------------------------------------------


def _validate_site(site: Site) -> None:
    if site.jurisdiction.level not in SITE_LEVELS:
        raise ValidationError({"jurisdiction": _("Choose the town/street or grid the site lies in.")})
    district = site.jurisdiction.district()
    if district is None:
        raise ValidationError({"jurisdiction": _("This town is not inside a district.")})
    site.district = district
    city = city_of(site.jurisdiction)
    try:
        site.lng, site.lat = clean_point(site.lng, site.lat, bounds=city.bounds, place=city.name)
    except ValidationError as exc:
        raise ValidationError({"lng": exc.messages}) from None
    _phone_field(site, "manager_phone")
    site.filing_number = normalise_identifier(site.filing_number) or None
    if site.filing_number:
        clash = Site.objects.filter(filing_number=site.filing_number).exclude(pk=site.pk)
        if clash.exists():
            raise ValidationError({"filing_number": _("Another site already has this filing number.")})


def _require_usable_enterprise(actor: User, enterprise: Enterprise) -> None:
    """A site can name only an enterprise the user can see (the form offers no other)."""
    if not enterprises_visible_to(actor).filter(pk=enterprise.pk).exists():
        raise ValidationError({"enterprise": _("This enterprise is outside your jurisdiction.")})


@transaction.atomic
def create_site(*, actor: User, data: dict[str, Any], action: str = ChangeRecord.Action.CREATE) -> Site:
    site = Site()
    _apply(site, data)
    _require_edit_at(actor, site.jurisdiction)
    _require_usable_enterprise(actor, site.enterprise)
    _validate_site(site)
    _save(site, None, "filing_number", _("Another site already has this filing number."))
    record_change(site, actor=actor, before=None, action=action)
    return site


@transaction.atomic
def update_site(site: Site, *, actor: User, data: dict[str, Any], action: str = ChangeRecord.Action.UPDATE) -> bool:
    """Apply changes; returns False when nothing changed (no version is recorded)."""
    site = Site.objects.select_for_update(of=("self",)).select_related("jurisdiction").get(pk=site.pk)
    _require_edit_at(actor, site.jurisdiction)
    before = snapshot(site)
    enterprise_before = site.enterprise_id
    _apply(site, data)
    _require_edit_at(actor, site.jurisdiction)
    if site.enterprise_id != enterprise_before:
        _require_usable_enterprise(actor, site.enterprise)
    _validate_site(site)
    if snapshot(site) == before:
        return False
    fields = [*data.keys(), "district", "updated_at"]
    _save(site, list(dict.fromkeys(fields)), "filing_number", _("Another site already has this filing number."))
    record_change(site, actor=actor, before=before, action=action)
    _cameras_follow(site)
    return True


def _cameras_follow(site: Site) -> None:
    """A site's cameras keep its district (they are scoped and counted by it)."""
    from parcelwatch.video.models import Camera

    Camera.objects.filter(site=site).exclude(district_id=site.district_id).update(district_id=site.district_id)


# --- safety officers -------------------------------------------------------------------------------------


def _require_edit_enterprise(actor: User, enterprise: Enterprise) -> None:
    if not can_on_enterprise(actor, REGISTRY_EDIT, enterprise):
        raise ValidationError({"enterprise": _("This enterprise is outside your jurisdiction.")})


def _validate_officer(officer: SafetyOfficer, sites: list[Site]) -> None:
    if any(s.enterprise_id != officer.enterprise_id for s in sites):
        raise ValidationError({"sites": _("A safety officer can only cover sites of their own enterprise.")})
    _phone_field(officer, "phone")
    officer.id_number = normalise_identifier(officer.id_number)
    if len(officer.id_number) != 18 or not is_ascii_digits(officer.id_number[:17]) or officer.id_number[17] not in "0123456789X":
        raise ValidationError({"id_number": _("An ID card number has 18 characters: 17 digits and a digit or X.")})


@transaction.atomic
def create_officer(*, actor: User, data: dict[str, Any], sites: list[Site], note: str = "") -> SafetyOfficer:
    officer = SafetyOfficer()
    _apply(officer, data)
    _require_edit_enterprise(actor, officer.enterprise)
    _validate_officer(officer, sites)
    officer.save()
    officer.sites.set(sites)
    record_change(officer, actor=actor, before=None, action=ChangeRecord.Action.CREATE, note=note)
    return officer


@transaction.atomic
def update_officer(officer: SafetyOfficer, *, actor: User, data: dict[str, Any], sites: list[Site],
                   note: str = "") -> bool:
    officer = SafetyOfficer.objects.select_for_update(of=("self",)).select_related("enterprise__jurisdiction").get(
        pk=officer.pk)
    _require_edit_enterprise(actor, officer.enterprise)
    before = snapshot(officer)
    _apply(officer, data)
    _require_edit_enterprise(actor, officer.enterprise)
    _validate_officer(officer, sites)
    officer.save(update_fields=[*data.keys(), "updated_at"])
    officer.sites.set(sites)
    return record_change(officer, actor=actor, before=before, action=ChangeRecord.Action.UPDATE,
                         note=note) is not None


@transaction.atomic
def add_training_record(officer: SafetyOfficer, *, actor: User, data: dict[str, Any]) -> TrainingRecord:
    _require_edit_enterprise(actor, officer.enterprise)
    return TrainingRecord.objects.create(officer=officer, **data)


# Fields an enterprise may change through a filing (备案变更); the regulator's fields stay theirs.
FILING_CHANGE_FIELDS = ("name", "address", "manager_name", "manager_phone", "lng", "lat")


@transaction.atomic
def file_site_change(site: Site, *, actor: User, data: dict[str, Any], note: str = "") -> bool:
    """An enterprise files a change of its own site's registered details; versioned like any edit."""
    from parcelwatch.accounts.permissions import REGISTRY_FILE_CHANGE

    from .selectors import can_on_site

    site = Site.objects.select_for_update(of=("self",)).select_related("jurisdiction").get(pk=site.pk)
    if not can_on_site(actor, REGISTRY_FILE_CHANGE, site):
        raise ValidationError({"site": _("You cannot file changes for this site.")})
    unknown = set(data) - set(FILING_CHANGE_FIELDS)
    if unknown:
        raise ValidationError({"site": _("These details cannot be changed by a filing: %(fields)s") % {
            "fields": ", ".join(sorted(unknown))}})
    before = snapshot(site)
    _apply(site, data)
    _validate_site(site)
    if snapshot(site) == before:
        return False
    _save(site, [*data.keys(), "updated_at"], "filing_number", _("Another site already has this filing number."))
    record_change(site, actor=actor, before=before, action=ChangeRecord.Action.UPDATE, note=note)
    _cameras_follow(site)
    return True
