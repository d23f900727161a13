from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TipoffsConfig(AppConfig):
    name = "parcelwatch.tipoffs"
    verbose_name = _("Public reports and rewards")
