"""Accept and Reject: remote servers answering the Follows our users send."""

from __future__ import annotations

import pytest

from accounts.models import Follow, FollowRequest
from statuses.models import Status
from tests.federation.handlers.relationship_support import (
    done,
    fixture,
    go_offline,
    queued,
    receive,
    refused,
    remote_account,
)
from timelines.tasks import fan_out_status_task

# (fixture, the account alice asked, the follow id the fixture gives alice's Follow)
ACCEPTS = [
    (
        "mastodon/accept_follow.json",
        "https://mastodon.example/users/carol",
        "https://our.example/users/alice/follows/201",
    ),
    (
        "pleroma/accept_follow.json",
        "https://pleroma.example/users/kim",
        "https://our.example/users/alice/follows/202",
    ),
    (
        "pleroma/accept_follow_by_uri.json",
        "https://pleroma.example/users/kim",
        "https://our.example/users/alice/follows/202",
    ),
    (
        "misskey/accept_follow.json",
        "https://misskey.example/users/9ks3w0e1xa",
        "https://our.example/users/alice/follows/203",
    ),
    (
        "gotosocial/accept_follow.json",
        "https://gts.example/users/frank",
        "https://our.example/users/alice/follows/204",
    ),
]
REJECTS = [
    (name.replace("accept_follow", "reject_follow"), actor, follow_id)
    for name, actor, follow_id in ACCEPTS
    if "by_uri" not in name
]


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    go_offline(monkeypatch)


def relationship(client, account_id):
    return client.get(f"/api/v1/accounts/relationships?id[]={account_id}").json()[0]


def ask_to_follow(client, target) -> FollowRequest:
    """Alice follows a remote account through the API: requested, and a Follow goes out."""
    response = client.post(f"/api/v1/accounts/{target.id}/follow")
    assert response.json()["requested"] is True
    request = FollowRequest.objects.get(target_account=target)
    (follow,) = queued("Follow", inbox=target.inbox_url)
    assert follow["id"] == request.uri
    return request


def answer(name: str, request: FollowRequest, follow_id: str) -> dict:
    """The fixture answering the Follow alice really sent (its id put in place of the
    fixture's)."""
    return fixture(name, {follow_id: request.uri})


def remote_status(account, text: str = "hello") -> Status:
    return Status.objects.create(
        account=account,
        local=False,
        uri=f"{account.uri}/statuses/{text.replace(' ', '-')}",
        content=f"<p>{text}</p>",
        visibility=0,
    )


def home_ids(client) -> list[str]:
    return [s["id"] for s in client.get("/api/v1/timelines/home").json()]


@pytest.mark.parametrize(("name", "actor", "follow_id"), ACCEPTS)
def test_accept_makes_our_request_a_follow(name, actor, follow_id, alice, client_for):
    target = remote_account(actor)
    client = client_for(alice)
    request = ask_to_follow(client, target)

    assert done(receive(answer(name, request, follow_id), target, alice.account))

    state = relationship(client, target.id)
    assert (state["following"], state["requested"]) == (True, False)
    following = client.get(f"/api/v1/accounts/{alice.account.id}/following").json()
    assert [a["id"] for a in following] == [str(target.id)]
    assert Follow.objects.get(account=alice.account).uri == request.uri


def test_accept_embedding_our_follow_without_its_id_matches_by_the_pair(alice, client_for):
    target = remote_account("https://mastodon.example/users/carol")
    client = client_for(alice)
    request = ask_to_follow(client, target)
    assert request.uri
    activity = fixture("mastodon/accept_follow.json")
    del activity["object"]["id"]

    assert done(receive(activity, target))

    assert relationship(client, target.id)["following"] is True


def test_statuses_of_the_accepted_account_reach_the_home_feed(alice, client_for):
    target = remote_account("https://mastodon.example/users/carol")
    client = client_for(alice)
    earlier = remote_status(target, "posted before the accept")
    request = ask_to_follow(client, target)
    assert home_ids(client) == []

    receive(
        answer(
            "mastodon/accept_follow.json", request, "https://our.example/users/alice/follows/201"
        ),
        target,
    )

    assert home_ids(client) == [str(earlier.id)]
    later = remote_status(target, "posted after the accept")
    fan_out_status_task(later.id)  # what storing an incoming Create does
    assert home_ids(client) == [str(later.id), str(earlier.id)]


