"""POST /api/v1/accounts (through ``register_view``), the confirmation link and the resend.

``/api/v1/accounts`` belongs to the accounts API; this module routes it to ``register_view``
in a view declared as that API should declare it, so these tests stand on their own.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient

from accounts.api.apps import create_application
from accounts.api.registration import register_view
from accounts.models import Application, User
from fedisocial.api.views import MastodonView
from tests.conftest import make_token


class _RegisterView(MastodonView):
    scopes = {"POST": "write:accounts"}
    app_methods = ("POST",)

    def post(self, request: Request) -> Response:
        return register_view(request)


urlpatterns = [
    path("api/v1/accounts", _RegisterView.as_view()),
    path("", include("fedisocial.urls")),
]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def app() -> Application:
    application, _ = create_application(
        name="Signup", redirect_uris="urn:ietf:wg:oauth:2.0:oob", scopes="read write follow push"
    )
    return application


@pytest.fixture
def app_client(app: Application) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(None, 'read write', app=app)}")
    return client


@pytest.fixture
def open_without_smtp(settings: Any) -> None:
    settings.REGISTRATIONS_MODE = "open"
    settings.EMAIL_CONFIRMATION_REQUIRED = False


def sign_up(client: APIClient, **overrides: Any) -> Any:
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password": "correct horse",
        "agreement": "true",
        "locale": "en",
        **overrides,
    }
    return client.post("/api/v1/accounts", data)


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.usefixtures("open_without_smtp")
def test_open_registration_gives_a_working_token(app: Application, app_client: APIClient) -> None:
    response = sign_up(app_client)
    assert response.status_code == 200, response.content
    data = response.json()
    assert set(data) == {"access_token", "token_type", "scope", "created_at"}
    assert data["token_type"] == "Bearer"
    assert data["scope"] == "read write follow push"
    user = User.objects.get(email="newbie@example.com")
    assert user.account.username == "newbie"
    assert user.is_functional
    assert user.created_by_application == app
    assert user.check_password("correct horse")
    assert (
        with_token(data["access_token"]).get("/api/v1/apps/verify_credentials").status_code == 200
    )
    assert mail.outbox == []


@pytest.mark.usefixtures("open_without_smtp")
def test_json_body_and_boolean_agreement(app_client: APIClient) -> None:
    response = app_client.post(
        "/api/v1/accounts",
        {
            "username": "jason",
            "email": "jason@example.com",
            "password": "12345678",
            "agreement": True,
            "locale": "de",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert User.objects.get(email="jason@example.com").locale == "de"


def test_approval_mode_token_waits_for_approval(settings: Any, app_client: APIClient) -> None:
    settings.REGISTRATIONS_MODE = "approved"
    settings.EMAIL_CONFIRMATION_REQUIRED = False
    response = sign_up(app_client, reason="I like birds")
    assert response.status_code == 200
    user = User.objects.get(email="newbie@example.com")
    assert user.approved is False
    assert user.registration_reason == "I like birds"
    check = with_token(response.json()["access_token"]).get("/api/v1/apps/verify_credentials")
    assert check.status_code == 403
    assert check.json() == {"error": "Your login is currently pending approval"}


def test_smtp_mode_sends_a_confirmation_link(settings: Any, app_client: APIClient) -> None:
    settings.REGISTRATIONS_MODE = "open"
    settings.EMAIL_CONFIRMATION_REQUIRED = True
    response = sign_up(app_client)
    assert response.status_code == 200
    token = response.json()["access_token"]
    user = User.objects.get(email="newbie@example.com")
    assert user.confirmed_at is None
    check = with_token(token).get("/api/v1/apps/verify_credentials")
    assert check.status_code == 403
    assert check.json() == {"error": "Your login is missing a confirmed e-mail address"}

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newbie@example.com"]
    link = re.search(r"https?://\S+/auth/confirmation\?confirmation_token=\S+", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    page = Client().get("/" + path)
    assert page.status_code == 200
    assert "confirmed" in page.content.decode()
    user.refresh_from_db()
    assert user.confirmed_at is not None
    assert user.confirmation_token == ""
    assert with_token(token).get("/api/v1/apps/verify_credentials").status_code == 200
    # The link works once.
    assert Client().get("/" + path).status_code == 404


def test_resend_confirmation(settings: Any, app: Application, app_client: APIClient) -> None:
    settings.EMAIL_CONFIRMATION_REQUIRED = True
    token = sign_up(app_client).json()["access_token"]
    mail.outbox.clear()
    client = with_token(token)
    response = client.post("/api/v1/emails/confirmations", {"email": "other@example.com"})
    assert response.status_code == 200
    assert response.json() == {}
    assert [m.to for m in mail.outbox] == [["other@example.com"]]
    assert User.objects.filter(email="other@example.com", confirmed_at__isnull=True).exists()

    # Another app's token for the same user may not ask.
    other_app, _ = create_application(
        name="Other", redirect_uris="urn:ietf:wg:oauth:2.0:oob", scopes="write"
    )
    user = User.objects.get(email="other@example.com")
    other = with_token(make_token(user, "write", app=other_app))
    assert other.post("/api/v1/emails/confirmations").status_code == 403

    # Nor once confirmed.
    Client().get(f"/auth/confirmation?confirmation_token={user.confirmation_token}")
    response = client.post("/api/v1/emails/confirmations")
    assert response.status_code == 403
    assert "awaiting confirmation" in response.json()["error"]


def test_registrations_closed(settings: Any, app_client: APIClient) -> None:
    settings.REGISTRATIONS_MODE = "none"
    response = sign_up(app_client)
    assert response.status_code == 403
    assert "error" in response.json()
    assert not User.objects.exists()


@pytest.mark.usefixtures("open_without_smtp")
def test_validation_errors_have_details(app_client: APIClient, alice: User) -> None:
    response = sign_up(
        app_client,
        username=alice.account.username.upper(),
        email=alice.email,
        password="short",
        agreement="false",
    )
    assert response.status_code == 422
    data = response.json()
    assert data["error"].startswith("Validation failed: ")
    assert "Username has already been taken" in data["error"]
    assert data["details"] == {
        "username": [{"error": "ERR_TAKEN", "description": "has already been taken"}],
        "email": [{"error": "ERR_TAKEN", "description": "has already been taken"}],
        "password": [
            {"error": "ERR_TOO_SHORT", "description": "is too short (minimum is 8 characters)"}
        ],
        "agreement": [{"error": "ERR_ACCEPTED", "description": "must be accepted"}],
    }


@pytest.mark.usefixtures("open_without_smtp")
@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("username", "", "ERR_BLANK"),
        ("username", "no spaces", "ERR_INVALID"),
        ("username", "dots.are.remote.only", "ERR_INVALID"),
        ("username", "a" * 31, "ERR_TOO_LONG"),
        ("username", "admin", "ERR_RESERVED"),
        ("email", "not-an-email", "ERR_INVALID"),
        ("password", "", "ERR_BLANK"),
        ("locale", "klingon!", "ERR_INCLUSION"),
    ],
)
def test_field_errors(app_client: APIClient, field: str, value: str, code: str) -> None:
    response = sign_up(app_client, **{field: value})
    assert response.status_code == 422
    assert response.json()["details"][field][0]["error"] == code


@pytest.mark.usefixtures("open_without_smtp")
def test_needs_an_app_token_with_write_accounts(app: Application, alice: User) -> None:
    assert sign_up(APIClient()).status_code == 401
    narrow = with_token(make_token(None, "read", app=app))
    assert sign_up(narrow).status_code == 403
    granular = with_token(make_token(None, "write:accounts", app=app))
    assert sign_up(granular).status_code == 200
