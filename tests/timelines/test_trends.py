"""Trends through the API: hashtags and statuses ranked from public activity, links empty."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Block, FeaturedTag, Mute
from statuses.models import Status, Tag, TagFollow
from tests.factories.accounts import RemoteAccountFactory
from tests.timelines.helpers import ids, post

pytestmark = pytest.mark.django_db

TAGS = "/api/v1/trends/tags"
STATUSES = "/api/v1/trends/statuses"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()]


def tagged(author, *tags, visibility="public", **fields) -> Status:
    return post(author, "tagged", tags=tags, visibility=visibility, fan_out=False, **fields)


def trending(author, text="popular", *, score=1, **fields) -> Status:
    """A status that may trend, with ``score`` boosts and favourites between them."""
    boosts = score // 2
    return post(
        author, text, fan_out=False, reblogs_count=boosts, favourites_count=score - boosts, **fields
    )


@pytest.fixture
def people(make_user):
    return [make_user(f"person{n}", discoverable=True) for n in range(4)]


# --- Hashtags ------------------------------------------------------------------------------------


def test_tags_rank_by_how_many_accounts_used_them(people, anon):
    for person in people[:3]:
        tagged(person, "Widespread")
    for _ in range(5):
        tagged(people[0], "chatty")  # one account, many statuses
    tagged(people[0], "pair")
    tagged(people[1], "pair")

    response = anon.get(TAGS)

    assert names(response) == ["Widespread", "pair", "chatty"]
    first = response.json()[0]
    assert set(first) == {"id", "name", "url", "history"}  # no viewer flags when signed out
    assert first["id"] == str(Tag.objects.get(name="widespread").id)
    assert first["url"] == "http://localhost:8000/tags/widespread"
    assert len(first["history"]) == 7
    assert first["history"][0]["accounts"] == "3"
    assert first["history"][0]["uses"] == "3"


def test_only_public_statuses_count_towards_trending_tags(people, anon):
    for visibility in ("unlisted", "private", "direct"):
        for person in people:
            tagged(person, "hush", visibility=visibility)
    tagged(people[0], "open")
    tagged(people[1], "mixed")
    for person in people[1:]:
        tagged(person, "mixed", visibility="private")
    tagged(people[2], "mixed")

    assert names(anon.get(TAGS)) == ["mixed", "open"]
    mixed = anon.get(TAGS).json()[0]
    assert mixed["history"][0] == {"day": mixed["history"][0]["day"], "uses": "2", "accounts": "2"}


def test_old_deleted_and_suspended_uses_do_not_count(people, make_user, anon):
    tagged(people[0], "ancient", created_at=timezone.now() - timedelta(days=8))
    tagged(people[0], "removed", deleted_at=timezone.now())
    gone = make_user("gone", suspended_at=timezone.now())
    tagged(gone, "suspended")
    limited = make_user("limited", silenced_at=timezone.now())
    tagged(limited, "limited")
    tagged(people[1], "recent", created_at=timezone.now() - timedelta(days=5))

    assert names(anon.get(TAGS)) == ["recent"]


def test_remote_public_statuses_count_too(anon):
    tagged(RemoteAccountFactory(), "fediverse")

    assert names(anon.get(TAGS)) == ["fediverse"]


def test_trending_tags_limit_offset_and_link_header(people, anon):
    for n in range(25):
        tagged(people[n % 4], f"topic{n:02d}")

    assert len(anon.get(TAGS).json()) == 10
    assert len(anon.get(TAGS, {"limit": 50}).json()) == 20
    first = names(anon.get(TAGS, {"limit": 5}))
    second = anon.get(TAGS, {"limit": 5, "offset": 5})
    assert first == [f"topic{n:02d}" for n in range(5)]
    assert names(second) == [f"topic{n:02d}" for n in range(5, 10)]
    link = second.headers["Link"]
    assert 'offset=10>; rel="next"' in link
    assert 'offset=0>; rel="prev"' in link
    last = anon.get(TAGS, {"limit": 20, "offset": 20})
    assert len(last.json()) == 5
    assert 'rel="next"' not in last.headers["Link"]


def test_signed_in_viewers_see_their_following_and_featuring(alice, people, client_for):
    tagged(people[0], "followed")
    tagged(people[0], "featured")
    TagFollow.objects.create(account=alice.account, tag=Tag.objects.get(name="followed"))
    FeaturedTag.objects.create(account=alice.account, tag=Tag.objects.get(name="featured"))

    data = {t["name"]: t for t in client_for(alice, scopes="read").get(TAGS).json()}

    assert (data["followed"]["following"], data["followed"]["featuring"]) == (True, False)
    assert (data["featured"]["following"], data["featured"]["featuring"]) == (False, True)


def test_the_deprecated_trends_path_answers_tags(people, anon):
    tagged(people[0], "alias")

    assert names(anon.get("/api/v1/trends")) == ["alias"]


def test_trends_are_public_for_any_token(alice, client_for):
    for url in (TAGS, STATUSES, "/api/v1/trends/links"):
        assert client_for(alice, scopes="write:statuses").get(url).status_code == 200
        assert client_for(None, scopes="read").get(url).status_code == 200


# --- Statuses ------------------------------------------------------------------------------------


def test_statuses_rank_by_boosts_and_favourites(people, anon):
    middling = trending(people[0], score=3)
    top = trending(people[1], score=10)
    low = trending(people[2], score=1)
    trending(people[3], "nobody cared", score=0)

    response = anon.get(STATUSES)

    assert ids(response) == [str(top.id), str(middling.id), str(low.id)]
    entity = response.json()[0]
    assert entity["account"]["id"] == str(people[1].account.id)
    assert (entity["reblogs_count"], entity["favourites_count"]) == (5, 5)
    assert "favourited" not in entity  # no viewer


def test_private_and_direct_statuses_never_trend(people, anon):
    trending(people[0], "unlisted", score=50, visibility="unlisted")
    trending(people[0], "private", score=50, visibility="private")
    trending(people[0], "direct", score=50, visibility="direct", mentions=[people[1]])
    shown = trending(people[0], "public", score=1)

    assert ids(anon.get(STATUSES)) == [str(shown.id)]


def test_what_mastodon_keeps_out_of_trending_statuses(people, make_user, anon):
    shown = trending(people[0], score=1)
    trending(people[0], "sensitive", score=9, sensitive=True)
    trending(people[0], "behind a warning", score=9, spoiler_text="spoilers")
    trending(people[1], "a reply", score=9, in_reply_to=shown)
    trending(people[0], "old", score=9, created_at=timezone.now() - timedelta(days=3))
    trending(people[0], "deleted", score=9, deleted_at=timezone.now())
    trending(make_user("shy"), "not discoverable", score=9)
    trending(make_user("limited", discoverable=True, silenced_at=timezone.now()), score=9)
    trending(make_user("gone", discoverable=True, suspended_at=timezone.now()), score=9)
    trending(RemoteAccountFactory(discoverable=True), "from afar", score=9)

    assert ids(anon.get(STATUSES)) == [str(shown.id)]


def test_viewers_do_not_see_trending_statuses_they_filter_out(alice, people, client_for):
    blocked, blocker, muted, kept = people
    for person in people:
        trending(person, score=2)
    Block.objects.create(account=alice.account, target_account=blocked.account)
    Block.objects.create(account=blocker.account, target_account=alice.account)
    Mute.objects.create(account=alice.account, target_account=muted.account)

    response = client_for(alice, scopes="read").get(STATUSES)

    assert [s["account"]["id"] for s in response.json()] == [str(kept.account.id)]
    assert response.json()[0]["favourited"] is False


def test_trending_statuses_limit_and_offset(people, anon):
    statuses = [trending(people[n % 4], f"s{n}", score=100 - n) for n in range(45)]

    assert len(anon.get(STATUSES).json()) == 20
    assert len(anon.get(STATUSES, {"limit": 100}).json()) == 40
    page = anon.get(STATUSES, {"limit": 2, "offset": 4})
    assert ids(page) == [str(statuses[4].id), str(statuses[5].id)]
    assert 'offset=6>; rel="next"' in page.headers["Link"]


@pytest.mark.parametrize("signed_in", [False, True])
def test_trending_statuses_run_the_same_queries_for_one_or_twenty(
    alice, people, anon, client_for, signed_in
):
    client = client_for(alice, scopes="read") if signed_in else anon
    for n in range(20):
        original = trending(people[n % 4], f"#topic{n} with @person1", score=5, tags=[f"t{n}"])
        original.mentions.create(account=people[1].account)

    with CaptureQueriesContext(connection) as one:
        assert len(client.get(STATUSES, {"limit": 1}).json()) == 1
    with CaptureQueriesContext(connection) as twenty:
        assert len(client.get(STATUSES, {"limit": 20}).json()) == 20

    assert len(twenty.captured_queries) == len(one.captured_queries)


# --- Links ---------------------------------------------------------------------------------------


def test_trending_links_are_empty_while_no_links_are_known(people, anon):
    trending(people[0], "see https://example.com/article", score=9)

    response = anon.get("/api/v1/trends/links")

    assert response.status_code == 200
    assert response.json() == []
