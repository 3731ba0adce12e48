"""Like (and reactions): a favourite of our status, counted and notified once (Mastodon's
Like); only when the liker may see the status."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import Block
from statuses.models import Favourite, Status
from tests.federation.handlers.status_support import (
    ALICE_STATUS,
    BOB,
    FRANK,
    KIM,
    MIKA,
    alice_status,
    bob,
    follow,
    handle,
    notifications,
    payload,
    remote_actor,
)

pytestmark = pytest.mark.django_db


def _like(name: str, ours: Status) -> dict[str, Any]:
    return payload(name, replace={ALICE_STATUS: str(ours.id)})


@pytest.mark.parametrize(
    ("name", "actor"),
    [
        ("mastodon/like.json", BOB),
        ("gotosocial/like.json", FRANK),
        ("pleroma/like.json", KIM),
        ("misskey/like_reaction_unicode.json", MIKA),
        ("misskey/like_reaction_custom_emoji.json", MIKA),
        ("pleroma/emoji_react_unicode.json", KIM),
        ("pleroma/emoji_react_custom.json", KIM),
    ],
)
def test_like_is_a_favourite_of_our_status(alice, client_for, name, actor):
    ours = alice_status(alice.account)
    liker = remote_actor(actor)
    data = _like(name, ours)
    handle(data, liker)

    client = client_for(alice)
    assert [(n["type"], n["status"]["id"]) for n in notifications(client)] == [
        ("favourite", str(ours.id))
    ]
    assert client.get(f"/api/v1/statuses/{ours.id}").json()["favourites_count"] == 1
    # Its Undo may name it by id only.
    assert Favourite.objects.get(account=liker).uri == data["id"]


def test_like_twice_counts_once(alice, client_for):
    ours = alice_status(alice.account)
    liker = bob()
    handle(_like("mastodon/like.json", ours), liker)
    handle(_like("mastodon/like.json", ours), liker)

    client = client_for(alice)
    assert client.get(f"/api/v1/statuses/{ours.id}").json()["favourites_count"] == 1
    assert len(notifications(client)) == 1


def test_like_of_a_status_hidden_from_the_liker_is_ignored(alice):
    ours = alice_status(alice.account, visibility="private")
    handle(_like("mastodon/like.json", ours), bob())

    assert not Favourite.objects.exists()


def test_like_by_a_follower_of_a_followers_only_status_counts(alice):
    ours = alice_status(alice.account, visibility="private")
    liker = bob()
    follow(liker, alice.account)
    handle(_like("mastodon/like.json", ours), liker)

    assert Favourite.objects.filter(account=liker, status=ours).exists()


def test_like_by_someone_our_author_blocks_is_ignored(alice, client_for):
    ours = alice_status(alice.account)
    liker = bob()
    Block.objects.create(account=alice.account, target_account=liker)
    handle(_like("mastodon/like.json", ours), liker)

    assert not Favourite.objects.exists()
    assert notifications(client_for(alice)) == []


def test_like_of_a_remote_status_is_not_counted_here(alice):
    frank = remote_actor(FRANK)
    remote = Status.objects.create(
        account=frank, local=False, uri=f"{FRANK}/statuses/1", content="<p>hi</p>"
    )
    data = payload("mastodon/like.json")
    data["object"] = remote.uri
    handle(data, bob())

    assert not Favourite.objects.exists()


def test_like_of_a_status_that_is_not_there_is_ignored(alice):
    handle(payload("mastodon/like.json"), bob())

    assert not Favourite.objects.exists()


def test_like_whose_undo_came_first_is_dropped(alice):
    from statuses.remote import remember_deleted

    ours = alice_status(alice.account)
    liker = bob()
    data = _like("mastodon/like.json", ours)
    remember_deleted(liker, data["id"])
    handle(data, liker)

    assert not Favourite.objects.exists()
