"""POST /api/v1/apps and GET /api/v1/apps/verify_credentials."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import Application
from tests.conftest import make_token

OOB = "urn:ietf:wg:oauth:2.0:oob"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings: Any, tmp_path: Any) -> None:
    settings.DATA_DIR = tmp_path


def test_create_app_returns_credential_application(anon: APIClient) -> None:
    response = anon.post(
        "/api/v1/apps",
        {
            "client_name": "Test Application",
            "redirect_uris": OOB,
            "scopes": "read write push",
            "website": "https://app.example",
        },
    )
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {
        "id", "name", "website", "scopes", "redirect_uri", "redirect_uris", "vapid_key",
        "client_id", "client_secret", "client_secret_expires_at",
    }  # fmt: skip
    assert data["name"] == "Test Application"
    assert data["website"] == "https://app.example"
    assert data["scopes"] == ["read", "write", "push"]
    assert data["redirect_uri"] == OOB
    assert data["redirect_uris"] == [OOB]
    assert data["client_secret_expires_at"] == 0
    app = Application.objects.get(pk=int(data["id"]))
    assert app.client_id == data["client_id"]
    # The secret is stored hashed; the response carries the raw one.
    assert app.client_secret != data["client_secret"]
    assert app.client_type == Application.CLIENT_CONFIDENTIAL
    assert app.scopes == "read write push"


def test_vapid_key_is_a_p256_public_point(anon: APIClient) -> None:
    data = anon.post("/api/v1/apps", {"client_name": "x", "redirect_uris": OOB}).json()
    point = base64.urlsafe_b64decode(data["vapid_key"])
    assert len(point) == 65
    assert point[0] == 4
    again = anon.post("/api/v1/apps", {"client_name": "y", "redirect_uris": OOB}).json()
    assert again["vapid_key"] == data["vapid_key"]


def test_scopes_default_to_read_and_website_to_null(anon: APIClient) -> None:
    data = anon.post("/api/v1/apps", {"client_name": "x", "redirect_uris": OOB}).json()
    assert data["scopes"] == ["read"]
    assert data["website"] is None


def test_multiple_redirect_uris_as_json_array(anon: APIClient) -> None:
    uris = ["https://app.example/callback", "tusky://oauth"]
    response = anon.post("/api/v1/apps", {"client_name": "x", "redirect_uris": uris}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["redirect_uris"] == uris
    assert data["redirect_uri"] == "https://app.example/callback\ntusky://oauth"


def test_newline_separated_redirect_uris_form(anon: APIClient) -> None:
    data = anon.post(
        "/api/v1/apps",
        {"client_name": "x", "redirect_uris": "https://a.example/cb\nhttps://a.example/other"},
    ).json()
    assert data["redirect_uris"] == ["https://a.example/cb", "https://a.example/other"]


def test_rails_array_redirect_uris(anon: APIClient) -> None:
    response = anon.post(
        "/api/v1/apps",
        "client_name=x&redirect_uris[]=https%3A%2F%2Fa.example%2Fcb&redirect_uris[]=elk%3A%2F%2Fcb",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.json()["redirect_uris"] == ["https://a.example/cb", "elk://cb"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"redirect_uris": OOB}, "Application name can't be blank"),
        ({"client_name": "x"}, "Redirect URI can't be blank"),
        (
            {"client_name": "x", "redirect_uris": "/relative"},
            "Redirect URI must be an absolute URI.",
        ),
        (
            {"client_name": "x", "redirect_uris": OOB, "scopes": "read launch:missiles"},
            "Scopes doesn't match configured on the server.",
        ),
        (
            {"client_name": "x", "redirect_uris": OOB, "website": "nope"},
            "Website is not a valid URL",
        ),
    ],
)
def test_validation_errors_are_422(anon: APIClient, payload: dict, message: str) -> None:
    response = anon.post("/api/v1/apps", payload)
    assert response.status_code == 422
    assert response.json() == {"error": f"Validation failed: {message}"}
    assert not Application.objects.exists()


def test_stale_authorization_header_is_ignored(anon: APIClient) -> None:
    anon.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = anon.post("/api/v1/apps", {"client_name": "x", "redirect_uris": OOB})
    assert response.status_code == 200


def test_verify_credentials_with_app_token(anon: APIClient) -> None:
    created = anon.post(
        "/api/v1/apps", {"client_name": "Checker", "redirect_uris": OOB, "scopes": "write"}
    ).json()
    app = Application.objects.get(pk=int(created["id"]))
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(None, 'write', app=app)}")
    response = anon.get("/api/v1/apps/verify_credentials")
    assert response.status_code == 200
    assert response.json() == {
        "id": created["id"],
        "name": "Checker",
        "website": None,
        "scopes": ["write"],
        "redirect_uri": OOB,
        "redirect_uris": [OOB],
        "vapid_key": created["vapid_key"],
    }


def test_verify_credentials_with_user_token_needs_no_scope(alice: Any, anon: APIClient) -> None:
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(alice, 'push')}")
    response = anon.get("/api/v1/apps/verify_credentials")
    assert response.status_code == 200
    assert "client_secret" not in response.json()


def test_verify_credentials_without_token_is_401(anon: APIClient) -> None:
    response = anon.get("/api/v1/apps/verify_credentials")
    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}
    anon.credentials(HTTP_AUTHORIZATION="Bearer nope")
    assert anon.get("/api/v1/apps/verify_credentials").status_code == 401
