from django.contrib import admin

from .models import EnforcementSettings


@admin.register(EnforcementSettings)
class EnforcementSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "hearing_days")

    def has_add_permission(self, request):
        return not EnforcementSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
