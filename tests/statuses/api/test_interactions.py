"""Boosts, favourites, bookmarks, pins and conversation mutes, and who did what."""

from __future__ import annotations

import re

import pytest

from accounts.models import Block
from statuses.models import Bookmark, Favourite, Status
from statuses.services import discard_status
from timelines.models import Notification

pytestmark = pytest.mark.django_db


def link_ids(response):
    """The max_id / min_id values of a Link header."""
    header = response.headers.get("Link", "")
    return dict(re.findall(r"[?&](max_id|min_id)=(\d+)[^>]*>", header))


# --- Boosts --------------------------------------------------------------------------------------


def test_boosting_makes_a_status_of_its_own(alice, bob, post, client_for):
    status = post(alice, "boost me")
    response = client_for(bob).post(f"/api/v1/statuses/{status.id}/reblog")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] != str(status.id)
    assert data["account"]["id"] == str(bob.account.id)
    assert data["reblogged"] is True
    assert data["reblog"]["id"] == str(status.id)
    assert data["reblog"]["reblogged"] is True
    assert data["reblog"]["reblogs_count"] == 1
    assert data["visibility"] == "public"
    assert data["content"] == ""
    notification = Notification.objects.get(account=alice.account)
    assert (notification.type, notification.status_id) == ("reblog", status.id)
    bob.account.refresh_from_db()
    assert bob.account.statuses_count == 1


def test_boosting_twice_returns_the_first_boost(alice, bob, post, client_for):
    status = post(alice, "boost me")
    client = client_for(bob)
    first = client.post(f"/api/v1/statuses/{status.id}/reblog").json()
    second = client.post(f"/api/v1/statuses/{status.id}/reblog").json()
    assert first["id"] == second["id"]
    status.refresh_from_db()
    assert status.reblogs_count == 1


def test_boosting_a_boost_boosts_the_original(alice, bob, make_user, post, client_for):
    carol = make_user("carol")
    status = post(alice, "boost me")
    boost = client_for(bob).post(f"/api/v1/statuses/{status.id}/reblog").json()
    data = client_for(carol).post(f"/api/v1/statuses/{boost['id']}/reblog").json()
    assert data["reblog"]["id"] == str(status.id)


def test_a_boost_may_be_unlisted_or_followers_only(alice, bob, post, client_for):
    status = post(alice, "boost me")
    data = (
        client_for(bob)
        .post(f"/api/v1/statuses/{status.id}/reblog", {"visibility": "unlisted"})
        .json()
    )
    assert data["visibility"] == "unlisted"


def test_someone_elses_private_status_cannot_be_boosted(alice, bob, post, client_for, follow):
    status = post(alice, "followers only", visibility="private")
    follow(bob, alice)
    response = client_for(bob).post(f"/api/v1/statuses/{status.id}/reblog")
    assert response.status_code == 403
    assert response.json() == {"error": "This action is not allowed"}


def test_ones_own_private_status_is_boosted_privately(alice, post, client_for):
    status = post(alice, "followers only", visibility="private")
    data = (
        client_for(alice)
        .post(f"/api/v1/statuses/{status.id}/reblog", {"visibility": "public"})
        .json()
    )
    assert data["visibility"] == "private"


def test_a_direct_status_cannot_be_boosted_even_by_its_author(alice, post, client_for):
    status = post(alice, "just me", visibility="direct")
    assert client_for(alice).post(f"/api/v1/statuses/{status.id}/reblog").status_code == 403


def test_an_invisible_status_cannot_be_boosted(alice, bob, post, client_for):
    status = post(alice, "secret", visibility="private")
    assert client_for(bob).post(f"/api/v1/statuses/{status.id}/reblog").status_code == 404


def test_unboosting_returns_the_original(alice, bob, post, client_for):
    status = post(alice, "boost me")
    client = client_for(bob)
    boost = client.post(f"/api/v1/statuses/{status.id}/reblog").json()
    data = client.post(f"/api/v1/statuses/{status.id}/unreblog").json()
    assert data["id"] == str(status.id)
    assert data["reblogged"] is False
    assert data["reblogs_count"] == 0
    assert Status.objects.get(id=boost["id"]).deleted_at is not None
    assert not Notification.objects.filter(type="reblog").exists()
    bob.account.refresh_from_db()
    assert bob.account.statuses_count == 0
    # Unboosting what one did not boost is fine too.
    assert client.post(f"/api/v1/statuses/{status.id}/unreblog").status_code == 200


def test_reblogged_by_lists_boosters_paged_by_boost(alice, bob, make_user, post, client_for, anon):
    carol = make_user("carol")
    status = post(alice, "boost me")
    client_for(bob).post(f"/api/v1/statuses/{status.id}/reblog")
    carol_boost = client_for(carol).post(f"/api/v1/statuses/{status.id}/reblog").json()
    response = anon.get(f"/api/v1/statuses/{status.id}/reblogged_by", {"limit": 1})
    assert [a["id"] for a in response.json()] == [str(carol.account.id)]
    assert link_ids(response)["max_id"] == carol_boost["id"]
    older = anon.get(
        f"/api/v1/statuses/{status.id}/reblogged_by", {"max_id": link_ids(response)["max_id"]}
    )
    assert [a["id"] for a in older.json()] == [str(bob.account.id)]


