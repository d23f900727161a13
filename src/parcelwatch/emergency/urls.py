from django.urls import path

from . import views

app_name = "emergency"

urlpatterns = [
    path("plans/", views.plan_list, name="plans"),
    path("plans/new/", views.plan_create, name="plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/review/", views.plan_review, name="plan_review"),
    path("organisations/<int:enterprise_id>/", views.organisation_edit, name="organisation"),
    path("drills/", views.drill_list, name="drills"),
    path("drills/new/", views.drill_create, name="drill_new"),
    path("drills/<int:pk>/", views.drill_detail, name="drill"),
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/new/", views.incident_create, name="incident_new"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
]
