"""Block: a remote account blocks one of ours."""

from __future__ import annotations

import pytest

from accounts.models import Block, Follow
from statuses.models import Status
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
from timelines.tasks import fan_out_status_task

BLOCKERS = REMOTE_ACTORS


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    go_offline(monkeypatch)


def mutual_follow(alice, remote) -> Status:
    """Alice and the remote account follow each other; alice's home shows its status."""
    Follow.objects.create(account=alice.account, target_account=remote)
    Follow.objects.create(account=remote, target_account=alice.account)
    status = Status.objects.create(
        account=remote, local=False, uri=f"{remote.uri}/statuses/1", content="<p>hi</p>"
    )
    fan_out_status_task(status.id)
    return status


@pytest.mark.parametrize("software", BLOCKERS)
def test_block_ends_follows_both_ways_and_hides_the_blocker(software, alice, client_for):
    blocker = remote_account(BLOCKERS[software])
    status = mutual_follow(alice, blocker)
    client = client_for(alice)
    assert [s["id"] for s in client.get("/api/v1/timelines/home").json()] == [str(status.id)]

    assert done(receive(fixture(f"{software}/block.json"), blocker, alice.account))

    state = client.get(f"/api/v1/accounts/relationships?id[]={blocker.id}").json()[0]
    assert (state["following"], state["followed_by"], state["blocked_by"]) == (False, False, True)
    assert state["blocking"] is False
    # As in Mastodon, a blocked user no longer sees the blocker's posts anywhere.
    assert client.get("/api/v1/timelines/home").json() == []
    assert client.get(f"/api/v1/statuses/{status.id}").status_code == 404
    assert client.get(f"/api/v1/accounts/{blocker.id}/statuses").json() == []
    # Nothing goes back to the blocker's server.
    assert queued() == []


def test_block_keeps_the_activity_id_for_its_undo(alice):
    blocker = remote_account(BLOCKERS["mastodon"])
    activity = fixture("mastodon/block.json")

    receive(activity, blocker)

    assert Block.objects.get(account=blocker, target_account=alice.account).uri == activity["id"]


def test_a_repeated_block_only_takes_the_new_id(alice):
    blocker = remote_account(BLOCKERS["misskey"])
    first = fixture("misskey/block.json")
    receive(first, blocker)
    again = {**first, "id": "https://misskey.example/blocks/again"}

    assert done(receive(again, blocker))

    assert [b.uri for b in Block.objects.all()] == [again["id"]]


def test_block_of_an_account_that_is_not_ours_is_refused(alice):
    blocker = remote_account(BLOCKERS["pleroma"])
    activity = fixture("pleroma/block.json")
    activity["object"] = "https://mastodon.example/users/bob"

    assert refused(receive(activity, blocker))

    assert not Block.objects.exists()
