"""Filters for self-inspection pages."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

register = template.Library()

STEPS = {
    "submit": _("submitted"), "resubmit": _("corrected and sent again"), "approve": _("approved"),
    "return": _("returned"), "withdraw": _("withdrawn"), "accept": _("accepted"), "draft": _("drafted"),
    "edit": _("edited"), "publish": _("published"),
}


@register.filter
def iso_local(value: str) -> str:
    """A stored ISO timestamp, shown in Putian time."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%Y-%m-%d %H:%M}"


@register.filter
def step_label(action: str) -> str:
    return str(STEPS.get(action, action))
