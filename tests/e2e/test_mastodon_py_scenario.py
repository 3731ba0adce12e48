"""The issue's acceptance scenario, driven by Mastodon.py against a live server this test starts.

Two people register through the API from a Mastodon app, log in with the password grant, follow
each other, post in every visibility with a content warning, reply, boost, favourite, bookmark,
vote in a poll, read home/public/tag/list timelines, page through them, read notifications, edit
and delete. Everything crosses real HTTP to the embedded server (uvicorn + in-process Celery).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

pytestmark = pytest.mark.e2e


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Fan-out runs in the server's worker: poll until it has happened."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


def sign_up(base: str, client_id: str, client_secret: str, name: str) -> Mastodon:
    app = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    app.create_account(name, "correct horse battery", f"{name}@example.com", agreement=True)
    # A fresh login with the password grant, as apps do on a second device.
    client = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base)
    client.log_in(f"{name}@example.com", "correct horse battery", allow_http=True)
    return client


def test_two_people_use_the_server_from_mastodon_py(live_server_url: str) -> None:
    base = live_server_url
    client_id, client_secret = Mastodon.create_app(
        "Scenario", scopes=["read", "write", "follow", "push"], api_base_url=base
    )
    alice = sign_up(base, client_id, client_secret, "alice")
    bob = sign_up(base, client_id, client_secret, "bob")
    me = alice.account_verify_credentials()
    assert me.username == "alice"
    bob_id = bob.account_verify_credentials().id

    # Follow both ways.
    rel = alice.account_follow(bob_id)
    assert rel.following is True
    bob.account_follow(me.id)

    # Bob posts in every visibility; one with a content warning and a hashtag.
    public = bob.status_post("Hello #fediverse", spoiler_text="greeting")
    assert public.spoiler_text == "greeting"
    assert public.tags[0].name == "fediverse"
    unlisted = bob.status_post("quiet one", visibility="unlisted")
    private = bob.status_post("for followers", visibility="private")
    direct = bob.status_post("@alice just you", visibility="direct")

    def home_ids() -> set[str]:
        return {s.id for s in alice.timeline_home(limit=40)}

    wait_for(lambda: {public.id, unlisted.id, private.id, direct.id} <= home_ids())

    # The public timeline has only the public status; the tag timeline finds it.
    public_ids = {s.id for s in alice.timeline_public(limit=40)}
    assert public.id in public_ids
    assert not {unlisted.id, private.id, direct.id} & public_ids
    assert [s.id for s in alice.timeline_hashtag("fediverse")] == [public.id]

    # Alice replies, boosts, favourites, bookmarks.
    reply = alice.status_post("@bob hello back", in_reply_to_id=public.id)
    assert reply.in_reply_to_id == public.id
    assert alice.status_reblog(public.id).reblog.id == public.id
    assert alice.status_favourite(public.id).favourited is True
    assert alice.status_bookmark(public.id).bookmarked is True
    assert [s.id for s in alice.bookmarks()] == [public.id]
    context = bob.status_context(public.id)
    assert [s.id for s in context.descendants] == [reply.id]

    # Bob is notified of each interaction.
    def bob_notification_types() -> set[str]:
        return {n.type for n in bob.notifications()}

    wait_for(lambda: {"follow", "mention", "reblog", "favourite"} <= bob_notification_types())

    # A poll: alice votes, the tallies show it.
    poll_status = bob.status_post("Tea or coffee?", poll=bob.make_poll(["tea", "coffee"], 3600))
    voted = alice.poll_vote(poll_status.poll.id, [1])
    assert voted.voted is True
    assert [o.votes_count for o in voted.options] == [0, 1]

    # A list timeline holding bob.
    the_list = alice.list_create("friends")
    alice.list_accounts_add(the_list.id, [bob_id])
    later = bob.status_post("for the list")
    wait_for(lambda: later.id in {s.id for s in alice.timeline_list(the_list.id)})

    # Paging: 45 more statuses, read back 20 at a time with the Link header.
    for i in range(45):
        last = bob.status_post(f"number {i}")
    wait_for(lambda: last.id in home_ids())
    seen: list[str] = []
    page = alice.timeline_home(limit=20)
    while page and len(seen) < 200:
        seen += [s.id for s in page]
        page = alice.fetch_next(page)
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen, key=int, reverse=True)
    assert len(seen) >= 45 + 5

    # Edit and delete.
    edited = bob.status_update(public.id, "Hello again #fediverse")
    assert "Hello again" in edited.content
    assert edited.edited_at is not None
    assert len(bob.status_history(public.id)) == 2
    deleted = bob.status_delete(private.id)
    assert deleted.text == "for followers"
    with pytest.raises(MastodonNotFoundError):
        alice.status(private.id)
    wait_for(lambda: private.id not in home_ids())

    # A stranger never sees the private or direct status.
    carol = sign_up(base, client_id, client_secret, "carol")
    for hidden in (direct.id,):
        with pytest.raises(MastodonNotFoundError):
            carol.status(hidden)
    assert direct.id not in {s.id for s in carol.account_statuses(bob_id)}
    with pytest.raises(MastodonAPIError):
        carol.status_reblog(direct.id)
