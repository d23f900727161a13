from django.contrib import admin

from .models import NumberTemplate


@admin.register(NumberTemplate)
class NumberTemplateAdmin(admin.ModelAdmin):
    list_display = ("kind", "template", "per_issuer")
