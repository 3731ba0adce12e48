"""The inbox as a remote server meets it: signed activities are stored once and answered 202;
anything unsigned, badly signed, stale, tampered, too big, or signed by someone other than its
actor is refused with nothing stored."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import timezone

from federation.inbox import views
from federation.models import InboxItem
from moderation.models import DomainBlock
from tests.federation.conftest import as_meta, signed_post

pytestmark = pytest.mark.django_db


def like(actor: str, n: int = 1) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}#likes/{n}",
        "type": "Like",
        "actor": actor,
        "object": "http://testserver/users/alice/statuses/1",
    }


def post(body: bytes, headers: dict[str, str], path: str = "/inbox", **extra: Any) -> Any:
    meta = as_meta(headers)
    content_type = meta.pop("content_type", "application/activity+json")
    request = RequestFactory().post(path, data=body, content_type=content_type, **meta, **extra)
    username = path.split("/")[2] if path.startswith("/users/") else None
    return views.inbox(request, username=username)


@pytest.fixture
def bob(make_remote: Any) -> Any:
    return make_remote("bob")


def test_a_signed_activity_is_stored_and_answered_202(bob: Any, remote_key: Any) -> None:
    body, headers = signed_post(like(bob.uri), key=remote_key.private, key_id=bob.key_id)

    response = post(body, headers)

    assert response.status_code == 202
    item = InboxItem.objects.get()
    assert item.activity_id == f"{bob.uri}#likes/1"
    assert item.signer_id == bob.id
    assert json.loads(item.body)["type"] == "Like"


def test_the_same_activity_delivered_twice_is_stored_once(bob: Any, remote_key: Any) -> None:
    for _ in range(2):
        body, headers = signed_post(like(bob.uri), key=remote_key.private, key_id=bob.key_id)
        assert post(body, headers).status_code == 202

    assert InboxItem.objects.count() == 1


def test_a_personal_inbox_records_its_recipient(bob: Any, remote_key: Any, alice: Any) -> None:
    url = "http://testserver/users/alice/inbox"
    body, headers = signed_post(like(bob.uri), key=remote_key.private, key_id=bob.key_id, url=url)

    assert post(body, headers, path="/users/alice/inbox").status_code == 202
    assert InboxItem.objects.get().recipient_id == alice.account.id


def test_an_unknown_local_inbox_is_404(bob: Any, remote_key: Any) -> None:
    url = "http://testserver/users/nobody/inbox"
    body, headers = signed_post(like(bob.uri), key=remote_key.private, key_id=bob.key_id, url=url)

    assert post(body, headers, path="/users/nobody/inbox").status_code == 404
    assert not InboxItem.objects.exists()


def refused(response: Any, status: int = 401) -> None:
    assert response.status_code == status, response.content
    assert "error" in json.loads(response.content)
    assert not InboxItem.objects.exists()


def test_an_unsigned_post_is_refused(bob: Any) -> None:
    body = json.dumps(like(bob.uri)).encode()
    request = RequestFactory().post("/inbox", data=body, content_type="application/activity+json")

    refused(views.inbox(request))


def test_a_signature_by_another_key_is_refused(bob: Any, other_key: Any) -> None:
    body, headers = signed_post(like(bob.uri), key=other_key.private, key_id=bob.key_id)

    refused(post(body, headers))


def test_a_key_of_another_actor_cannot_sign_for_the_activitys_actor(
    make_remote: Any, remote_key: Any
) -> None:
    bob = make_remote("bob")
    mallory = make_remote("mallory", domain="evil.example")
    # Mallory signs, with her own valid key, an activity claiming to be Bob's.
    body, headers = signed_post(like(bob.uri), key=remote_key.private, key_id=mallory.key_id)

    refused(post(body, headers))


def test_a_stale_date_is_refused(bob: Any, remote_key: Any) -> None:
    long_ago = timezone.now() - timedelta(hours=13)
    body, headers = signed_post(
        like(bob.uri), key=remote_key.private, key_id=bob.key_id, now=long_ago
    )

    refused(post(body, headers))


def test_a_date_from_the_future_is_refused(bob: Any, remote_key: Any) -> None:
    later = timezone.now() + timedelta(hours=2)
    body, headers = signed_post(like(bob.uri), key=remote_key.private, key_id=bob.key_id, now=later)

    refused(post(body, headers))


def test_a_body_that_does_not_match_its_digest_is_refused(bob: Any, remote_key: Any) -> None:
    body, headers = signed_post(like(bob.uri), key=remote_key.private, key_id=bob.key_id)
    tampered = body.replace(b"Like", b"Undo")

    refused(post(tampered, headers))


def test_a_body_over_one_megabyte_is_refused(bob: Any, remote_key: Any) -> None:
    activity = like(bob.uri)
    activity["padding"] = "x" * 1_100_000
    body, headers = signed_post(activity, key=remote_key.private, key_id=bob.key_id)

    refused(post(body, headers), status=413)


def test_a_suspended_domain_is_refused(bob: Any, remote_key: Any) -> None:
    DomainBlock.objects.create(domain="remote.example", severity="suspend")
    body, headers = signed_post(like(bob.uri), key=remote_key.private, key_id=bob.key_id)

    refused(post(body, headers), status=403)


def test_a_body_that_is_not_an_activity_is_refused(bob: Any, remote_key: Any) -> None:
    body, headers = signed_post(b"[1, 2, 3]", key=remote_key.private, key_id=bob.key_id)

    refused(post(body, headers), status=400)


def test_an_unknown_key_is_fetched_from_its_owner(
    fake_remote: Any, remote_key: Any, settings: Any
) -> None:
    """A key we have never seen: the actor document is fetched (signed GET, real HTTP) and
    stored, and its key verifies the request."""
    actor = f"{fake_remote.base_url}/users/carol"
    fake_remote.documents["/users/carol"] = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": actor,
        "type": "Person",
        "preferredUsername": "carol",
        "inbox": f"{actor}/inbox",
        "publicKey": {
            "id": f"{actor}#main-key",
            "owner": actor,
            "publicKeyPem": remote_key.public_pem,
        },
    }
    body, headers = signed_post(like(actor), key=remote_key.private, key_id=f"{actor}#main-key")

    assert post(body, headers).status_code == 202
    item = InboxItem.objects.get()
    assert item.signer.uri == actor
    assert item.signer.acct == f"carol@{fake_remote.base_url.removeprefix('http://')}"
    fetch = fake_remote.received[0]
    assert fetch.method == "GET"
    assert "Signature" in fetch.headers  # our fetches are signed (authorized fetch peers)


def test_a_rotated_key_is_fetched_again_once(
    make_remote: Any, fake_remote: Any, remote_key: Any, other_key: Any
) -> None:
    actor = f"{fake_remote.base_url}/users/dora"
    make_remote(
        "dora",
        domain=fake_remote.base_url.removeprefix("http://"),
        uri=actor,
        key_id=f"{actor}#main-key",
        public_key=other_key.public_pem,  # the old key we stored
    )
    fake_remote.documents["/users/dora"] = {
        "id": actor,
        "type": "Person",
        "preferredUsername": "dora",
        "inbox": f"{actor}/inbox",
        "publicKey": {
            "id": f"{actor}#main-key",
            "owner": actor,
            "publicKeyPem": remote_key.public_pem,
        },
    }
    body, headers = signed_post(like(actor), key=remote_key.private, key_id=f"{actor}#main-key")

    assert post(body, headers).status_code == 202
    assert len([r for r in fake_remote.received if r.method == "GET"]) == 1
