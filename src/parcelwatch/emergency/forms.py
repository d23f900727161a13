"""Input forms of emergency management: shape only; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from parcelwatch.events.forms import MultipleFileField, MultipleFileInput
from parcelwatch.evidence.kept import KeptFilesMixin
from parcelwatch.lib.forms import StyledFormMixin

from .models import Drill, EmergencyPlan, Incident

VERSION = {"widget": forms.HiddenInput, "required": False, "min_value": 1, "max_value": 2**31 - 1}


def _date(label):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class OrganisationForm(StyledFormMixin, forms.Form):
    head = forms.CharField(label=_("Head of the emergency command"), max_length=32)
    deputy = forms.CharField(label=_("Deputy"), max_length=32, required=False)
    members = forms.CharField(label=_("Members and their duties"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    duty_phone = forms.CharField(label=_("Phone on duty (24 h)"), max_length=40)


class PlanForm(KeptFilesMixin, StyledFormMixin, forms.Form):
    enterprise = forms.ChoiceField(label=_("Enterprise"))
    kind = forms.ChoiceField(label=_("Kind"), choices=EmergencyPlan.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=100)
    effective_on = _date(_("In force from"))
    expires_on = _date(_("Expires on"))
    attachments = MultipleFileField(label=_("Plan document (PDF)"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "application/pdf"}))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args, enterprises=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].choices = [(str(e.pk), e.name) for e in enterprises]


class ReviewForm(StyledFormMixin, forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, max_length=32)
    version = forms.IntegerField(**VERSION)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))


class DrillForm(StyledFormMixin, forms.Form):
    enterprise = forms.ChoiceField(label=_("Enterprise"))
    title = forms.CharField(label=_("Title"), max_length=100)
    scenario = forms.CharField(label=_("Scenario"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    planned_on = _date(_("Planned for"))
    plan = forms.ChoiceField(label=_("Plan drilled"), required=False)
    site = forms.ChoiceField(label=_("Site"), required=False)

    def __init__(self, *args, enterprises=(), plans=(), sites=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].choices = [(str(e.pk), e.name) for e in enterprises]
        self.fields["plan"].choices = [("", _("None"))] + [(str(p.pk), p.title) for p in plans]
        self.fields["site"].choices = [("", _("The whole enterprise"))] + [(str(s.pk), s.name) for s in sites]


class DrillRecordForm(KeptFilesMixin, StyledFormMixin, forms.Form):
    held_on = _date(_("Held on"))
    participants = forms.IntegerField(label=_("Number of participants"), min_value=1, max_value=100000)
    participant_names = forms.CharField(label=_("Participants"), max_length=5000, required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}))
    summary = forms.CharField(label=_("What happened and what was learnt"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Photos of the drill"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    version = forms.IntegerField(**VERSION)


class DrillEvaluationForm(StyledFormMixin, forms.Form):
    rating = forms.ChoiceField(label=_("Evaluation"), choices=Drill.Rating.choices,
                               widget=forms.RadioSelect(attrs={"class": "form-check-input"}))
    evaluation = forms.CharField(label=_("Evaluation comments"), max_length=5000, required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(**VERSION)


class IncidentForm(KeptFilesMixin, StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Choose…")), *Incident.Kind.choices])
    severity = forms.ChoiceField(label=_("Severity"), choices=[("", _("Choose…")), *Incident.Severity.choices])
    title = forms.CharField(label=_("Title"), max_length=100)
    occurred_at = forms.DateTimeField(label=_("Occurred at"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                 format="%Y-%m-%dT%H:%M"))
    site = forms.ChoiceField(label=_("Site"), required=False)
    district = forms.ChoiceField(label=_("District (when no site)"), required=False)
    description = forms.CharField(label=_("What happened"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Photos or documents"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args, sites=(), districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [("", _("Choose…"))] + [(str(s.pk), s.name) for s in sites]
        self.fields["district"].choices = [("", _("Choose…"))] + [(str(d.pk), d.name) for d in districts]


class IncidentUpdateForm(KeptFilesMixin, StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("Progress"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    close = forms.BooleanField(label=_("Handled: close the incident"), required=False)
    attachments = MultipleFileField(label=_("Photos or documents"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    version = forms.IntegerField(**VERSION)
