from django.urls import path

from teams import views, views_account, views_slip

urlpatterns = [
    path("", views.home, name="home"),
    path("my-team/", views.my_team, name="my_team"),
    path("triage/", views.triage, name="triage"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("visits/<int:pk>/problems/", views.problem_add, name="problem_add"),
    path("slips/<str:number>/", views_slip.slip, name="slip"),
    path("slips/<str:number>/sms/", views_slip.slip_sms, name="slip_sms"),
    path("account/security/", views_account.security, name="account_security"),
    path("account/security/start/", views_account.otp_start, name="account_otp_start"),
    path("account/security/confirm/", views_account.otp_confirm, name="account_otp_confirm"),
    path("account/security/recovery-codes/", views_account.otp_recovery, name="account_otp_recovery"),
    path("account/security/disable/", views_account.otp_disable, name="account_otp_disable"),
    path("account/api-tokens/", views_account.api_tokens, name="account_api_tokens"),
    path("account/api-tokens/<int:pk>/revoke/", views_account.api_token_revoke, name="account_api_token_revoke"),
    path("account/verify/", views_account.verify, name="account_verify"),
]
