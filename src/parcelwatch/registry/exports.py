"""Registry lists as background exports (the sheets themselves live with the import, in `importing`)."""

from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.permissions import REGISTRY_EXPORT
from parcelwatch.lib.spreadsheets import ExportSource

from .importing import ENTERPRISE_SHEET, OFFICER_SHEET, SITE_SHEET
from .privacy import with_sensitive_flag
from .selectors import (
    enterprise_filters,
    enterprises_visible_to,
    filter_enterprises,
    filter_officers,
    filter_sites,
    officer_filters,
    officers_visible_to,
    site_filters,
    sites_visible_to,
)

EXPORT_SOURCES = (
    ExportSource(
        key="sites", label=_("Sites"), permission=REGISTRY_EXPORT, sheet=SITE_SHEET,
        rows=lambda user, params: filter_sites(sites_visible_to(user), **site_filters(params)),
        prepare=lambda user, qs: with_sensitive_flag(SITE_SHEET.queryset_for_export(qs), user),
    ),
    ExportSource(
        key="enterprises", label=_("Enterprises"), permission=REGISTRY_EXPORT, sheet=ENTERPRISE_SHEET,
        rows=lambda user, params: filter_enterprises(enterprises_visible_to(user), **enterprise_filters(params)),
        prepare=lambda user, qs: with_sensitive_flag(ENTERPRISE_SHEET.queryset_for_export(qs), user),
    ),
    ExportSource(
        key="officers", label=_("Safety officers"), permission=REGISTRY_EXPORT, sheet=OFFICER_SHEET,
        rows=lambda user, params: filter_officers(officers_visible_to(user), **officer_filters(params)),
        prepare=lambda user, qs: with_sensitive_flag(OFFICER_SHEET.queryset_for_export(qs), user),
    ),
)
