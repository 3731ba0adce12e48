"""Update: edits with their history, poll tallies, profile changes, and nobody else's object
changed (Mastodon's Update and ProcessStatusUpdateService)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Account
from federation.inbox.dispatch import HandlerError
from fedisocial.api.dates import iso
from statuses.models import Poll, PollVote, Status
from statuses.services import reblog_status
from tests.federation.handlers.status_support import (
    BOB,
    FRANK,
    KIM,
    bob,
    follow,
    handle,
    notifications,
    payload,
    remote_actor,
)

pytestmark = pytest.mark.django_db

NOTE = "https://mastodon.example/users/bob/statuses/113520000000000001"
QUESTION = "https://mastodon.example/users/bob/statuses/113520000000000007"


def _posted(name: str, actor: str, follower: Any) -> tuple[Account, Status]:
    author = remote_actor(actor)
    follow(follower.account, author)
    handle(payload(name, published_ago=timedelta(minutes=10)), author)
    return author, Status.objects.get(account=author)


def test_edit_replaces_content_and_keeps_history(carol, client_for):
    author, status = _posted("mastodon/create_note_public.json", BOB, carol)
    handle(payload("mastodon/update_note_edit.json", published_ago=timedelta(minutes=5)), author)

    client = client_for(carol)
    shown = client.get(f"/api/v1/statuses/{status.id}").json()
    assert "First grey heron of the season!" in shown["content"]
    assert shown["edited_at"] is not None
    history = client.get(f"/api/v1/statuses/{status.id}/history").json()
    assert len(history) == 2
    assert "First heron of the season!" in history[0]["content"]
    assert "First grey heron of the season!" in history[1]["content"]


@pytest.mark.parametrize(
    ("create", "update", "actor", "edited_text"),
    [
        (
            "gotosocial/create_note_public.json",
            "gotosocial/update_note_edit.json",
            FRANK,
            "finally, finally",
        ),
        (
            "pleroma/create_note_public.json",
            "pleroma/update_note_edit.json",
            KIM,
            "look at this sleepy fox",
        ),
    ],
)
def test_edits_of_other_servers(carol, client_for, create, update, actor, edited_text):
    author, status = _posted(create, actor, carol)
    handle(payload(update, published_ago=timedelta(minutes=5)), author)

    client = client_for(carol)
    assert edited_text in client.get(f"/api/v1/statuses/{status.id}").json()["content"]
    assert len(client.get(f"/api/v1/statuses/{status.id}/history").json()) == 2


def test_local_boosters_are_told_of_an_edit(carol, alice, client_for):
    author, status = _posted("mastodon/create_note_public.json", BOB, carol)
    reblog_status(alice.account, status)
    handle(payload("mastodon/update_note_edit.json", published_ago=timedelta(minutes=5)), author)

    assert [n["type"] for n in notifications(client_for(alice))] == ["update"]


def test_an_older_edit_than_the_stored_one_is_ignored(carol, client_for):
    author, status = _posted("mastodon/create_note_public.json", BOB, carol)
    handle(payload("mastodon/update_note_edit.json", published_ago=timedelta(minutes=5)), author)
    stale = payload("mastodon/update_note_edit.json", published_ago=timedelta(minutes=8))
    stale["object"]["content"] = "<p>stale</p>"
    handle(stale, author)

    status.refresh_from_db()
    assert "grey heron" in status.content


def test_edit_that_changes_updated_at(carol):
    """Cached entities are keyed by ``updated_at``: an edit must move it."""
    author, status = _posted("mastodon/create_note_public.json", BOB, carol)
    before = status.updated_at
    handle(payload("mastodon/update_note_edit.json", published_ago=timedelta(minutes=5)), author)

    status.refresh_from_db()
    assert status.updated_at > before


def test_question_tallies_are_refreshed_without_an_edit(carol, client_for):
    author, status = _posted("mastodon/create_question_oneof.json", BOB, carol)
    handle(payload("mastodon/update_question_tallies.json"), author)

    client = client_for(carol)
    poll = client.get(f"/api/v1/statuses/{status.id}").json()["poll"]
    assert [o["votes_count"] for o in poll["options"]] == [9, 4, 1]
    assert Poll.objects.get(status=status).voters_count == 14
    assert len(client.get(f"/api/v1/statuses/{status.id}/history").json()) == 1


def test_closed_question_ends_the_poll(carol, client_for):
    author, status = _posted("gotosocial/create_question.json", FRANK, carol)
    handle(payload("gotosocial/update_question_closed.json"), author)

    poll = client_for(carol).get(f"/api/v1/statuses/{status.id}").json()["poll"]
    assert [o["votes_count"] for o in poll["options"]] == [4, 7]
    assert poll["expired"] is True


def test_edit_changing_poll_options_voids_the_votes(carol):
    author, status = _posted("mastodon/create_question_oneof.json", BOB, carol)
    poll = Poll.objects.get(status=status)
    PollVote.objects.create(poll=poll, account=carol.account, choice=0)
    edit = payload("mastodon/update_question_tallies.json", published_ago=timedelta(minutes=10))
    edit["object"]["updated"] = iso(timezone.now() - timedelta(minutes=1))
    edit["object"]["oneOf"][2]["name"] = "Midday"
    handle(edit, author)

    poll.refresh_from_db()
    assert poll.options == ["Dawn", "Dusk", "Midday"]
    assert not PollVote.objects.filter(poll=poll).exists()


def test_update_of_someone_elses_note_is_refused(carol):
    _, status = _posted("gotosocial/create_note_public.json", FRANK, carol)
    attacker = bob()
    before = status.content
    with pytest.raises(HandlerError):
        handle(payload("hostile/update_note_of_other_actor.json"), attacker)

    status.refresh_from_db()
    assert status.content == before
    assert not status.edits.exists()


def test_update_of_a_note_we_never_had_is_ignored(carol):
    author = bob()
    handle(payload("mastodon/update_note_edit.json"), author)

    assert not Status.objects.exists()


def test_profile_update_is_applied(carol):
    author = bob()
    handle(payload("mastodon/update_person.json"), author)

    author.refresh_from_db()
    assert author.display_name == "Bob (birding season) :blobcat:"


def test_profile_update_of_another_actor_is_refused():
    author = bob()
    other = remote_actor("https://mastodon.example/users/carol")
    data = payload("mastodon/update_person.json", replace={"users/bob": "users/carol"})
    with pytest.raises(HandlerError):
        handle(data, author)

    other.refresh_from_db()
    assert other.display_name == ""


def test_hostile_profile_is_sanitised():
    author = bob()
    data = payload("hostile/actor_xss_profile.json")
    handle({"id": f"{BOB}#updates/1", "type": "Update", "actor": BOB, "object": data}, author)

    author.refresh_from_db()
    assert "<script" not in author.note
    assert "javascript:" not in author.note
    assert "<iframe" not in author.note