def test_favourited_by_lists_accounts_paged_by_favourite(alice, bob, make_user, post, client_for):
    carol = make_user("carol")
    status = post(alice, "like me")
    client_for(bob).post(f"/api/v1/statuses/{status.id}/favourite")
    client_for(carol).post(f"/api/v1/statuses/{status.id}/favourite")
    response = client_for(alice).get(f"/api/v1/statuses/{status.id}/favourited_by")
    assert [a["id"] for a in response.json()] == [str(carol.account.id), str(bob.account.id)]
    newest = Favourite.objects.get(account=carol.account)
    oldest = Favourite.objects.get(account=bob.account)
    assert link_ids(response) == {"max_id": str(oldest.id), "min_id": str(newest.id)}


def test_who_interacted_with_a_private_status_is_not_found_for_strangers(
    alice, bob, post, client_for
):
    status = post(alice, "secret", visibility="private")
    for path in ("reblogged_by", "favourited_by"):
        assert client_for(bob).get(f"/api/v1/statuses/{status.id}/{path}").status_code == 404


def test_favourited_by_leaves_out_accounts_the_viewer_blocks(
    alice, bob, make_user, post, client_for
):
    carol = make_user("carol")
    status = post(alice, "like me")
    client_for(bob).post(f"/api/v1/statuses/{status.id}/favourite")
    Block.objects.create(account=carol.account, target_account=bob.account)
    assert client_for(carol).get(f"/api/v1/statuses/{status.id}/favourited_by").json() == []


# --- Favourites ----------------------------------------------------------------------------------


def test_favouriting_counts_once_and_notifies(alice, bob, post, client_for):
    status = post(alice, "like me")
    client = client_for(bob)
    data = client.post(f"/api/v1/statuses/{status.id}/favourite").json()
    assert data["favourited"] is True
    assert data["favourites_count"] == 1
    again = client.post(f"/api/v1/statuses/{status.id}/favourite").json()
    assert again["favourites_count"] == 1
    assert Notification.objects.filter(account=alice.account, type="favourite").count() == 1

    undone = client.post(f"/api/v1/statuses/{status.id}/unfavourite").json()
    assert undone["favourited"] is False
    assert undone["favourites_count"] == 0
    assert not Notification.objects.filter(type="favourite").exists()


def test_favouriting_needs_write_favourites(alice, bob, post, client_for):
    status = post(alice, "like me")
    client = client_for(bob, scopes="write:statuses")
    assert client.post(f"/api/v1/statuses/{status.id}/favourite").status_code == 403
    client = client_for(bob, scopes="write:favourites")
    assert client.post(f"/api/v1/statuses/{status.id}/favourite").status_code == 200


def test_an_invisible_status_cannot_be_favourited(alice, bob, post, client_for):
    status = post(alice, "secret", visibility="direct")
    assert client_for(bob).post(f"/api/v1/statuses/{status.id}/favourite").status_code == 404
    assert not Favourite.objects.exists()


def test_favourites_list_pages_by_favourite_and_skips_what_is_gone(alice, bob, post, client_for):
    statuses = [post(alice, f"s{i}") for i in range(3)]
    client = client_for(bob)
    for status in statuses:
        client.post(f"/api/v1/statuses/{status.id}/favourite")
    discard_status(statuses[1])

    response = client.get("/api/v1/favourites")
    assert [s["id"] for s in response.json()] == [str(statuses[2].id), str(statuses[0].id)]
    assert all(s["favourited"] for s in response.json())

    page = client.get("/api/v1/favourites", {"limit": 1})
    newest = Favourite.objects.get(status=statuses[2])
    assert link_ids(page) == {"max_id": str(newest.id), "min_id": str(newest.id)}
    rest = client.get("/api/v1/favourites", {"max_id": str(newest.id)})
    assert [s["id"] for s in rest.json()] == [str(statuses[0].id)]


# --- Bookmarks -----------------------------------------------------------------------------------


def test_bookmarks_are_private_and_listed_newest_first(alice, bob, post, client_for):
    one, two = post(alice, "one"), post(alice, "two")
    client = client_for(bob)
    assert client.post(f"/api/v1/statuses/{one.id}/bookmark").json()["bookmarked"] is True
    client.post(f"/api/v1/statuses/{two.id}/bookmark")
    client.post(f"/api/v1/statuses/{two.id}/bookmark")  # idempotent
    assert Bookmark.objects.count() == 2
    assert not Notification.objects.exists()

    response = client.get("/api/v1/bookmarks")
    assert [s["id"] for s in response.json()] == [str(two.id), str(one.id)]
    assert link_ids(response)["max_id"] == str(Bookmark.objects.get(status=one).id)

    assert client.post(f"/api/v1/statuses/{two.id}/unbookmark").json()["bookmarked"] is False
    assert [s["id"] for s in client.get("/api/v1/bookmarks").json()] == [str(one.id)]


