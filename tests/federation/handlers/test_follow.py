"""Follow: remote accounts following ours, as Mastodon, Pleroma, Misskey and GoToSocial send it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import AccountDomainBlock, Block, Follow, FollowRequest
from federation.jsonld import id_of
from federation.uris import account_uri, instance_actor_uri
from tests.federation.handlers.relationship_support import (
    done,
    fixture,
    go_offline,
    inboxes_of,
    queued,
    receive,
    refused,
    remote_account,
)

FOLLOWS = [
    ("mastodon/follow.json", "https://mastodon.example/users/bob"),
    ("pleroma/follow.json", "https://pleroma.example/users/kim"),
    ("misskey/follow.json", "https://misskey.example/users/9ks3w0e1xa"),
    ("gotosocial/follow.json", "https://gts.example/users/frank"),
]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    go_offline(monkeypatch)


def relationship(client, account_id):
    response = client.get(f"/api/v1/accounts/relationships?id[]={account_id}")
    return response.json()[0]


@pytest.mark.parametrize(("name", "actor"), FOLLOWS)
def test_remote_follow_of_an_unlocked_account_is_accepted_at_once(name, actor, alice, client_for):
    follower = remote_account(actor)
    activity = fixture(name)

    assert done(receive(activity, follower, alice.account))

    client = client_for(alice)
    notifications = client.get("/api/v1/notifications").json()
    assert [(n["type"], n["account"]["id"]) for n in notifications] == [
        ("follow", str(follower.id))
    ]
    followers = client.get(f"/api/v1/accounts/{alice.account.id}/followers").json()
    assert [f["id"] for f in followers] == [str(follower.id)]
    assert relationship(client, follower.id)["followed_by"] is True
    # The Accept goes to the follower's own inbox and embeds its Follow, id included.
    assert inboxes_of("Accept") == [follower.inbox_url]
    (accept,) = queued("Accept")
    assert accept["actor"] == account_uri(alice.account) == activity["object"]
    assert accept["object"]["id"] == activity["id"]
    assert accept["object"]["type"] == "Follow"
    assert accept["object"]["actor"] == follower.uri
    assert accept["object"]["object"] == activity["object"]
    assert Follow.objects.get(account=follower).uri == activity["id"]


@pytest.mark.parametrize(("name", "actor"), FOLLOWS)
def test_remote_follow_of_a_locked_account_waits_for_approval(name, actor, make_user, client_for):
    alice = make_user("alice", locked=True)
    follower = remote_account(actor)
    activity = fixture(name)

    assert done(receive(activity, follower))

    client = client_for(alice)
    requests = client.get("/api/v1/follow_requests").json()
    assert [r["id"] for r in requests] == [str(follower.id)]
    assert [n["type"] for n in client.get("/api/v1/notifications").json()] == ["follow_request"]
    assert client.get(f"/api/v1/accounts/{alice.account.id}/followers").json() == []
    assert queued("Accept") == []

    response = client.post(f"/api/v1/follow_requests/{follower.id}/authorize")

    assert response.status_code == 200
    assert response.json()["followed_by"] is True
    (accept,) = queued("Accept", inbox=follower.inbox_url)
    assert accept["object"]["id"] == activity["id"]
    assert client.get("/api/v1/follow_requests").json() == []
    followers = client.get(f"/api/v1/accounts/{alice.account.id}/followers").json()
    assert [f["id"] for f in followers] == [str(follower.id)]


def test_rejecting_a_remote_request_through_the_api_sends_a_reject(make_user, client_for):
    alice = make_user("alice", locked=True)
    follower = remote_account("https://mastodon.example/users/bob")
    activity = fixture("mastodon/follow.json")
    receive(activity, follower)

    response = client_for(alice).post(f"/api/v1/follow_requests/{follower.id}/reject")

    assert response.status_code == 200
    (reject,) = queued("Reject", inbox=follower.inbox_url)
    assert reject["object"]["id"] == activity["id"]
    assert not FollowRequest.objects.exists()


def refused_with_a_reject(follower, activity) -> bool:
    """Nothing is created and the follower's server hears a Reject of its Follow."""
    (reject,) = queued("Reject", inbox=follower.inbox_url)
    return (
        not Follow.objects.filter(account=follower).exists()
        and not FollowRequest.objects.filter(account=follower).exists()
        and reject["object"]["id"] == activity["id"]
        and reject["object"]["actor"] == follower.uri
        and queued("Accept") == []
    )


