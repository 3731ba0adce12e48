"""Lists: CRUD, members (followed accounts only), list timelines and their replies policy."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import FollowRequest
from tests.timelines.helpers import boost, follow, ids, post
from timelines.models import FeedEntry, List, ListAccount

LISTS = "/api/v1/lists"


def make_list(client, title="Friends", **fields):
    response = client.post(LISTS, {"title": title, **fields}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def add(client, list_id, *accounts):
    return client.post(
        f"{LISTS}/{list_id}/accounts",
        {"account_ids": [str(a.account.id) for a in accounts]},
        format="json",
    )


def timeline(client, list_id, **params):
    return client.get(f"/api/v1/timelines/list/{list_id}", params)


def test_create_show_update_delete(alice, client_for):
    client = client_for(alice)

    created = make_list(client, "Friends")
    assert created == {
        "id": created["id"],
        "title": "Friends",
        "replies_policy": "list",
        "exclusive": False,
    }
    assert client.get(LISTS).json() == [created]
    assert client.get(f"{LISTS}/{created['id']}").json() == created

    updated = client.put(
        f"{LISTS}/{created['id']}",
        {"title": "Close friends", "replies_policy": "followed", "exclusive": "true"},
    ).json()
    assert updated == {
        **created,
        "title": "Close friends",
        "replies_policy": "followed",
        "exclusive": True,
    }

    assert client.delete(f"{LISTS}/{created['id']}").json() == {}
    assert client.get(f"{LISTS}/{created['id']}").status_code == 404


def test_create_validates_title_and_policy(alice, client_for):
    client = client_for(alice)

    blank = client.post(LISTS, {"title": " "})
    assert blank.status_code == 422
    assert blank.json() == {"error": "Validation failed: Title can't be blank"}
    assert client.post(LISTS, {"title": "x", "replies_policy": "all"}).status_code == 422
    assert make_list(client, "x", replies_policy="none")["replies_policy"] == "none"


def test_someone_elses_list_is_not_found(alice, bob, client_for):
    theirs = make_list(client_for(bob))
    client = client_for(alice)

    for response in (
        client.get(f"{LISTS}/{theirs['id']}"),
        client.put(f"{LISTS}/{theirs['id']}", {"title": "mine"}),
        client.delete(f"{LISTS}/{theirs['id']}"),
        client.get(f"{LISTS}/{theirs['id']}/accounts"),
        timeline(client, theirs["id"]),
    ):
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}
    assert List.objects.filter(id=theirs["id"], title="Friends").exists()


def test_list_scopes(alice, client_for):
    reader = client_for(alice, scopes="read:lists")
    assert reader.get(LISTS).status_code == 200
    assert reader.post(LISTS, {"title": "x"}).status_code == 403
    assert client_for(alice, scopes="write:lists").post(LISTS, {"title": "x"}).status_code == 200
    assert client_for(alice, scopes="read:statuses").get(LISTS).status_code == 403


def test_only_followed_accounts_can_be_added(alice, bob, make_user, client_for):
    carol, dave = make_user("carol"), make_user("dave")
    follow(alice, bob)
    FollowRequest.objects.create(account=alice.account, target_account=dave.account)
    client = client_for(alice)
    lst = make_list(client)

    not_followed = add(client, lst["id"], bob, carol)
    assert not_followed.status_code == 404
    assert not ListAccount.objects.exists()  # all or nothing

    assert add(client, lst["id"]).json() == {}  # nothing to add
    assert add(client, lst["id"], bob, dave).json() == {}
    again = add(client, lst["id"], bob)
    assert again.status_code == 422
    assert again.json() == {"error": "Validation failed: Account has already been taken"}

    members = client.get(f"{LISTS}/{lst['id']}/accounts")
    assert sorted(a["id"] for a in members.json()) == sorted(
        [str(bob.account.id), str(dave.account.id)]
    )


def test_list_accounts_are_paged(alice, make_user, client_for):
    client = client_for(alice)
    lst = make_list(client)
    people = [make_user(f"p{i}") for i in range(3)]
    for p in people:
        follow(alice, p)
    add(client, lst["id"], *people)

    page = client.get(f"{LISTS}/{lst['id']}/accounts", {"limit": 2})
    assert len(page.json()) == 2
    assert 'rel="next"' in page["Link"]
    everyone = client.get(f"{LISTS}/{lst['id']}/accounts", {"limit": 0})
    assert len(everyone.json()) == 3
    assert "Link" not in everyone


def test_list_timeline_gets_members_statuses_and_merges_on_add(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(alice, bob)
    follow(alice, carol)
    earlier = post(bob, "before being added")
    client = client_for(alice)
    lst = make_list(client)
    add(client, lst["id"], bob)

    later = post(bob, "after")
    post(carol, "not in the list")

    response = timeline(client, lst["id"])
    assert ids(response) == [str(later.id), str(earlier.id)]
    assert "Link" in response
    # The list is not exclusive: the home feed has them too.
    assert str(later.id) in ids(client.get("/api/v1/timelines/home"))


def test_removing_a_member_takes_its_statuses_out(alice, bob, client_for):
    follow(alice, bob)
    client = client_for(alice)
    lst = make_list(client)
    add(client, lst["id"], bob)
    post(bob)

    response = client.delete(
        f"{LISTS}/{lst['id']}/accounts", {"account_ids[]": [str(bob.account.id)]}
    )
    assert response.json() == {}
    assert ids(timeline(client, lst["id"])) == []
    assert client.get(f"{LISTS}/{lst['id']}/accounts").json() == []


def test_exclusive_list_keeps_members_out_of_home(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(alice, bob)
    follow(alice, carol)
    client = client_for(alice)
    lst = make_list(client, exclusive=True)
    add(client, lst["id"], bob)

    from_bob = post(bob, "only in the list")
    from_carol = post(carol, "home")

    assert ids(timeline(client, lst["id"])) == [str(from_bob.id)]
    assert ids(client.get("/api/v1/timelines/home")) == [str(from_carol.id)]


def test_replies_policy(alice, bob, make_user, client_for):
    carol, dave = make_user("carol"), make_user("dave")
    for who in (bob, carol, dave):
        follow(alice, who)
    client = client_for(alice)
    lists = {
        policy: make_list(client, policy, replies_policy=policy)
        for policy in ("followed", "list", "none")
    }
    for lst in lists.values():
        add(client, lst["id"], bob, carol)

    to_member = post(bob, "to carol", in_reply_to=post(carol, "root", fan_out=False))
    to_followed = post(bob, "to dave", in_reply_to=post(dave, "root", fan_out=False))
    to_me = post(bob, "to alice", in_reply_to=post(alice, "root", fan_out=False))

    def seen(policy):
        return set(ids(timeline(client, lists[policy]["id"])))

    assert seen("followed") == {str(to_member.id), str(to_followed.id), str(to_me.id)}
    assert seen("list") == {str(to_member.id), str(to_me.id)}
    assert seen("none") == {str(to_me.id)}


def test_list_gets_boosts_under_the_owners_rules(alice, bob, make_user, client_for):
    follow(alice, bob, show_reblogs=False)
    client = client_for(alice)
    lst = make_list(client)
    add(client, lst["id"], bob)

    boost(bob, post(make_user("carol"), "boosted"))

    assert ids(timeline(client, lst["id"])) == []


def test_deleting_a_list_drops_its_feed(alice, bob, client_for):
    follow(alice, bob)
    client = client_for(alice)
    lst = make_list(client)
    add(client, lst["id"], bob)
    post(bob)
    assert FeedEntry.objects.filter(list_id=lst["id"]).exists()

    client.delete(f"{LISTS}/{lst['id']}")

    assert not FeedEntry.objects.filter(list_id=lst["id"]).exists()


def test_list_timeline_runs_constant_queries(
    alice, bob, make_user, client_for, django_assert_num_queries
):
    follow(alice, bob)
    client = client_for(alice)
    lst = make_list(client)
    add(client, lst["id"], bob)
    for i in range(45):
        post(bob, f"s{i}", mentions=[alice], tags=["t"])
    url = f"/api/v1/timelines/list/{lst['id']}"

    def count(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, {"limit": limit}).status_code == 200
        return len(ctx.captured_queries)

    one = count(1)
    assert one == count(40)
    with django_assert_num_queries(one):
        assert len(ids(client.get(url, {"limit": 40}))) == 40
