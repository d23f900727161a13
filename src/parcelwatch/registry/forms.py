"""Input forms: shape and types only; domain rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.access import covers
from parcelwatch.accounts.models import Jurisdiction, User
from parcelwatch.accounts.permissions import REGISTRY_EDIT
from parcelwatch.accounts.selectors import jurisdictions_visible_to
from parcelwatch.lib.forms import IdentifierField, PhoneField, StyledFormMixin

from .models import Brand, Enterprise, SafetyOfficer, Site, TrainingRecord
from .selectors import enterprises_visible_to, sites_visible_to


class JurisdictionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Jurisdiction) -> str:
        names = []
        node = obj
        while node is not None and node.level != Jurisdiction.Level.CITY:
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names)) or obj.name


def _editable_nodes(user: User, levels: tuple[str, ...]):
    nodes = jurisdictions_visible_to(user, REGISTRY_EDIT).filter(level__in=levels).select_related(
        "parent__parent__parent"
    )
    return nodes.filter(pk__in=[n.pk for n in nodes if covers(user, REGISTRY_EDIT, n.path)])


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class EnterpriseForm(StyledFormMixin, forms.ModelForm):
    jurisdiction = JurisdictionChoiceField(label=_("district"), queryset=Jurisdiction.objects.none())
    credit_code = IdentifierField(label=_("unified social credit code"), max_length=18)
    licence_number = IdentifierField(label=_("express business licence number"), max_length=32, required=False)
    contact_phone = PhoneField(label=_("contact phone"), required=False)

    class Meta:
        model = Enterprise
        fields = [
            "name", "credit_code", "brand", "licence_number", "licence_valid_until", "legal_representative",
            "contact_person", "contact_phone", "address", "jurisdiction", "status",
        ]
        widgets = {"licence_valid_until": DateInput()}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = _editable_nodes(
            user, (Jurisdiction.Level.CITY, Jurisdiction.Level.DISTRICT, Jurisdiction.Level.ZONE)
        )
        self.fields["brand"].queryset = Brand.objects.all()

    def _post_clean(self):
        # Uniqueness and domain checks happen in the service, in one transaction.
        pass


class SiteForm(StyledFormMixin, forms.ModelForm):
    jurisdiction = JurisdictionChoiceField(label=_("town / grid"), queryset=Jurisdiction.objects.none())
    filing_number = IdentifierField(label=_("filing number"), max_length=32, required=False)
    manager_phone = PhoneField(label=_("manager phone"), required=False)
    xray_count = forms.IntegerField(label=_("X-ray machines"), min_value=0, max_value=99, initial=0)
    # Any precision is accepted and rounded to six places by the service, which also checks the city's box.
    lng = forms.DecimalField(label=_("longitude"), required=False, max_value=180, min_value=-180)
    lat = forms.DecimalField(label=_("latitude"), required=False, max_value=90, min_value=-90)

    class Meta:
        model = Site
        fields = [
            "kind", "name", "enterprise", "brand", "station_operator", "filing_number", "filing_date", "address",
            "jurisdiction", "lng", "lat", "status", "xray_count", "opening_date", "manager_name", "manager_phone",
        ]
        widgets = {"filing_date": DateInput(), "opening_date": DateInput()}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = _editable_nodes(user, (Jurisdiction.Level.TOWN, Jurisdiction.Level.GRID))
        self.fields["enterprise"].queryset = enterprises_visible_to(user).order_by("name")
        self.fields["brand"].queryset = Brand.objects.all()

    def _post_clean(self):
        pass


class SafetyOfficerForm(StyledFormMixin, forms.ModelForm):
    id_number = IdentifierField(label=_("ID card number"), max_length=18)
    phone = PhoneField(label=_("phone"))
    sites = forms.ModelMultipleChoiceField(
        label=_("sites covered"), queryset=Site.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = SafetyOfficer
        fields = ["enterprise", "name", "id_number", "phone", "filing_date", "status"]
        widgets = {"filing_date": DateInput()}

    def __init__(self, *args, user: User, enterprise: Enterprise | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises_visible_to(user, REGISTRY_EDIT).order_by("name")
        sites = sites_visible_to(user).order_by("name")
        if self.instance.pk:
            enterprise = self.instance.enterprise
            self.fields["sites"].initial = list(self.instance.sites.values_list("pk", flat=True))
        if enterprise is not None:
            # Only this enterprise's sites can be covered by its safety officer.
            sites = sites.filter(enterprise=enterprise)
            self.fields["enterprise"].initial = enterprise.pk
        self.fields["sites"].queryset = sites

    def _post_clean(self):
        pass


class TrainingRecordForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = TrainingRecord
        fields = ["date", "topic", "hours", "organiser"]
        widgets = {"date": DateInput()}


class ImportUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
