"""Following through the API: follow, unfollow, requests of locked accounts, followers lists."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from django.conf import settings

from accounts.models import Account, Block, Follow, FollowRequest
from federation.models import Delivery
from tests.accounts.api.conftest import link_targets
from tests.factories.accounts import RemoteAccountFactory
from timelines.models import Notification

RELATIONSHIP_KEYS = {
    "id", "following", "showing_reblogs", "notifying", "languages", "followed_by", "blocking",
    "blocked_by", "muting", "muting_notifications", "muting_expires_at", "requested",
    "requested_by", "domain_blocking", "endorsed", "note",
}  # fmt: skip


def counts(account: Account) -> tuple[int, int]:
    account.refresh_from_db()
    return account.following_count, account.followers_count


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """The feed tasks the services queue after commit, by name and arguments."""
    calls: list[tuple[str, tuple[Any, ...]]] = []
    import accounts.services as services

    for name in ("merge_into_home_task", "unmerge_from_home_task"):
        task = getattr(services, name)
        monkeypatch.setattr(
            task, "delay_on_commit", lambda *args, _n=name: calls.append((_n, args))
        )
    return calls


def test_follow_creates_a_follow_and_answers_the_relationship(alice, bob, client_for, queued):
    response = client_for(alice, scopes="write:follows").post(
        f"/api/v1/accounts/{bob.account.id}/follow"
    )

    assert response.status_code == 200
    data = response.json()
    assert data.keys() == RELATIONSHIP_KEYS
    assert data["id"] == str(bob.account.id)
    assert data["following"] is True
    assert data["showing_reblogs"] is True
    assert data["notifying"] is False
    assert data["requested"] is False
    assert counts(alice.account) == (1, 0)
    assert counts(bob.account) == (0, 1)
    notification = Notification.objects.get(account=bob.account)
    assert (notification.type, notification.from_account_id) == ("follow", alice.account.id)
    assert queued == [("merge_into_home_task", (alice.account.id, bob.account.id))]


def test_follow_with_options_and_following_again_updates_only_those_given(
    alice, bob, client_for
) -> None:
    client = client_for(alice)
    url = f"/api/v1/accounts/{bob.account.id}/follow"

    first = client.post(url, {"reblogs": False, "notify": True, "languages": ["en", "de"]}, "json")
    again = client.post(url, {"notify": False}, format="json")

    assert (first.json()["showing_reblogs"], first.json()["notifying"]) == (False, True)
    assert first.json()["languages"] == ["en", "de"]
    assert again.json()["showing_reblogs"] is False
    assert again.json()["notifying"] is False
    assert again.json()["languages"] == ["en", "de"]
    assert Follow.objects.count() == 1
    assert counts(bob.account) == (0, 1)
    assert Notification.objects.filter(account=bob.account).count() == 1


def test_following_a_locked_account_sends_a_request(alice, make_user, client_for, queued):
    locked = make_user("locked", locked=True)

    response = client_for(alice).post(f"/api/v1/accounts/{locked.account.id}/follow")

    assert response.status_code == 200
    assert response.json()["following"] is False
    assert response.json()["requested"] is True
    assert not Follow.objects.exists()
    assert FollowRequest.objects.filter(account=alice.account).count() == 1
    assert Notification.objects.get(account=locked.account).type == "follow_request"
    assert counts(locked.account) == (0, 0)
    assert queued == []


def test_locked_account_sees_and_authorizes_the_request(alice, make_user, client_for, queued):
    locked = make_user("locked", locked=True)
    client_for(alice).post(f"/api/v1/accounts/{locked.account.id}/follow")
    owner = client_for(locked)

    listing = owner.get("/api/v1/follow_requests")
    me = owner.get("/api/v1/accounts/verify_credentials").json()
    rel = owner.get("/api/v1/accounts/relationships", {"id[]": alice.account.id}).json()[0]
    authorized = owner.post(f"/api/v1/follow_requests/{alice.account.id}/authorize")

    assert [a["id"] for a in listing.json()] == [str(alice.account.id)]
    assert me["source"]["follow_requests_count"] == 1
    assert rel["requested_by"] is True
    assert authorized.status_code == 200
    assert authorized.json()["followed_by"] is True
    assert authorized.json()["requested_by"] is False
    assert Follow.objects.filter(account=alice.account, target_account=locked.account).exists()
    assert not FollowRequest.objects.exists()
    assert not Notification.objects.filter(type="follow_request").exists()
    assert counts(locked.account) == (0, 1)
    assert counts(alice.account) == (1, 0)
    assert queued == [("merge_into_home_task", (alice.account.id, locked.account.id))]
    # The follower now sees it as followed.
    rel = client_for(alice).get("/api/v1/accounts/relationships", {"id[]": locked.account.id})
    assert (rel.json()[0]["following"], rel.json()[0]["requested"]) == (True, False)


def test_rejecting_a_request_removes_it(alice, make_user, client_for) -> None:
    locked = make_user("locked", locked=True)
    client_for(alice).post(f"/api/v1/accounts/{locked.account.id}/follow")

    response = client_for(locked).post(f"/api/v1/follow_requests/{alice.account.id}/reject")

    assert response.status_code == 200
    assert response.json()["requested_by"] is False
    assert response.json()["followed_by"] is False
    assert not FollowRequest.objects.exists()
    assert not Follow.objects.exists()


@pytest.mark.parametrize("action", ["authorize", "reject"])
def test_resolving_a_missing_request_is_404(alice, bob, client_for, action) -> None:
    response = client_for(alice).post(f"/api/v1/follow_requests/{bob.account.id}/{action}")

    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_follow_requests_page_by_request_id(make_user, client_for) -> None:
    owner = make_user("owner", locked=True)
    requesters = [make_user(f"fan{i}").account for i in range(3)]
    rows = [
        FollowRequest.objects.create(account=a, target_account=owner.account) for a in requesters
    ]

    response = client_for(owner, scopes="read:follows").get("/api/v1/follow_requests?limit=2")

    assert [a["username"] for a in response.json()] == ["fan2", "fan1"]
    links = link_targets(response)
    assert links["next"].endswith(f"/api/v1/follow_requests?limit=2&max_id={rows[1].id}")
    assert links["prev"].endswith(f"min_id={rows[2].id}")


def test_unfollow_removes_the_follow_and_counters(alice, bob, client_for, queued) -> None:
    client = client_for(alice)
    client.post(f"/api/v1/accounts/{bob.account.id}/follow")
    queued.clear()

    response = client.post(f"/api/v1/accounts/{bob.account.id}/unfollow")

    assert response.status_code == 200
    assert response.json()["following"] is False
    assert not Follow.objects.exists()
    assert counts(alice.account) == (0, 0)
    assert counts(bob.account) == (0, 0)
    assert queued == [("unmerge_from_home_task", (alice.account.id, bob.account.id))]


def test_unfollow_withdraws_a_pending_request(alice, make_user, client_for) -> None:
    locked = make_user("locked", locked=True)
    client = client_for(alice)
    client.post(f"/api/v1/accounts/{locked.account.id}/follow")

    response = client.post(f"/api/v1/accounts/{locked.account.id}/unfollow")

    assert response.json()["requested"] is False
    assert not FollowRequest.objects.exists()
    assert not Notification.objects.exists()


def test_unfollow_when_not_following_is_fine(alice, bob, client_for) -> None:
    response = client_for(alice).post(f"/api/v1/accounts/{bob.account.id}/unfollow")

    assert response.status_code == 200
    assert counts(bob.account) == (0, 0)


def test_remove_from_followers(alice, bob, client_for, queued) -> None:
    client_for(bob).post(f"/api/v1/accounts/{alice.account.id}/follow")
    queued.clear()

    response = client_for(alice).post(f"/api/v1/accounts/{bob.account.id}/remove_from_followers")

    assert response.status_code == 200
    assert response.json()["followed_by"] is False
    assert not Follow.objects.exists()
    assert counts(alice.account) == (0, 0)
    assert queued == [("unmerge_from_home_task", (bob.account.id, alice.account.id))]


def test_following_yourself_is_forbidden(alice, client_for) -> None:
    response = client_for(alice).post(f"/api/v1/accounts/{alice.account.id}/follow")

    assert response.status_code == 403
    assert response.json() == {"error": "This action is not allowed"}
    assert not Follow.objects.exists()


@pytest.mark.parametrize("direction", ["blocking", "blocked_by"])
def test_following_across_a_block_is_forbidden(alice, bob, client_for, direction) -> None:
    a, b = (alice.account, bob.account) if direction == "blocking" else (bob.account, alice.account)
    Block.objects.create(account=a, target_account=b)

    response = client_for(alice).post(f"/api/v1/accounts/{bob.account.id}/follow")

    assert response.status_code == 403
    assert "error" in response.json()
    assert not Follow.objects.exists()
    assert not FollowRequest.objects.exists()


def test_following_into_a_blocked_domain_is_forbidden(alice, client_for) -> None:
    remote = RemoteAccountFactory(domain="bad.example")
    client = client_for(alice)
    client.post("/api/v1/domain_blocks", {"domain": "bad.example"})

    assert client.post(f"/api/v1/accounts/{remote.id}/follow").status_code == 403


def test_following_a_remote_account_waits_for_its_servers_accept(alice, client_for) -> None:
    remote = RemoteAccountFactory()

    response = client_for(alice).post(f"/api/v1/accounts/{remote.id}/follow")

    # As Mastodon: requested until the remote server's Accept arrives (federation tests).
    assert response.json()["following"] is False
    assert response.json()["requested"] is True
    assert counts(remote) == (0, 0)
    assert not Notification.objects.exists()  # remote accounts are told by federation
    follow = Delivery.objects.get(inbox_url=remote.inbox_url).activity
    assert follow.activity_type == "Follow"
    assert orjson.loads(follow.body)["object"] == remote.uri


def test_following_an_unknown_account_is_404(alice, client_for) -> None:
    assert client_for(alice).post("/api/v1/accounts/42/follow").status_code == 404


def test_follow_needs_a_token(bob, anon) -> None:
    response = anon.post(f"/api/v1/accounts/{bob.account.id}/follow")

    assert response.status_code == 401


def test_follow_with_a_read_only_token_is_forbidden(alice, bob, client_for) -> None:
    response = client_for(alice, scopes="read").post(f"/api/v1/accounts/{bob.account.id}/follow")

    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    assert not Follow.objects.exists()


def test_follow_with_the_legacy_follow_scope_works(alice, bob, client_for) -> None:
    response = client_for(alice, scopes="follow").post(f"/api/v1/accounts/{bob.account.id}/follow")

    assert response.status_code == 200


# --- Followers and following lists ----------------------------------------------------------------


@pytest.fixture
def popular(make_user):
    """An account with three followers (fan0 oldest) and following two accounts."""
    star = make_user("star").account
    fans = [make_user(f"fan{i}").account for i in range(3)]
    follows = [Follow.objects.create(account=f, target_account=star) for f in fans]
    idols = [make_user(f"idol{i}").account for i in range(2)]
    following = [Follow.objects.create(account=star, target_account=i) for i in idols]
    return star, follows, following


def test_followers_newest_first_with_link_header_of_follow_ids(popular, anon) -> None:
    star, follows, _ = popular

    response = anon.get(f"/api/v1/accounts/{star.id}/followers", {"limit": 2})

    assert response.status_code == 200
    assert [a["username"] for a in response.json()] == ["fan2", "fan1"]
    links = link_targets(response)
    base = f"http://testserver/api/v1/accounts/{star.id}/followers"
    assert links["next"] == f"{base}?limit=2&max_id={follows[1].id}"
    assert links["prev"] == f"{base}?limit=2&min_id={follows[2].id}"

    older = anon.get(links["next"])
    assert [a["username"] for a in older.json()] == ["fan0"]


def test_following_lists_the_followed_accounts(popular, anon) -> None:
    star, _, following = popular

    response = anon.get(f"/api/v1/accounts/{star.id}/following")

    assert [a["username"] for a in response.json()] == ["idol1", "idol0"]
    assert link_targets(response)["next"].endswith(f"max_id={following[0].id}")


def test_hidden_collections_are_empty_for_others_but_not_the_owner(popular, anon, client_for):
    star, _, _ = popular
    Account.objects.filter(id=star.id).update(hide_collections=True)
    owner = client_for(star.user)

    assert anon.get(f"/api/v1/accounts/{star.id}/followers").json() == []
    assert anon.get(f"/api/v1/accounts/{star.id}/following").json() == []
    assert len(owner.get(f"/api/v1/accounts/{star.id}/followers").json()) == 3


def test_followers_are_hidden_from_an_account_the_owner_blocks(popular, alice, client_for):
    star, _, _ = popular
    Block.objects.create(account=star, target_account=alice.account)

    response = client_for(alice).get(f"/api/v1/accounts/{star.id}/followers")

    assert response.json() == []


def test_followers_query_count_is_constant(popular, make_user, anon, django_assert_num_queries):
    star, _, _ = popular
    with django_assert_num_queries(2):
        anon.get(f"/api/v1/accounts/{star.id}/followers", {"limit": 1})
    for i in range(10):
        Follow.objects.create(account=make_user(f"more{i}").account, target_account=star)
    with django_assert_num_queries(2):
        response = anon.get(f"/api/v1/accounts/{star.id}/followers")
    assert len(response.json()) == 13


def test_followers_of_unknown_account_is_404(anon, db) -> None:
    assert anon.get("/api/v1/accounts/1/followers").status_code == 404


def test_local_domain_is_never_a_remote_domain(alice, client_for) -> None:
    response = client_for(alice).get(
        "/api/v1/accounts/lookup", {"acct": "alice@" + settings.LOCAL_DOMAIN}
    )

    assert response.json()["acct"] == "alice"
