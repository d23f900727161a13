from django.contrib import admin
from django.urls import include, path

from . import views
from .api import api
from .ops.views import health

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health, name="health"),
    path("accounts/", include("parcelwatch.accounts.urls")),
    path("registry/", include("parcelwatch.registry.urls")),
    path("events/", include("parcelwatch.events.urls")),
    path("enforcement/", include("parcelwatch.enforcement.urls")),
    path("evidence/", include("parcelwatch.evidence.urls")),
    path("documents/", include("parcelwatch.documents.urls")),
    path("notifications/", include("parcelwatch.notifications.urls")),
    path("exports/", include("parcelwatch.exports.urls")),
    path("analytics/", include("parcelwatch.analytics.urls")),
    path("video/", include("parcelwatch.video.urls")),
    path("selfcheck/", include("parcelwatch.selfcheck.urls")),
    path("assessment/", include("parcelwatch.assessment.urls")),
    path("emergency/", include("parcelwatch.emergency.urls")),
    path("collab/", include("parcelwatch.collaboration.urls")),
    path("", include("parcelwatch.tipoffs.urls")),
    path("public/", include("parcelwatch.enforcement.public_urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
