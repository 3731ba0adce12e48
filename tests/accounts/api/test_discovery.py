"""Discovery through the API: the profile directory, follow suggestions and featured tags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import (
    AccountDomainBlock,
    Block,
    FeaturedTag,
    Follow,
    FollowRequest,
    Mute,
    SuggestionDismissal,
)
from statuses.models import Status, Tag, Visibility
from tests.factories.accounts import RemoteAccountFactory

pytestmark = pytest.mark.django_db

DIRECTORY = "/api/v1/directory"
SUGGESTIONS = "/api/v2/suggestions"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()]


def account_ids(*users) -> list[str]:
    return [str(getattr(u, "account", u).id) for u in users]


# --- The profile directory -----------------------------------------------------------------------


def test_directory_lists_discoverable_accounts_as_accounts(make_user, anon):
    shown = make_user("shown", discoverable=True)
    make_user("private_person")  # discoverable left unset
    make_user("optedout", discoverable=False)
    make_user("gone", discoverable=True, suspended_at=timezone.now())
    make_user("limited", discoverable=True, silenced_at=timezone.now())
    make_user("moved", discoverable=True, moved_to=shown.account)
    unconfirmed = make_user("unconfirmed", discoverable=True)
    unconfirmed.confirmed_at = None
    unconfirmed.save()

    response = anon.get(DIRECTORY)

    assert ids(response) == account_ids(shown)
    entity = response.json()[0]
    assert entity["acct"] == "shown"
    assert entity["discoverable"] is True
    assert {"username", "url", "avatar", "followers_count", "last_status_at"} <= set(entity)


def test_directory_orders_by_recent_activity_or_by_newest(make_user, anon):
    now = timezone.now()
    quiet = make_user("quiet", discoverable=True, created_at=now - timedelta(days=1))
    busy = make_user(
        "busy", discoverable=True, last_status_at=now, created_at=now - timedelta(days=30)
    )
    idle = make_user(
        "idle",
        discoverable=True,
        last_status_at=now - timedelta(days=3),
        created_at=now - timedelta(days=2),
    )

    assert ids(anon.get(DIRECTORY)) == account_ids(busy, idle, quiet)
    assert ids(anon.get(DIRECTORY, {"order": "active"})) == account_ids(busy, idle, quiet)
    assert ids(anon.get(DIRECTORY, {"order": "new"})) == account_ids(quiet, idle, busy)


def test_directory_local_keeps_this_servers_accounts(make_user, anon):
    here = make_user("here", discoverable=True, last_status_at=timezone.now())
    there = RemoteAccountFactory(discoverable=True)
    RemoteAccountFactory(discoverable=False)

    assert ids(anon.get(DIRECTORY, {"local": "true"})) == account_ids(here)
    assert ids(anon.get(DIRECTORY, {"local": "false"})) == account_ids(here, there)
    # As documented, only local=true narrows the list.
    assert ids(anon.get(DIRECTORY)) == account_ids(here, there)


def test_directory_limit_and_offset(make_user, anon):
    now = timezone.now()
    users = [
        make_user(f"user_{n}", discoverable=True, last_status_at=now - timedelta(hours=n))
        for n in range(5)
    ]

    assert ids(anon.get(DIRECTORY, {"limit": 2})) == account_ids(*users[:2])
    assert ids(anon.get(DIRECTORY, {"limit": 2, "offset": 2})) == account_ids(*users[2:4])
    assert ids(anon.get(DIRECTORY, {"offset": 4})) == account_ids(users[4])
    assert len(ids(anon.get(DIRECTORY, {"limit": 500}))) == 5


def test_directory_limit_is_at_most_eighty(make_user, anon):
    for n in range(82):
        make_user(f"member_{n}", discoverable=True)

    assert len(ids(anon.get(DIRECTORY))) == 40
    assert len(ids(anon.get(DIRECTORY, {"limit": 100}))) == 80


def test_directory_hides_what_the_viewer_blocks_mutes_or_is_blocked_by(
    alice, make_user, client_for
):
    kept = make_user("kept", discoverable=True)
    blocked = make_user("blocked", discoverable=True)
    blocker = make_user("blocker", discoverable=True)
    muted = make_user("muted", discoverable=True)
    spam = RemoteAccountFactory(domain="spam.example", discoverable=True)
    Block.objects.create(account=alice.account, target_account=blocked.account)
    Block.objects.create(account=blocker.account, target_account=alice.account)
    Mute.objects.create(account=alice.account, target_account=muted.account)
    AccountDomainBlock.objects.create(account=alice.account, domain="spam.example")

    seen = ids(client_for(alice).get(DIRECTORY))

    assert seen == account_ids(kept)
    assert str(spam.id) not in seen


def test_directory_is_public_for_any_token(alice, make_user, client_for):
    make_user("listed", discoverable=True)

    assert client_for(alice, scopes="read:statuses").get(DIRECTORY).status_code == 200
    assert client_for(None, scopes="read").get(DIRECTORY).status_code == 200


# --- Follow suggestions --------------------------------------------------------------------------


def test_suggestions_need_a_user_token_with_read(alice, anon, client_for):
    assert anon.get(SUGGESTIONS).status_code == 401
    assert anon.get("/api/v1/suggestions").status_code == 401
    assert client_for(alice, scopes="read:accounts").get(SUGGESTIONS).status_code == 403
    assert client_for(alice, scopes="write").delete("/api/v1/suggestions/1").status_code == 403
    assert client_for(None, scopes="read").get(SUGGESTIONS).status_code == 422
    assert client_for(alice, scopes="read").get(SUGGESTIONS).status_code == 200


def test_friends_of_friends_are_suggested_with_their_source(alice, bob, make_user, client_for):
    carol = make_user("carol", discoverable=True)
    dave = make_user("dave", discoverable=True, followers_count=2)
    erin = make_user("erin")
    Follow.objects.create(account=alice.account, target_account=bob.account)
    Follow.objects.create(account=alice.account, target_account=erin.account)
    Follow.objects.create(account=bob.account, target_account=carol.account)
    Follow.objects.create(account=bob.account, target_account=dave.account)
    Follow.objects.create(account=erin.account, target_account=dave.account)

    data = client_for(alice, scopes="read").get(SUGGESTIONS).json()

    # dave is followed by two of alice's follows and has followers; carol by one, and has none.
    assert [s["account"]["id"] for s in data] == account_ids(dave, carol)
    assert data[0]["sources"] == ["friends_of_friends", "most_followed"]
    assert data[0]["source"] == "past_interactions"
    assert set(data[0]) == {"source", "sources", "account"}
    assert data[0]["account"]["acct"] == "dave"
    assert data[1]["sources"] == ["friends_of_friends"]


def test_most_followed_local_accounts_are_suggested(alice, make_user, client_for):
    popular = make_user("popular", discoverable=True, followers_count=30)
    known = make_user("known", discoverable=True, followers_count=3)
    make_user("nobody", discoverable=True, followers_count=0)
    make_user("shy", followers_count=100)  # not discoverable
    RemoteAccountFactory(discoverable=True, followers_count=1000)

    data = client_for(alice, scopes="read").get(SUGGESTIONS).json()

    assert [s["account"]["id"] for s in data] == account_ids(popular, known)
    assert all(s["sources"] == ["most_followed"] and s["source"] == "global" for s in data)


def test_suggestions_leave_out_self_follows_requests_blocks_mutes_and_dismissals(
    alice, make_user, client_for
):
    alice.account.discoverable = True
    alice.account.followers_count = 50
    alice.account.save()
    kept = make_user("kept", discoverable=True, followers_count=1)
    excluded = {
        name: make_user(name, discoverable=True, followers_count=10)
        for name in ("followed", "requested", "blocked", "blocker", "muted", "dismissed")
    }
    make_user("suspended", discoverable=True, followers_count=10, suspended_at=timezone.now())
    make_user("memorial", discoverable=True, followers_count=10, memorial=True)
    me = alice.account
    Follow.objects.create(account=me, target_account=excluded["followed"].account)
    FollowRequest.objects.create(account=me, target_account=excluded["requested"].account)
    Block.objects.create(account=me, target_account=excluded["blocked"].account)
    Block.objects.create(account=excluded["blocker"].account, target_account=me)
    Mute.objects.create(account=me, target_account=excluded["muted"].account)
    SuggestionDismissal.objects.create(account=me, target_account=excluded["dismissed"].account)

    data = client_for(alice, scopes="read").get(SUGGESTIONS).json()

    assert [s["account"]["id"] for s in data] == account_ids(kept)


def test_friends_who_hide_their_collections_do_not_reveal_their_follows(
    alice, bob, make_user, client_for
):
    carol = make_user("carol", discoverable=True)
    Follow.objects.create(account=alice.account, target_account=bob.account)
    Follow.objects.create(account=bob.account, target_account=carol.account)
    bob.account.hide_collections = True
    bob.account.save()

    assert client_for(alice, scopes="read").get(SUGGESTIONS).json() == []


def test_dismissing_a_suggestion_is_remembered(alice, make_user, client_for):
    popular = make_user("popular", discoverable=True, followers_count=5)
    client = client_for(alice, scopes="read")
    assert [s["account"]["id"] for s in client.get(SUGGESTIONS).json()] == account_ids(popular)

    response = client.delete(f"/api/v1/suggestions/{popular.account.id}")

    assert response.status_code == 200
    assert response.json() == {}
    assert client.get(SUGGESTIONS).json() == []
    assert SuggestionDismissal.objects.filter(
        account=alice.account, target_account=popular.account
    ).exists()
    client.delete(f"/api/v1/suggestions/{popular.account.id}")  # again: still one row
    assert SuggestionDismissal.objects.count() == 1


def test_dismissing_an_unknown_account_still_succeeds(alice, client_for):
    client = client_for(alice, scopes="read")

    assert client.delete("/api/v1/suggestions/123456789").json() == {}
    assert client.delete("/api/v1/suggestions/not-an-id").json() == {}
    assert client.delete(f"/api/v1/suggestions/{alice.account.id}").json() == {}
    assert not SuggestionDismissal.objects.exists()


def test_v1_suggestions_are_accounts_and_limit_applies(alice, make_user, client_for):
    first = make_user("first", discoverable=True, followers_count=9)
    make_user("second", discoverable=True, followers_count=2)
    client = client_for(alice, scopes="read")

    v1 = client.get("/api/v1/suggestions", {"limit": 1})

    assert ids(v1) == account_ids(first)
    assert v1.json()[0]["acct"] == "first"
    assert len(client.get(SUGGESTIONS, {"limit": 1}).json()) == 1
    assert len(client.get(SUGGESTIONS).json()) == 2


# --- Featured tags -------------------------------------------------------------------------------


def post(account, text, *, tags, visibility=Visibility.PUBLIC, **fields) -> Status:
    status = Status.objects.create(
        account=account, text=text, content=f"<p>{text}</p>", visibility=visibility, **fields
    )
    for name in tags:
        tag, _ = Tag.objects.get_or_create(name=name.lower(), defaults={"display_name": name})
        status.status_tags.create(tag=tag)
    return status


def test_featuring_a_tag_answers_a_featured_tag(alice, client_for):
    me = alice.account
    last = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
    post(me, "a", tags=["Cats"], created_at=last - timedelta(days=3))
    post(me, "b", tags=["cats"], created_at=last)
    post(me, "c", tags=["cats"], visibility=Visibility.UNLISTED, created_at=last - timedelta(1))

    response = client_for(alice, scopes="write:accounts").post(
        "/api/v1/featured_tags", {"name": "cats"}
    )

    assert response.status_code == 200, response.content
    featured = FeaturedTag.objects.get()
    assert response.json() == {
        "id": str(featured.id),
        "name": "Cats",
        "url": "http://localhost:8000/@alice/tagged/cats",
        "statuses_count": "3",
        "last_status_at": "2026-03-04",
    }
    assert (featured.statuses_count, featured.last_status_at) == (3, last)


def test_featured_tag_counts_only_what_anyone_may_read(alice, bob, client_for):
    me = alice.account
    post(me, "public", tags=["cats"])
    post(me, "private", tags=["cats"], visibility=Visibility.PRIVATE)
    post(me, "direct", tags=["cats"], visibility=Visibility.DIRECT)
    post(me, "deleted", tags=["cats"], deleted_at=timezone.now())
    post(bob.account, "not mine", tags=["cats"])
    client = client_for(alice)
    client.post("/api/v1/featured_tags", {"name": "cats"})
    # Counted live: a status posted after featuring shows at once.
    post(me, "later", tags=["cats"], visibility=Visibility.UNLISTED)

    [entity] = client.get("/api/v1/featured_tags").json()

    assert entity["statuses_count"] == "2"
    assert entity["last_status_at"] == timezone.now().astimezone(UTC).strftime("%Y-%m-%d")


def test_a_tag_never_used_is_featured_with_no_statuses(alice, client_for):
    entity = client_for(alice).post("/api/v1/featured_tags", {"name": "NewThing"}).json()

    assert entity["name"] == "NewThing"
    assert entity["statuses_count"] == "0"
    assert entity["last_status_at"] is None
    assert Tag.objects.get().name == "newthing"


def test_featuring_twice_returns_the_same_featured_tag(alice, client_for):
    client = client_for(alice)
    first = client.post("/api/v1/featured_tags", {"name": "cats"}, format="json").json()
    again = client.post("/api/v1/featured_tags", {"name": "#Cats"}, format="json").json()

    assert again["id"] == first["id"]
    assert FeaturedTag.objects.count() == 1
    post(alice.account, "new", tags=["cats"])
    assert client.post("/api/v1/featured_tags", {"name": "cats"}).json()["statuses_count"] == "1"


@pytest.mark.parametrize("name", ["", "123", "a b", "ca$ts"])
def test_what_is_no_hashtag_cannot_be_featured(alice, client_for, name):
    response = client_for(alice).post("/api/v1/featured_tags", {"name": name})

    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: Tag is invalid"}
    assert not FeaturedTag.objects.exists()


def test_at_most_ten_tags_are_featured(alice, client_for):
    client = client_for(alice)
    for n in range(10):
        assert client.post("/api/v1/featured_tags", {"name": f"tag{n}"}).status_code == 200

    response = client.post("/api/v1/featured_tags", {"name": "eleventh"})

    assert response.status_code == 422
    assert "maximum" in response.json()["error"]
    assert FeaturedTag.objects.filter(account=alice.account).count() == 10
    assert client.post("/api/v1/featured_tags", {"name": "tag3"}).status_code == 200
    assert client.post("/api/v1/tags/eleventh/feature").status_code == 422


def test_unfeaturing_by_id(alice, bob, client_for):
    mine = client_for(alice).post("/api/v1/featured_tags", {"name": "cats"}).json()
    theirs = client_for(bob).post("/api/v1/featured_tags", {"name": "dogs"}).json()
    client = client_for(alice, scopes="write:accounts")

    assert client.delete(f"/api/v1/featured_tags/{theirs['id']}").status_code == 404
    assert client.delete("/api/v1/featured_tags/999999").status_code == 404
    response = client.delete(f"/api/v1/featured_tags/{mine['id']}")

    assert response.status_code == 200
    assert response.json() == {}
    assert list(FeaturedTag.objects.values_list("tag__name", flat=True)) == ["dogs"]


def test_featured_tags_need_a_token_with_the_right_scope(alice, anon, client_for):
    FeaturedTag.objects.create(account=alice.account, tag=Tag.objects.create(name="cats"))
    featured_id = FeaturedTag.objects.get().id
    reader = client_for(alice, scopes="read:accounts")

    assert anon.get("/api/v1/featured_tags").status_code == 401
    assert anon.post("/api/v1/featured_tags", {"name": "x"}).status_code == 401
    assert anon.get("/api/v1/featured_tags/suggestions").status_code == 401
    assert reader.get("/api/v1/featured_tags").status_code == 200
    assert reader.get("/api/v1/featured_tags/suggestions").status_code == 200
    assert reader.post("/api/v1/featured_tags", {"name": "x"}).status_code == 403
    assert reader.delete(f"/api/v1/featured_tags/{featured_id}").status_code == 403
    assert reader.post("/api/v1/tags/cats/unfeature").status_code == 403
    assert anon.post("/api/v1/tags/cats/feature").status_code == 401
    assert (
        client_for(alice, scopes="write:statuses").get("/api/v1/featured_tags").status_code == 403
    )


def test_an_accounts_featured_tags_are_public_and_most_used_first(alice, bob, anon, client_for):
    me = alice.account
    post(me, "one", tags=["rarely"])
    for n in range(3):
        post(me, f"often {n}", tags=["often"])
    client = client_for(alice)
    client.post("/api/v1/featured_tags", {"name": "rarely"})
    client.post("/api/v1/featured_tags", {"name": "often"})
    client.post("/api/v1/featured_tags", {"name": "never"})
    client_for(bob).post("/api/v1/featured_tags", {"name": "other"})

    response = anon.get(f"/api/v1/accounts/{me.id}/featured_tags")

    assert response.status_code == 200
    assert [(t["name"], t["statuses_count"]) for t in response.json()] == [
        ("often", "3"),
        ("rarely", "1"),
        ("never", "0"),
    ]
    assert anon.get("/api/v1/accounts/987654321/featured_tags").status_code == 404


def test_a_suspended_account_shows_no_featured_tags(alice, client_for):
    client_for(alice).post("/api/v1/featured_tags", {"name": "cats"})
    alice.account.suspended_at = timezone.now()
    alice.account.save()

    response = client_for(None, scopes="read").get(
        f"/api/v1/accounts/{alice.account.id}/featured_tags"
    )

    assert response.json() == []


def test_listing_featured_tags_runs_the_same_queries_for_one_or_ten(alice, anon, client_for):
    me = alice.account
    url = f"/api/v1/accounts/{me.id}/featured_tags"
    client = client_for(alice)
    client.post("/api/v1/featured_tags", {"name": "tag0"})
    post(me, "x", tags=["tag0"])

    with CaptureQueriesContext(connection) as one:
        assert len(anon.get(url).json()) == 1
    for n in range(1, 10):
        post(me, f"x{n}", tags=[f"tag{n}"])
        client.post("/api/v1/featured_tags", {"name": f"tag{n}"})
    with CaptureQueriesContext(connection) as ten:
        assert len(anon.get(url).json()) == 10

    assert len(ten.captured_queries) == len(one.captured_queries)


def test_featured_tag_suggestions_are_the_most_used_recent_tags_not_yet_featured(alice, client_for):
    me = alice.account
    for n in range(3):
        post(me, f"a{n}", tags=["python", "django"])
    post(me, "b", tags=["python"])
    post(me, "c", tags=["rarely"])
    post(me, "secret", tags=["secret", "secret2"], visibility=Visibility.PRIVATE)
    client = client_for(alice)
    client.post("/api/v1/featured_tags", {"name": "django"})

    data = client.get("/api/v1/featured_tags/suggestions").json()

    assert [t["name"] for t in data] == ["python", "rarely"]
    python = data[0]
    assert python["id"] == str(Tag.objects.get(name="python").id)
    assert python["url"] == "http://localhost:8000/tags/python"
    assert len(python["history"]) == 7
    assert python["history"][0]["uses"] == "4"
    assert python["following"] is False
    assert python["featuring"] is False


def test_featured_tag_suggestions_are_ten_at_most(alice, client_for):
    for n in range(12):
        post(alice.account, f"s{n}", tags=[f"topic{n}"])

    assert len(client_for(alice).get("/api/v1/featured_tags/suggestions").json()) == 10


def test_feature_and_unfeature_a_tag_by_name(alice, client_for):
    client = client_for(alice, scopes="write:accounts read:accounts")

    featured = client.post("/api/v1/tags/Caturday/feature")

    assert featured.status_code == 200, featured.content
    tag = Tag.objects.get(name="caturday")
    data = featured.json()
    assert data["id"] == str(tag.id)
    assert data["name"] == "Caturday"
    assert data["url"] == "http://localhost:8000/tags/caturday"
    assert len(data["history"]) == 7
    assert data["following"] is False
    assert data["featuring"] is True
    assert client.post("/api/v1/tags/caturday/feature").json()["featuring"] is True
    assert FeaturedTag.objects.filter(account=alice.account).count() == 1
    assert client.get("/api/v1/featured_tags").json()[0]["name"] == "Caturday"

    unfeatured = client.post("/api/v1/tags/CATURDAY/unfeature")

    assert unfeatured.status_code == 200
    assert unfeatured.json()["featuring"] is False
    assert not FeaturedTag.objects.exists()
    again = client.post("/api/v1/tags/caturday/unfeature")  # idempotent
    assert again.status_code == 200
    assert again.json()["featuring"] is False


def test_what_is_no_hashtag_is_not_found_for_feature(alice, client_for):
    client = client_for(alice)

    assert client.post("/api/v1/tags/123/feature").status_code == 404
    assert client.post("/api/v1/tags/123/unfeature").status_code == 404
    assert not Tag.objects.exists()


def test_unfeaturing_a_tag_nobody_used_answers_the_tag(alice, client_for):
    data = client_for(alice).post("/api/v1/tags/neverused/unfeature").json()

    assert data["name"] == "neverused"
    assert data["featuring"] is False
    assert not Tag.objects.exists()
