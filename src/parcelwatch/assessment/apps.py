from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "parcelwatch.assessment"
    verbose_name = _("Safe-delivery assessment and credit grades")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the credit recalculation to its inputs
