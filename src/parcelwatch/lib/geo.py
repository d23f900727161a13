"""Coordinates: where they enter (forms, API, import) they are checked here, in one way."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SIX_PLACES = Decimal("0.000001")


def within_bounds(lng: float | Decimal, lat: float | Decimal, bounds: list[float] | None) -> bool:
    """True when (lng, lat) lies in [min lng, min lat, max lng, max lat]; no bounds means anywhere."""
    lng, lat = float(lng), float(lat)
    if not (math.isfinite(lng) and math.isfinite(lat)):
        return False
    if not bounds:
        return -180 <= lng <= 180 and -90 <= lat <= 90
    min_lng, min_lat, max_lng, max_lat = bounds
    return min_lng <= lng <= max_lng and min_lat <= lat <= max_lat


def _number(value: object, label: str) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError(_("%(label)s “%(value)s” is not a number.") % {"label": label, "value": value}) from None
    if not number.is_finite():
        raise ValidationError(_("%(label)s must be a finite number.") % {"label": label})
    if abs(number) > 1000:
        raise ValidationError(_("%(label)s “%(value)s” is not a coordinate.") % {"label": label, "value": value})
    return number.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def clean_point(
    lng: object, lat: object, *, bounds: list[float] | None, place: str = ""
) -> tuple[Decimal | None, Decimal | None]:
    """Both coordinates or neither, finite, rounded to six places (about 0.1 m), inside the city's box.

    Raises ValidationError with a message for the person who typed them.
    """
    blank = (lng is None or str(lng).strip() == "", lat is None or str(lat).strip() == "")
    if all(blank):
        return None, None
    if any(blank):
        raise ValidationError(_("Give both longitude and latitude, or neither."))
    lng_d, lat_d = _number(lng, _("Longitude")), _number(lat, _("Latitude"))
    if not within_bounds(lng_d, lat_d, bounds):
        if within_bounds(lat_d, lng_d, bounds):
            raise ValidationError(_("Longitude and latitude seem to be swapped: longitude comes first."))
        raise ValidationError(_("The coordinates (%(lng)s, %(lat)s) lie outside %(place)s.") % {
            "lng": lng_d.normalize(), "lat": lat_d.normalize(), "place": place or _("the city")})
    return lng_d, lat_d
