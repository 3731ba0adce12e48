"""Sign-in pages, OAuth 2 endpoints, app registration and the e-mail confirmation routes."""

from django.urls import path, re_path

from accounts import views
from accounts.api.apps import AppCredentialsView, AppsView
from accounts.api.registration import EmailConfirmationsView

urlpatterns = [
    # HTML (a trailing slash is tolerated here; the middleware handles the API prefixes)
    re_path(r"^auth/sign_in/?$", views.sign_in, name="sign_in"),
    re_path(r"^auth/sign_out/?$", views.sign_out, name="sign_out"),
    re_path(r"^auth/confirmation/?$", views.confirmation, name="email_confirmation"),
    # OAuth 2
    path("oauth/authorize", views.AuthorizeView.as_view(), name="oauth_authorize"),
    path("oauth/authorize/native", views.authorize_native, name="oauth_authorize_native"),
    path("oauth/token", views.token, name="oauth_token"),
    path("oauth/revoke", views.revoke, name="oauth_revoke"),
    path(
        ".well-known/oauth-authorization-server",
        views.authorization_server_metadata,
        name="oauth_metadata",
    ),
    # Client API
    path("api/v1/apps", AppsView.as_view(), name="api_apps"),
    path("api/v1/apps/verify_credentials", AppCredentialsView.as_view(), name="api_apps_verify"),
    path(
        "api/v1/emails/confirmations",
        EmailConfirmationsView.as_view(),
        name="api_email_confirmations",
    ),
]
