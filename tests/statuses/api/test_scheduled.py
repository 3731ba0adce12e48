"""Scheduled statuses: scheduling, listing, moving, cancelling, and publishing by beat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fedisocial.api.dates import iso
from statuses.models import ScheduledStatus, Status
from statuses.tasks import publish_due_scheduled_statuses_task
from timelines.models import Notification

pytestmark = pytest.mark.django_db


def later(minutes=10):
    return iso(timezone.now() + timedelta(minutes=minutes))


def schedule(client, when=None, **fields):
    return client.post(
        "/api/v1/statuses", {"status": "later", "scheduled_at": when or later(), **fields}
    )


def test_scheduling_returns_a_scheduled_status(alice, client_for):
    when = later(60)
    response = schedule(
        client_for(alice),
        when,
        spoiler_text="cw",
        visibility="unlisted",
        **{"poll[options][]": ["a", "b"], "poll[expires_in]": "600"},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["scheduled_at"] == when
    assert data["media_attachments"] == []
    params = data["params"]
    assert params["text"] == "later"
    assert params["spoiler_text"] == "cw"
    assert params["visibility"] == "unlisted"
    assert params["poll"] == {
        "options": ["a", "b"],
        "expires_in": 600,
        "multiple": False,
        "hide_totals": False,
    }
    assert params["scheduled_at"] is None
    assert params["media_ids"] is None
    assert params["in_reply_to_id"] is None
    assert isinstance(params["application_id"], int)
    assert set(params) >= {"sensitive", "language", "idempotency", "with_rate_limit"}
    assert not Status.objects.filter(account=alice.account).exists()


def test_scheduling_less_than_five_minutes_ahead_is_refused(alice, client_for):
    response = schedule(client_for(alice), later(3))
    assert response.status_code == 422
    assert response.json() == {
        "error": "Validation failed: Scheduled at The scheduled date must be in the future"
    }


def test_a_date_in_the_past_posts_now(alice, client_for):
    response = schedule(client_for(alice), iso(timezone.now() - timedelta(minutes=1)))
    assert response.status_code == 200
    assert "scheduled_at" not in response.json()
    assert Status.objects.filter(account=alice.account).count() == 1


def test_a_scheduled_status_is_validated_now(alice, client_for):
    response = schedule(client_for(alice), status="a" * 501)
    assert response.status_code == 422


def test_an_unreadable_date_is_refused(alice, client_for):
    response = schedule(client_for(alice), "next tuesday")
    assert response.status_code == 422


def test_listing_getting_moving_and_cancelling(alice, bob, client_for):
    client = client_for(alice)
    first = schedule(client, later(10)).json()
    second = schedule(client, later(20)).json()

    listing = client.get("/api/v1/scheduled_statuses")
    assert [s["id"] for s in listing.json()] == [second["id"], first["id"]]
    assert client.get(f"/api/v1/scheduled_statuses/{first['id']}").json() == first

    when = later(120)
    moved = client.put(f"/api/v1/scheduled_statuses/{first['id']}", {"scheduled_at": when})
    assert moved.json()["scheduled_at"] == when
    too_soon = client.put(f"/api/v1/scheduled_statuses/{first['id']}", {"scheduled_at": later(1)})
    assert too_soon.status_code == 422

    assert client.delete(f"/api/v1/scheduled_statuses/{first['id']}").json() == {}
    assert client.get(f"/api/v1/scheduled_statuses/{first['id']}").status_code == 404

    # Someone else's are not found.
    other = client_for(bob)
    assert other.get(f"/api/v1/scheduled_statuses/{second['id']}").status_code == 404
    assert other.delete(f"/api/v1/scheduled_statuses/{second['id']}").status_code == 404
    assert other.get("/api/v1/scheduled_statuses").json() == []


def test_beat_publishes_due_statuses_once(alice, bob, post, client_for):
    parent = post(bob, "parent")
    scheduled = schedule(
        client_for(alice),
        status="@bob reply",
        in_reply_to_id=str(parent.id),
        **{"poll[options][]": ["a", "b"], "poll[expires_in]": "600"},
    ).json()
    not_yet = schedule(client_for(alice), later(30)).json()

    publish_due_scheduled_statuses_task()
    assert not Status.objects.filter(account=alice.account).exists()

    ScheduledStatus.objects.filter(id=scheduled["id"]).update(
        scheduled_at=timezone.now() - timedelta(seconds=1)
    )
    publish_due_scheduled_statuses_task()
    publish_due_scheduled_statuses_task()

    published = Status.objects.get(account=alice.account)
    assert published.text == "@bob reply"
    assert published.in_reply_to_id == parent.id
    assert published.poll.options == ["a", "b"]
    assert Notification.objects.filter(account=bob.account, type="mention").count() == 1
    assert not ScheduledStatus.objects.filter(id=scheduled["id"]).exists()
    assert ScheduledStatus.objects.filter(id=not_yet["id"]).exists()


def test_a_scheduled_reply_to_a_deleted_status_is_dropped(alice, bob, post, client_for):
    from statuses.services import discard_status

    parent = post(bob, "parent")
    scheduled = schedule(client_for(alice), in_reply_to_id=str(parent.id)).json()
    discard_status(parent)
    ScheduledStatus.objects.filter(id=scheduled["id"]).update(
        scheduled_at=timezone.now() - timedelta(seconds=1)
    )
    publish_due_scheduled_statuses_task()
    assert not ScheduledStatus.objects.exists()
    assert not Status.objects.filter(account=alice.account).exists()


def test_scheduled_statuses_need_a_read_statuses_token(alice, client_for):
    assert (
        client_for(alice, scopes="read:accounts").get("/api/v1/scheduled_statuses").status_code
        == 403
    )