def test_bookmarks_leave_out_statuses_no_longer_visible(alice, bob, post, client_for, follow):
    follow(bob, alice)
    status = post(alice, "followers", visibility="private")
    client = client_for(bob)
    client.post(f"/api/v1/statuses/{status.id}/bookmark")
    Block.objects.create(account=alice.account, target_account=bob.account)
    assert client.get("/api/v1/bookmarks").json() == []


def test_bookmarks_need_their_scope(alice, client_for):
    assert client_for(alice, scopes="read:statuses").get("/api/v1/bookmarks").status_code == 403
    assert client_for(alice, scopes="read:bookmarks").get("/api/v1/bookmarks").status_code == 200


@pytest.mark.parametrize("collection", ["bookmarks", "favourites"])
def test_collections_cost_the_same_queries_for_1_or_40(
    alice, bob, post, client_for, count_queries, django_assert_num_queries, collection
):
    action = "bookmark" if collection == "bookmarks" else "favourite"
    client = client_for(bob)
    for i in range(40):
        status = post(alice, f"s{i} @bob #t")
        client.post(f"/api/v1/statuses/{status.id}/{action}")
    one = count_queries(lambda: client.get(f"/api/v1/{collection}", {"limit": 1}))
    with django_assert_num_queries(one):
        response = client.get(f"/api/v1/{collection}", {"limit": 40})
    assert len(response.json()) == 40


# --- Pins ----------------------------------------------------------------------------------------


def test_pinning_ones_own_status(alice, post, client_for):
    status = post(alice, "pin me", visibility="private")
    client = client_for(alice)
    assert client.post(f"/api/v1/statuses/{status.id}/pin").json()["pinned"] is True
    assert client.post(f"/api/v1/statuses/{status.id}/pin").json()["pinned"] is True
    assert client.post(f"/api/v1/statuses/{status.id}/unpin").json()["pinned"] is False


def test_pins_need_write_accounts(alice, post, client_for):
    status = post(alice, "pin me")
    client = client_for(alice, scopes="write:statuses")
    assert client.post(f"/api/v1/statuses/{status.id}/pin").status_code == 403


def test_someone_elses_status_cannot_be_pinned(alice, bob, post, client_for):
    status = post(alice, "not yours")
    response = client_for(bob).post(f"/api/v1/statuses/{status.id}/pin")
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: Someone else's post cannot be pinned"}


def test_direct_statuses_cannot_be_pinned(alice, post, client_for):
    status = post(alice, "just me", visibility="direct")
    response = client_for(alice).post(f"/api/v1/statuses/{status.id}/pin")
    assert response.status_code == 422
    assert response.json() == {
        "error": "Validation failed: "
        "Posts that are only visible to mentioned users cannot be pinned"
    }


def test_boosts_cannot_be_pinned(alice, bob, post, client_for):
    status = post(alice, "boost me")
    boost = client_for(bob).post(f"/api/v1/statuses/{status.id}/reblog").json()
    response = client_for(bob).post(f"/api/v1/statuses/{boost['id']}/pin")
    assert response.status_code == 422


def test_at_most_five_pins(alice, post, client_for):
    client = client_for(alice)
    for i in range(5):
        status = post(alice, f"pin {i}")
        assert client.post(f"/api/v1/statuses/{status.id}/pin").status_code == 200
    sixth = post(alice, "one too many")
    response = client.post(f"/api/v1/statuses/{sixth.id}/pin")
    assert response.status_code == 422
    assert response.json() == {
        "error": "Validation failed: You have already pinned the maximum number of posts"
    }


# --- Conversation mutes --------------------------------------------------------------------------


def test_muting_a_conversation_silences_its_notifications(alice, bob, post, client_for):
    status = post(alice, "thread")
    client = client_for(alice)
    assert client.post(f"/api/v1/statuses/{status.id}/mute").json()["muted"] is True
    post(bob, "@alice a reply", in_reply_to=status)
    assert not Notification.objects.filter(account=alice.account).exists()

    assert client.post(f"/api/v1/statuses/{status.id}/unmute").json()["muted"] is False
    post(bob, "@alice another reply", in_reply_to=status)
    assert Notification.objects.filter(account=alice.account, type="mention").count() == 1


def test_muting_needs_write_mutes(alice, post, client_for):
    status = post(alice, "thread")
    client = client_for(alice, scopes="write:statuses")
    assert client.post(f"/api/v1/statuses/{status.id}/mute").status_code == 403
