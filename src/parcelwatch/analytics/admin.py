from django.contrib import admin

from .models import DistrictIndicatorWeight


@admin.register(DistrictIndicatorWeight)
class DistrictIndicatorWeightAdmin(admin.ModelAdmin):
    list_display = ("indicator", "weight", "sort_order")
    list_editable = ("weight", "sort_order")
