from django.urls import path

from . import views

app_name = "selfcheck"

urlpatterns = [
    path("filings/", views.filing_list, name="filing_list"),
    path("filings/new/", views.filing_create, name="filing_create"),
    path("filings/<int:pk>/", views.filing_detail, name="filing_detail"),
    path("filings/<int:pk>/act/", views.filing_act, name="filing_act"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/new/", views.report_create, name="report_create"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/act/", views.report_act, name="report_act"),
    path("spot-checks/", views.check_list, name="check_list"),
    path("spot-checks/draws/<int:pk>/", views.draw_detail, name="draw_detail"),
    path("spot-checks/<int:pk>/", views.check_detail, name="check_detail"),
    path("spot-checks/<int:pk>/event/", views.check_raise, name="check_raise"),
    path("circulars/", views.circular_list, name="circular_list"),
    path("circulars/new/", views.circular_create, name="circular_create"),
    path("circulars/<int:pk>/", views.circular_detail, name="circular_detail"),
    path("circulars/<int:pk>/edit/", views.circular_edit, name="circular_edit"),
    path("circulars/<int:pk>/act/", views.circular_act, name="circular_act"),
    path("circulars/<int:pk>/read/", views.circular_read, name="circular_read"),
]
