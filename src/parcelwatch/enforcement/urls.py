from django.urls import path

from . import views

app_name = "enforcement"

urlpatterns = [
    path("cases/", views.case_list, name="list"),
    path("cases/<int:pk>/", views.case_detail, name="detail"),
    path("cases/<int:pk>/act/", views.case_act, name="act"),
]
