"""The queue of posts waiting for their fan-out (timelines.fanout_queue): a post made through
the API reaches its followers' homes, a drain that finds every slot taken leaves the posts
queued for the next one, and one post whose fan-out fails does not hold back the others."""

from __future__ import annotations

import pytest
from django.conf import settings

from statuses.models import Status
from tests.timelines.helpers import boost, follow, post
from timelines import fanout_queue
from timelines.models import HOME_FEED, FeedEntry


def in_home(account_id: int, status_id: int) -> bool:
    return FeedEntry.objects.filter(
        account_id=account_id, list_id=HOME_FEED, status_id=status_id
    ).exists()


@pytest.fixture
def queue_empty():
    """The list is shared by the test run: start and end with nothing queued."""
    client = fanout_queue._client()
    keys = [fanout_queue._key(fanout_queue.LIST_KEY)] + [
        fanout_queue._key(fanout_queue.HELD_KEY.format(i)) for i in range(fanout_queue.DRAINERS)
    ]
    if client is not None:
        client.delete(*keys)
    yield
    if client is not None:
        client.delete(*keys)


def test_a_post_through_the_api_reaches_a_followers_home(
    make_user, client_for, queue_empty
) -> None:
    author, reader = make_user("author"), make_user("reader")
    follow(reader, author)
    response = client_for(author).post("/api/v1/statuses", {"status": "queued"})
    assert response.status_code == 200
    status_id = int(response.json()["id"])
    assert in_home(reader.account.id, status_id)
    assert in_home(author.account.id, status_id)
    assert fanout_queue.pending() == 0


@pytest.mark.skipif(not settings.REDIS_URL, reason="the queue is a Redis list")
def test_posts_wait_while_every_drainer_is_busy(make_user, queue_empty) -> None:
    author, reader = make_user("author"), make_user("reader")
    follow(reader, author)
    client = fanout_queue._client()
    slots = [
        fanout_queue._key(fanout_queue.SLOT_KEY.format(i)) for i in range(fanout_queue.DRAINERS)
    ]
    for slot in slots:
        client.set(slot, 1, ex=30)
    try:
        status = post(author, "while busy", fan_out=False)
        fanout_queue.enqueue(status.id)
        assert not in_home(reader.account.id, status.id)
        assert fanout_queue.pending() == 1
    finally:
        client.delete(*slots)
    assert fanout_queue.drain() == 1
    assert in_home(reader.account.id, status.id)
    assert fanout_queue.pending() == 0


@pytest.mark.skipif(not settings.REDIS_URL, reason="the queue is a Redis list")
def test_a_failing_fan_out_does_not_hold_back_the_next_post(
    make_user, queue_empty, monkeypatch
) -> None:
    author, reader = make_user("author"), make_user("reader")
    follow(reader, author)
    first = post(author, "first", fan_out=False)
    second = post(author, "second", fan_out=False)
    from timelines import tasks

    real_fan_out = tasks.fan_out

    def fan_out(status: Status) -> None:
        if status.id == first.id:
            raise RuntimeError("the database went away")
        real_fan_out(status)

    monkeypatch.setattr(tasks, "fan_out", fan_out)
    client = fanout_queue._client()
    client.rpush(fanout_queue._key(fanout_queue.LIST_KEY), first.id, second.id)
    assert fanout_queue.drain() == 2
    assert not in_home(reader.account.id, first.id)
    assert in_home(reader.account.id, second.id)


@pytest.mark.skipif(not settings.REDIS_URL, reason="the queue is a Redis list")
def test_what_a_killed_drainer_held_is_fanned_out_by_the_next(make_user, queue_empty) -> None:
    author, reader = make_user("author"), make_user("reader")
    follow(reader, author)
    status = post(author, "held when the worker died", fan_out=False)
    client = fanout_queue._client()
    # A drainer of slot 0 took the id, then died: its slot expired, the id stayed held.
    client.rpush(fanout_queue._key(fanout_queue.HELD_KEY.format(0)), status.id)
    assert fanout_queue.pending() == 0
    assert fanout_queue.drain() == 1
    assert in_home(reader.account.id, status.id)
    assert client.llen(fanout_queue._key(fanout_queue.HELD_KEY.format(0))) == 0


@pytest.mark.skipif(not settings.REDIS_URL, reason="the queue is a Redis list")
def test_posts_drained_together_each_reach_their_own_readers(make_user, queue_empty) -> None:
    """A drain loads the posts it takes together: each keeps its own mentions and tags."""
    from django.utils import timezone

    from statuses.models import Tag, TagFollow

    author, follower = make_user("author"), make_user("follower")
    mentioned, tag_reader = make_user("mentioned"), make_user("tagreader")
    follow(follower, author)
    follow(mentioned, author)
    TagFollow.objects.create(account=tag_reader.account, tag=Tag.objects.create(name="cats"))
    tagged = post(author, "#cats", tags=["cats"], fan_out=False)
    direct = post(author, "psst", visibility="direct", mentions=[mentioned], fan_out=False)
    other = post(make_user("other"), "boost me", fan_out=False)
    boosted = boost(author, other, fan_out=False)
    gone = post(author, "deleted before its fan-out", fan_out=False)
    Status.objects.filter(id=gone.id).update(deleted_at=timezone.now())
    queued = [tagged, direct, boosted, gone]
    client = fanout_queue._client()
    client.rpush(fanout_queue._key(fanout_queue.LIST_KEY), *[s.id for s in queued])

    assert fanout_queue.drain() == len(queued)

    assert in_home(follower.account.id, tagged.id)
    assert in_home(tag_reader.account.id, tagged.id)
    assert in_home(mentioned.account.id, direct.id)
    assert not in_home(follower.account.id, direct.id)
    assert not in_home(tag_reader.account.id, boosted.id)
    assert in_home(follower.account.id, boosted.id)
    assert not in_home(follower.account.id, gone.id)
