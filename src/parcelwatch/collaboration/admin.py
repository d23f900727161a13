from django.contrib import admin

from .models import PartnerDepartment


@admin.register(PartnerDepartment)
class PartnerDepartmentAdmin(admin.ModelAdmin):
    """The departments the bureau works with; their users are given the partner role with the department."""

    list_display = ("name", "short_name", "jurisdiction", "contact_name", "contact_phone", "active", "sort_order")
    list_filter = ("active",)
    search_fields = ("name", "short_name")
    autocomplete_fields = ["jurisdiction"]

    def has_delete_permission(self, request, obj=None):
        return False  # kept with what was shared with it and referred to it; take it out of use instead
