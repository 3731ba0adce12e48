"""Timeline pages rendered from cached entities (statuses.api.status_cache) as a running server
renders them: whatever changes after a page was cached shows on the next page read, and a warm
page costs four queries however long it is."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.timelines.helpers import boost, follow, post

pytestmark = pytest.mark.usefixtures("render_cache")

HOME = "/api/v1/timelines/home"


def _home(client, **params):
    response = client.get(HOME, params)
    assert response.status_code == 200, response.content
    return response.json()


def _by_id(page, status):
    return next(s for s in page if s["id"] == str(status.id))


def test_an_edit_shows_on_a_cached_page(alice, bob, client_for):
    follow(alice, bob)
    status = post(bob, "first words")
    reader = client_for(alice)
    assert "first words" in _by_id(_home(reader), status)["content"]

    edited = client_for(bob).put(f"/api/v1/statuses/{status.id}", {"status": "second words"})
    assert edited.status_code == 200

    shown = _by_id(_home(reader), status)
    assert "second words" in shown["content"]
    assert shown["edited_at"] is not None


def test_counters_and_flags_are_live_on_a_cached_page(alice, bob, make_user, client_for):
    follow(alice, bob)
    status = post(bob, "count me")
    reader = client_for(alice)
    assert _by_id(_home(reader), status)["favourites_count"] == 0

    carol = make_user("carol")
    assert client_for(carol).post(f"/api/v1/statuses/{status.id}/favourite").status_code == 200
    assert reader.post(f"/api/v1/statuses/{status.id}/favourite").status_code == 200
    assert reader.post(f"/api/v1/statuses/{status.id}/reblog").status_code == 200

    shown = _by_id(_home(reader), status)
    assert shown["favourites_count"] == 2
    assert shown["reblogs_count"] == 1
    assert shown["favourited"] is True
    assert shown["reblogged"] is True
    # carol's page, rendered from the same cached entity, carries her own flags
    carol_view = client_for(carol).get(f"/api/v1/statuses/{status.id}").json()
    assert carol_view["favourited"] is True
    assert carol_view["reblogged"] is False


def test_a_profile_change_shows_in_cached_statuses(alice, bob, client_for):
    follow(alice, bob)
    status = post(bob, "who am I")
    reader = client_for(alice)
    assert _by_id(_home(reader), status)["account"]["display_name"] != "Robert"

    changed = client_for(bob).patch(
        "/api/v1/accounts/update_credentials", {"display_name": "Robert"}
    )
    assert changed.status_code == 200

    assert _by_id(_home(reader), status)["account"]["display_name"] == "Robert"


def test_a_vote_shows_in_a_cached_poll(alice, bob, client_for):
    follow(alice, bob)
    created = client_for(bob).post(
        "/api/v1/statuses",
        {"status": "pick one", "poll": {"options": ["a", "b"], "expires_in": 3600}},
        format="json",
    )
    assert created.status_code == 200, created.content
    reader = client_for(alice)
    poll = next(s for s in _home(reader) if s["id"] == created.json()["id"])["poll"]
    assert poll["votes_count"] == 0
    assert poll["voted"] is False

    assert reader.post(f"/api/v1/polls/{poll['id']}/votes", {"choices[]": ["1"]}).status_code == 200

    poll = next(s for s in _home(reader) if s["id"] == created.json()["id"])["poll"]
    assert poll["votes_count"] == 1
    assert poll["options"][1]["votes_count"] == 1
    assert poll["voted"] is True
    assert poll["own_votes"] == [1]


def test_a_new_filter_applies_to_a_cached_page(alice, bob, client_for):
    follow(alice, bob)
    post(bob, "spoilers ahead")
    kept = post(bob, "nothing to see")
    reader = client_for(alice)
    assert len(_home(reader)) == 2

    created = reader.post(
        "/api/v2/filters",
        {
            "title": "No spoilers",
            "context": ["home"],
            "filter_action": "hide",
            "keywords_attributes": [{"keyword": "spoilers", "whole_word": True}],
        },
        format="json",
    )
    assert created.status_code == 200, created.content

    assert [s["id"] for s in _home(reader)] == [str(kept.id)]
    assert reader.delete(f"/api/v2/filters/{created.json()['id']}").status_code == 200
    assert len(_home(reader)) == 2


def test_a_warm_home_page_costs_four_queries_for_one_status_or_forty(
    alice, bob, make_user, client_for
):
    carol = make_user("carol")
    follow(alice, bob)
    follow(alice, carol)
    for i in range(45):
        post(carol if i % 2 else bob, f"status {i} #tag", mentions=[alice])
        if i % 4 == 0:
            boost(bob, post(make_user(f"u{i}"), "boosted"))
    reader = client_for(alice)

    def warm_count(limit: int) -> int:
        _home(reader, limit=limit)  # fills the cache
        with CaptureQueriesContext(connection) as ctx:
            page = _home(reader, limit=limit)
        assert len(page) == limit
        return len(ctx.captured_queries)

    # the token, the feed window, the page's visibility, the viewer's flags
    assert warm_count(1) == warm_count(40) == 4
