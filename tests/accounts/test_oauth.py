"""OAuth 2 as Mastodon serves it: grants, PKCE, out-of-band codes, revocation, metadata, and
the HTML sign-in that the authorization endpoint relies on."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant
from rest_framework.test import APIClient

from accounts.api.apps import create_application
from accounts.models import Application, User

OOB = "urn:ietf:wg:oauth:2.0:oob"
pytestmark = pytest.mark.django_db


def make_app(
    scopes: str = "read write follow push", redirect_uris: str = OOB
) -> tuple[Application, str]:
    return create_application(name="Client", redirect_uris=redirect_uris, scopes=scopes)


def post_token(data: dict[str, Any], *, json: bool = False) -> Any:
    client = APIClient()
    return client.post("/oauth/token", data, format="json" if json else None)


def api_get(token: str, path: str = "/api/v1/apps/verify_credentials") -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(path)


def authorize_url(app: Application, **params: Any) -> str:
    query = {"response_type": "code", "client_id": app.client_id, "redirect_uri": OOB, **params}
    return "/oauth/authorize?" + urlencode(query)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def approve(client: Client, url: str) -> Any:
    page = client.get(url)
    assert page.status_code == 200, page.content
    return client.post(url, {"decision": "authorize"})


def code_from(response: Any) -> str:
    assert response.status_code == 302, response.content
    location = response["Location"]
    return parse_qs(urlsplit(location).query)["code"][0]


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


# --- Metadata ------------------------------------------------------------------------------------


def test_authorization_server_metadata(anon: APIClient) -> None:
    response = anon.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    data = response.json()
    assert data["issuer"].endswith("/")
    base = data["issuer"].rstrip("/")
    assert data["authorization_endpoint"] == f"{base}/oauth/authorize"
    assert data["token_endpoint"] == f"{base}/oauth/token"
    assert data["revocation_endpoint"] == f"{base}/oauth/revoke"
    assert data["app_registration_endpoint"] == f"{base}/api/v1/apps"
    assert data["response_types_supported"] == ["code"]
    assert data["code_challenge_methods_supported"] == ["S256"]
    assert set(data["grant_types_supported"]) == {
        "authorization_code", "password", "client_credentials"
    }  # fmt: skip
    assert {"read", "write:statuses", "follow", "push", "profile"} <= set(data["scopes_supported"])
    assert set(data["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post"
    }  # fmt: skip
    assert response["Access-Control-Allow-Origin"] == "*"


# --- Client credentials --------------------------------------------------------------------------


def test_client_credentials_default_scope_is_read() -> None:
    app, secret = make_app()
    response = post_token(
        {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret}
    )
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"access_token", "token_type", "scope", "created_at"}
    assert data["token_type"] == "Bearer"
    assert data["scope"] == "read"
    assert isinstance(data["created_at"], int)
    assert abs(data["created_at"] - timezone.now().timestamp()) < 60
    token = AccessToken.objects.get(token=data["access_token"])
    assert token.user is None
    assert token.application == app
    assert token.expires > timezone.now() + timezone.timedelta(days=365 * 50)
    assert api_get(data["access_token"]).status_code == 200


def test_client_credentials_with_json_body_and_narrow_scopes() -> None:
    app, secret = make_app("read write")
    response = post_token(
        {
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": secret,
            "scope": "read:statuses write:accounts",
        },
        json=True,
    )
    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "read:statuses write:accounts"


def test_http_basic_client_authentication() -> None:
    app, secret = make_app()
    basic = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    response = APIClient().post(
        "/oauth/token",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert response.status_code == 200


def test_scope_outside_the_apps_scopes_is_refused() -> None:
    app, secret = make_app("read")
    response = post_token(
        {
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": secret,
            "scope": "read write",
        }
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_unknown_scope_is_refused() -> None:
    app, secret = make_app()
    response = post_token(
        {
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": secret,
            "scope": "read:everything",
        }
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_wrong_client_secret_is_401_invalid_client() -> None:
    app, _ = make_app()
    response = post_token(
        {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": "nope"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_refresh_grant_is_unsupported() -> None:
    app, secret = make_app()
    response = post_token(
        {
            "grant_type": "refresh_token",
            "refresh_token": "x",
            "client_id": app.client_id,
            "client_secret": secret,
        }
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


# --- Password grant ------------------------------------------------------------------------------


def password_grant(app: Application, secret: str, email: str, password: str, **extra: Any) -> Any:
    return post_token(
        {
            "grant_type": "password",
            "client_id": app.client_id,
            "client_secret": secret,
            "username": email,
            "password": password,
            **extra,
        }
    )


def test_password_grant_by_email(alice: User) -> None:
    app, secret = make_app()
    response = password_grant(app, secret, "ALICE@example.com", "password123", scope="read write")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["scope"] == "read write"
    assert "refresh_token" not in data
    assert "expires_in" not in data
    assert AccessToken.objects.get(token=data["access_token"]).user == alice


def test_password_grant_wrong_password_is_invalid_grant(alice: User) -> None:
    app, secret = make_app()
    response = password_grant(app, secret, alice.email, "wrong-password")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"confirmed_at": None}, "confirm your e-mail address"),
        ({"approved": False}, "pending approval"),
        ({"is_active": False}, "disabled"),
    ],
)
def test_password_grant_refuses_non_functional_users(
    alice: User, change: dict[str, Any], message: str
) -> None:
    User.objects.filter(pk=alice.pk).update(**change)
    app, secret = make_app()
    response = password_grant(app, secret, alice.email, "password123")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert message in response.json()["error_description"]
    assert not AccessToken.objects.exists()


# --- Authorization code --------------------------------------------------------------------------


def test_sign_in_then_consent_then_oob_code(alice: User) -> None:
    app, secret = make_app()
    client = Client()
    url = authorize_url(app, scope="read write")

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/sign_in?next=")

    response = client.post(
        "/auth/sign_in", {"email": alice.email, "password": "password123", "next": url}
    )
    assert response.status_code == 302
    assert response["Location"] == url

    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Client" in html
    assert "read all your account" in html.lower()
    assert f"@{alice.account.username}" in html

    response = client.post(url, {"decision": "authorize"})
    assert response.status_code == 302
    assert response["Location"].startswith("/oauth/authorize/native?code=")
    code = code_from(response)
    native = client.get(response["Location"])
    assert native.status_code == 200
    assert re.search(rf'class="oauth-code"[^>]*value="{re.escape(code)}"', native.content.decode())

    token_response = post_token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "client_secret": secret,
            "redirect_uri": OOB,
            "scope": "read write",
        }
    )
    assert token_response.status_code == 200, token_response.content
    data = token_response.json()
    assert data["scope"] == "read write"
    assert AccessToken.objects.get(token=data["access_token"]).user == alice
    assert api_get(data["access_token"]).status_code == 200

    # A code works once.
    again = post_token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "client_secret": secret,
            "redirect_uri": OOB,
        }
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_custom_scheme_redirect_carries_code_and_state(alice: User) -> None:
    app, secret = make_app(redirect_uris="tusky://oauth\nhttps://app.example/cb")
    client = signed_in(alice)
    url = authorize_url(app, redirect_uri="tusky://oauth", state="xyz 1")
    response = approve(client, url)
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc) == ("tusky", "oauth")
    query = parse_qs(location.query)
    assert query["state"] == ["xyz 1"]
    token_response = post_token(
        {
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "client_id": app.client_id,
            "client_secret": secret,
            "redirect_uri": "tusky://oauth",
        }
    )
    assert token_response.status_code == 200
    assert token_response.json()["scope"] == "read"


def test_token_redirect_uri_must_match_the_authorization(alice: User) -> None:
    app, secret = make_app(redirect_uris="https://app.example/cb\nhttps://app.example/other")
    client = signed_in(alice)
    code = code_from(approve(client, authorize_url(app, redirect_uri="https://app.example/cb")))
    response = post_token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "client_secret": secret,
            "redirect_uri": "https://app.example/other",
        }
    )
    assert response.status_code in {400, 401}
    assert response.json()["error"] in {"invalid_grant", "invalid_request"}


def test_deny_redirects_with_access_denied(alice: User) -> None:
    app, _ = make_app(redirect_uris="https://app.example/cb")
    client = signed_in(alice)
    url = authorize_url(app, redirect_uri="https://app.example/cb", state="s1")
    client.get(url)
    response = client.post(url, {"decision": "deny"})
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["s1"]
    assert not Grant.objects.exists()


def test_deny_out_of_band_shows_a_page(alice: User) -> None:
    app, _ = make_app()
    client = signed_in(alice)
    response = client.post(authorize_url(app), {"decision": "deny"})
    assert response.status_code == 403
    assert "denied" in response.content.decode()


def test_narrow_scope_is_granted(alice: User) -> None:
    app, secret = make_app("read write")
    client = signed_in(alice)
    code = code_from(approve(client, authorize_url(app, scope="read:statuses write:media")))
    data = post_token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "client_secret": secret,
            "redirect_uri": OOB,
        }
    ).json()
    assert data["scope"] == "read:statuses write:media"


@pytest.mark.parametrize("scope", ["read write follow", "read nonsense"])
def test_scope_outside_the_app_shows_an_error_page(alice: User, scope: str) -> None:
    app, _ = make_app("read write")
    client = signed_in(alice)
    response = client.get(authorize_url(app, scope=scope))
    assert response.status_code == 400
    assert "invalid_scope" in response.content.decode()


def test_unregistered_redirect_uri_is_never_followed(alice: User) -> None:
    app, _ = make_app(redirect_uris="https://app.example/cb")
    client = signed_in(alice)
    response = client.get(authorize_url(app, redirect_uri="https://evil.example/cb"))
    assert response.status_code == 400
    assert "Location" not in response


def test_unknown_client_shows_an_error_page() -> None:
    response = Client().get(
        "/oauth/authorize?response_type=code&client_id=nope&redirect_uri=" + OOB
    )
    assert response.status_code == 400
    assert "An error has occurred" in response.content.decode()


def test_previous_authorization_is_reused_without_consent(alice: User) -> None:
    app, secret = make_app()
    client = signed_in(alice)
    first = code_from(approve(client, authorize_url(app, scope="read write")))
    post_token(
        {
            "grant_type": "authorization_code",
            "code": first,
            "client_id": app.client_id,
            "client_secret": secret,
            "redirect_uri": OOB,
        }
    )
    response = client.get(authorize_url(app, scope="read"))
    assert response.status_code == 302
    assert "code=" in response["Location"]


def test_force_login_signs_out_and_comes_back_without_it(alice: User) -> None:
    app, _ = make_app()
    client = signed_in(alice)
    response = client.get(authorize_url(app, force_login="true", lang="fr"))
    assert response.status_code == 302
    next_url = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    assert "force_login" not in next_url
    assert "lang=fr" in next_url
    assert client.get(next_url).status_code == 302  # signed out: back to the sign-in page


def test_session_of_a_user_suspended_since_is_dropped(alice: User) -> None:
    app, _ = make_app()
    client = signed_in(alice)
    User.objects.filter(pk=alice.pk).update(approved=False)
    response = client.get(authorize_url(app))
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/sign_in")


# --- PKCE ----------------------------------------------------------------------------------------


def pkce_code(user: User, app: Application, verifier: str) -> str:
    client = signed_in(user)
    url = authorize_url(app, code_challenge=s256(verifier), code_challenge_method="S256")
    return code_from(approve(client, url))


def test_pkce_s256_with_the_right_verifier(alice: User) -> None:
    app, secret = make_app()
    verifier = secrets.token_urlsafe(48)
    code = pkce_code(alice, app, verifier)
    response = post_token(
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app.client_id,
            "client_secret": secret,
            "redirect_uri": OOB,
            "code_verifier": verifier,
        }
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("verifier", [secrets.token_urlsafe(48), None])
def test_pkce_s256_with_a_wrong_or_missing_verifier(alice: User, verifier: str | None) -> None:
    app, secret = make_app()
    code = pkce_code(alice, app, secrets.token_urlsafe(48))
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": app.client_id,
        "client_secret": secret,
        "redirect_uri": OOB,
    }
    if verifier:
        data["code_verifier"] = verifier
    response = post_token(data)
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_grant", "invalid_request"}
    assert not AccessToken.objects.exists()


@pytest.mark.parametrize("method", ["plain", None])
def test_pkce_plain_is_not_supported(alice: User, method: str | None) -> None:
    app, _ = make_app()
    params = {"code_challenge": "a" * 43}
    if method:
        params["code_challenge_method"] = method
    response = signed_in(alice).get(authorize_url(app, **params))
    assert response.status_code == 400
    assert not Grant.objects.exists()


# --- Revocation ----------------------------------------------------------------------------------


def user_token(user: User, app: Application, secret: str) -> str:
    return password_grant(app, secret, user.email, "password123").json()["access_token"]


def test_revoke_then_the_token_is_401(alice: User) -> None:
    app, secret = make_app()
    token = user_token(alice, app, secret)
    assert api_get(token).status_code == 200
    response = APIClient().post(
        "/oauth/revoke", {"client_id": app.client_id, "client_secret": secret, "token": token}
    )
    assert response.status_code == 200
    assert response.json() == {}
    assert api_get(token).status_code == 401
    # Idempotent.
    again = APIClient().post(
        "/oauth/revoke", {"client_id": app.client_id, "client_secret": secret, "token": token}
    )
    assert again.status_code == 200


def test_revoke_another_apps_token_is_403(alice: User) -> None:
    app, secret = make_app()
    other, other_secret = make_app()
    token = user_token(alice, app, secret)
    response = APIClient().post(
        "/oauth/revoke",
        {"client_id": other.client_id, "client_secret": other_secret, "token": token},
    )
    assert response.status_code == 403
    assert response.json()["error"] == "unauthorized_client"
    assert api_get(token).status_code == 200


def test_revoke_without_token_is_403_and_bad_client_is_401(alice: User) -> None:
    app, secret = make_app()
    no_token = APIClient().post(
        "/oauth/revoke", {"client_id": app.client_id, "client_secret": secret}
    )
    assert no_token.status_code == 403
    token = user_token(alice, app, secret)
    bad = APIClient().post(
        "/oauth/revoke", {"client_id": app.client_id, "client_secret": "x", "token": token}
    )
    assert bad.status_code == 401
    assert api_get(token).status_code == 200


# --- HTML sign-in --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({}, None),
        ({"confirmed_at": None}, "You have to confirm your e-mail address"),
        ({"approved": False}, "pending approval"),
        ({"is_active": False}, "disabled"),
    ],
)
def test_sign_in_page_only_admits_functional_users(
    alice: User, change: dict[str, Any], message: str | None
) -> None:
    User.objects.filter(pk=alice.pk).update(**change)
    client = Client(enforce_csrf_checks=True)
    page = client.get("/auth/sign_in")
    csrf = page.cookies["csrftoken"].value
    response = client.post(
        "/auth/sign_in",
        {"email": alice.email, "password": "password123", "csrfmiddlewaretoken": csrf},
    )
    if message is None:
        assert response.status_code == 302
        assert client.session.get("_auth_user_id") == str(alice.pk)
    else:
        assert response.status_code == 401
        assert message in response.content.decode()
        assert "_auth_user_id" not in client.session


def test_sign_in_with_a_wrong_password(alice: User) -> None:
    response = Client().post("/auth/sign_in", {"email": alice.email, "password": "nope"})
    assert response.status_code == 401
    assert "Invalid e-mail address or password" in response.content.decode()


def test_sign_in_ignores_an_offsite_next(alice: User) -> None:
    response = Client().post(
        "/auth/sign_in",
        {"email": alice.email, "password": "password123", "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/auth/sign_in"


def test_sign_out(alice: User) -> None:
    client = signed_in(alice)
    assert client.get("/auth/sign_out").status_code == 200
    response = client.post("/auth/sign_out")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
