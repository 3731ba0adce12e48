"""What our users' relationship actions send to remote servers, through the API: the activity
Mastodon would send, with its id, actor and object, to the right inbox, once."""

from __future__ import annotations

import orjson
import pytest

from accounts.models import Block, Follow, FollowRequest
from federation.jsonld import PUBLIC
from federation.models import Delivery
from federation.uris import account_uri
from tests.federation.handlers.relationship_support import (
    fixture,
    go_offline,
    receive,
    remote_account,
)

BOB = "https://mastodon.example/users/bob"


@pytest.fixture(autouse=True)
def posted(monkeypatch):
    return go_offline(monkeypatch)


def only_new(before: int) -> list[tuple[str, dict]]:
    """(inbox, body) of each delivery queued since there were ``before``."""
    rows = Delivery.objects.select_related("activity").order_by("id")[before:]
    return [(d.inbox_url, orjson.loads(d.activity.body)) for d in rows]


def test_following_a_remote_account_sends_a_follow(alice, client_for, posted):
    bob = remote_account(BOB)

    client_for(alice).post(f"/api/v1/accounts/{bob.id}/follow")

    request = FollowRequest.objects.get()
    ((inbox, body),) = only_new(0)
    assert inbox == bob.inbox_url
    alice_uri = account_uri(alice.account)
    assert body["type"] == "Follow"
    assert body["id"] == request.uri == f"{alice_uri}#follows/{request.id}"
    assert (body["actor"], body["object"]) == (alice_uri, BOB)
    assert body["@context"]
    # Delivered, signed, to that inbox.
    assert [url for url, _ in posted] == [bob.inbox_url]


@pytest.mark.parametrize("accepted", [False, True])
def test_unfollowing_sends_an_undo_of_the_same_follow(accepted, alice, client_for):
    bob = remote_account(BOB)
    client = client_for(alice)
    client.post(f"/api/v1/accounts/{bob.id}/follow")
    request = FollowRequest.objects.get()
    follow_id = request.uri
    if accepted:
        receive(
            fixture(
                "mastodon/accept_follow.json",
                {
                    "https://our.example/users/alice/follows/201": follow_id,
                    "mastodon.example/users/carol": "mastodon.example/users/bob",
                },
            ),
            bob,
        )
        assert Follow.objects.filter(account=alice.account).exists()
    before = Delivery.objects.count()

    client.post(f"/api/v1/accounts/{bob.id}/unfollow")

    ((inbox, body),) = only_new(before)
    assert inbox == bob.inbox_url
    assert body["type"] == "Undo"
    assert body["id"] == f"{follow_id}/undo"
    assert body["actor"] == account_uri(alice.account)
    assert body["object"]["type"] == "Follow"
    assert body["object"]["id"] == follow_id
    assert body["object"]["object"] == BOB


def test_blocking_and_unblocking_send_block_then_its_undo(alice, client_for):
    bob = remote_account(BOB)
    client = client_for(alice)

    client.post(f"/api/v1/accounts/{bob.id}/block")

    block = Block.objects.get()
    alice_uri = account_uri(alice.account)
    ((inbox, body),) = only_new(0)
    assert inbox == bob.inbox_url
    assert body["type"] == "Block"
    assert body["id"] == f"{alice_uri}#blocks/{block.id}"
    assert (body["actor"], body["object"]) == (alice_uri, BOB)

    client.post(f"/api/v1/accounts/{bob.id}/unblock")

    ((inbox, undo),) = only_new(1)
    assert inbox == bob.inbox_url
    assert undo["type"] == "Undo"
    assert undo["actor"] == alice_uri
    assert (undo["object"]["type"], undo["object"]["object"]) == ("Block", BOB)


def test_the_undo_of_a_block_names_the_block_that_was_sent(alice, client_for):
    bob = remote_account(BOB)
    client = client_for(alice)
    client.post(f"/api/v1/accounts/{bob.id}/block")
    ((_, block),) = only_new(0)

    client.post(f"/api/v1/accounts/{bob.id}/unblock")

    ((_, undo),) = only_new(1)
    assert undo["id"] == f"{block['id']}/undo"
    assert undo["object"] == {k: v for k, v in block.items() if k != "@context"}


