"""Helpers for the status handler tests (Create, Update, Delete, Announce, Like): fixture
payloads addressed to this server and dated now, the remote actors they name, local statuses
the fixtures point at, and what users see through the API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Account, Follow
from federation.inbox.dispatch import dispatch
from federation.uris import base_url, domain_of
from fedisocial.api.dates import iso
from statuses.models import Status
from statuses.services import PollParams, post_status
from tests.factories.accounts import RemoteAccountFactory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "activitypub"
OUR = "https://our.example"
ALICE_STATUS = "100000000000000001"
ALICE_POLL = "100000000000000002"


def payload(
    name: str,
    *,
    replace: dict[str, str] | None = None,
    published_ago: timedelta = timedelta(minutes=2),
) -> dict[str, Any]:
    """A fixture (``"mastodon/create_note_public.json"``) with ``replace`` applied to its text,
    ``https://our.example`` turned into this server, and its ``published`` dates moved to
    ``published_ago`` before now (``updated`` a minute later): a delivery arrives when the
    status is new, and an old one is not pushed into feeds (Mastodon's real-time window)."""
    text = (FIXTURES / name).read_text()
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    data = orjson.loads(text.replace(OUR, base_url()))
    published = timezone.now() - published_ago
    return _redate(data, published)


def _redate(value: Any, published: Any) -> Any:
    if isinstance(value, dict):
        out = {k: _redate(v, published) for k, v in value.items()}
        if isinstance(out.get("published"), str):
            out["published"] = iso(published)
        if isinstance(out.get("updated"), str):
            out["updated"] = iso(published + timedelta(minutes=1))
        return out
    if isinstance(value, list):
        return [_redate(v, published) for v in value]
    return value


def remote_actor(uri: str, **fields: Any) -> Account:
    """The stored row of a remote actor a fixture names, fresh (so it is never fetched)."""
    domain = domain_of(uri)
    values: dict[str, Any] = {
        "uri": uri,
        "domain": domain,
        "username": uri.rstrip("/").rsplit("/", 1)[-1],
        "url": uri,
        "inbox_url": f"{uri}/inbox",
        "shared_inbox_url": f"https://{domain}/inbox",
        "followers_url": f"{uri}/followers",
        "key_id": f"{uri}#main-key",
        "fetched_at": timezone.now(),
    }
    values.update(fields)
    return RemoteAccountFactory(**values)


BOB = "https://mastodon.example/users/bob"
FRANK = "https://gts.example/users/frank"
KIM = "https://pleroma.example/users/kim"
MIKA = "https://misskey.example/users/9ks3w0e1xa"


def bob() -> Account:
    return remote_actor(BOB)


def follow(follower: Account, target: Account) -> Follow:
    return Follow.objects.create(account=follower, target_account=target)


def handle(activity: dict[str, Any], signer: Account, recipient: Account | None = None) -> None:
    """Run the activity's handler as the inbox worker does (inside one transaction)."""
    with transaction.atomic():
        dispatch(activity, signer=signer, recipient=recipient)


def alice_status(alice: Account, *, text: str = "Herons at dawn", **kwargs: Any) -> Status:
    status = post_status(alice, text=text, **kwargs)
    assert isinstance(status, Status)
    return status


def alice_poll(alice: Account) -> Status:
    return alice_status(
        alice,
        text="Tea or coffee?",
        poll=PollParams(options=["Tea", "Coffee"], expires_in=86400),
    )


def stored(uri: str) -> Status | None:
    return Status.objects.filter(uri=uri, deleted_at__isnull=True).first()


def home_ids(client: APIClient) -> list[str]:
    response = client.get("/api/v1/timelines/home")
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()]


def public_ids(client: APIClient, *, path: str = "/api/v1/timelines/public") -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()]


def notifications(client: APIClient) -> list[dict[str, Any]]:
    response = client.get("/api/v1/notifications")
    assert response.status_code == 200, response.content
    return response.json()
