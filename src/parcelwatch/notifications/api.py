"""Notifications through the API: what the bell shows, and marking it read."""

from datetime import datetime

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from parcelwatch.lib.apitypes import Id, In, Pagination

from . import services
from .models import Notification

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    url: str = Field(description="The page the notification points to, on the web.")
    created_at: datetime
    read_at: datetime | None


class NotificationFilters(Schema):
    unread: bool | None = None


@router.get("/notifications", response=list[NotificationOut])
@paginate(Pagination)
def list_notifications(request, filters: Query[NotificationFilters]):
    """The user's notifications, newest first; `unread=true` for the unread ones (the bell's count)."""
    qs = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-pk")
    if filters.unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif filters.unread is False:
        qs = qs.filter(read_at__isnull=False)
    return qs


class ReadIn(In):
    ids: list[Id] | None = Field(None, max_length=500, description="Mark these read; leave out to mark all read.")


class ReadOut(Schema):
    marked: int


@router.post("/notifications/read", response=ReadOut)
def mark_read(request, payload: ReadIn):
    """Mark notifications read: the given ones (all the user's own, or 404), or all of them."""
    if payload.ids is not None:
        own = set(Notification.objects.filter(recipient=request.user, pk__in=payload.ids).values_list("pk", flat=True))
        if own != set(payload.ids):
            raise Http404
    return {"marked": services.mark_read(request.user, payload.ids)}
