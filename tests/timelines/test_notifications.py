"""Notifications: listing, filtering, one, dismiss, clear and the unread count."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Block, Follow, Mute
from statuses.models import Status
from tests.timelines.helpers import ids, post
from timelines.models import Marker, Notification
from timelines.notifications import notify

URL = "/api/v1/notifications"


def test_notification_entity(alice, bob, client_for):
    status = post(alice, "my post")
    fav = notify(alice.account, "favourite", from_account=bob.account, status=status)
    followed = notify(alice.account, "follow", from_account=bob.account)

    body = client_for(alice).get(URL).json()

    assert [n["id"] for n in body] == [str(followed.id), str(fav.id)]
    assert body[0] == {
        "id": str(followed.id),
        "type": "follow",
        "created_at": body[0]["created_at"],
        "group_key": f"ungrouped-{followed.id}",
        "account": body[0]["account"],
    }  # `status` is optional and not nullable: a follow notification leaves it out
    assert body[0]["account"]["id"] == str(bob.account.id)
    assert body[0]["created_at"].endswith("Z")
    assert body[1]["status"]["id"] == str(status.id)
    assert body[1]["status"]["favourited"] is False  # viewer flags present


def test_types_exclude_types_and_account_id(alice, bob, make_user, client_for):
    carol = make_user("carol")
    status = post(alice)
    fav = notify(alice.account, "favourite", from_account=bob.account, status=status)
    fol = notify(alice.account, "follow", from_account=carol.account)
    reb = notify(alice.account, "reblog", from_account=carol.account, status=status)
    client = client_for(alice)

    assert ids(client.get(URL, {"types[]": ["follow", "favourite"]})) == [str(fol.id), str(fav.id)]
    assert ids(client.get(URL, {"exclude_types[]": ["follow"]})) == [str(reb.id), str(fav.id)]
    assert ids(client.get(URL, {"account_id": carol.account.id})) == [str(reb.id), str(fol.id)]


def test_paging_and_link_header(alice, make_user, client_for):
    made = [
        notify(alice.account, "follow", from_account=make_user(f"f{i}").account) for i in range(5)
    ]
    client = client_for(alice)

    page = client.get(URL, {"limit": 2})
    assert ids(page) == [str(made[4].id), str(made[3].id)]
    assert f"max_id={made[3].id}" in page["Link"]
    assert ids(client.get(URL, {"max_id": made[3].id, "limit": 2})) == [
        str(made[2].id),
        str(made[1].id),
    ]
    assert ids(client.get(URL, {"min_id": made[0].id, "limit": 2})) == [
        str(made[2].id),
        str(made[1].id),
    ]
    assert ids(client.get(URL, {"since_id": made[2].id})) == [str(made[4].id), str(made[3].id)]


def test_hidden_when_sender_is_blocked_or_muted_later(alice, bob, make_user, client_for):
    carol, dave = make_user("carol"), make_user("dave")
    notify(alice.account, "follow", from_account=bob.account)
    notify(alice.account, "follow", from_account=carol.account)
    kept_mute = notify(alice.account, "follow", from_account=dave.account)
    Block.objects.create(account=alice.account, target_account=bob.account)
    Mute.objects.create(account=alice.account, target_account=carol.account)
    # A mute that keeps notifications does not hide them.
    Mute.objects.create(
        account=alice.account, target_account=dave.account, hide_notifications=False
    )

    assert ids(client_for(alice).get(URL)) == [str(kept_mute.id)]


def test_hidden_when_the_status_is_no_longer_visible(alice, bob, make_user, client_for):
    carol = make_user("carol")
    Follow.objects.create(account=alice.account, target_account=bob.account)
    private = post(bob, "private @alice", visibility="private")
    deleted = post(carol, "soon deleted")
    n1 = notify(alice.account, "status", from_account=bob.account, status=private)
    notify(alice.account, "mention", from_account=carol.account, status=deleted)
    client = client_for(alice)
    Status.objects.filter(id=deleted.id).update(deleted_at=timezone.now())

    assert ids(client.get(URL)) == [str(n1.id)]
    Follow.objects.filter(account=alice.account).delete()
    assert ids(client.get(URL)) == []
    assert client.get(f"{URL}/{n1.id}").status_code == 404


def test_get_one_dismiss_and_clear(alice, bob, client_for):
    mine = notify(alice.account, "follow", from_account=bob.account)
    theirs = notify(bob.account, "follow", from_account=alice.account)
    client = client_for(alice)

    assert client.get(f"{URL}/{mine.id}").json()["id"] == str(mine.id)
    assert client.get(f"{URL}/{theirs.id}").status_code == 404
    assert client.post(f"{URL}/{theirs.id}/dismiss").status_code == 404
    assert client.post(f"{URL}/{mine.id}/dismiss").json() == {}
    assert not Notification.objects.filter(id=mine.id).exists()

    notify(alice.account, "mention", from_account=bob.account, status=post(bob))
    assert client.post(f"{URL}/clear").json() == {}
    assert client.get(URL).json() == []
    assert Notification.objects.filter(id=theirs.id).exists()


def test_unread_count_uses_the_marker_and_caps(alice, make_user, client_for):
    made = [
        notify(alice.account, "follow", from_account=make_user(f"f{i}").account) for i in range(5)
    ]
    client = client_for(alice)

    assert client.get(f"{URL}/unread_count").json() == {"count": 5}
    Marker.objects.create(account=alice.account, timeline="notifications", last_read_id=made[1].id)
    assert client.get(f"{URL}/unread_count").json() == {"count": 3}
    assert client.get(f"{URL}/unread_count", {"limit": 2}).json() == {"count": 2}
    assert client.get(f"{URL}/unread_count", {"types[]": ["mention"]}).json() == {"count": 0}


def test_notification_scopes(alice, client_for):
    assert client_for(alice, scopes="read:statuses").get(URL).status_code == 403
    assert client_for(alice, scopes="read:notifications").get(URL).status_code == 200
    reader = client_for(alice, scopes="read:notifications")
    assert reader.post(f"{URL}/clear").status_code == 403
    assert client_for(alice, scopes="write:notifications").post(f"{URL}/clear").status_code == 200


def test_notify_reports_an_event_once(alice, bob):
    status = post(alice)
    first = notify(alice.account, "favourite", from_account=bob.account, status=status)
    second = notify(alice.account, "favourite", from_account=bob.account, status=status)

    assert first == second
    assert Notification.objects.count() == 1


def test_notifications_run_constant_queries(
    alice, make_user, client_for, django_assert_num_queries
):
    people = [make_user(f"p{i}") for i in range(5)]
    for i in range(45):
        who = people[i % 5].account
        if i % 3 == 0:
            notify(alice.account, "follow", from_account=who)
        else:
            status = post(who, f"@alice {i}", mentions=[alice], tags=["t"], fan_out=False)
            notify(alice.account, "mention", from_account=who, status=status)
    client = client_for(alice)

    def count(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"limit": limit}).status_code == 200
        return len(ctx.captured_queries)

    # The newest notification has a status in both cases.
    one = count(1)
    assert one == count(40)
    with django_assert_num_queries(one):
        assert len(ids(client.get(URL, {"limit": 40}))) == 40
