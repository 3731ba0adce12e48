"""Reading remote status objects defensively, and fetching the ones we lack
(federation.notes: Mastodon's StatusParser, PollParser and FetchRemoteStatusService)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Account
from federation.inbox.dispatch import HandlerError
from federation.jsonld import PUBLIC
from federation.notes import MAX_CONTENT, MAX_SUMMARY, fetch_note, parse_note
from federation.uris import absolute
from statuses.models import Status
from tests.factories.accounts import RemoteAccountFactory
from tests.federation.handlers.status_support import BOB, FRANK, payload, remote_actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def bob_account() -> Account:
    return remote_actor(BOB)


def _note(**fields: Any) -> dict[str, Any]:
    return {
        "id": f"{BOB}/statuses/1",
        "type": "Note",
        "attributedTo": BOB,
        "content": "<p>hello</p>",
        "to": [PUBLIC],
        **fields,
    }


def test_fixture_note_is_read_whole(bob_account):
    obj = payload("mastodon/create_note_public.json")["object"]
    note = parse_note(obj, actor=bob_account)

    assert note.uri == obj["id"]
    assert note.url == "https://mastodon.example/@bob/113520000000000001"
    assert note.type == "Note"
    assert note.language == "en"
    assert note.to == (PUBLIC,)
    assert note.cc == ("https://mastodon.example/users/bob/followers",)
    assert note.hashtags == ("birds", "photography")
    assert note.mentions == ()
    assert note.conversation == obj["conversation"]
    assert note.published is not None
    assert note.poll is None
    assert [a.media_type for a in note.attachments] == ["image/jpeg"]


def test_single_values_and_compact_public_are_read_as_lists(bob_account):
    note = parse_note(
        _note(to="as:Public", cc=f"{BOB}/followers", tag={"type": "Hashtag", "name": "#Birds"}),
        actor=bob_account,
    )

    assert note.to == (PUBLIC,)
    assert note.cc == (f"{BOB}/followers",)
    assert note.hashtags == ("birds",)


def test_audience_falls_back_to_the_activity(bob_account):
    obj = _note()
    del obj["to"]
    note = parse_note(obj, actor=bob_account, activity={"to": [f"{BOB}/followers"], "cc": []})

    assert note.to == (f"{BOB}/followers",)


def test_object_on_another_origin_is_refused(bob_account):
    with pytest.raises(HandlerError):
        parse_note(_note(id=f"{FRANK}/statuses/1"), actor=bob_account)


def test_object_attributed_to_someone_else_is_refused(bob_account):
    with pytest.raises(HandlerError):
        parse_note(_note(attributedTo="https://mastodon.example/users/erin"), actor=bob_account)
    with pytest.raises(HandlerError):
        parse_note({k: v for k, v in _note().items() if k != "attributedTo"}, actor=bob_account)


def test_attribution_may_list_the_actor_among_others(bob_account):
    attributed = [{"type": "Person", "id": BOB}, {"type": "Group", "id": f"{BOB}/channel"}]
    assert parse_note(_note(attributedTo=attributed), actor=bob_account).uri


@pytest.mark.parametrize("obj", ["https://mastodon.example/users/bob/statuses/1", None, [1, 2]])
def test_what_is_no_object_is_refused(bob_account, obj):
    with pytest.raises(HandlerError):
        parse_note(obj, actor=bob_account)


@pytest.mark.parametrize(
    "fields",
    [
        {"id": 42},
        {"id": "javascript:alert(1)"},
        {"type": "Person"},
        {"type": ["Tombstone"]},
    ],
)
def test_unusable_objects_are_refused(bob_account, fields):
    with pytest.raises(HandlerError):
        parse_note(_note(**fields), actor=bob_account)


def test_wrongly_typed_fields_are_ignored(bob_account):
    note = parse_note(
        _note(
            content=["<p>x</p>"],
            summary={"en": "cw"},
            sensitive="yes",
            published=12345,
            updated="not a date",
            url={"href": 7},
            tag=["#x", {"type": "Mention", "href": "mailto:x@y"}, None, 3],
            contentMap="en",
            inReplyTo={"nothing": True},
            conversation=["tag:x"],
        ),
        actor=bob_account,
    )

    assert note.content == ""
    assert note.spoiler_text == ""
    assert note.sensitive is False
    assert note.published is None
    assert note.updated is None
    assert note.url == ""
    assert note.mentions == ()
    assert note.language is None
    assert note.in_reply_to is None
    assert note.conversation is None


def test_long_texts_are_capped(bob_account):
    note = parse_note(
        _note(content="a" * (MAX_CONTENT + 500), summary="b" * (MAX_SUMMARY + 500)),
        actor=bob_account,
    )

    assert len(note.content) <= MAX_CONTENT
    assert len(note.spoiler_text) == MAX_SUMMARY


def test_content_warning_is_plain_text(bob_account):
    note = parse_note(_note(summary="<b>birds</b> &amp; <script>x()</script>"), actor=bob_account)

    assert note.spoiler_text == "birds &"


def test_content_map_and_language(bob_account):
    note = parse_note(_note(content=None, contentMap={"de": "<p>Hallo</p>"}), actor=bob_account)

    assert note.content == "<p>Hallo</p>"
    assert note.language == "de"


def test_url_on_another_host_is_not_kept(bob_account):
    note = parse_note(_note(url="https://evil.example/bob/1"), actor=bob_account)
    assert note.url == ""
    links = [
        {"type": "Link", "mediaType": "application/x-mpegURL", "href": f"{BOB}/1.m3u8"},
        {"type": "Link", "mediaType": "text/html", "href": f"{BOB}/1"},
    ]
    assert parse_note(_note(url=links), actor=bob_account).url == f"{BOB}/1"


def test_invalid_hashtags_are_dropped(bob_account):
    tags = [
        {"type": "Hashtag", "name": "#123"},
        {"type": "Hashtag", "name": "#Café"},
        {"type": "Hashtag", "name": "# spaced out"},
        {"type": "Hashtag", "name": "#café"},
    ]
    assert parse_note(_note(tag=tags), actor=bob_account).hashtags == ("cafe",)


def test_poll_closed_true_ends_now(bob_account):
    options = [{"name": "a", "replies": {"totalItems": "many"}}, {"name": "b"}, "junk"]
    note = parse_note(_note(type="Question", oneOf=options, closed=True), actor=bob_account)

    assert note.poll is not None
    assert note.poll.options == ("a", "b")
    assert note.poll.tallies == (0, 0)
    assert note.poll.expires_at is not None
    assert note.poll.expires_at <= datetime.now(UTC)


def test_poll_closed_date_wins_over_end_time(bob_account):
    note = parse_note(
        _note(
            type="Question",
            anyOf=[{"name": "a"}, {"name": "b"}],
            endTime="2030-01-01T00:00:00Z",
            closed="2024-11-23T10:00:00.000000Z",
            votersCount=True,
        ),
        actor=bob_account,
    )

    assert note.poll is not None
    assert note.poll.multiple is True
    assert note.poll.expires_at == datetime(2024, 11, 23, 10, tzinfo=UTC)
    assert note.poll.voters_count == 0


def test_question_without_options_has_no_poll(bob_account):
    assert parse_note(_note(type="Question", oneOf=[]), actor=bob_account).poll is None


def test_poll_answer_is_recognised(bob_account):
    answer = _note(content=None, name="Tea", inReplyTo=absolute("/users/alice/statuses/1"))
    assert parse_note(answer, actor=bob_account).is_poll_answer
    assert not parse_note(_note(), actor=bob_account).is_poll_answer


def test_article_is_converted(bob_account):
    note = parse_note(
        _note(type="Article", name="Title <b>x</b>", content="<p>Body</p>", url=f"{BOB}/a"),
        actor=bob_account,
    )

    assert note.content == (
        "<p><strong>Title x</strong></p><p>Body</p>"
        f'<p><a href="{BOB}/a" target="_blank" rel="nofollow noopener">{BOB}/a</a></p>'
    )
    assert note.spoiler_text == ""


# --- Fetching ----------------------------------------------------------------------------------


def _author_at(base: str, name: str = "dan") -> Account:
    uri = f"{base}/users/{name}"
    return RemoteAccountFactory(
        uri=uri,
        domain=base.split("//", 1)[1],
        username=name,
        followers_url=f"{uri}/followers",
        fetched_at=timezone.now(),
    )


def test_fetch_note_stores_what_the_origin_serves(fake_remote):
    base = fake_remote.base_url
    author = _author_at(base)
    fake_remote.documents["/notes/1"] = {
        "id": f"{base}/notes/1",
        "type": "Note",
        "attributedTo": author.uri,
        "content": "<p>fetched</p>",
        "to": [PUBLIC],
    }

    status = fetch_note(f"{base}/notes/1")

    assert status is not None
    assert status.account == author
    assert status.content == "<p>fetched</p>"
    assert fetch_note(f"{base}/notes/1") == status
    assert len(fake_remote.received) == 1


def test_fetched_note_attributed_to_another_origin_is_refused(fake_remote):
    base = fake_remote.base_url
    _author_at(base)
    remote_actor(BOB)
    fake_remote.documents["/notes/1"] = {
        "id": f"{base}/notes/1",
        "type": "Note",
        "attributedTo": BOB,
        "content": "<p>bob never wrote this</p>",
        "to": [PUBLIC],
    }

    assert fetch_note(f"{base}/notes/1") is None
    assert not Status.objects.exists()


def test_fetched_document_claiming_another_id_is_refused(fake_remote):
    base = fake_remote.base_url
    remote_actor(BOB)
    fake_remote.documents["/notes/1"] = {
        "id": f"{BOB}/statuses/1",
        "type": "Note",
        "attributedTo": BOB,
        "content": "<p>forged</p>",
        "to": [PUBLIC],
    }

    assert fetch_note(f"{base}/notes/1") is None
    assert not Status.objects.exists()


def test_fetch_note_failure_is_none():
    assert fetch_note("https://unreachable.example/notes/1") is None


def test_fetch_note_finds_our_own_statuses(alice):
    from tests.federation.handlers.status_support import alice_status

    ours = alice_status(alice.account)
    assert fetch_note(absolute(f"/users/alice/statuses/{ours.id}")) == ours
    assert fetch_note(absolute(f"/@alice/{ours.id}")) == ours
    assert fetch_note(absolute(f"/users/bob/statuses/{ours.id}")) is None
