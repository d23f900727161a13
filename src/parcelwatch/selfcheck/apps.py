from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfcheckConfig(AppConfig):
    name = "parcelwatch.selfcheck"
    verbose_name = _("Enterprise self-inspection")
