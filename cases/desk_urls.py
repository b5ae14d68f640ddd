"""The staff's desks, at the site's root and without a namespace (their names are older than the
move from teams/): the home pages, the cadre's visit flow and the resident's slip."""

from django.urls import path

from cases.views import slips, visits

urlpatterns = [
    # -- cases/views/visits.py: the home pages, and a visit with the problems raised on it
    path("", visits.home, name="home"),
    path("my-team/", visits.my_team, name="my_team"),
    path("triage/", visits.triage, name="triage"),
    path("visits/", visits.visit_list, name="visit_list"),
    path("visits/new/", visits.visit_new, name="visit_new"),
    path("visits/<int:pk>/", visits.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", visits.visit_edit, name="visit_edit"),
    path("visits/<int:pk>/problems/", visits.problem_add, name="problem_add"),
    # -- cases/views/slips.py: the resident's slip, printed or sent by SMS
    path("slips/<str:number>/", slips.slip, name="slip"),
    path("slips/<str:number>/sms/", slips.slip_sms, name="slip_sms"),
]
