"""create_account, create_app and create_token, as an operator runs them."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from accounts.models import Application, User

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def verify(token: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get("/api/v1/apps/verify_credentials")


# --- create_account ------------------------------------------------------------------------------


def test_create_account_with_generated_password() -> None:
    out = run("create_account", "carol", "--email", "carol@example.com", "--role", "admin")
    match = re.search(r"^New password: (\S+)$", out, re.MULTILINE)
    assert match, out
    user = User.objects.get(email="carol@example.com")
    assert user.check_password(match.group(1))
    assert user.is_functional
    assert user.role == "admin"
    assert user.account.username == "carol"


def test_create_account_with_options() -> None:
    out = run(
        "create_account", "dave", "--email", "dave@example.com", "--password", "hunter22",
        "--locked", "--locale", "fr", "--discoverable",
    )  # fmt: skip
    assert "New password" not in out
    user = User.objects.get(email="dave@example.com")
    assert user.check_password("hunter22")
    assert user.locale == "fr"
    assert user.account.locked
    assert user.account.discoverable


@pytest.mark.parametrize(
    ("username", "email", "message"),
    [
        ("alice", "fresh@example.com", "already taken"),
        ("fresh", "alice@example.com", "already taken"),
        ("fresh", "not-an-email", "Invalid e-mail"),
        ("bad name", "fresh@example.com", "Username"),
    ],
)
def test_create_account_refuses(alice: User, username: str, email: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("create_account", username, "--email", email)


def test_create_account_without_email_exits_non_zero() -> None:
    with pytest.raises(CommandError):
        run("create_account", "nomail")


# --- create_app ----------------------------------------------------------------------------------


def test_create_app_prints_credentials_that_work() -> None:
    out = run("create_app", "Bot", "--scopes", "read write")
    client_id = re.search(r"^client_id: (\S+)$", out, re.MULTILINE).group(1)
    secret = re.search(r"^client_secret: (\S+)$", out, re.MULTILINE).group(1)
    app = Application.objects.get(client_id=client_id)
    assert app.scopes == "read write"
    assert app.name == "Bot"
    response = APIClient().post(
        "/oauth/token",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200


def test_create_app_with_known_credentials_and_redirect_uris() -> None:
    out = run(
        "create_app", "Known", "--client-id", "known-id", "--client-secret", "known-secret",
        "--redirect-uri", "https://a.example/cb", "--redirect-uri", "elk://cb",
    )  # fmt: skip
    assert "client_id: known-id" in out
    assert "client_secret: known-secret" in out
    app = Application.objects.get(client_id="known-id")
    assert app.redirect_uris.split() == ["https://a.example/cb", "elk://cb"]
    with pytest.raises(CommandError, match="already exists"):
        run("create_app", "Again", "--client-id", "known-id")


@pytest.mark.parametrize(
    "args", [["X", "--scopes", "read fly"], ["X", "--redirect-uri", "/relative"], [" "]]
)
def test_create_app_refuses_bad_input(args: list[str]) -> None:
    with pytest.raises(CommandError):
        run("create_app", *args)


# --- create_token --------------------------------------------------------------------------------


def test_create_token_defaults(alice: User) -> None:
    out = run("create_token", "alice")
    token = out.strip().splitlines()[-1]
    stored = AccessToken.objects.get(token=token)
    assert stored.user == alice
    assert stored.scope == "read write follow push"
    assert stored.application.name == "Fedisocial CLI"
    assert verify(token).status_code == 200
    # The CLI application is reused.
    run("create_token", "@alice", "--scopes", "read")
    assert Application.objects.filter(name="Fedisocial CLI").count() == 1


def test_create_token_for_an_app_and_scope_check(alice: User) -> None:
    out = run("create_app", "Narrow", "--scopes", "read", "--client-id", "narrow")
    assert "client_id: narrow" in out
    token = run("create_token", "alice", "--client-id", "narrow", "--scopes", "read:statuses")
    assert AccessToken.objects.get(token=token.strip()).application.client_id == "narrow"
    with pytest.raises(CommandError, match="only registered for"):
        run("create_token", "alice", "--client-id", "narrow", "--scopes", "write")


def test_create_token_with_a_known_value_is_idempotent(alice: User, bob: User) -> None:
    value = "known-token-value-0123456789"
    assert run("create_token", "alice", "--token", value).strip().splitlines()[-1] == value
    assert run("create_token", "alice", "--token", value).strip().splitlines()[-1] == value
    assert AccessToken.objects.filter(token=value).count() == 1
    assert verify(value).status_code == 200
    with pytest.raises(CommandError, match="someone else"):
        run("create_token", "bob", "--token", value)


@pytest.mark.parametrize(
    "args",
    [["nobody"], ["alice", "--scopes", "read teleport"], ["alice", "--client-id", "missing"]],
)
def test_create_token_refuses(alice: User, args: list[str]) -> None:
    with pytest.raises(CommandError):
        run("create_token", *args)


def test_owner_created_by_command_can_use_django_admin(db):
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import User

    call_command(
        "create_account",
        "boss",
        "--email",
        "boss@example.com",
        "--password",
        "long enough pw",
        "--role",
        "owner",
        stdout=__import__("io").StringIO(),
    )
    client = Client()
    assert client.login(email="boss@example.com", password="long enough pw")
    response = client.get("/admin/accounts/account/")
    assert response.status_code == 200
    assert User.objects.get(email="boss@example.com").is_superuser
