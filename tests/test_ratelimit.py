"""Mastodon's rate limit: X-RateLimit-* headers, then 429 with a JSON error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_of_three(settings):
    # Counters are keyed by account id, and every test makes new accounts, so no cache reset
    # is needed (clearing a Redis cache would flush the whole database).
    settings.RATE_LIMIT_REQUESTS = 3
    settings.RATE_LIMIT_PERIOD = 300


def test_requests_past_the_limit_get_429_with_headers(alice, client_for, limit_of_three):
    client = client_for(alice)
    remaining = []
    for _ in range(3):
        response = client.get("/api/v1/accounts/verify_credentials")
        assert response.status_code == 200
        assert response["X-RateLimit-Limit"] == "3"
        assert response["X-RateLimit-Reset"].endswith("Z")
        remaining.append(response["X-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    response = client.get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 429
    assert response.json() == {"error": "Too many requests"}
    assert int(response["Retry-After"]) >= 1


def test_limit_is_per_account(alice, bob, client_for, limit_of_three):
    alice_client = client_for(alice)
    for _ in range(4):
        alice_client.get("/api/v1/accounts/verify_credentials")
    response = client_for(bob).get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "2"
