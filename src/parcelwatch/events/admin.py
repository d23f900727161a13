from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import EventCategory
from .workflow import TRANSITIONS


class EventCategoryForm(forms.ModelForm):
    evidence_required = forms.MultipleChoiceField(
        label=_("actions that require evidence"),
        choices=[(a, t.label) for a, t in TRANSITIONS.items() if t.permission is not None],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = EventCategory
        fields = ["code", "name", "legal_basis", "penalty_range", "fine_min", "fine_max", "rectification_days",
                  "evidence_required", "allows_filing_change", "active", "sort_order"]
        widgets = {"legal_basis": forms.Textarea(attrs={"rows": 3, "cols": 80}),
                   "penalty_range": forms.Textarea(attrs={"rows": 2, "cols": 80})}


@admin.register(EventCategory)
class EventCategoryAdmin(admin.ModelAdmin):
    form = EventCategoryForm
    list_display = ("code", "name", "rectification_days", "fine_min", "fine_max", "active")
    list_editable = ("rectification_days", "active")
    search_fields = ("code", "name")
    ordering = ("sort_order", "code")
