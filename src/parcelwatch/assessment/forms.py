"""Input forms of the assessment: shape only; the rules live in services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from parcelwatch.lib.forms import StyledFormMixin


class EvaluationForm(StyledFormMixin, forms.Form):
    sheet = forms.ChoiceField(label=_("Scoring sheet"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    area = forms.ChoiceField(label=_("Area"))

    def __init__(self, *args, sheets=(), areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [(str(s.pk), s.name) for s in sheets]
        self.fields["area"].choices = list(areas)


class ScoresForm(StyledFormMixin, forms.Form):
    """One number field per criterion scored by hand, bounded by its points."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    def __init__(self, *args, criteria=(), initial_scores=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.codes = []
        for c in criteria:
            name = f"score_{c['code']}"
            self.codes.append((name, c["code"]))
            self.fields[name] = forms.DecimalField(
                label=gettext("%(text)s (out of %(points)s)") % {"text": c["text"], "points": c["points"]}, required=False,
                min_value=0,
                max_value=Decimal(c["points"]), decimal_places=1, max_digits=5,
                initial=(initial_scores or {}).get(c["code"]),
                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.1", "inputmode": "decimal"}))

    def scores(self) -> dict:
        return {code: self.cleaned_data.get(name) for name, code in self.codes}
