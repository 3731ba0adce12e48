"""Shared fixtures: a signed-in API client per account, tasks run at once, on_commit at once."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from accounts.models import Account, User
from tests.factories.accounts import ApplicationFactory, UserFactory


@pytest.fixture(autouse=True)
def _immediate_side_effects(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Celery tasks run in-process and on-commit work runs at once, inside the test's
    transaction, so a test sees what a worker would have done after the commit."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from fedisocial.celery import app

    app.conf.task_always_eager = True
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Per-process caches of database rows must not outlive the test's transaction.
    from federation import actors

    actors._signers.clear()
    from moderation import policies
    from statuses.api import status_cache

    policies._local = None
    status_cache._local.clear()
    # The rate limit counts in the shared cache; tests that exercise it turn it back on.
    settings.RATE_LIMIT_REQUESTS = 0
    # Rendered entities are not cached unless a test asks for it (``render_cache``): a page
    # then always takes the cold path, so query counts do not depend on earlier requests.
    settings.CACHES = {
        **settings.CACHES,
        "render": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    settings.RENDER_LOCAL_ENTRIES = 0


def render_cache_config(name: str) -> dict[str, Any]:
    """The cache of rendered entities as production configures it: Redis with the JSON
    serializer when REDIS_URL is set (CI), else process memory (the embedded server's)."""
    from django.conf import settings as django_settings

    if django_settings.REDIS_URL:
        return {
            "BACKEND": "fedisocial.cache.RedisCache",
            "LOCATION": django_settings.REDIS_URL,
            "KEY_PREFIX": f"{django_settings.REDIS_NAMESPACE}:test-render-{name}",
            "OPTIONS": {"serializer": "fedisocial.cache.JSONSerializer"},
        }
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": name}


@pytest.fixture
def render_cache(settings: Any) -> None:
    """A cache of rendered entities, as a running server has one (with its in-process layer
    when it is Redis, as configured)."""
    from fedisocial import settings as configured

    settings.CACHES = {**settings.CACHES, "render": render_cache_config("t")}
    settings.RENDER_LOCAL_ENTRIES = configured.RENDER_LOCAL_ENTRIES


def make_token(user: User | None, scopes: str = "read write follow push", app: Any = None) -> str:
    raw = secrets.token_urlsafe(32)
    AccessToken.objects.create(
        user=user,
        application=app or ApplicationFactory(),
        token=raw,
        scope=scopes,
        expires=timezone.now() + timedelta(days=36500),
    )
    return raw


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def _make(username: str | None = None, **account_fields: Any) -> User:
        kwargs: dict[str, Any] = {}
        if username:
            kwargs["account__username"] = username
            kwargs["email"] = f"{username}@example.com"
        for key, value in account_fields.items():
            kwargs[f"account__{key}"] = value
        return UserFactory(**kwargs)

    return _make


@pytest.fixture
def client_for(db: None) -> Callable[..., APIClient]:
    """``client_for(user, scopes=...)``: an APIClient sending that user's bearer token."""

    def _client(user: User | None, scopes: str = "read write follow push") -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user, scopes)}")
        return client

    return _client


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


def account_of(user: User) -> Account:
    return user.account
