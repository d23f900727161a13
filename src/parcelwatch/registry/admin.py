from django.contrib import admin

from .models import Brand, Enterprise


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "code", "is_historical", "sort_order")


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    """Read-only here (needed for lookups): registry edits go through the versioned pages."""

    search_fields = ("name", "credit_code")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
