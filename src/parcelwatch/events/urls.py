from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("todo/", views.todo, name="todo"),
    path("report/", views.report, name="report"),
    path("report/sites.json", views.report_sites, name="report_sites"),
    path("due-date.json", views.due_date, name="due_date"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/", views.act, name="act"),
]
