"""Scoring sheets are configuration: the administrator edits criteria, points, and how each is scored."""

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from .models import Criterion, ScoringSheet


class CriterionFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if data.get("method") == Criterion.Method.COMPUTED and not data.get("metric"):
                form.add_error("metric", _("Say what a computed criterion is computed from."))
            if data.get("method") == Criterion.Method.MANUAL and data.get("metric"):
                form.add_error("metric", _("A criterion scored by hand is not computed from the data."))


class CriterionInline(admin.TabularInline):
    model = Criterion
    formset = CriterionFormSet
    extra = 1
    fields = ("sort_order", "code", "text", "points", "method", "metric", "deduction")


@admin.register(ScoringSheet)
class ScoringSheetAdmin(admin.ModelAdmin):
    list_display = ("name", "subject", "active", "excellent_from", "good_from", "pass_from")
    list_filter = ("subject", "active")
    inlines = [CriterionInline]
