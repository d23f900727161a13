from django import forms
from django.utils.translation import gettext_lazy as _

from parcelwatch.events.forms import MultipleFileField, MultipleFileInput
from parcelwatch.lib.apitypes import FINDINGS_MAX, NOTE_MAX


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