def test_follow_of_an_account_that_blocks_the_follower_is_rejected(alice):
    follower = remote_account("https://mastodon.example/users/bob")
    Block.objects.create(account=alice.account, target_account=follower)
    activity = fixture("mastodon/follow.json")

    assert done(receive(activity, follower))

    assert refused_with_a_reject(follower, activity)


def test_follow_from_a_domain_the_account_blocks_is_rejected(alice):
    follower = remote_account("https://pleroma.example/users/kim")
    AccountDomainBlock.objects.create(account=alice.account, domain="pleroma.example")
    activity = fixture("pleroma/follow.json")

    receive(activity, follower)

    assert refused_with_a_reject(follower, activity)


def test_follow_of_a_moved_account_is_rejected(alice, bob):
    alice.account.moved_to = bob.account
    alice.account.save()
    follower = remote_account("https://gts.example/users/frank")
    activity = fixture("gotosocial/follow.json")

    receive(activity, follower)

    assert refused_with_a_reject(follower, activity)


def test_follow_of_a_suspended_account_is_rejected(alice):
    alice.account.suspended_at = timezone.now()
    alice.account.save()
    follower = remote_account("https://misskey.example/users/9ks3w0e1xa")
    activity = fixture("misskey/follow.json")

    receive(activity, follower)

    assert refused_with_a_reject(follower, activity)


def test_the_instance_actor_cannot_be_followed(db):
    follower = remote_account("https://mastodon.example/users/bob")
    activity = fixture("mastodon/follow.json")
    activity["object"] = instance_actor_uri()

    receive(activity, follower)

    assert refused_with_a_reject(follower, activity)


def test_follow_of_an_unknown_account_is_refused(alice):
    follower = remote_account("https://mastodon.example/users/bob")
    activity = fixture("mastodon/follow.json", {"/users/alice": "/users/nobody"})

    assert refused(receive(activity, follower))
    assert not Follow.objects.exists()
    assert queued() == []


def test_a_repeated_follow_is_accepted_again_under_its_new_id(alice, client_for):
    follower = remote_account("https://mastodon.example/users/bob")
    first = fixture("mastodon/follow.json")
    receive(first, follower)
    again = {**first, "id": "https://mastodon.example/3f1d0c7e-second-follow"}

    assert done(receive(again, follower))

    # Mastodon answers again: the follower's server may have lost the first Accept.
    assert [a["object"]["id"] for a in queued("Accept")] == [first["id"], again["id"]]
    assert Follow.objects.get(account=follower).uri == again["id"]
    assert [n["type"] for n in client_for(alice).get("/api/v1/notifications").json()] == ["follow"]


def test_a_repeated_follow_while_pending_only_takes_the_new_id(make_user, client_for):
    alice = make_user("alice", locked=True)
    follower = remote_account("https://gts.example/users/frank")
    first = fixture("gotosocial/follow.json")
    receive(first, follower)
    again = {**first, "id": "https://gts.example/users/frank/follow/01JD5S99"}

    assert done(receive(again, follower))

    assert FollowRequest.objects.get(account=follower).uri == again["id"]
    assert len(client_for(alice).get("/api/v1/notifications").json()) == 1
    assert queued() == []


def test_a_silenced_remote_account_may_only_ask(alice, client_for):
    follower = remote_account("https://pleroma.example/users/kim", silenced_at=timezone.now())

    receive(fixture("pleroma/follow.json"), follower)

    assert not Follow.objects.exists()
    assert FollowRequest.objects.filter(account=follower, target_account=alice.account).exists()
    assert queued("Accept") == []


def test_the_follow_id_is_what_undo_and_accept_name(alice):
    follower = remote_account("https://mastodon.example/users/bob")
    activity = fixture("mastodon/follow.json")

    receive(activity, follower)

    (accept,) = queued("Accept")
    assert id_of(accept["object"]) == activity["id"]
    assert accept["id"].endswith(f"#accepts/follows/{Follow.objects.get().id}")
