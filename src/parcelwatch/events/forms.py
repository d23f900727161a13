"""Input forms for events: shape only; the workflow rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from parcelwatch.lib.forms import StyledFormMixin

from .models import EventCategory


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReportForm(StyledFormMixin, forms.Form):
    site = forms.IntegerField(label=_("Site"), widget=forms.HiddenInput)
    category = forms.ModelChoiceField(label=_("Problem category"), queryset=EventCategory.objects.filter(active=True))
    description = forms.CharField(label=_("What did you find?"), widget=forms.Textarea(attrs={"rows": 3}),
                                  max_length=2000)
    photos = MultipleFileField(
        label=_("Photos"),
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    lng = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6)
    lat = forms.DecimalField(required=False, widget=forms.HiddenInput, max_digits=9, decimal_places=6)


class ActionForm(StyledFormMixin, forms.Form):
    action = forms.CharField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=2000)
    attachments = MultipleFileField(label=_("Evidence (photos, PDF, video)"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf,video/*"}))
    deadline_days = forms.IntegerField(label=_("Rectification period (working days)"), required=False, min_value=1,
                                       max_value=60)
    duplicate_of = forms.CharField(label=_("Number of the event it duplicates"), required=False, max_length=32)
    new_address = forms.CharField(label=_("New filed address (filing change)"), required=False, max_length=255)
