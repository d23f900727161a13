"""The home page: an overview of what the user is responsible for."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from parcelwatch.accounts.access import has_permission, memberships
from parcelwatch.accounts.permissions import EVENTS_VIEW, REGISTRY_VIEW
from parcelwatch.events.models import Event
from parcelwatch.events.selectors import events_visible_to, todo_for
from parcelwatch.registry.models import Site
from parcelwatch.registry.selectors import enterprises_visible_to, officers_visible_to, sites_visible_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context: dict = {"memberships": memberships(request.user)}
    if has_permission(request.user, EVENTS_VIEW):
        today = timezone.localdate()
        tasks = list(todo_for(request.user, today))
        context.update({
            "todo_count": len(tasks),
            "overdue_count": sum(1 for e in tasks if e.is_overdue(today)),
            "open_count": events_visible_to(request.user).filter(state__in=Event.OPEN_STATES).count(),
        })
    if has_permission(request.user, REGISTRY_VIEW):
        sites = sites_visible_to(request.user)
        by_kind = dict(sites.order_by().values_list("kind").annotate(n=Count("pk")))
        by_district = (
            sites.order_by().values("district__name", "district__code", "district__sort_order")
            .annotate(n=Count("pk")).order_by("district__sort_order")
        )
        context.update(
            {
                "kind_counts": [(value, label, by_kind.get(value, 0)) for value, label in Site.Kind.choices],
                "district_counts": list(by_district),
                "enterprise_count": enterprises_visible_to(request.user).count(),
                "officer_count": officers_visible_to(request.user).count(),
                "xray_total": sum(sites.values_list("xray_count", flat=True)),
            }
        )
    return render(request, "home.html", context)
