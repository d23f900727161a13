from __future__ import annotations

from datetime import date

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from parcelwatch.events.services import TransitionError

from .models import CalendarDay, CalendarYear
from .recompute import apply_recomputed_deadline, deadlines_affected_by_schedule
from .services import set_schedule_complete


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"


def _recompute_url(year: int) -> str:
    return reverse("admin:workdays_calendaryear_recompute", args=[year])


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "complete", "days_entered", "marked_by", "marked_at", "recompute_link")
    list_filter = ("complete",)
    fields = ("year", "complete", "marked_by", "marked_at", "recompute_link")
    readonly_fields = ("marked_by", "marked_at", "recompute_link")
    actions = ["mark_complete"]

    def get_queryset(self, request: HttpRequest):
        entered = (
            CalendarDay.objects.filter(date__year=OuterRef("year")).order_by().values("date__year")
            .annotate(n=Count("pk")).values("n")
        )
        return super().get_queryset(request).select_related("marked_by").annotate(
            entered=Coalesce(Subquery(entered, output_field=IntegerField()), 0))

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarYear | None = None):
        return (*self.readonly_fields, "year") if obj else self.readonly_fields

    @admin.display(description=_("days entered"), ordering="entered")
    def days_entered(self, obj: CalendarYear) -> int:
        return getattr(obj, "entered", 0)

    @admin.display(description=_("deadlines"))
    def recompute_link(self, obj: CalendarYear) -> str:
        if not obj.pk:
            return "-"
        return format_html('<a href="{}">{}</a>', _recompute_url(obj.year), _("Recompute deadlines"))

    def save_model(self, request: HttpRequest, obj: CalendarYear, form, change: bool) -> None:
        # Through the service, so that who marked the schedule complete, and when, is recorded.
        saved = set_schedule_complete(obj.year, actor=request.user, complete=obj.complete)
        obj.pk, obj.marked_by, obj.marked_at = saved.pk, saved.marked_by, saved.marked_at

    def response_change(self, request: HttpRequest, obj: CalendarYear) -> HttpResponse:
        if obj.complete:
            return redirect(_recompute_url(obj.year))
        return super().response_change(request, obj)

    def response_add(self, request: HttpRequest, obj: CalendarYear, post_url_continue=None) -> HttpResponse:
        if obj.complete:
            return redirect(_recompute_url(obj.year))
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description=_("Mark the schedule complete"), permissions=["change"])
    def mark_complete(self, request: HttpRequest, queryset) -> HttpResponse | None:
        years = sorted(queryset.values_list("year", flat=True))
        for year in years:
            set_schedule_complete(year, actor=request.user)
        self.message_user(request, _("Marked complete: %(years)s.") % {"years": "、".join(map(str, years))},
                          messages.SUCCESS)
        if len(years) == 1:
            return redirect(_recompute_url(years[0]))
        return None

    def get_urls(self):
        view = self.admin_site.admin_view(self.recompute_view)
        return [path("<int:year>/recompute/", view, name="workdays_calendaryear_recompute"), *super().get_urls()]

    def recompute_view(self, request: HttpRequest, year: int) -> HttpResponse:
        """Open deadlines this year's schedule moves: the administrator applies the ticked ones, keeps the rest."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            self._apply(request, year, request.POST.getlist("apply"))
            return redirect(request.path)
        calendar_year = CalendarYear.objects.filter(year=year).first()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Deadlines to recompute for %(year)s") % {"year": year},
            "year": year,
            "calendar_year": calendar_year,
            "complete": bool(calendar_year and calendar_year.complete),
            "rows": deadlines_affected_by_schedule(year),
        }
        return TemplateResponse(request, "admin/workdays/calendaryear/recompute.html", context)

    def _apply(self, request: HttpRequest, year: int, choices: list[str]) -> None:
        # Apply only what the administrator saw and what the calendar still says now.
        current = {row.event.pk: row for row in deadlines_affected_by_schedule(year)}
        applied = 0
        for choice in choices:
            try:
                pk, old, new = choice.split(":")
                pk, old, new = int(pk), date.fromisoformat(old), date.fromisoformat(new)
            except ValueError:
                continue
            row = current.get(pk)
            if row is None or row.old_deadline != old or row.new_deadline != new:
                self.message_user(request, _("The deadline of event %(number)s was not changed: it or the calendar "
                                             "changed since the list was shown. Check it again below.")
                                  % {"number": row.event.number if row else pk}, messages.WARNING)
                continue
            try:
                apply_recomputed_deadline(row.event, actor=request.user, new_deadline=new, old_deadline=old,
                                          year=year)
            except TransitionError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                continue
            applied += 1
        if applied:
            self.message_user(request, ngettext("%(count)d deadline changed.", "%(count)d deadlines changed.",
                                                applied) % {"count": applied}, messages.SUCCESS)
        elif not choices:
            self.message_user(request, _("No deadline was changed."), messages.INFO)