def test_a_repeated_accept_changes_nothing(alice, client_for):
    target = remote_account("https://gts.example/users/frank")
    client = client_for(alice)
    request = ask_to_follow(client, target)
    activity = answer(
        "gotosocial/accept_follow.json", request, "https://our.example/users/alice/follows/204"
    )
    receive(activity, target)

    assert done(receive({**activity, "id": "https://gts.example/01JD5S46AGAIN"}, target))

    assert Follow.objects.filter(account=alice.account, target_account=target).count() == 1
    assert relationship(client, target.id)["following"] is True


def test_accept_from_an_account_that_was_not_asked_changes_nothing(alice, client_for):
    carol = remote_account("https://mastodon.example/users/carol")
    dave = remote_account("https://mastodon.example/users/dave")
    client = client_for(alice)
    request = ask_to_follow(client, carol)
    hostile = fixture(
        "hostile/accept_follow_wrong_actor.json",
        {"https://our.example/users/alice/follows/201": request.uri},
    )

    assert refused(receive(hostile, dave))

    state = relationship(client, carol.id)
    assert (state["following"], state["requested"]) == (False, True)
    assert not Follow.objects.exists()


def test_accept_of_our_follow_by_id_from_another_account_changes_nothing(alice, client_for):
    kim = remote_account("https://pleroma.example/users/kim")
    mallory = remote_account("https://pleroma.example/users/mallory")
    client = client_for(alice)
    request = ask_to_follow(client, kim)
    activity = answer(
        "pleroma/accept_follow_by_uri.json", request, "https://our.example/users/alice/follows/202"
    )
    activity["actor"] = mallory.uri

    assert refused(receive(activity, mallory))

    assert relationship(client, kim.id)["requested"] is True
    assert not Follow.objects.exists()


def test_accept_of_a_follow_we_never_sent_is_refused(alice):
    target = remote_account("https://mastodon.example/users/carol")

    assert refused(receive(fixture("mastodon/accept_follow.json"), target))

    assert not Follow.objects.exists()


@pytest.mark.parametrize(("name", "actor", "follow_id"), REJECTS)
def test_reject_drops_our_pending_request(name, actor, follow_id, alice, client_for):
    target = remote_account(actor)
    client = client_for(alice)
    request = ask_to_follow(client, target)

    assert done(receive(answer(name, request, follow_id), target))

    state = relationship(client, target.id)
    assert (state["following"], state["requested"]) == (False, False)
    # The remote side ended it: no Undo goes back.
    assert queued("Undo") == []


@pytest.mark.parametrize(("name", "actor", "follow_id"), REJECTS)
def test_reject_of_an_accepted_follow_ends_it(name, actor, follow_id, alice, client_for):
    target = remote_account(actor)
    client = client_for(alice)
    request = ask_to_follow(client, target)
    accept = fixture(name.replace("reject_follow", "accept_follow"), {follow_id: request.uri})
    receive(accept, target)
    assert relationship(client, target.id)["following"] is True

    assert done(receive(answer(name, request, follow_id), target))

    assert relationship(client, target.id)["following"] is False
    account = client.get(f"/api/v1/accounts/{alice.account.id}").json()
    assert account["following_count"] == 0
    assert queued("Undo") == []


def test_reject_from_an_account_that_was_not_asked_changes_nothing(alice, client_for):
    carol = remote_account("https://mastodon.example/users/carol")
    dave = remote_account("https://mastodon.example/users/dave")
    client = client_for(alice)
    request = ask_to_follow(client, carol)
    hostile = fixture(
        "hostile/accept_follow_wrong_actor.json",
        {"https://our.example/users/alice/follows/201": request.uri},
    )
    hostile["type"] = "Reject"

    assert refused(receive(hostile, dave))

    assert relationship(client, carol.id)["requested"] is True
