from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from parcelwatch.events.forms import MultipleFileField, MultipleFileInput
from parcelwatch.evidence.kept import KeptFilesMixin
from parcelwatch.lib.forms import StyledFormMixin

VERSION = {"widget": forms.HiddenInput, "required": False, "min_value": 1, "max_value": 2**31 - 1}


class PublicReportForm(StyledFormMixin, forms.Form):
    district = forms.ChoiceField(label=_("District"))
    place = forms.CharField(label=_("Where (address or shop name)"), max_length=200)
    category = forms.ChoiceField(label=_("What kind of violation (if you know)"), required=False)
    description = forms.CharField(label=_("What you saw"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Photos (up to 3, optional)"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "image/*"}))
    reporter_name = forms.CharField(label=_("Your name (optional)"), max_length=32, required=False)
    reporter_phone = forms.CharField(label=_("Your phone (optional: to hear the outcome and receive a reward)"),
                                     max_length=40, required=False)
    insider = forms.BooleanField(label=_("I work in the delivery industry"), required=False)
    answer = forms.CharField(label=_("Work out the sum"), max_length=4)
    token = forms.CharField(widget=forms.HiddenInput, max_length=400)
    website = forms.CharField(required=False, max_length=100, label=_("Leave this field empty"))

    def __init__(self, *args, districts=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("Choose…"))] + [(str(d.pk), d.name) for d in districts]
        self.fields["category"].choices = [("", _("Not sure"))] + [(c.code, c.name) for c in categories]


class SubstantiateForm(KeptFilesMixin, StyledFormMixin, forms.Form):
    site = forms.ChoiceField(label=_("Site where the violation was found"))
    category = forms.ChoiceField(label=_("Category"))
    description = forms.CharField(
        label=_("What was found on checking (the event's description: the enterprise reads it, so write it in "
                "your own words and never mention the report)"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}))
    outcome = forms.CharField(label=_("Outcome told to the reporter"), max_length=500,
                              widget=forms.Textarea(attrs={"rows": 2}))
    attachments = MultipleFileField(label=_("Photos taken when checking"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "image/*"}))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    version = forms.IntegerField(**VERSION)

    def __init__(self, *args, sites=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", _("Choose…"))] + [(str(s.pk), s.name) for s in sites]
        self.fields["category"].choices = [("", _("Choose…"))] + [(c.code, f"{c.code} {c.name}") for c in categories]


class DismissForm(StyledFormMixin, forms.Form):
    outcome = forms.CharField(label=_("Why it is not substantiated (told to the reporter)"), max_length=500,
                              widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(**VERSION)


class DecisionForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("refuse", "refuse")], widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(**VERSION)


class PaymentForm(StyledFormMixin, forms.Form):
    voucher = forms.CharField(label=_("Payment voucher number"), max_length=64)
    version = forms.IntegerField(**VERSION)
