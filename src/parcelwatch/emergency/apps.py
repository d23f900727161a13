from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "parcelwatch.emergency"
    verbose_name = _("Emergency management")
