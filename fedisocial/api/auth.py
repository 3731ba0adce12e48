"""Bearer-token authentication for the client API: one indexed query per request."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts.models import Account
from fedisocial.db import JoinedLoader


def token_from_request(request: Any) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    # Mastodon accepts the token as a parameter too (streaming, some older apps).
    token = request.GET.get("access_token")
    return token or None


def load_token(raw: str) -> Any | None:
    """The access token, with its user, account and application, or None: ONE query, its
    statement built once per process (compiling the ORM query cost more than running it)."""
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    token = _token_loader().get(checksum)
    if token is None or (token.expires and token.expires <= timezone.now()):
        return None
    return token


@functools.cache
def _token_loader() -> JoinedLoader:
    AccessToken = get_access_token_model()  # noqa: N806
    Application = get_application_model()  # noqa: N806
    return JoinedLoader(
        AccessToken,
        where="token_checksum",
        joins=[
            ("user", get_user_model(), "user_id", "id"),
            ("account", Account, "user.account_id", "id"),
            ("application", Application, "application_id", "id"),
        ],
    )


class BearerTokenAuthentication(BaseAuthentication):
    """A user token works once its login is functional: active, confirmed (when the server
    requires it) and approved. ``require_functional = False`` accepts confirmation-pending and
    approval-pending logins too (the confirmation e-mail resend is all they may call)."""

    require_functional = True

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        raw = token_from_request(request._request)
        if raw is None:
            return None
        token = load_token(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("The access token is invalid")
        user = token.user
        if user is None:
            return (None, token)
        if not user.is_active or user.account.suspended_at is not None:
            raise exceptions.AuthenticationFailed("Your login is currently disabled")
        if self.require_functional:
            if user.confirmed_at is None:
                raise exceptions.PermissionDenied(
                    "Your login is missing a confirmed e-mail address"
                )
            if not user.approved:
                raise exceptions.PermissionDenied("Your login is currently pending approval")
        return (user, token)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="Doorkeeper", error="invalid_token"'
