"""Input forms for events: shape only; the workflow rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from parcelwatch.lib.apitypes import DESCRIPTION_MAX, NOTE_MAX
from parcelwatch.lib.forms import StyledFormMixin
from parcelwatch.lib.text import is_ascii_digits

from .models import EventCategory

MAX_PHOTOS = 10


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
    site = forms.IntegerField(label=_("Site"), widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    category = forms.ModelChoiceField(label=_("Problem category"), queryset=EventCategory.objects.filter(active=True))
    description = forms.CharField(label=_("What did you find?"), max_length=DESCRIPTION_MAX,
                                  widget=forms.Textarea(attrs={"rows": 3, "maxlength": DESCRIPTION_MAX}))
    # New photos; those already received with an earlier, refused submission come back as `photo_ids`.
    photos = MultipleFileField(
        label=_("Photos"), required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    photo_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    # Checked (range, precision, the city's box) by the service, which says what is wrong.
    lng = forms.CharField(required=False, widget=forms.HiddenInput, max_length=32)
    lat = forms.CharField(required=False, widget=forms.HiddenInput, max_length=32)

    def kept_photo_ids(self) -> list[int]:
        raw = self.data.getlist("photo_ids") if hasattr(self.data, "getlist") else []
        ids = []
        for chunk in raw:
            ids.extend(part for part in str(chunk).split(",") if is_ascii_digits(part.strip()))
        return [int(i) for i in ids[:MAX_PHOTOS]]


class ActionForm(StyledFormMixin, forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, max_length=32)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=NOTE_MAX)
    attachments = MultipleFileField(label=_("Evidence (photos, PDF, video)"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf,video/*"}))
    deadline_days = forms.IntegerField(label=_("Rectification period (working days)"), required=False, min_value=1,
                                       max_value=60)
    duplicate_of = forms.CharField(label=_("Number of the event it duplicates"), required=False, max_length=32)
    new_address = forms.CharField(label=_("New filed address (filing change)"), required=False, max_length=255)
