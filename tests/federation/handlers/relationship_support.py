"""Helpers for the relationship handler tests: real fixture payloads addressed to this server,
the remote accounts they name, an inbox item processed as a worker does, and the network
replaced by fixture documents (fetches) and a recorder (deliveries)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from django.utils import timezone

from accounts.models import Account
from federation import http
from federation.inbox import processing
from federation.models import Delivery, InboxItem
from federation.uris import base_url, domain_of
from tests.factories.accounts import RemoteAccountFactory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "activitypub"
OUR = "https://our.example"


def fixture(name: str, replace: dict[str, str] | None = None) -> dict[str, Any]:
    """A fixture (``"mastodon/follow.json"``) with ``replace`` applied to its text, then
    ``https://our.example`` turned into this server's base URL (alice stays alice)."""
    text = (FIXTURES / name).read_text()
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    return orjson.loads(text.replace(OUR, base_url()))


def document(name: str) -> dict[str, Any]:
    return orjson.loads((FIXTURES / name).read_text())


def remote_account(uri: str, **fields: Any) -> Account:
    """The stored row of a remote actor, fresh (so nothing is fetched), as a fixture names it."""
    domain = domain_of(uri)
    username = uri.rstrip("/").rsplit("/", 1)[-1]
    values: dict[str, Any] = {
        "uri": uri,
        "domain": domain,
        "username": username,
        "url": uri,
        "inbox_url": f"{uri}/inbox",
        "shared_inbox_url": f"https://{domain}/inbox",
        "followers_url": f"{uri}/followers",
        "featured_url": f"{uri}/collections/featured",
        "key_id": f"{uri}#main-key",
        "fetched_at": timezone.now(),
    }
    values.update(fields)
    return RemoteAccountFactory(**values)


def receive(
    activity: dict[str, Any], signer: Account, recipient: Account | None = None
) -> InboxItem:
    """Store ``activity`` as the inbox view does and process it as a worker does; the item
    comes back DONE or FAILED (refused). A crash (left pending for a retry) fails the test."""
    item = InboxItem.objects.create(
        activity_id=str(activity.get("id") or ""),
        activity_type=str(activity.get("type") or ""),
        signer=signer,
        recipient=recipient,
        body=orjson.dumps(activity).decode(),
    )
    processing.process(item)
    item.refresh_from_db()
    if item.state == InboxItem.State.PENDING:
        raise AssertionError(f"handler crashed: {item.error}")
    return item


def done(item: InboxItem) -> bool:
    return item.state == InboxItem.State.DONE and not item.error


def refused(item: InboxItem) -> bool:
    return item.state == InboxItem.State.FAILED


def go_offline(
    monkeypatch: pytest.MonkeyPatch, documents: dict[str, dict[str, Any]] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The open internet, replaced: GETs are answered from ``documents`` (by URL) or fail as
    an unreachable server does; POSTs (deliveries) are recorded and answered 202."""
    served = documents if documents is not None else {}
    posted: list[tuple[str, dict[str, Any]]] = []

    def fetch(url: str, **_: Any) -> http.FetchResult:
        doc = served.get(str(url))
        if doc is None:
            raise http.FetchError(f"offline: {url}")
        return http.FetchResult(str(url), 200, httpx.Headers(), orjson.dumps(doc))

    def post(url: str, *, body: bytes, headers: Any) -> http.PostResult:
        posted.append((url, orjson.loads(body)))
        return http.PostResult(url, 202, httpx.Headers(), "")

    monkeypatch.setattr(http, "fetch", fetch)
    monkeypatch.setattr(http, "post", post)
    return posted


def queued(activity_type: str | None = None, inbox: str | None = None) -> list[dict[str, Any]]:
    """Bodies of the activities queued for delivery (oldest first), by type and inbox."""
    rows = Delivery.objects.select_related("activity").order_by("id")
    if activity_type is not None:
        rows = rows.filter(activity__activity_type=activity_type)
    if inbox is not None:
        rows = rows.filter(inbox_url=inbox)
    return [orjson.loads(d.activity.body) for d in rows]


def inboxes_of(activity_type: str) -> list[str]:
    return list(
        Delivery.objects.filter(activity__activity_type=activity_type)
        .order_by("id")
        .values_list("inbox_url", flat=True)
    )


# The remote actor of each software's fixtures.
REMOTE_ACTORS = {
    "mastodon": "https://mastodon.example/users/bob",
    "pleroma": "https://pleroma.example/users/kim",
    "misskey": "https://misskey.example/users/9ks3w0e1xa",
    "gotosocial": "https://gts.example/users/frank",
}
