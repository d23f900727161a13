"""Formatting of statistics figures in templates."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.filter
def percent(value, digits: int = 1) -> str:
    """0.9116 → "91.2%"; nothing for a missing rate."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def indicator(row: dict, key: str):
    return row.get(key)


@register.simple_tag
def indicator_value(row: dict, key: str, kind: str) -> str:
    """One indicator of a row as shown in the tables: a rate as a percentage, days to one decimal, a count.

    A tag rather than an included template: the performance table renders thousands of these cells."""
    value = row.get(key)
    if value is None:
        return format_html('<span class="text-muted">—</span>')
    if kind == "rate":
        return percent(value)
    if kind == "days":
        return f"{float(value):.1f}"
    return str(value or 0)


@register.filter
def bar_width(value, maximum) -> str:
    """A CSS width for a bar of `value` out of `maximum` (never wider than 100%)."""
    try:
        return f"{min(100.0, 100.0 * float(value) / float(maximum)):.1f}%" if maximum else "0%"
    except (TypeError, ValueError):
        return "0%"


@register.filter
def yuan(value) -> str:
    """1182500 → "¥1,182,500" (whole yuan; fines are decided in whole yuan)."""
    try:
        return f"¥{float(value or 0):,.0f}"
    except (TypeError, ValueError):
        return "—"
