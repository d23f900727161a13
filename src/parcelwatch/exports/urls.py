from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("", views.export_list, name="list"),
    path("new/", views.export_create, name="create"),
    path("<int:pk>/status.json", views.export_status, name="status"),
    path("<int:pk>/download/", views.export_download, name="download"),
]
