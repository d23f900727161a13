from django.urls import path

from . import inspection_views, views

app_name = "enforcement"

urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("cases/<int:pk>/", views.case_detail, name="detail"),
    path("cases/<int:pk>/act/", views.case_act, name="act"),
    path("inspections/", inspection_views.inspection_list, name="inspections"),
    path("inspections/plans/new/", inspection_views.plan_form, name="plan_new"),
    path("inspections/plans/<int:pk>/", inspection_views.plan_detail, name="plan"),
    path("inspections/plans/<int:pk>/edit/", inspection_views.plan_form, name="plan_edit"),
    path("inspections/plans/<int:pk>/publish/", inspection_views.plan_publish, name="plan_publish"),
    path("inspections/<int:pk>/", inspection_views.inspection_detail, name="inspection"),
    path("inspections/<int:pk>/raise/", inspection_views.inspection_raise, name="inspection_raise"),
]
