"""Grouped notifications (/api/v2/notifications): favourites, boosts and follows of the same
hour share a group; everything else is a group of one."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Block
from tests.timelines.helpers import post
from timelines.models import Marker, Notification
from timelines.notifications import notify

URL = "/api/v2/notifications"


def test_favourites_of_one_status_form_one_group(alice, make_user, client_for):
    status = post(alice, "popular")
    fans = [make_user(f"fan{i}") for i in range(3)]
    favs = [notify(alice.account, "favourite", from_account=f.account, status=status) for f in fans]
    mention = notify(alice.account, "mention", from_account=fans[0].account, status=post(fans[0]))

    body = client_for(alice).get(URL).json()

    assert set(body) == {"accounts", "statuses", "notification_groups"}
    groups = body["notification_groups"]
    assert [g["type"] for g in groups] == ["mention", "favourite"]
    assert groups[0]["group_key"] == f"ungrouped-{mention.id}"
    fav_group = groups[1]
    assert fav_group["group_key"].startswith(f"favourite-{status.id}-")
    assert fav_group["notifications_count"] == 3
    assert fav_group["most_recent_notification_id"] == str(favs[2].id)
    assert fav_group["page_max_id"] == str(favs[2].id)
    assert fav_group["page_min_id"] == str(favs[0].id)
    assert fav_group["latest_page_notification_at"].endswith("Z")
    assert fav_group["sample_account_ids"] == [str(f.account.id) for f in reversed(fans)]
    assert fav_group["status_id"] == str(status.id)
    assert {a["id"] for a in body["accounts"]} == {str(f.account.id) for f in fans}
    assert {s["id"] for s in body["statuses"]} == {str(status.id), str(mention.status_id)}


def test_group_count_covers_notifications_beyond_the_page(alice, make_user, client_for):
    status = post(alice)
    for i in range(4):
        notify(alice.account, "reblog", from_account=make_user(f"b{i}").account, status=status)
    client = client_for(alice)

    response = client.get(URL, {"limit": 2})
    groups = response.json()["notification_groups"]

    assert len(groups) == 1
    assert groups[0]["notifications_count"] == 4
    assert f"max_id={groups[0]['page_min_id']}" in response["Link"]
    assert f"min_id={groups[0]['page_max_id']}" in response["Link"]


def test_grouped_types_restricts_grouping(alice, make_user, client_for):
    follows = [
        notify(alice.account, "follow", from_account=make_user(f"f{i}").account) for i in range(2)
    ]
    client = client_for(alice)

    grouped = client.get(URL).json()["notification_groups"]
    assert len(grouped) == 1
    assert grouped[0]["notifications_count"] == 2
    assert "status_id" not in grouped[0]  # optional, not nullable: left out for follows

    ungrouped = client.get(URL, {"grouped_types[]": ["favourite"]}).json()["notification_groups"]
    assert [g["group_key"] for g in ungrouped] == [f"ungrouped-{n.id}" for n in reversed(follows)]


def test_one_group_its_accounts_and_dismissing_it(alice, bob, make_user, client_for):
    status = post(alice)
    carol = make_user("carol")
    notify(alice.account, "favourite", from_account=bob.account, status=status)
    notify(alice.account, "favourite", from_account=carol.account, status=status)
    client = client_for(alice)
    key = client.get(URL).json()["notification_groups"][0]["group_key"]

    one = client.get(f"{URL}/{key}").json()
    assert [g["group_key"] for g in one["notification_groups"]] == [key]
    assert one["notification_groups"][0]["notifications_count"] == 2
    assert "page_min_id" not in one["notification_groups"][0]

    accounts = client.get(f"{URL}/{key}/accounts").json()
    assert [a["id"] for a in accounts] == [str(carol.account.id), str(bob.account.id)]

    assert client_for(bob).get(f"{URL}/{key}").status_code == 404
    assert client.post(f"{URL}/{key}/dismiss").json() == {}
    assert not Notification.objects.filter(account=alice.account).exists()
    assert client.get(f"{URL}/{key}").status_code == 404
    assert client.get(f"{URL}/nonsense").status_code == 404


def test_blocked_senders_are_left_out_of_groups(alice, bob, make_user, client_for):
    status = post(alice)
    carol = make_user("carol")
    notify(alice.account, "favourite", from_account=bob.account, status=status)
    notify(alice.account, "favourite", from_account=carol.account, status=status)
    Block.objects.create(account=alice.account, target_account=bob.account)

    groups = client_for(alice).get(URL).json()["notification_groups"]

    assert groups[0]["notifications_count"] == 1
    assert groups[0]["sample_account_ids"] == [str(carol.account.id)]


def test_unread_group_count(alice, make_user, client_for):
    status = post(alice)
    first = notify(
        alice.account, "mention", from_account=make_user("m").account, status=post(alice)
    )
    for i in range(3):
        notify(alice.account, "favourite", from_account=make_user(f"f{i}").account, status=status)
    client = client_for(alice)

    assert client.get(f"{URL}/unread_count").json() == {"count": 2}
    Marker.objects.create(account=alice.account, timeline="notifications", last_read_id=first.id)
    assert client.get(f"{URL}/unread_count").json() == {"count": 1}


def test_grouped_notifications_run_constant_queries(
    alice, make_user, client_for, django_assert_num_queries
):
    people = [make_user(f"p{i}") for i in range(9)]
    statuses = [post(alice, f"s{i}") for i in range(5)]
    for i in range(45):  # the newest notification of every page is a favourite
        who = people[i % 9].account
        notify(alice.account, "mention", from_account=who, status=post(who, f"@alice {i}"))
        notify(alice.account, "favourite", from_account=who, status=statuses[i % 5])
    client = client_for(alice)

    def count(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"limit": limit}).status_code == 200
        return len(ctx.captured_queries)

    one = count(1)
    assert one == count(40)
    with django_assert_num_queries(one):
        client.get(URL, {"limit": 80})
