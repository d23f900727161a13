from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("sites/", views.site_list, name="site_list"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/map/", views.site_map, name="site_map"),
    path("sites/map/data/", views.site_map_data, name="site_map_data"),
    path("sites/<int:pk>/", views.site_detail, name="site_detail"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("officers/", views.officer_list, name="officer_list"),
    path("officers/new/", views.officer_create, name="officer_create"),
    path("officers/<int:pk>/", views.officer_detail, name="officer_detail"),
    path("officers/<int:pk>/edit/", views.officer_edit, name="officer_edit"),
    path("officers/<int:pk>/trainings/", views.officer_add_training, name="officer_add_training"),
    path("import/<str:kind>/", views.import_upload, name="import_upload"),
    path("import/<str:kind>/template.xlsx", views.import_template, name="import_template"),
    path("import/batch/<int:pk>/", views.import_preview, name="import_preview"),
]
