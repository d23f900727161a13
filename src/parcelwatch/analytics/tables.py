"""The statistics tables, once: the pages show them, the exports write them with the same columns."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from parcelwatch.lib.spreadsheets import Column

# (key, header, kind): kind says how a value is shown and exported.
INDICATORS = (
    ("reported", _("Reported events"), "count"),
    ("accepted", _("Accepted events"), "count"),
    ("closed", _("Events closed"), "count"),
    ("open", _("Open"), "count"),
    ("acceptance_rate", _("Acceptance rate"), "rate"),
    ("on_time_rectification_rate", _("On-time handling rate"), "rate"),
    ("closure_rate", _("Closure rate"), "rate"),
    ("on_time_closure_rate", _("On-time closure rate"), "rate"),
    ("district_closure_share", _("Closed at district level"), "rate"),
    ("rework_rate", _("Rework rate"), "rate"),
    ("total_days", _("Average handling time (days)"), "days"),
)
SORT_KEYS = {key for key, _label, _kind in INDICATORS} | {"label"}

FORMATS = {"count": "#,##0", "rate": "0.0%", "days": "0.0"}


def columns(first_header) -> tuple[Column, ...]:
    """Spreadsheet columns: the row's name, then every indicator with its number format."""
    cols = [Column(first_header, "label", width=30)]
    for key, label, kind in INDICATORS:
        cols.append(Column(label, key, width=14, num_format=FORMATS[kind],
                           export=(lambda r, k=key: r.get(k))))
    return tuple(cols)


def sort_rows(rows: list[dict], key: str, descending: bool) -> list[dict]:
    """Rows sorted by one indicator; rows without a value (no denominator) always last."""
    if key not in SORT_KEYS:
        key = "reported"
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: (r[key], r.get("label", "")), reverse=descending)
    return present + missing