def test_accepting_a_remote_request_sends_an_accept(make_user, client_for):
    alice = make_user("alice", locked=True)
    bob = remote_account(BOB)
    follow = fixture("mastodon/follow.json")
    receive(follow, bob)

    client_for(alice).post(f"/api/v1/follow_requests/{bob.id}/authorize")

    row = Follow.objects.get()
    alice_uri = account_uri(alice.account)
    ((inbox, body),) = only_new(0)
    assert inbox == bob.inbox_url
    assert body["type"] == "Accept"
    assert body["id"] == f"{alice_uri}#accepts/follows/{row.id}"
    assert body["actor"] == alice_uri
    assert body["object"] == {
        "id": follow["id"],
        "type": "Follow",
        "actor": BOB,
        "object": alice_uri,
    }


def test_rejecting_a_remote_request_sends_a_reject(make_user, client_for):
    alice = make_user("alice", locked=True)
    bob = remote_account(BOB)
    follow = fixture("mastodon/follow.json")
    receive(follow, bob)

    client_for(alice).post(f"/api/v1/follow_requests/{bob.id}/reject")

    alice_uri = account_uri(alice.account)
    ((inbox, body),) = only_new(0)
    assert inbox == bob.inbox_url
    assert body["type"] == "Reject"
    assert body["id"].startswith(f"{alice_uri}#rejects/follows/")
    assert body["actor"] == alice_uri
    assert (body["object"]["id"], body["object"]["actor"]) == (follow["id"], BOB)


def test_removing_a_remote_follower_sends_a_reject_of_its_follow(alice, client_for):
    bob = remote_account(BOB)
    follow = fixture("mastodon/follow.json")
    receive(follow, bob)
    row = Follow.objects.get()
    before = Delivery.objects.count()  # the Accept

    client_for(alice).post(f"/api/v1/accounts/{bob.id}/remove_from_followers")

    alice_uri = account_uri(alice.account)
    ((inbox, body),) = only_new(before)
    assert inbox == bob.inbox_url
    assert body["type"] == "Reject"
    assert body["actor"] == alice_uri
    assert body["id"].startswith(f"{alice_uri}#rejects/follows/")
    assert body["object"]["id"] == follow["id"]
    assert not Follow.objects.exists()
    assert row.id


@pytest.mark.parametrize("locked", [False, True])
def test_a_reject_id_names_the_follow_or_request_it_ends(locked, make_user, client_for):
    """Mastodon's RejectFollowSerializer: ``<actor>#rejects/follows/<row id>``."""
    alice = make_user("alice", locked=locked)
    bob = remote_account(BOB)
    receive(fixture("mastodon/follow.json"), bob)
    row = FollowRequest.objects.first() if locked else Follow.objects.get()
    before = Delivery.objects.count()

    if locked:
        client_for(alice).post(f"/api/v1/follow_requests/{bob.id}/reject")
    else:
        client_for(alice).post(f"/api/v1/accounts/{bob.id}/remove_from_followers")

    ((_, body),) = only_new(before)
    assert body["id"] == f"{account_uri(alice.account)}#rejects/follows/{row.id}"


def test_a_profile_update_goes_to_each_followers_server_once(alice, client_for):
    bob = remote_account(BOB)
    carol = remote_account("https://mastodon.example/users/carol")
    kim = remote_account("https://pleroma.example/users/kim")
    for follower in (bob, carol, kim):
        Follow.objects.create(account=follower, target_account=alice.account)

    client_for(alice).patch(
        "/api/v1/accounts/update_credentials", {"display_name": "Alice A."}, format="json"
    )

    sent = only_new(0)
    assert sorted(inbox for inbox, _ in sent) == [
        "https://mastodon.example/inbox",
        "https://pleroma.example/inbox",
    ]
    body = sent[0][1]
    assert sent[1][1] == body  # one activity, rendered once
    alice_uri = account_uri(alice.account)
    assert body["type"] == "Update"
    assert body["actor"] == alice_uri
    assert body["to"] == [PUBLIC]
    assert body["object"]["id"] == alice_uri
    assert body["object"]["type"] == "Person"
    assert body["object"]["name"] == "Alice A."
