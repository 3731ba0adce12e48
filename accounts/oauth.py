"""OAuth 2 as Mastodon (Doorkeeper) serves it, on django-oauth-toolkit and oauthlib.

- Grants: authorization code (PKCE with S256 only), client credentials and password (the
  username is the e-mail address). No refresh tokens: tokens do not expire.
- Scopes: an app registers scopes; a token may ask for any scope those cover (``read`` covers
  ``read:statuses``); with none asked for, ``read``.
- The token endpoint reads form and JSON bodies and answers with Mastodon's Token entity.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, set_token_value
from oauth2_provider.oauth2_backends import OAuthLibCore, get_oauthlib_core
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauth2_provider.settings import oauth2_settings
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc6749.grant_types.authorization_code import code_challenge_method_s256

from accounts.models import Application, User
from accounts.scopes import ALL_SCOPES, invalid_scopes, parse_scopes, scopes_within

DEFAULT_SCOPES = ["read"]
OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
GRANT_TYPES = ("authorization_code", "password", "client_credentials")

# --- Sign-in rules shared by the password grant and the HTML sign-in page -----------------------

INVALID_CREDENTIALS = "Invalid e-mail address or password."


def authenticate_by_email(email: str, password: str) -> User | None:
    """The user with this e-mail address (any case) and password, or None. Spends the same
    hashing time when no such user exists, so timing does not reveal registered addresses."""
    email = (email or "").strip()
    user = (
        User.objects.select_related("account").filter(email__iexact=email).first()
        if email and "\x00" not in email
        else None
    )
    if user is None:
        make_password(password)
        return None
    return user if user.check_password(password) else None


def login_refusal(user: User) -> str | None:
    """Why this user may not sign in or receive a token, or None when they are functional."""
    if not user.is_active or user.account.suspended_at is not None:
        return "Your login is currently disabled."
    if user.confirmed_at is None:
        return "You have to confirm your e-mail address before continuing."
    if not user.approved:
        return "Your login is currently pending approval."
    return None


# --- Scopes --------------------------------------------------------------------------------------


class MastodonScopes(BaseScopes):
    def get_all_scopes(self) -> dict[str, str]:
        return ALL_SCOPES

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        if application is None:
            return list(ALL_SCOPES)
        registered = parse_scopes(getattr(application, "scopes", ""))
        return [scope for scope in ALL_SCOPES if scopes_within([scope], registered)]

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(DEFAULT_SCOPES)


# --- Validator -----------------------------------------------------------------------------------


class MastodonOAuth2Validator(OAuth2Validator):
    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Any, *args: Any, **kw: Any
    ) -> bool:
        scopes = parse_scopes(scopes)
        if not scopes or invalid_scopes(scopes):
            return False
        return scopes_within(scopes, parse_scopes(client.scopes))

    def get_default_scopes(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(DEFAULT_SCOPES)

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kw: Any
    ) -> bool:
        # Every Mastodon app may use the three grants; refresh and device grants are not served.
        return grant_type in GRANT_TYPES

    def validate_response_type(
        self, client_id: str, response_type: str, client: Any, request: Any, *args: Any, **kw: Any
    ) -> bool:
        return response_type == "code"

    def validate_user(
        self, username: str, password: str, client: Any, request: Any, *args: Any, **kw: Any
    ) -> bool:
        """The password grant: ``username`` is the e-mail address; only functional users."""
        user = authenticate_by_email(username, password)
        if user is None:
            return False
        refusal = login_refusal(user)
        if refusal:
            raise errors.InvalidGrantError(description=refusal, request=request)
        request.user = user
        return True


# --- The oauthlib core: form or JSON bodies, Mastodon's token entity ------------------------------


def _json_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


class FormOrJSONOAuthLibCore(OAuthLibCore):
    def __init__(self, server: Any = None) -> None:
        super().__init__(server)
        srv = self.server
        # Mastodon supports PKCE with S256 only (a challenge without a method means "plain").
        srv.auth_grant._code_challenge_methods = {"S256": code_challenge_method_s256}
        # No refresh tokens: Mastodon's tokens live until revoked.
        srv.auth_grant.refresh_token = False
        srv.password_grant.refresh_token = False
        srv.bearer.token_generator = lambda request: secrets.token_urlsafe(32)
        # Only the grants and response type Mastodon serves: others are "unsupported".
        srv._grant_types = {name: srv._grant_types[name] for name in GRANT_TYPES}
        srv._response_types = {"code": srv.auth_grant}

    def extract_body(self, request: HttpRequest) -> list[tuple[str, str]]:
        if (request.content_type or "").lower() == "application/json":
            try:
                data = json.loads(request.body.decode("utf-8") or "{}")
            except (ValueError, UnicodeDecodeError):
                return []
            if not isinstance(data, dict):
                return []
            pairs = [(str(k), _json_value(v)) for k, v in data.items()]
            return [(k, v) for k, v in pairs if v is not None]
        return super().extract_body(request)

    def create_token_response(self, request: HttpRequest) -> tuple[Any, dict, str, int]:
        uri, headers, body, status = super().create_token_response(request)
        if status == 200:
            body = json.dumps(token_entity_from_oauthlib(json.loads(body)))
        else:
            body = with_error_description(body)
        return uri, headers, body, status


# Doorkeeper's wording, for the errors oauthlib leaves without a description.
ERROR_DESCRIPTIONS = {
    "invalid_client": (
        "Client authentication failed due to unknown client, no client authentication "
        "included, or unsupported authentication method."
    ),
    "invalid_grant": (
        "The provided authorization grant is invalid, expired, revoked, does not match the "
        "redirection URI used in the authorization request, or was issued to another client."
    ),
    "invalid_request": (
        "The request is missing a required parameter, includes an unsupported parameter value, "
        "or is otherwise malformed."
    ),
    "invalid_scope": "The requested scope is invalid, unknown, or malformed.",
    "unauthorized_client": (
        "The client is not authorized to perform this request using this method."
    ),
    "unsupported_grant_type": (
        "The authorization grant type is not supported by the authorization server."
    ),
}


def with_error_description(body: str) -> str:
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return body
    if isinstance(data, dict) and data.get("error") and not data.get("error_description"):
        description = ERROR_DESCRIPTIONS.get(data["error"])
        if description:
            data["error_description"] = description
            return json.dumps(data)
    return body


def token_entity_from_oauthlib(token: dict[str, Any]) -> dict[str, Any]:
    return {
        "access_token": token["access_token"],
        "token_type": "Bearer",
        "scope": token.get("scope", ""),
        "created_at": int(time.time()),
    }


def token_entity(access_token: Any, raw: str | None = None) -> dict[str, Any]:
    """Mastodon's Token entity for a stored AccessToken (``raw`` when the column is redacted)."""
    return {
        "access_token": raw or access_token.token,
        "token_type": "Bearer",
        "scope": access_token.scope,
        "created_at": int(access_token.created.timestamp()),
    }


def oauth_core() -> FormOrJSONOAuthLibCore:
    """A fresh oauthlib core with the configured validator (cheap: no I/O)."""
    core = get_oauthlib_core()
    assert isinstance(core, FormOrJSONOAuthLibCore)
    return core


def create_access_token(
    user: User | None, application: Application, scopes: str, raw: str | None = None
) -> tuple[Any, str]:
    """Issue a token directly (registration, the CLI), as the token endpoint would; ``raw``
    installs a known token value."""
    access_token_model = get_access_token_model()
    raw = raw or secrets.token_urlsafe(32)
    token = access_token_model(
        user=user,
        application=application,
        scope=" ".join(parse_scopes(scopes)),
        expires=timezone.now() + timedelta(seconds=oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS),
    )
    set_token_value(token, raw)
    token.save()
    return token, raw
