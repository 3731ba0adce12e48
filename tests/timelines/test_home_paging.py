"""Paging the home timeline: max_id/since_id/min_id, Link headers, the trimmed feed's end,
batched fan-out, and a constant number of queries per page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.timelines.helpers import boost, follow, ids, post
from timelines import fanout
from timelines.models import FeedEntry
from timelines.tasks import fan_out_status_task

HOME = "/api/v1/timelines/home"


@pytest.fixture
def ten(alice, bob):
    follow(alice, bob)
    return [post(bob, f"status {i}") for i in range(10)]  # oldest first


def _links(response) -> dict[str, dict[str, list[str]]]:
    links = {}
    for part in response["Link"].split(","):
        url, rel = part.split(";")
        links[rel.strip().split("=")[1].strip('"')] = parse_qs(urlparse(url.strip()[1:-1]).query)
    return links


def test_limit_max_id_since_id_and_link_header(alice, client_for, ten):
    client = client_for(alice)

    first = client.get(HOME, {"limit": 3})
    assert ids(first) == [str(s.id) for s in ten[9:6:-1]]
    links = _links(first)
    assert links["next"]["max_id"] == [str(ten[7].id)]
    assert links["prev"]["min_id"] == [str(ten[9].id)]
    assert links["next"]["limit"] == ["3"]

    second = client.get(HOME, {"limit": 3, "max_id": ten[7].id})
    assert ids(second) == [str(s.id) for s in ten[6:3:-1]]

    newest = client.get(HOME, {"limit": 3, "since_id": ten[2].id})
    assert ids(newest) == [str(s.id) for s in ten[9:6:-1]]


def test_min_id_returns_the_page_just_above_it(alice, client_for, ten):
    response = client_for(alice).get(HOME, {"limit": 3, "min_id": ten[2].id})

    assert ids(response) == [str(s.id) for s in ten[5:2:-1]]


def test_min_id_and_max_id_together(alice, client_for, ten):
    response = client_for(alice).get(HOME, {"min_id": ten[2].id, "max_id": ten[6].id})

    assert ids(response) == [str(s.id) for s in ten[5:2:-1]]


def test_empty_page_has_no_link_header(alice, client_for):
    response = client_for(alice).get(HOME)

    assert response.json() == []
    assert "Link" not in response


def test_filtered_entries_do_not_shorten_a_page(alice, bob, make_user, client_for):
    from accounts.models import Mute

    carol = make_user("carol")
    follow(alice, bob)
    follow(alice, carol)
    kept = [post(bob, f"kept {i}") for i in range(3)]
    for i in range(25):
        post(carol, f"muted {i}")
    Mute.objects.create(account=alice.account, target_account=carol.account)

    assert ids(client_for(alice).get(HOME, {"limit": 3})) == [str(s.id) for s in kept[::-1]]


def test_feed_is_trimmed_and_reading_past_it_falls_back_to_the_database(
    alice, bob, client_for, settings
):
    settings.FEED_MAX_ITEMS = 5
    follow(alice, bob)
    statuses = [post(bob, f"status {i}") for i in range(12)]

    feed = list(
        FeedEntry.objects.filter(account_id=alice.account.id).values_list("status_id", flat=True)
    )
    assert sorted(feed) == [s.id for s in statuses[-5:]]

    client = client_for(alice)
    assert ids(client.get(HOME, {"limit": 4})) == [str(s.id) for s in statuses[11:7:-1]]
    past = client.get(HOME, {"limit": 4, "max_id": statuses[8].id})
    assert ids(past) == [str(s.id) for s in statuses[7:3:-1]]
    far = client.get(HOME, {"limit": 40, "max_id": statuses[2].id})
    assert ids(far) == [str(s.id) for s in statuses[1::-1]]


def test_fallback_keeps_private_statuses_of_unfollowed_accounts_out(
    alice, bob, make_user, client_for, settings
):
    settings.FEED_MAX_ITEMS = 3
    carol = make_user("carol")
    follow(alice, bob)
    follow(alice, carol)
    hidden = post(carol, "private", visibility="private")
    public = post(carol, "public")
    newer = [post(bob, f"bob {i}") for i in range(4)]
    carol_follow = alice.account.following_set.get(target_account=carol.account)
    carol_follow.delete()

    response = client_for(alice).get(HOME, {"limit": 40, "max_id": newer[1].id})

    # carol is no longer followed: neither her private nor her public status comes back.
    assert ids(response) == [str(newer[0].id)]
    assert {hidden.id, public.id}.isdisjoint({s.id for s in newer})


def test_large_fan_out_is_split_into_one_task_per_batch(
    alice, make_user, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(fanout, "FOLLOWERS_PER_TASK", 2)
    calls = []
    original = fanout.tasks.fan_out_followers_task.delay

    def spy(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(fanout.tasks.fan_out_followers_task, "delay", spy)
    followers = [make_user(f"follower{i}") for i in range(5)]
    for f in followers:
        follow(f, alice)

    status = post(alice, "to many")

    assert len(calls) == 3
    for f in followers:
        assert FeedEntry.objects.filter(account_id=f.account.id, status_id=status.id).exists()


def test_fan_out_of_a_missing_or_deleted_status_does_nothing(alice):
    from django.utils import timezone

    fan_out_status_task(123456789)
    status = post(alice, fan_out=False, deleted_at=timezone.now())
    fan_out_status_task(status.id)

    assert not FeedEntry.objects.exists()


def _count_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(HOME, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_home_runs_the_same_queries_for_one_status_as_for_forty(
    alice, bob, make_user, client_for, django_assert_num_queries
):
    carol = make_user("carol")
    follow(alice, bob)
    follow(alice, carol)
    for i in range(45):
        original = post(carol if i % 2 else bob, f"status {i}", mentions=[alice], tags=["x"])
        if i % 3 == 0:
            boost(bob, post(make_user(f"u{i}"), "boosted", tags=["y"]))
    # by someone alice does not follow, so that the boost itself enters her home
    boost(bob, post(make_user("dave"), "newest is a boost"))
    assert original
    client = client_for(alice)

    one = _count_queries(client, {"limit": 1})
    forty = _count_queries(client, {"limit": 40})
    assert one == forty
    with django_assert_num_queries(one):
        assert len(ids(client.get(HOME, {"limit": 40}))) == 40
