from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "parcelwatch.registry"
    verbose_name = _("Basic information library")
