from django.urls import path

from . import patrol_views, views

app_name = "video"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("cameras/", views.camera_list, name="camera_list"),
    path("cameras/<int:pk>/", views.camera_detail, name="camera_detail"),
    path("cameras/<int:pk>/edit/", views.camera_edit, name="camera_edit"),
    path("cameras/<int:pk>/live/", views.live_start, name="live_start"),
    path("cameras/<int:pk>/snapshot/", views.snapshot, name="snapshot"),
    path("cameras/<int:pk>/live/<str:filename>", views.live_file, name="live_file"),
    path("sites/<int:site_pk>/cameras/new/", views.camera_create, name="camera_create"),
    path("sites/<int:site_pk>/xray/new/", views.machine_create, name="machine_create"),
    path("wall/", views.wall, name="wall"),
    path("zlm/on_play", views.zlm_on_play, name="zlm_on_play"),
    path("patrols/", patrol_views.patrol_list, name="patrol_list"),
    path("patrols/<int:pk>/", patrol_views.patrol_detail, name="patrol_detail"),
    path("patrols/<int:pk>/raise/", patrol_views.patrol_raise, name="patrol_raise"),
    path("patrols/draws/<int:pk>/", patrol_views.draw_detail, name="draw_detail"),
]
