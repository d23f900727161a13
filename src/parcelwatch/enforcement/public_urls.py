from django.urls import path

from parcelwatch.tipoffs import views as tipoff_views

from . import inspection_views as views

app_name = "public"

urlpatterns = [
    path("inspections/", views.public_plans, name="inspections"),
    path("inspections/<int:pk>/", views.public_plan, name="inspection_plan"),
    path("inspections/<int:pk>/draw.json", views.public_plan_draw, name="inspection_draw"),
    path("report/", tipoff_views.public_report, name="report"),
    path("report/track/", tipoff_views.public_track, name="track"),
]
