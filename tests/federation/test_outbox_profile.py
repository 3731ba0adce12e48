"""What a local profile sends other servers: a move (the new account names the old one as an
alias first; then local followers follow the new account and remote servers receive a Move),
and featured hashtags added and removed."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from django.core.management import CommandError, call_command

from accounts.migration import add_alias, move_local_account
from accounts.models import Follow
from accounts.remote import MoveError
from federation.models import Delivery
from federation.uris import account_uri

pytestmark = pytest.mark.django_db


@pytest.fixture
def remote_follower(make_remote: Any, alice: Any) -> Any:
    follower = make_remote("rita")
    Follow.objects.create(account=follower, target_account=alice.account)
    return follower


def test_moving_needs_the_new_account_to_name_the_old_one(alice: Any, bob: Any) -> None:
    with pytest.raises(MoveError):
        move_local_account(alice.account, bob.account)

    alice.account.refresh_from_db()
    assert alice.account.moved_to_id is None


def test_a_move_takes_local_followers_along_and_tells_remote_servers(
    alice: Any, bob: Any, make_user: Any, remote_follower: Any
) -> None:
    carol = make_user("carol").account
    Follow.objects.create(account=carol, target_account=alice.account)
    add_alias(bob.account, alias=alice.account)

    move_local_account(alice.account, bob.account)

    alice.account.refresh_from_db()
    assert alice.account.moved_to_id == bob.account.id
    assert Follow.objects.filter(account=carol, target_account=bob.account).exists()
    [move] = [
        orjson.loads(d.activity.body)
        for d in Delivery.objects.select_related("activity")
        if d.activity.activity_type == "Move"
    ]
    assert move["actor"] == account_uri(alice.account)
    assert move["object"] == account_uri(alice.account)
    assert move["target"] == account_uri(bob.account)


def test_an_alias_is_published_in_the_actor(alice: Any, bob: Any, client: Any) -> None:
    add_alias(bob.account, alias=alice.account)

    actor = client.get("/users/bob", HTTP_ACCEPT="application/activity+json").json()

    assert actor["alsoKnownAs"] == [account_uri(alice.account)]


def test_the_command_moves_and_refuses_without_alias(alice: Any, bob: Any) -> None:
    with pytest.raises(CommandError, match="aliases"):
        call_command("move_account", "alice", "bob")

    call_command("move_account", "bob", "alice", "--alias")
    call_command("move_account", "alice", "bob")

    alice.account.refresh_from_db()
    assert alice.account.moved_to_id == bob.account.id


def test_featured_hashtags_are_added_and_removed_for_remote_followers(
    alice: Any, remote_follower: Any, client_for: Any
) -> None:
    client = client_for(alice)
    featured = client.post("/api/v1/featured_tags", {"name": "cats"}).json()
    client.delete(f"/api/v1/featured_tags/{featured['id']}")

    sent = [
        orjson.loads(d.activity.body)
        for d in Delivery.objects.select_related("activity").order_by("id")
        if d.inbox_url == remote_follower.shared_inbox_url
    ]
    assert [(a["type"], a["object"]["name"]) for a in sent] == [
        ("Add", "#cats"),
        ("Remove", "#cats"),
    ]
    assert sent[0]["target"].endswith("/users/alice/collections/tags")


def test_new_tallies_of_our_poll_reach_remote_voters(alice: Any, make_remote: Any) -> None:
    from statuses.remote import vote_on_local_poll
    from statuses.services import PollParams, post_status

    question = post_status(
        alice.account,
        text="tea or coffee?",
        poll=PollParams(options=["tea", "coffee"], expires_in=3600, multiple=False),
    )
    voter = make_remote("vera", domain="votes.example")

    assert vote_on_local_poll(voter, question, choice="coffee", uri=f"{voter.uri}#votes/1")

    [update] = [
        orjson.loads(d.activity.body)
        for d in Delivery.objects.select_related("activity")
        if d.inbox_url == voter.shared_inbox_url
    ]
    assert update["type"] == "Update"
    assert update["object"]["type"] == "Question"
    tallies = {o["name"]: o["replies"]["totalItems"] for o in update["object"]["oneOf"]}
    assert tallies == {"tea": 0, "coffee": 1}
