"""Federation acceptance: two of our servers on loopback, each with its own database, driven by
Mastodon.py as their users' apps would be. Everything between them is real signed HTTP,
delivered by their Celery workers.

alice (and dave, who follows nobody) live on A; bob and carol (locked) on B.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonNotFoundError

from tests.e2e.conftest import Pair

pytestmark = pytest.mark.e2e

TIMEOUT = 30.0


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    """Deliveries run in the servers' workers: poll until it has happened."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not in time: {what}")
        time.sleep(0.25)


def client(server_url: str, token: str) -> Mastodon:
    return Mastodon(access_token=token, api_base_url=server_url)


def find(viewer: Mastodon, handle: str) -> Any:
    """The account a handle names, as an app finds it: search with resolve."""
    accounts = viewer.search_v2(handle, resolve=True, result_type="accounts").accounts
    assert accounts, f"{handle} not found"
    return accounts[0]


def find_status(viewer: Mastodon, url: str) -> Any | None:
    statuses = viewer.search_v2(url, resolve=True, result_type="statuses").statuses
    return statuses[0] if statuses else None


def home_texts(viewer: Mastodon) -> list[str]:
    return [s.content for s in viewer.timeline_home(limit=40)]


def notification_types(viewer: Mastodon) -> list[str]:
    return [n.type for n in viewer.notifications(limit=40)]


@pytest.fixture(scope="module")
def people(federated_pair: Pair) -> dict[str, Any]:
    pair = federated_pair
    return {
        "pair": pair,
        "alice": client(pair.a.url, pair.provision_a.user("alice")),
        "dave": client(pair.a.url, pair.provision_a.user("dave")),
        "bob": client(pair.b.url, pair.provision_b.user("bob")),
        "carol": client(pair.b.url, pair.provision_b.user("carol", extra=("--locked",))),
    }


def test_discovery_between_the_two_servers(people: dict[str, Any]) -> None:
    pair: Pair = people["pair"]
    finger = httpx.get(
        f"{pair.b.url}/.well-known/webfinger",
        params={"resource": f"acct:bob@{pair.domain_b}"},
    )
    assert finger.status_code == 200
    actor_url = next(link["href"] for link in finger.json()["links"] if link["rel"] == "self")
    actor = httpx.get(actor_url, headers={"Accept": "application/activity+json"}).json()
    assert actor["preferredUsername"] == "bob"
    assert actor["publicKey"]["id"] == f"{actor_url}#main-key"

    bob = find(people["alice"], f"bob@{pair.domain_b}")
    assert bob.acct == f"bob@{pair.domain_b}"
    assert bob.url.startswith(pair.b.url)


def test_follow_unlocked_and_locked_accounts(people: dict[str, Any]) -> None:
    pair: Pair = people["pair"]
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    remote_bob = find(alice, f"bob@{pair.domain_b}")

    relationship = alice.account_follow(remote_bob.id)
    assert relationship.requested or relationship.following
    wait_for(
        lambda: alice.account_relationships(remote_bob.id)[0].following,
        "alice follows bob once B accepted",
    )
    me_on_b = find(bob, f"alice@{pair.domain_a}")
    wait_for(lambda: "follow" in notification_types(bob), "bob is told of his new follower")
    assert [a.id for a in bob.account_followers(bob.me().id)] == [me_on_b.id]

    remote_carol = find(alice, f"carol@{pair.domain_b}")
    assert alice.account_follow(remote_carol.id).requested is True
    requests = wait_for(lambda: carol.follow_requests(), "carol sees alice's request")
    assert requests[0].acct == f"alice@{pair.domain_a}"
    assert alice.account_relationships(remote_carol.id)[0].following is False
    carol.follow_request_authorize(requests[0].id)
    wait_for(
        lambda: alice.account_relationships(remote_carol.id)[0].following,
        "alice follows carol once she accepted",
    )

    # And the other way: bob follows alice.
    bob.account_follow(me_on_b.id)
    wait_for(lambda: bob.account_relationships(me_on_b.id)[0].following, "bob follows alice back")


def test_each_visibility_reaches_exactly_who_it_should(people: dict[str, Any]) -> None:
    pair: Pair = people["pair"]
    alice, dave, bob = people["alice"], people["dave"], people["bob"]
    public = bob.status_post("bob public #fedisocialtest", spoiler_text="cw here")
    unlisted = bob.status_post("bob unlisted", visibility="unlisted")
    private = bob.status_post("bob followers only", visibility="private")
    to_alice = bob.status_post(f"@alice@{pair.domain_a} bob to alice", visibility="direct")
    to_carol = bob.status_post("@carol bob to carol only", visibility="direct")

    def arrived() -> bool:
        texts = " ".join(home_texts(alice))
        return all(
            t in texts for t in ("bob public", "bob unlisted", "bob followers only", "bob to alice")
        )

    wait_for(arrived, "bob's statuses in alice's home on A")
    home = alice.timeline_home(limit=40)
    assert "bob to carol only" not in " ".join(s.content for s in home)
    seen = {s.uri: s for s in home}
    assert seen[public.uri].spoiler_text == "cw here"
    assert seen[public.uri].visibility == "public"
    assert seen[unlisted.uri].visibility == "unlisted"
    assert seen[private.uri].visibility == "private"
    assert seen[to_alice.uri].visibility == "direct"
    wait_for(lambda: "mention" in notification_types(alice), "alice is told of bob's mention")

    # Only the public one is on A's federated timeline; the followers-only and direct ones
    # are invisible to dave, who does not follow bob, even by URL.
    federated = {s.uri for s in alice.timeline_public(remote=True, limit=40)}
    assert public.uri in federated
    assert not {unlisted.uri, private.uri, to_alice.uri} & federated
    assert find_status(dave, private.url) is None
    assert find_status(dave, to_alice.url) is None
    assert find_status(dave, to_carol.uri) is None
    # The direct status to carol never reached A at all.
    assert find_status(alice, to_carol.uri) is None


