from django.urls import path

from teams import views_account

urlpatterns = [
    path("account/security/", views_account.security, name="account_security"),
    path("account/security/start/", views_account.otp_start, name="account_otp_start"),
    path("account/security/confirm/", views_account.otp_confirm, name="account_otp_confirm"),
    path("account/security/recovery-codes/", views_account.otp_recovery, name="account_otp_recovery"),
    path("account/security/disable/", views_account.otp_disable, name="account_otp_disable"),
    path("account/api-tokens/", views_account.api_tokens, name="account_api_tokens"),
    path("account/api-tokens/<int:pk>/revoke/", views_account.api_token_revoke, name="account_api_token_revoke"),
    path("account/verify/", views_account.verify, name="account_verify"),
]
