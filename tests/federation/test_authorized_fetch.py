"""Authorized fetch ("secure mode"): ActivityPub JSON only for signed GETs, except what peers
need to verify our own signatures; and how signatures count when it is off."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.fetch_auth import signed_fetcher
from moderation.models import DomainBlock
from tests.federation.test_objects import (
    AP,
    BASE,
    BROWSER,
    DOMAIN,
    RemoteSigner,
    ap_get,
    remote_key,  # noqa: F401 (a fixture)
    remote_signer,
    signed_get,
)
from tests.timelines.helpers import post


@pytest.fixture(autouse=True)
def _secure_mode(settings):
    settings.LOCAL_DOMAIN = DOMAIN
    settings.LOCAL_HTTPS = False
    settings.LOCAL_SCHEME = "http"
    settings.AUTHORIZED_FETCH = True


@pytest.fixture
def carol(db, remote_key) -> RemoteSigner:  # noqa: F811
    return remote_signer(remote_key)


@pytest.fixture
def bob(make_user):
    return make_user("bob", display_name="Bob", note="<p>about me</p>")


def object_paths(status_id: int) -> list[str]:
    return [
        f"/users/bob/statuses/{status_id}",
        f"/users/bob/statuses/{status_id}/activity",
        f"/@bob/{status_id}",
        "/users/bob/outbox",
        "/users/bob/outbox?page=true",
        "/users/bob/followers",
        "/users/bob/following?page=1",
        "/users/bob/collections/featured",
        "/users/bob/collections/tags",
    ]


def test_unsigned_activitypub_gets_are_refused(client, bob):
    status = post(bob, "hello", fan_out=False)

    for path in object_paths(status.id):
        response = ap_get(client, path)

        assert response.status_code == 401, path
        assert response.json() == {"error": "Request not signed"}


def test_signed_gets_are_answered(client, bob, carol):
    status = post(bob, "hello", fan_out=False)

    for path in object_paths(status.id):
        response = signed_get(client, path, carol)

        assert response.status_code == 200, path
        assert "Signature" in response["Vary"], path
        assert "public" not in response["Cache-Control"], path


def test_the_actor_and_its_key_are_served_unsigned_without_the_profile(client, bob):
    response = ap_get(client, "/users/bob")

    assert response.status_code == 200
    actor = response.json()
    assert actor["id"] == f"{BASE}/users/bob"
    assert actor["publicKey"]["id"] == f"{BASE}/users/bob#main-key"
    assert actor["publicKey"]["owner"] == f"{BASE}/users/bob"
    assert actor["inbox"] == f"{BASE}/users/bob/inbox"
    assert actor["endpoints"] == {"sharedInbox": f"{BASE}/inbox"}
    assert "name" not in actor
    assert "summary" not in actor
    assert "Signature" in response["Vary"]


def test_a_signed_fetch_gets_the_whole_actor(client, bob, carol):
    response = signed_get(client, "/users/bob", carol)

    assert response.status_code == 200
    assert response.json()["name"] == "Bob"
    assert response.json()["summary"] == "<p>about me</p>"
    assert response["Cache-Control"] == "max-age=180, private"


def test_the_instance_actor_needs_no_signature(client, db):
    response = ap_get(client, "/actor")

    assert response.status_code == 200
    assert response.json()["publicKey"]["id"] == f"{BASE}/actor#main-key"


def test_web_pages_stay_public(client, bob):
    status = post(bob, "hello web", fan_out=False)

    assert ap_get(client, "/@bob", BROWSER).status_code == 200
    assert ap_get(client, f"/@bob/{status.id}", BROWSER).status_code == 200


def test_a_blocked_domain_is_refused(client, bob, remote_key):  # noqa: F811
    DomainBlock.objects.create(domain="blocked.example", severity=DomainBlock.Severity.SUSPEND)
    blocked = remote_signer(remote_key, "mallory", "blocked.example")
    status = post(bob, "hello", fan_out=False)

    for path in [*object_paths(status.id), "/users/bob"]:
        assert signed_get(client, path, blocked).status_code == 403, path


def test_a_signature_that_does_not_verify_is_refused(client, bob, remote_key):  # noqa: F811
    impostor = remote_signer(remote_key, "impostor", "remote.example")
    impostor.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    status = post(bob, "hello", fan_out=False)

    response = signed_get(client, f"/users/bob/statuses/{status.id}", impostor)

    assert response.status_code == 401


def test_a_signed_request_for_another_path_is_refused(client, bob, carol):
    status = post(bob, "hello", fan_out=False)
    from federation.signatures import sign_request

    headers = sign_request(
        method="GET",
        url=f"{BASE}/users/bob/outbox",
        body=None,
        key_id=carol.account.key_id,
        private_key=carol.private_key,
        headers={"Accept": AP},
    )
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}

    assert client.get(f"/users/bob/statuses/{status.id}", **meta).status_code == 401


def test_without_authorized_fetch_a_bad_signature_counts_as_anonymous(
    client,
    settings,
    bob,
    remote_key,  # noqa: F811
):
    settings.AUTHORIZED_FETCH = False
    DomainBlock.objects.create(domain="blocked.example", severity=DomainBlock.Severity.SUSPEND)
    blocked = remote_signer(remote_key, "mallory", "blocked.example")
    status = post(bob, "hello", fan_out=False)

    response = signed_get(client, f"/users/bob/statuses/{status.id}", blocked)

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=180, public"
    assert ap_get(client, f"/users/bob/statuses/{status.id}").status_code == 200


def test_signed_fetcher_names_the_signer(rf, carol):
    from federation.signatures import sign_request

    headers = sign_request(
        method="GET",
        url=f"{BASE}/users/bob",
        body=None,
        key_id=carol.account.key_id,
        private_key=carol.private_key,
        headers={"Accept": AP},
    )
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}

    assert signed_fetcher(rf.get("/users/bob", **meta)) == carol.account
    assert signed_fetcher(rf.get("/users/bob", HTTP_ACCEPT=AP)) is None
