"""Coordinates."""

from __future__ import annotations

from decimal import Decimal


def within_bounds(lng: float | Decimal, lat: float | Decimal, bounds: list[float] | None) -> bool:
    """True when (lng, lat) lies in [min lng, min lat, max lng, max lat]; no bounds means anywhere."""
    if not bounds:
        return -180 <= float(lng) <= 180 and -90 <= float(lat) <= 90
    min_lng, min_lat, max_lng, max_lat = bounds
    return min_lng <= float(lng) <= max_lng and min_lat <= float(lat) <= max_lat
