"""Input forms of self-inspection: shape only; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from parcelwatch.events.forms import MultipleFileField, MultipleFileInput
from parcelwatch.evidence.kept import KeptFilesMixin
from parcelwatch.lib.forms import ChecklistMixin, IdentifierField, StyledFormMixin

from .models import Circular, DutyReport, OfficerFiling, SpotCheck


class FilingForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What is filed"), choices=OfficerFiling.Kind.choices)
    officer = forms.ChoiceField(label=_("Officer (for a change or departure)"), required=False)
    name = forms.CharField(label=_("Officer's name"), max_length=32, required=False)
    id_number = IdentifierField(label=_("ID card number"), max_length=40, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    sites = forms.MultipleChoiceField(label=_("Sites covered"), required=False,
                                      widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, officers=(), sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].choices = [("", _("Choose…"))] + [(str(o.pk), o.name) for o in officers]
        self.fields["sites"].choices = [(str(s.pk), s.name) for s in sites]


class ReasonForm(StyledFormMixin, forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, max_length=32)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ReportForm(ChecklistMixin, KeptFilesMixin, StyledFormMixin, forms.Form):
    narrative = forms.CharField(label=_("How the safety duties were carried out this month"), required=False,
                                max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(label=_("Supporting material (photos or PDF)"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_checklist(items, DutyReport.Answer.choices)


class DrawForm(StyledFormMixin, forms.Form):
    area = forms.ChoiceField(label=_("Area"))
    month = forms.CharField(label=_("Month"), max_length=7, widget=forms.TextInput(attrs={"type": "month"}))
    percent = forms.IntegerField(label=_("Share drawn (%)"), min_value=1, max_value=100, initial=20)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = list(areas)


class CheckForm(KeptFilesMixin, StyledFormMixin, forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=SpotCheck.Method.choices, widget=forms.RadioSelect)
    result = forms.ChoiceField(label=_("Result"), widget=forms.RadioSelect,
                               choices=[(SpotCheck.Result.PASSED, SpotCheck.Result.PASSED.label),
                                        (SpotCheck.Result.FAILED, SpotCheck.Result.FAILED.label)])
    site = forms.ChoiceField(label=_("Site checked"), required=False)
    findings = forms.CharField(label=_("What was found"), required=False, max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(label=_("Photos or scans"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args, sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", _("Choose…"))] + [(str(s.pk), s.name) for s in sites]


class CircularForm(StyledFormMixin, forms.Form):
    area = forms.ChoiceField(label=_("Issued for"))
    kind = forms.ChoiceField(label=_("Kind"), choices=Circular.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=100)
    body = forms.CharField(label=_("Text"), max_length=20000, widget=forms.Textarea(attrs={"rows": 12}))
    enterprises = forms.MultipleChoiceField(label=_("Sent to"), widget=forms.CheckboxSelectMultiple)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, areas=(), enterprises=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = list(areas)
        self.fields["enterprises"].choices = [(str(e.pk), e.name) for e in enterprises]
