"""The duty report's form is configuration: the administrator edits its checklist, due day and reminders."""

from django.contrib import admin

from .models import DutyReportItem, DutyReportTemplate


class DutyReportItemInline(admin.TabularInline):
    model = DutyReportItem
    extra = 1
    fields = ("sort_order", "code", "text", "rule")


@admin.register(DutyReportTemplate)
class DutyReportTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "due_day", "remind_days_before", "narrative_required", "attachment_required")
    list_filter = ("active",)
    inlines = [DutyReportItemInline]
