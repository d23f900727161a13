from django.urls import path

from . import views

app_name = "collaboration"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("memoranda/", views.memorandum_list, name="memoranda"),
    path("memoranda/new/", views.memorandum_create, name="memorandum_new"),
    path("memoranda/<int:pk>/", views.memorandum_detail, name="memorandum"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/new/", views.meeting_create, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("shares/", views.share_list, name="shares"),
    path("shares/new/", views.share_create, name="share_new"),
    path("shares/<int:pk>/", views.share_detail, name="share"),
    path("shares/<int:pk>/withdraw/", views.share_withdraw, name="share_withdraw"),
    path("referrals/", views.referral_list, name="referrals"),
    path("referrals/new/", views.referral_create, name="referral_new"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral"),
    path("referrals/<int:pk>/act/", views.referral_act, name="referral_act"),
]
