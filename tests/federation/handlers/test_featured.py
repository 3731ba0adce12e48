"""Add and Remove: remote accounts pinning statuses and featuring hashtags on their profiles."""

from __future__ import annotations

import pytest

from accounts.models import FeaturedTag
from statuses.models import Status, StatusPin
from tests.federation.handlers.relationship_support import (
    done,
    fixture,
    go_offline,
    receive,
    remote_account,
)

SOFTWARES = {
    "mastodon": "https://mastodon.example/users/bob",
    "misskey": "https://misskey.example/users/9ks3w0e1xa",
    "pleroma": "https://pleroma.example/users/kim",
}


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    go_offline(monkeypatch)


def stored_status(account, uri: str, **fields) -> Status:
    return Status.objects.create(
        account=account, local=False, uri=uri, content="<p>pin me</p>", **fields
    )


def pinned_ids(client, account) -> list[str]:
    response = client.get(f"/api/v1/accounts/{account.id}/statuses?pinned=true")
    return [s["id"] for s in response.json()]


@pytest.mark.parametrize("software", SOFTWARES)
def test_add_and_remove_pin_and_unpin_the_signers_status(software, alice, client_for):
    author = remote_account(SOFTWARES[software])
    add = fixture(f"{software}/add_featured.json")
    status = stored_status(author, add["object"])
    client = client_for(alice)

    assert done(receive(add, author))

    assert pinned_ids(client, author) == [str(status.id)]

    assert done(receive(fixture(f"{software}/remove_featured.json"), author))

    assert pinned_ids(client, author) == []


def test_a_status_we_do_not_have_is_skipped(alice):
    author = remote_account(SOFTWARES["mastodon"])

    assert done(receive(fixture("mastodon/add_featured.json"), author))

    assert not StatusPin.objects.exists()


def test_someone_elses_status_cannot_be_pinned(alice):
    author = remote_account(SOFTWARES["misskey"])
    other = remote_account("https://misskey.example/users/other")
    add = fixture("misskey/add_featured.json")
    stored_status(other, add["object"])

    receive(add, author)

    assert not StatusPin.objects.exists()


def test_a_direct_status_is_not_pinned(alice):
    author = remote_account(SOFTWARES["pleroma"])
    add = fixture("pleroma/add_featured.json")
    stored_status(author, add["object"], visibility=3)

    receive(add, author)

    assert not StatusPin.objects.exists()


def test_adds_to_other_collections_are_ignored(alice):
    author = remote_account(SOFTWARES["mastodon"])
    add = fixture("mastodon/add_featured.json")
    stored_status(author, add["object"])
    add["target"] = "https://mastodon.example/users/bob/collections/other"

    assert done(receive(add, author))

    assert not StatusPin.objects.exists()


def test_adds_to_another_accounts_featured_collection_are_ignored(alice):
    author = remote_account(SOFTWARES["mastodon"])
    mallory = remote_account("https://mastodon.example/users/mallory")
    add = fixture("mastodon/add_featured.json")
    stored_status(author, add["object"])
    add["actor"] = mallory.uri

    assert done(receive(add, mallory))

    assert not StatusPin.objects.exists()


def hashtag_activity(kind: str, author, target: str) -> dict:
    """As Mastodon's AddHashtagSerializer sends it (to the ``featured`` collection)."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": kind,
        "actor": author.uri,
        "target": target,
        "object": {
            "type": "Hashtag",
            "href": "https://mastodon.example/tags/Caturday",
            "name": "#Caturday",
        },
    }


@pytest.mark.parametrize("collection", ["featured", "tags"])
def test_featured_hashtags(collection, alice, client_for):
    author = remote_account(SOFTWARES["mastodon"])
    target = f"{author.uri}/collections/{collection}"
    client = client_for(alice)

    assert done(receive(hashtag_activity("Add", author, target), author))

    tags = client.get(f"/api/v1/accounts/{author.id}/featured_tags").json()
    assert [t["name"] for t in tags] == ["Caturday"]

    assert done(receive(hashtag_activity("Remove", author, target), author))

    assert client.get(f"/api/v1/accounts/{author.id}/featured_tags").json() == []
    assert not FeaturedTag.objects.exists()
