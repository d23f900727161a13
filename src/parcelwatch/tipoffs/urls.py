from django.urls import path

from . import views

app_name = "tipoffs"

urlpatterns = [
    path("tips/", views.tipoff_list, name="list"),
    path("tips/<int:pk>/", views.tipoff_detail, name="detail"),
    path("tips/<int:pk>/identity/", views.tipoff_identity, name="identity"),
    path("rewards/", views.reward_list, name="rewards"),
    path("rewards/propose/", views.reward_propose, name="reward_propose"),
    path("rewards/<int:pk>/", views.reward_detail, name="reward"),
    path("rewards/<int:pk>/decision/", views.reward_decide, name="reward_decide"),
    path("rewards/<int:pk>/payment/", views.reward_pay, name="reward_pay"),
]
