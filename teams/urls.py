from django.urls import path

from teams import views

urlpatterns = [
    path("", views.home, name="home"),
    path("my-team/", views.my_team, name="my_team"),
    path("triage/", views.triage, name="triage"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("visits/<int:pk>/problems/", views.problem_add, name="problem_add"),
]
