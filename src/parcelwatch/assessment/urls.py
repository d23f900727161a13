from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.evaluation_list, name="evaluation_list"),
    path("<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("<int:pk>/act/", views.evaluation_act, name="evaluation_act"),
    path("results/<int:pk>/", views.result_detail, name="result_detail"),
    path("sites/<int:pk>/rules/", views.site_rules, name="site_rules"),
]
