"""Template filters shared by all pages."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def yuan(value, places: int = 0) -> str:
    """1182500 → "1,182,500"; amounts on screens always group thousands, whatever the locale."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{amount:,.{int(places)}f}"
