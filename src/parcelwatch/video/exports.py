"""The camera list as a background export (the sheet itself lives with the import, in `importing`)."""

from django.utils.translation import gettext_lazy as _

from parcelwatch.accounts.permissions import VIDEO_VIEW
from parcelwatch.lib.spreadsheets import ExportSource

from .importing import CAMERA_SHEET
from .selectors import camera_filters, cameras_visible_to, filter_cameras

EXPORT_SOURCES = (
    ExportSource(
        key="cameras", label=_("Cameras"), permission=VIDEO_VIEW, sheet=CAMERA_SHEET,
        rows=lambda user, params: filter_cameras(cameras_visible_to(user), **camera_filters(params)),
        prepare=lambda user, qs: CAMERA_SHEET.queryset_for_export(qs),
    ),
)
