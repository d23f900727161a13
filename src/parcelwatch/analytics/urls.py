from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.statistics, name="statistics"),
    path("performance/", views.performance, name="performance"),
    path("report/", views.yearly_report, name="report"),
    path("districts/", views.district_assessment, name="district_assessment"),
    path("map/", views.event_map, name="event_map"),
    path("map/data.json", views.event_map_data, name="event_map_data"),
    path("wall/", views.wall, name="wall"),
    path("wall/data.json", views.wall_data, name="wall_data"),
]
