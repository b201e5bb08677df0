from django.urls import path

from hamkori.accounts import views

urlpatterns = [
    path("settings/", views.account_settings, name="account_settings"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("email/", views.account_email, name="account_email"),  # before allauth's (see the view)
    path("continue/", views.account_continue, name="account_continue"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

programme_urlpatterns = [
    path("", views.user_list, name="user_list"),
    path("invite/", views.user_invite, name="user_invite"),
    path("<int:user_id>/", views.user_detail, name="user_detail"),
    path("<int:user_id>/lock/", views.user_lock, name="user_lock"),
    path("<int:user_id>/unlock/", views.user_unlock, name="user_unlock"),
    path("<int:user_id>/reset-2fa/", views.user_reset_mfa, name="user_reset_mfa"),
]
