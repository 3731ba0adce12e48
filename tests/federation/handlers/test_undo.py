"""Undo: remote accounts taking back a Follow, Like, Announce, Block or Accept."""

from __future__ import annotations

import pytest

from accounts.models import Block, Follow, FollowRequest
from federation.jsonld import id_of
from statuses.models import Favourite, Status
from statuses.services import favourite_status
from tests.federation.handlers.relationship_support import (
    REMOTE_ACTORS,
    done,
    fixture,
    go_offline,
    queued,
    receive,
    refused,
    remote_account,
)

STATUS_ID = 100000000000000001
SOFTWARES = REMOTE_ACTORS


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    go_offline(monkeypatch)


@pytest.fixture
def alice_status(alice) -> Status:
    """The status of alice's the fixtures name (``.../statuses/100000000000000001``)."""
    return Status.objects.create(
        id=STATUS_ID, account=alice.account, local=True, text="hi", content="<p>hi</p>"
    )


def follower_ids(client, account) -> list[str]:
    return [a["id"] for a in client.get(f"/api/v1/accounts/{account.id}/followers").json()]


@pytest.mark.parametrize("software", SOFTWARES)
def test_undo_follow_removes_the_follower(software, alice, client_for):
    follower = remote_account(SOFTWARES[software])
    receive(fixture(f"{software}/follow.json"), follower)
    client = client_for(alice)
    assert follower_ids(client, alice.account) == [str(follower.id)]

    assert done(receive(fixture(f"{software}/undo_follow.json"), follower))

    assert follower_ids(client, alice.account) == []
    assert client.get(f"/api/v1/accounts/{alice.account.id}").json()["followers_count"] == 0
    # Nothing goes back but the Accept of the Follow.
    assert [a["type"] for a in queued()] == ["Accept"]


def test_a_follow_arriving_after_its_undo_is_dropped(alice, client_for):
    follower = remote_account(SOFTWARES["gotosocial"])

    assert done(receive(fixture("gotosocial/undo_follow.json"), follower))
    assert done(receive(fixture("gotosocial/follow.json"), follower))

    assert follower_ids(client_for(alice), alice.account) == []
    assert queued() == []


def test_undo_follow_naming_the_follow_by_id_only(alice, client_for):
    follower = remote_account(SOFTWARES["pleroma"])
    follow = fixture("pleroma/follow.json")
    receive(follow, follower)
    undo = fixture("pleroma/undo_follow.json")
    undo["object"] = follow["id"]

    assert done(receive(undo, follower))

    assert follower_ids(client_for(alice), alice.account) == []


def test_undo_follow_withdraws_a_pending_request(make_user, client_for):
    alice = make_user("alice", locked=True)
    follower = remote_account(SOFTWARES["misskey"])
    receive(fixture("misskey/follow.json"), follower)
    client = client_for(alice)
    assert len(client.get("/api/v1/follow_requests").json()) == 1

    assert done(receive(fixture("misskey/undo_follow.json"), follower))

    assert client.get("/api/v1/follow_requests").json() == []
    assert client.get("/api/v1/notifications").json() == []


def test_undo_of_someone_elses_follow_changes_nothing(alice, client_for):
    kim = remote_account(SOFTWARES["pleroma"])
    mallory = remote_account("https://pleroma.example/users/mallory")
    receive(fixture("pleroma/follow.json"), kim)
    undo = fixture("pleroma/undo_follow.json")
    undo["actor"] = mallory.uri

    assert refused(receive(undo, mallory))

    assert follower_ids(client_for(alice), alice.account) == [str(kim.id)]


def test_undo_by_id_of_someone_elses_follow_changes_nothing(alice, client_for):
    kim = remote_account(SOFTWARES["pleroma"])
    mallory = remote_account("https://pleroma.example/users/mallory")
    follow = fixture("pleroma/follow.json")
    receive(follow, kim)
    undo = {**fixture("pleroma/undo_follow.json"), "actor": mallory.uri, "object": follow["id"]}

    receive(undo, mallory)

    assert follower_ids(client_for(alice), alice.account) == [str(kim.id)]


def like_id(undo: dict) -> str:
    return id_of(undo["object"]) or ""


