"""Input forms of collaboration: shape only; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from parcelwatch.events.forms import MultipleFileField, MultipleFileInput
from parcelwatch.evidence.kept import KeptFilesMixin
from parcelwatch.lib.forms import StyledFormMixin

from .models import JointMeeting

VERSION = {"widget": forms.HiddenInput, "required": False, "min_value": 1, "max_value": 2**31 - 1}


def _date(label, required=True):
    return forms.DateField(label=label, required=required,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def _files(label):
    return MultipleFileField(label=label, required=False,
                             widget=MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))


def _choices(rows, blank=None):
    return ([("", blank)] if blank else []) + [(str(r.pk), str(r)) for r in rows]


class MemorandumForm(KeptFilesMixin, StyledFormMixin, forms.Form):
    department = forms.ChoiceField(label=_("Department"))
    jurisdiction = forms.ChoiceField(label=_("Signed for"))
    title = forms.CharField(label=_("Title"), max_length=100)
    number = forms.CharField(label=_("Document number"), max_length=64, required=False)
    summary = forms.CharField(label=_("What the parties agreed"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    signed_on = _date(_("Signed on"))
    valid_from = _date(_("In force from"))
    valid_until = _date(_("In force until (empty: until replaced)"), required=False)
    attachments = _files(_("Signed copy (PDF or photos)"))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args, departments=(), areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _choices(departments, _("Choose…"))
        self.fields["jurisdiction"].choices = _choices(areas)


class MeetingForm(KeptFilesMixin, StyledFormMixin, forms.Form):
    jurisdiction = forms.ChoiceField(label=_("Convened by (area)"))
    kind = forms.ChoiceField(label=_("Kind"), choices=JointMeeting.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=100)
    held_on = _date(_("Date of the meeting"))
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    departments = forms.MultipleChoiceField(label=_("Departments taking part"),
                                            widget=forms.CheckboxSelectMultiple)
    attendees = forms.CharField(label=_("Attendees (one per line: name, unit, post)"), max_length=5000,
                                widget=forms.Textarea(attrs={"rows": 4}))
    minutes = forms.CharField(label=_("Minutes"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = _files(_("Minutes, sign-in sheet (PDF or photos)"))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    version = forms.IntegerField(**VERSION)

    def __init__(self, *args, departments=(), areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].choices = _choices(departments)
        self.fields["jurisdiction"].choices = _choices(areas)


class DecisionForm(StyledFormMixin, forms.Form):
    decision = forms.CharField(label=_("Decision"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    lead = forms.ChoiceField(label=_("Led by"), required=False)
    due_on = _date(_("Due on"), required=False)
    version = forms.IntegerField(**VERSION)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].choices = _choices(departments, _("The bureau itself"))


class TaskUpdateForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("Progress"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    done = forms.BooleanField(label=_("Done: close the task"), required=False)
    version = forms.IntegerField(**VERSION)


class ShareForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(choices=[("event", "event"), ("case", "case")], widget=forms.HiddenInput)
    record = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1)
    department = forms.ChoiceField(label=_("Department"))
    reason = forms.CharField(label=_("Why it is shared"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = _choices(departments, _("Choose…"))


class CommentForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class VersionForm(forms.Form):
    version = forms.IntegerField(**VERSION)


class ReferralForm(KeptFilesMixin, StyledFormMixin, forms.Form):
    department = forms.ChoiceField(label=_("Department"))
    jurisdiction = forms.ChoiceField(label=_("Area of the bureau"))
    subject = forms.CharField(label=_("Subject"), max_length=100)
    facts = forms.CharField(label=_("Facts and what is asked"), max_length=5000,
                            widget=forms.Textarea(attrs={"rows": 5}))
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=300, required=False)
    site = forms.ChoiceField(label=_("Site"), required=False)
    event = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**63 - 1)
    case = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**63 - 1)
    attachments = _files(_("Evidence (PDF or photos)"))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def __init__(self, *args, departments=(), areas=(), sites=(), partner=False, **kwargs):
        super().__init__(*args, **kwargs)
        if partner:
            self.fields["department"].label = _("Referred by")
            self.fields["jurisdiction"].label = _("To the postal administration of")
        self.fields["department"].choices = _choices(departments, _("Choose…") if len(departments) > 1 else None)
        self.fields["jurisdiction"].choices = _choices(areas)
        self.fields["site"].choices = [("", _("None"))] + [(str(s.pk), f"{s.name} · {s.address}") for s in sites]


class ReferralActionForm(KeptFilesMixin, StyledFormMixin, forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, max_length=32)
    text = forms.CharField(label=_("Result or reason"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    attachments = _files(_("Files (PDF or photos)"))
    file_ids = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)
    version = forms.IntegerField(**VERSION)
