from django.apps import AppConfig


class LibConfig(AppConfig):
    name = "parcelwatch.lib"
    label = "pwlib"