@pytest.mark.parametrize("software", SOFTWARES)
def test_undo_like_takes_the_favourite_back(software, alice, alice_status, client_for):
    liker = remote_account(SOFTWARES[software])
    undo = fixture(f"{software}/undo_like.json")
    # The favourite as the Like handler stores it: under the Like's id.
    favourite_status(liker, alice_status)
    Favourite.objects.filter(account=liker).update(uri=like_id(undo))
    client = client_for(alice)
    assert client.get(f"/api/v1/statuses/{STATUS_ID}").json()["favourites_count"] == 1
    assert [n["type"] for n in client.get("/api/v1/notifications").json()] == ["favourite"]

    assert done(receive(undo, liker))

    assert client.get(f"/api/v1/statuses/{STATUS_ID}").json()["favourites_count"] == 0
    assert client.get("/api/v1/notifications").json() == []
    assert client.get(f"/api/v1/statuses/{STATUS_ID}/favourited_by").json() == []


def test_undo_like_of_someone_elses_like_changes_nothing(alice, alice_status, client_for):
    bob = remote_account(SOFTWARES["mastodon"])
    mallory = remote_account("https://mastodon.example/users/mallory")
    favourite_status(bob, alice_status)
    undo = {**fixture("mastodon/undo_like.json"), "actor": mallory.uri}

    assert refused(receive(undo, mallory))

    assert client_for(alice).get(f"/api/v1/statuses/{STATUS_ID}").json()["favourites_count"] == 1


@pytest.mark.parametrize("software", SOFTWARES)
def test_undo_announce_removes_the_boost(software, alice, alice_status, client_for):
    booster = remote_account(SOFTWARES[software])
    undo = fixture(f"{software}/undo_announce.json")
    Status.objects.create(
        account=booster, local=False, uri=id_of(undo["object"]) or "", reblog=alice_status
    )
    Status.objects.filter(id=STATUS_ID).update(reblogs_count=1)

    assert done(receive(undo, booster))

    client = client_for(alice)
    assert client.get(f"/api/v1/statuses/{STATUS_ID}/reblogged_by").json() == []


@pytest.mark.parametrize("software", ["mastodon", "misskey", "gotosocial"])
def test_undo_block_lifts_the_block(software, alice, client_for):
    blocker = remote_account(SOFTWARES[software])
    receive(fixture(f"{software}/block.json"), blocker)
    client = client_for(alice)
    relationship = f"/api/v1/accounts/relationships?id[]={blocker.id}"
    assert client.get(relationship).json()[0]["blocked_by"] is True

    assert done(receive(fixture(f"{software}/undo_block.json"), blocker))

    assert client.get(relationship).json()[0]["blocked_by"] is False
    assert not Block.objects.exists()
    assert queued() == []


def test_undo_block_naming_the_block_by_id_only(alice):
    blocker = remote_account(SOFTWARES["pleroma"])
    block = fixture("pleroma/block.json")
    receive(block, blocker)
    undo = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://pleroma.example/activities/undo-block",
        "type": "Undo",
        "actor": blocker.uri,
        "object": block["id"],
    }

    assert done(receive(undo, blocker))

    assert not Block.objects.exists()


def test_undo_accept_makes_our_follow_pending_again(alice, client_for):
    carol = remote_account("https://mastodon.example/users/carol")
    client = client_for(alice)
    client.post(f"/api/v1/accounts/{carol.id}/follow")
    request = FollowRequest.objects.get()
    accept = fixture(
        "mastodon/accept_follow.json",
        {"https://our.example/users/alice/follows/201": request.uri},
    )
    receive(accept, carol)
    assert Follow.objects.filter(account=alice.account, target_account=carol).exists()
    undo = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{accept['id']}/undo",
        "type": "Undo",
        "actor": carol.uri,
        "object": {k: v for k, v in accept.items() if k != "@context"},
    }

    assert done(receive(undo, carol))

    state = client.get(f"/api/v1/accounts/relationships?id[]={carol.id}").json()[0]
    assert (state["following"], state["requested"]) == (False, True)
    assert FollowRequest.objects.get().uri == request.uri