def test_replies_boosts_favourites_and_mentions_cross_both_ways(people: dict[str, Any]) -> None:
    pair: Pair = people["pair"]
    alice, bob = people["alice"], people["bob"]
    original = bob.status_post("bob asks a question")
    on_a = wait_for(lambda: find_status(alice, original.url), "bob's post known on A")

    reply = alice.status_post(f"@bob@{pair.domain_b} alice answers", in_reply_to_id=on_a.id)
    alice.status_reblog(on_a.id)
    alice.status_favourite(on_a.id)

    wait_for(
        lambda: {"mention", "reblog", "favourite"} <= set(notification_types(bob)),
        "bob is told of the reply, the boost and the favourite",
    )
    context = wait_for(
        lambda: bob.status_context(original.id).descendants, "the reply threads under bob's post"
    )
    assert "alice answers" in context[0].content
    assert bob.status(original.id).favourites_count == 1
    assert bob.status(original.id).reblogs_count == 1
    assert reply

    # Bob boosts and favourites alice's post; alice hears of both.
    mine = alice.status_post("alice shares something")
    on_b = wait_for(lambda: find_status(bob, mine.url), "alice's post known on B")
    bob.status_reblog(on_b.id)
    bob.status_favourite(on_b.id)
    wait_for(lambda: alice.status(mine.id).favourites_count == 1, "bob's favourite reaches A")
    wait_for(lambda: alice.status(mine.id).reblogs_count == 1, "bob's boost reaches A")


def test_poll_votes_edits_and_deletes(people: dict[str, Any]) -> None:
    alice, bob = people["alice"], people["bob"]
    poll = bob.make_poll(["tea", "coffee"], expires_in=3600)
    question = bob.status_post("bob polls", poll=poll)
    on_a = wait_for(lambda: find_status(alice, question.url), "the poll reaches A")
    assert [o.title for o in on_a.poll.options] == ["tea", "coffee"]
    alice.poll_vote(on_a.poll.id, [1])
    wait_for(
        lambda: bob.poll(question.poll.id).options[1].votes_count == 1, "alice's vote reaches B"
    )

    edited = bob.status_post("bob before the edit")
    on_a_edit = wait_for(lambda: find_status(alice, edited.url), "the post reaches A")
    bob.status_update(edited.id, "bob after the edit")
    wait_for(lambda: "after the edit" in alice.status(on_a_edit.id).content, "the edit reaches A")
    assert len(alice.status_history(on_a_edit.id)) == 2

    doomed = bob.status_post("bob will delete this")
    on_a_doomed = wait_for(lambda: find_status(alice, doomed.url), "the post reaches A")
    bob.status_delete(doomed.id)

    def gone() -> bool:
        try:
            alice.status(on_a_doomed.id)
        except MastodonNotFoundError:
            return True
        return False

    wait_for(gone, "the deletion reaches A")
    assert "bob will delete this" not in " ".join(home_texts(alice))


def test_unfollow_and_block(people: dict[str, Any]) -> None:
    pair: Pair = people["pair"]
    alice, bob = people["alice"], people["bob"]
    remote_bob = find(alice, f"bob@{pair.domain_b}")
    alice_on_b = find(bob, f"alice@{pair.domain_a}")

    alice.account_unfollow(remote_bob.id)
    wait_for(
        lambda: alice_on_b.id not in [a.id for a in bob.account_followers(bob.me().id)],
        "the unfollow reaches B",
    )
    quiet = bob.status_post("bob after the unfollow")
    time.sleep(3)
    assert "bob after the unfollow" not in " ".join(home_texts(alice))
    assert quiet

    # Bob blocks alice: her follow of him ends, and his follow of her.
    alice.account_follow(remote_bob.id)
    wait_for(lambda: alice.account_relationships(remote_bob.id)[0].following, "alice follows again")
    bob.account_block(alice_on_b.id)
    wait_for(
        lambda: not alice.account_relationships(remote_bob.id)[0].following,
        "the block ends alice's follow on A",
    )
    bob.account_unblock(alice_on_b.id)


def test_account_deletion_removes_its_statuses_elsewhere(people: dict[str, Any]) -> None:
    pair: Pair = people["pair"]
    alice, carol = people["alice"], people["carol"]
    remote_carol = find(alice, f"carol@{pair.domain_b}")
    post = carol.status_post("carol was here")
    on_a = wait_for(lambda: find_status(alice, post.url), "carol's post reaches A")

    pair.b.manage("delete_account", "carol")

    def gone() -> bool:
        try:
            alice.status(on_a.id)
        except MastodonNotFoundError:
            return True
        return False

    wait_for(gone, "carol's statuses are gone from A")
    with pytest.raises(MastodonNotFoundError):
        alice.account(remote_carol.id)
