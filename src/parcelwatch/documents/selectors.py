"""Official documents a user may see: those of the events and cases they may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from parcelwatch.accounts.models import User

from .models import OfficialDocument


def documents_visible_to(user: User) -> QuerySet[OfficialDocument]:
    from parcelwatch.enforcement.selectors import cases_visible_to
    from parcelwatch.events.selectors import events_visible_to

    return OfficialDocument.objects.filter(
        Q(subject_type="event", subject_id__in=events_visible_to(user).values("pk"))
        | Q(subject_type="enforcementcase", subject_id__in=cases_visible_to(user).values("pk"))
    ).select_related("attachment", "issued_by")
