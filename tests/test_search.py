"""GET /api/v2/search: what a person finds, and what they must never find."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from statuses.models import Visibility
from statuses.services import favourite_status, post_status

pytestmark = pytest.mark.django_db


def search(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v2/search", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_finds_accounts_by_username_prefix_and_exact_handle(alice, bob, client_for, make_user):
    make_user("bobby")
    found = search(client_for(alice), q="bob", type="accounts")
    assert [a["acct"] for a in found["accounts"]][:2] == ["bob", "bobby"]
    assert found["statuses"] == []
    assert found["hashtags"] == []


def test_finds_hashtags_with_history(alice, client_for):
    post_status(alice.account, text="I like #Python and #pythonic code")
    found = search(client_for(alice), q="#python")
    names = [t["name"].lower() for t in found["hashtags"]]
    assert names[0] == "python"
    assert "pythonic" in names
    assert len(found["hashtags"][0]["history"]) == 7


def test_finds_own_and_interacted_statuses_but_not_strangers_unindexed(
    alice, bob, client_for, make_user
):
    mine = post_status(alice.account, text="searchable banana bread")
    bobs = post_status(bob.account, text="banana split by bob")
    carol = make_user("carol")
    carols = post_status(carol.account, text="banana smoothie by carol")
    favourite_status(alice.account, bobs)

    ids = {s["id"] for s in search(client_for(alice), q="banana", type="statuses")["statuses"]}
    assert ids == {str(mine.id), str(bobs.id)}
    assert str(carols.id) not in ids

    carol.account.indexable = True
    carol.account.save()
    ids = {s["id"] for s in search(client_for(alice), q="banana", type="statuses")["statuses"]}
    assert str(carols.id) in ids


def test_private_and_direct_statuses_of_others_are_never_found(alice, bob, client_for):
    bob.account.indexable = True
    bob.account.save()
    post_status(bob.account, text="secret pineapple", visibility="private")
    post_status(bob.account, text="hidden pineapple", visibility="direct")
    post_status(bob.account, text="open pineapple", visibility="public")
    found = search(client_for(alice), q="pineapple", type="statuses")["statuses"]
    assert [s["content"] for s in found] == ["<p>open pineapple</p>"]
    assert all(s["visibility"] == "public" for s in found)


def test_status_url_resolves_only_when_visible(alice, bob, client_for):
    private = post_status(bob.account, text="followers only", visibility="private")
    public = post_status(bob.account, text="for everyone")
    base = f"{settings.LOCAL_SCHEME}://{settings.LOCAL_DOMAIN}"
    found = search(client_for(alice), q=f"{base}/@bob/{public.id}")
    assert [s["id"] for s in found["statuses"]] == [str(public.id)]
    found = search(client_for(alice), q=f"{base}/@bob/{private.id}")
    assert found["statuses"] == []
    assert private.visibility == Visibility.PRIVATE


def test_account_url_resolves(alice, bob, client_for):
    base = f"{settings.LOCAL_SCHEME}://{settings.LOCAL_DOMAIN}"
    found = search(client_for(alice), q=f"{base}/@bob")
    assert [a["username"] for a in found["accounts"]] == ["bob"]


def test_anonymous_search_finds_accounts_but_no_statuses_and_cannot_resolve(alice, anon):
    post_status(alice.account, text="anonymous can't see this search")
    found = search(anon, q="alice")
    assert [a["username"] for a in found["accounts"]] == ["alice"]
    assert found["statuses"] == []
    assert anon.get("/api/v2/search", {"q": "x", "resolve": "true"}).status_code == 401


def test_bad_type_is_422(alice, client_for):
    response = client_for(alice).get("/api/v2/search", {"q": "x", "type": "nope"})
    assert response.status_code == 422
    assert "error" in response.json()
