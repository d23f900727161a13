from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VideoConfig(AppConfig):
    name = "parcelwatch.video"
    verbose_name = _("Remote video")

    def ready(self) -> None:
        # The camera sheet joins the registry's imports and exports.
        from . import importing  # noqa: F401
