"""Hashtags: a tag's page data, following and unfollowing, the followed list."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from statuses.models import Status, Tag, TagFollow

pytestmark = pytest.mark.django_db


def midnight(days_ago=0):
    day = timezone.now().astimezone(UTC).date() - timedelta(days=days_ago)
    return str(int(datetime.combine(day, time.min, tzinfo=UTC).timestamp()))


def test_a_tag_with_its_week_of_history(alice, bob, post, anon):
    post(alice, "#Cats are great")
    post(alice, "#cats again")
    post(bob, "#cats too")
    post(bob, "#cats secretly", visibility="private")
    old = post(alice, "#cats long ago")
    Status.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(days=2))

    data = anon.get("/api/v1/tags/Cats").json()
    assert data["name"] == "Cats"  # as first typed
    assert data["url"] == "http://localhost:8000/tags/cats"
    assert "following" not in data
    history = data["history"]
    assert len(history) == 7
    assert [h["day"] for h in history] == [midnight(n) for n in range(7)]
    assert history[0] == {"day": midnight(0), "uses": "3", "accounts": "2"}
    assert history[2] == {"day": midnight(2), "uses": "1", "accounts": "1"}
    assert history[1] == {"day": midnight(1), "uses": "0", "accounts": "0"}


def test_an_unused_tag_still_answers(anon):
    data = anon.get("/api/v1/tags/nothing").json()
    assert data["name"] == "nothing"
    assert all(h["uses"] == "0" for h in data["history"])
    assert not Tag.objects.exists()


def test_what_is_no_hashtag_is_not_found(anon):
    assert anon.get("/api/v1/tags/123").status_code == 404
    assert anon.get("/api/v1/tags/a-b").status_code == 404


def test_following_and_unfollowing_a_tag(alice, client_for):
    client = client_for(alice)
    assert client.get("/api/v1/tags/python").json()["following"] is False
    followed = client.post("/api/v1/tags/Python/follow")
    assert followed.status_code == 200
    assert followed.json()["following"] is True
    assert client.post("/api/v1/tags/python/follow").json()["following"] is True  # idempotent
    assert TagFollow.objects.filter(account=alice.account).count() == 1
    assert client.get("/api/v1/tags/PYTHON").json()["following"] is True
    assert client.post("/api/v1/tags/python/unfollow").json()["following"] is False
    assert client.post("/api/v1/tags/python/unfollow").json()["following"] is False
    assert client.post("/api/v1/tags/never_seen/unfollow").json()["following"] is False


def test_following_tags_needs_write_follows(alice, client_for):
    assert client_for(alice, scopes="read").post("/api/v1/tags/x/follow").status_code == 403
    assert (
        client_for(alice, scopes="write:follows").post("/api/v1/tags/x/follow").status_code == 200
    )


def test_followed_tags_are_listed_newest_first_with_a_link_header(alice, client_for):
    client = client_for(alice)
    for name in ("one", "two", "three"):
        client.post(f"/api/v1/tags/{name}/follow")
    response = client.get("/api/v1/followed_tags", {"limit": 2})
    assert [t["name"] for t in response.json()] == ["three", "two"]
    assert all(t["following"] is True and len(t["history"]) == 7 for t in response.json())
    oldest_shown = TagFollow.objects.get(tag__name="two")
    assert f"max_id={oldest_shown.id}" in response.headers["Link"]
    rest = client.get("/api/v1/followed_tags", {"max_id": oldest_shown.id})
    assert [t["name"] for t in rest.json()] == ["one"]
    assert client_for(alice, scopes="read:statuses").get("/api/v1/followed_tags").status_code == 403
