from django.urls import path

from . import inspection_views as views

app_name = "public"

urlpatterns = [
    path("inspections/", views.public_plans, name="inspections"),
    path("inspections/<int:pk>/", views.public_plan, name="inspection_plan"),
    path("inspections/<int:pk>/draw.json", views.public_plan_draw, name="inspection_draw"),
]
