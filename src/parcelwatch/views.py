"""The home page: what needs this user now, then an overview of what they are responsible for.

Every count links to a list showing exactly the counted items.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from parcelwatch.accounts.access import has_permission, memberships
from parcelwatch.accounts.permissions import CASES_VIEW, EVENTS_REPORT, EVENTS_VIEW, REGISTRY_VIEW
from parcelwatch.enforcement.selectors import case_todo_for
from parcelwatch.events.models import Event
from parcelwatch.events.selectors import events_visible_to, filter_events, reports_of, todo_for
from parcelwatch.registry.models import Site
from parcelwatch.registry.selectors import enterprises_visible_to, officers_visible_to, sites_visible_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict = {"memberships": memberships(user)}
    if has_permission(user, EVENTS_VIEW):
        today = timezone.localdate()
        visible = events_visible_to(user)
        case_tasks = case_todo_for(user, today).count() if has_permission(user, CASES_VIEW) else 0
        context.update({
            "todo_count": todo_for(user, today).count() + case_tasks,
            "overdue_count": filter_events(visible, overdue=True, today=today).count(),
            "open_count": visible.filter(state__in=Event.OPEN_STATES).count(),
        })
    if has_permission(user, EVENTS_REPORT):
        context["can_report"] = True
        context["my_reports"] = list(
            reports_of(user).order_by("-reported_at", "-pk")[:5])
        context["today"] = timezone.localdate()
    if has_permission(user, REGISTRY_VIEW):
        sites = sites_visible_to(user)
        by_kind = dict(sites.order_by().values_list("kind").annotate(n=Count("pk")))
        by_district = (
            sites.order_by().values("district__name", "district__code", "district__sort_order")
            .annotate(n=Count("pk")).order_by("district__sort_order")
        )
        context.update(
            {
                "kind_counts": [(value, label, by_kind.get(value, 0)) for value, label in Site.Kind.choices],
                "district_counts": list(by_district),
                "enterprise_count": enterprises_visible_to(user).count(),
                "officer_count": officers_visible_to(user).count(),
                "xray_total": sites.aggregate(n=Sum("xray_count"))["n"] or 0,
            }
        )
    return render(request, "home.html", context)
