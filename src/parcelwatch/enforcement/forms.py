from django import forms
from django.utils.translation import gettext_lazy as _

from parcelwatch.events.forms import MultipleFileField, MultipleFileInput
from parcelwatch.evidence.kept import KeptFilesMixin
from parcelwatch.lib.apitypes import FINDINGS_MAX, NOTE_MAX
from parcelwatch.lib.forms import ChecklistMixin, StyledFormMixin
from parcelwatch.registry.models import Site

from .models import Inspection, InspectionPlan


class CaseActionForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, max_length=32)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX)
    findings = forms.CharField(label=_("Facts found"), required=False, max_length=FINDINGS_MAX)
    legal_basis = forms.CharField(label=_("Legal basis"), required=False, max_length=255)
    fine = forms.DecimalField(label=_("Fine (yuan)"), required=False, max_digits=12, decimal_places=2, min_value=0)
    justification = forms.CharField(label=_("Justification of the amount"), required=False, max_length=NOTE_MAX)
    hearing_days = forms.IntegerField(label=_("Statement period (working days)"), required=False, min_value=1,
                                      max_value=30)
    hearing_waived = forms.BooleanField(label=_("The party waived statements and hearing"), required=False)
    attachments = MultipleFileField(label=_("Evidence"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf,video/*"}))


class PlanForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=InspectionPlan.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=100)
    area = forms.ChoiceField(label=_("Area"))
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    focus = forms.CharField(label=_("What the inspections look at"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))
    site_kinds = forms.MultipleChoiceField(label=_("Kinds of site (none ticked: every kind)"), required=False,
                                           choices=Site.Kind.choices, widget=forms.CheckboxSelectMultiple)
    share_A = forms.IntegerField(label=_("Share of A-grade sites (%)"), min_value=0, max_value=100)
    share_B = forms.IntegerField(label=_("Share of B-grade and ungraded sites (%)"), min_value=0, max_value=100)
    share_C = forms.IntegerField(label=_("Share of C-grade sites (%)"), min_value=0, max_value=100)
    share_D = forms.IntegerField(label=_("Share of D-grade sites (%)"), min_value=0, max_value=100)
    team_size = forms.IntegerField(label=_("Inspectors per inspection"), min_value=2, max_value=5, initial=2)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = list(areas)

    def shares(self) -> dict[str, int]:
        return {g: self.cleaned_data[f"share_{g}"] for g in ("A", "B", "C", "D")}

    def share_fields(self):
        return [self[f"share_{g}"] for g in ("A", "B", "C", "D")]


class PublishForm(StyledFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)


class InspectionRecordForm(ChecklistMixin, KeptFilesMixin, StyledFormMixin, forms.Form):
    inspected_on = forms.DateField(label=_("Inspected on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    findings = forms.CharField(label=_("Findings of the inspection"), required=False, max_length=FINDINGS_MAX,
                               widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(label=_("Photos or scans"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_checklist(items, Inspection.Answer.choices)
