"""Create: remote statuses as the people here see them (Mastodon's Create), and the hostile
ones refused with nothing stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Account
from federation.inbox.dispatch import HandlerError
from moderation.models import DomainBlock
from statuses.models import Poll, PollVote, Status
from tests.factories.accounts import RemoteAccountFactory
from tests.federation.handlers.status_support import (
    ALICE_POLL,
    ALICE_STATUS,
    BOB,
    FRANK,
    KIM,
    MIKA,
    alice_poll,
    alice_status,
    bob,
    follow,
    handle,
    home_ids,
    notifications,
    payload,
    public_ids,
    remote_actor,
    stored,
)

pytestmark = pytest.mark.django_db

NOTE = "https://mastodon.example/users/bob/statuses/113520000000000001"


def test_public_note_reaches_local_followers_and_public_timeline(carol, client_for, anon):
    author = bob()
    follow(carol.account, author)
    handle(payload("mastodon/create_note_public.json"), author)

    status = stored(NOTE)
    assert status is not None
    client = client_for(carol)
    assert str(status.id) in home_ids(client)
    assert str(status.id) in public_ids(anon)
    assert str(status.id) in public_ids(anon, path="/api/v1/timelines/tag/birds")
    shown = client.get(f"/api/v1/statuses/{status.id}").json()
    assert shown["visibility"] == "public"
    assert shown["uri"] == NOTE
    assert shown["url"] == "https://mastodon.example/@bob/113520000000000001"
    assert shown["account"]["acct"] == "bob@mastodon.example"
    assert shown["language"] == "en"
    assert "First heron of the season!" in shown["content"]
    assert sorted(t["name"] for t in shown["tags"]) == ["birds", "photography"]
    assert shown["spoiler_text"] == ""
    author.refresh_from_db()
    assert author.statuses_count == 1


def test_status_keeps_its_published_time(carol):
    author = bob()
    follow(carol.account, author)
    data = payload("mastodon/create_note_public.json")
    handle(data, author)

    status = stored(NOTE)
    assert status is not None
    assert status.created_at.isoformat().startswith(data["object"]["published"][:19])
    # Its id is made from that time, so timelines stay in writing order.
    assert abs((status.id >> 16) - int(status.created_at.timestamp() * 1000)) <= 1


def test_same_note_twice_is_stored_once(carol):
    author = bob()
    follow(carol.account, author)
    data = payload("mastodon/create_note_public.json")
    handle(data, author)
    handle(data, author)

    assert Status.objects.filter(uri=NOTE).count() == 1
    author.refresh_from_db()
    assert author.statuses_count == 1


def test_unlisted_note_stays_out_of_public_timeline(carol, client_for, anon):
    author = bob()
    follow(carol.account, author)
    handle(payload("mastodon/create_note_unlisted.json"), author)

    status = Status.objects.get(account=author)
    assert status.visibility_name == "unlisted"
    assert str(status.id) in home_ids(client_for(carol))
    assert str(status.id) not in public_ids(anon)
    assert anon.get(f"/api/v1/statuses/{status.id}").status_code == 200


def test_followers_only_note_reaches_only_followers(carol, make_user, client_for, anon):
    author = bob()
    follow(carol.account, author)
    stranger = make_user("dave")
    data = payload("mastodon/create_note_followers_only.json")
    data["object"]["tag"].append({"type": "Hashtag", "name": "#nests"})
    handle(data, author)

    status = Status.objects.get(account=author)
    assert status.visibility_name == "private"
    follower = client_for(carol)
    assert str(status.id) in home_ids(follower)
    assert follower.get(f"/api/v1/statuses/{status.id}").json()["visibility"] == "private"
    outsider = client_for(stranger)
    assert str(status.id) not in home_ids(outsider)
    assert outsider.get(f"/api/v1/statuses/{status.id}").status_code == 404
    assert anon.get(f"/api/v1/statuses/{status.id}").status_code == 404
    for viewer in (follower, outsider, anon):
        assert str(status.id) not in public_ids(viewer)
        assert str(status.id) not in public_ids(viewer, path="/api/v1/timelines/tag/nests")


def test_followers_only_note_is_visible_to_the_mentioned_account(alice, client_for):
    author = bob()
    handle(payload("mastodon/create_note_followers_only.json"), author)

    status = Status.objects.get(account=author)
    client = client_for(alice)
    assert client.get(f"/api/v1/statuses/{status.id}").status_code == 200
    assert [n["type"] for n in notifications(client)] == ["mention"]
    # Not a follower: the mention is in notifications, not in the home feed.
    assert str(status.id) not in home_ids(client)


def test_followers_only_note_from_misskey_with_content_warning(carol, client_for):
    author = remote_actor(MIKA)
    follow(carol.account, author)
    handle(payload("misskey/create_note_followers_cw.json"), author)

    status = Status.objects.get(account=author)
    shown = client_for(carol).get(f"/api/v1/statuses/{status.id}").json()
    assert shown["visibility"] == "private"
    assert shown["sensitive"] is True
    assert shown["spoiler_text"]


def test_direct_note_reaches_only_the_mentioned(alice, carol, client_for):
    author = bob()
    follow(carol.account, author)
    follow(alice.account, author)
    handle(payload("mastodon/create_note_direct.json"), author)

    status = Status.objects.get(account=author)
    assert status.visibility_name == "direct"
    recipient = client_for(alice)
    assert recipient.get(f"/api/v1/statuses/{status.id}").status_code == 200
    assert str(status.id) in home_ids(recipient)
    assert [n["type"] for n in notifications(recipient)] == ["mention"]
    follower = client_for(carol)
    assert str(status.id) not in home_ids(follower)
    assert follower.get(f"/api/v1/statuses/{status.id}").status_code == 404
    assert str(status.id) not in public_ids(recipient)


@pytest.mark.parametrize(
    ("name", "actor"),
    [
        ("pleroma/create_note_direct.json", KIM),
        ("gotosocial/create_note_direct.json", FRANK),
        ("misskey/create_note_specified_direct.json", MIKA),
    ],
)
def test_direct_notes_of_other_servers_reach_alice_only(alice, carol, client_for, name, actor):
    author = remote_actor(actor)
    follow(carol.account, author)
    handle(payload(name), author)

    status = Status.objects.get(account=author)
    assert status.visibility_name == "direct"
    assert client_for(alice).get(f"/api/v1/statuses/{status.id}").status_code == 200
    assert client_for(carol).get(f"/api/v1/statuses/{status.id}").status_code == 404


def test_reply_is_threaded_under_our_status(alice, client_for):
    ours = alice_status(alice.account)
    author = bob()
    handle(
        payload("mastodon/create_note_public_reply.json", replace={ALICE_STATUS: str(ours.id)}),
        author,
    )

    reply = Status.objects.get(account=author)
    client = client_for(alice)
    context = client.get(f"/api/v1/statuses/{ours.id}/context").json()
    assert [s["id"] for s in context["descendants"]] == [str(reply.id)]
    shown = client.get(f"/api/v1/statuses/{reply.id}").json()
    assert shown["in_reply_to_id"] == str(ours.id)
    assert shown["in_reply_to_account_id"] == str(alice.account.id)
    assert [m["acct"] for m in shown["mentions"]] == ["alice"]
    assert client.get(f"/api/v1/statuses/{ours.id}").json()["replies_count"] == 1
    assert [n["type"] for n in notifications(client)] == ["mention"]
    assert reply.conversation_id == ours.conversation_id


@pytest.mark.parametrize(
    ("name", "actor"),
    [
        ("pleroma/create_note_unlisted_reply.json", KIM),
        ("gotosocial/create_note_reply_single_tag.json", FRANK),
    ],
)
def test_replies_of_other_servers_are_threaded(alice, client_for, name, actor):
    ours = alice_status(alice.account)
    author = remote_actor(actor)
    handle(payload(name, replace={ALICE_STATUS: str(ours.id)}), author)

    reply = Status.objects.get(account=author)
    assert reply.in_reply_to_id == ours.id
    assert [n["type"] for n in notifications(client_for(alice))] == ["mention"]


@pytest.mark.parametrize(
    ("name", "actor", "options", "multiple"),
    [
        ("mastodon/create_question_oneof.json", BOB, ["Dawn", "Dusk", "Whenever"], False),
        ("mastodon/create_question_anyof.json", BOB, None, True),
        ("gotosocial/create_question.json", FRANK, ["Clover", "Rye"], False),
        ("misskey/create_question.json", MIKA, ["きのこ", "たけのこ"], False),
        ("pleroma/create_question.json", KIM, ["tea", "coffee"], False),
    ],
)
def test_question_becomes_a_poll(carol, client_for, name, actor, options, multiple):
    author = remote_actor(actor)
    follow(carol.account, author)
    handle(payload(name), author)

    status = Status.objects.get(account=author)
    poll = client_for(carol).get(f"/api/v1/statuses/{status.id}").json()["poll"]
    assert poll is not None
    if options is not None:
        assert [o["title"] for o in poll["options"]] == options
    assert poll["multiple"] is multiple
    assert poll["expires_at"] is not None


def test_question_tallies_and_voters_are_taken(carol, client_for):
    author = bob()
    follow(carol.account, author)
    handle(payload("mastodon/create_question_oneof.json"), author)

    status = Status.objects.get(account=author)
    poll = client_for(carol).get(f"/api/v1/statuses/{status.id}").json()["poll"]
    assert [o["votes_count"] for o in poll["options"]] == [6, 2, 1]
    assert poll["votes_count"] == 9
    assert Poll.objects.get(status=status).voters_count == 9


@pytest.mark.parametrize(
    ("name", "actor"),
    [
        ("mastodon/create_poll_vote.json", BOB),
        ("misskey/create_poll_vote.json", MIKA),
        ("pleroma/create_poll_vote.json", KIM),
        ("gotosocial/create_poll_vote.json", FRANK),
    ],
)
def test_answer_to_our_poll_is_a_vote(alice, name, actor):
    ours = alice_poll(alice.account)
    data = payload(name, replace={ALICE_POLL: str(ours.id)})
    choice = data["object"]["name"]
    Poll.objects.filter(status=ours).update(options=[choice, "Other"], cached_tallies=[0, 0])
    voter = remote_actor(actor)
    handle(data, voter)

    poll = Poll.objects.get(status=ours)
    assert poll.cached_tallies == [1, 0]
    assert poll.votes_count == 1
    assert PollVote.objects.get(poll=poll).account == voter
    assert not Status.objects.filter(account=voter).exists()


def test_second_answer_to_single_choice_poll_is_ignored(alice):
    ours = alice_poll(alice.account)
    voter = bob()
    data = payload("mastodon/create_poll_vote.json", replace={ALICE_POLL: str(ours.id)})
    handle(data, voter)
    data["object"]["name"] = "Coffee"
    data["object"]["id"] += "-again"
    handle(data, voter)

    assert Poll.objects.get(status=ours).cached_tallies == [1, 0]


def test_hostile_markup_is_sanitised(carol, client_for):
    author = bob()
    follow(carol.account, author)
    handle(payload("hostile/create_note_xss_content.json"), author)

    status = Status.objects.get(account=author)
    shown = client_for(carol).get(f"/api/v1/statuses/{status.id}").json()
    html = shown["content"].lower()
    for forbidden in ("<script", "onclick", "onerror", "onmouseover", "javascript:", "<img",
                      "<iframe", "style=", "<style", "<svg", "<form", "<object", "<embed", "<meta",
                      "<base", "<link", "data:text"):  # fmt: skip
        assert forbidden not in html, forbidden
    assert "totally safe" in shown["content"]
    assert shown["spoiler_text"] == "cw"
    assert shown["sensitive"] is True


def test_note_on_another_origin_than_its_actor_is_refused(carol):
    author = bob()
    follow(carol.account, author)
    with pytest.raises(HandlerError):
        handle(payload("hostile/create_note_id_foreign_origin.json"), author)

    assert not Status.objects.exists()


def test_note_attributed_to_another_actor_is_refused(carol):
    author = bob()
    remote_actor(FRANK)
    follow(carol.account, author)
    with pytest.raises(HandlerError):
        handle(payload("hostile/create_note_attributed_to_other_actor.json"), author)

    assert not Status.objects.exists()


def test_note_addressed_to_nobody_here_is_dropped():
    author = bob()
    handle(payload("mastodon/create_note_followers_only.json"), author)
    handle(payload("mastodon/create_note_public.json"), author)

    assert not Status.objects.exists()


def test_note_delivered_to_a_personal_inbox_is_visible_to_its_owner(carol, client_for):
    author = bob()
    handle(payload("mastodon/create_note_followers_only.json"), author, recipient=carol.account)

    status = Status.objects.get(account=author)
    assert client_for(carol).get(f"/api/v1/statuses/{status.id}").status_code == 200


def test_note_from_a_blocked_domain_is_dropped(carol):
    author = bob()
    follow(carol.account, author)
    DomainBlock.objects.create(domain="mastodon.example", severity=DomainBlock.Severity.SUSPEND)
    handle(payload("mastodon/create_note_public.json"), author)

    assert not Status.objects.exists()


@pytest.mark.parametrize(
    ("name", "actor"),
    [
        ("pleroma/create_note_public_compact_as_public.json", KIM),
        ("gotosocial/create_note_public_compact_Public.json", FRANK),
        ("gotosocial/create_note_public.json", FRANK),
        ("pleroma/create_note_public.json", KIM),
        ("misskey/create_note_public.json", MIKA),
        ("misskey/create_note_quote.json", MIKA),
    ],
)
def test_public_notes_of_other_servers(carol, client_for, anon, name, actor):
    author = remote_actor(actor)
    follow(carol.account, author)
    handle(payload(name), author)

    status = Status.objects.get(account=author)
    assert status.visibility_name == "public"
    assert str(status.id) in home_ids(client_for(carol))
    assert str(status.id) in public_ids(anon)


def test_article_is_shown_as_title_text_and_link(carol, client_for):
    author = remote_actor("https://writefreely.example/api/collections/fieldnotes")
    follow(carol.account, author)
    handle(payload("other/writefreely_create_article.json"), author)

    status = Status.objects.get(account=author)
    content = client_for(carol).get(f"/api/v1/statuses/{status.id}").json()["content"]
    assert content.startswith("<p><strong>On herons and patience</strong></p>")
    assert "A heron can stand still for forty minutes." in content
    assert 'href="https://writefreely.example/fieldnotes/on-herons-and-patience"' in content


def test_lemmy_page_is_shown_with_its_title(carol, client_for):
    author = remote_actor("https://lemmy.example/u/rosa")
    follow(carol.account, author)
    handle(payload("other/lemmy_create_page.json"), author)

    status = Status.objects.get(account=author)
    content = client_for(carol).get(f"/api/v1/statuses/{status.id}").json()["content"]
    assert "Spotted a kingfisher at the canal lock this morning" in content
    assert "Third time this month." in content
    assert 'href="https://lemmy.example/post/48213"' in content


def test_unknown_mentioned_actor_does_not_block_the_note(alice, client_for):
    ours = alice_status(alice.account)
    author = bob()
    data = payload("mastodon/create_note_public_reply.json", replace={ALICE_STATUS: str(ours.id)})
    data["object"]["tag"].append(
        {"type": "Mention", "href": "https://unknown.example/users/ghost", "name": "@ghost"}
    )
    handle(data, author)

    reply = Status.objects.get(account=author)
    shown = client_for(alice).get(f"/api/v1/statuses/{reply.id}").json()
    assert [m["acct"] for m in shown["mentions"]] == ["alice"]


def test_delete_that_arrived_first_drops_the_create(carol):
    author = bob()
    follow(carol.account, author)
    handle(payload("mastodon/delete_note_tombstone.json"), author)
    handle(
        payload(
            "mastodon/create_note_public.json",
            replace={"113520000000000001": "113520000000000003"},
        ),
        author,
    )

    assert not Status.objects.exists()


def test_status_older_than_the_realtime_window_is_stored_but_not_pushed(carol, client_for):
    author = bob()
    follow(carol.account, author)
    handle(payload("mastodon/create_note_public.json", published_ago=timedelta(days=2)), author)

    status = stored(NOTE)
    assert status is not None
    assert str(status.id) not in home_ids(client_for(carol))


# --- Fetching what a Create only points at ------------------------------------------------


def _note(base: str, number: int, *, reply_to: str | None, author: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{base}/notes/{number}",
        "type": "Note",
        "attributedTo": author,
        "content": f"<p>note {number}</p>",
        "inReplyTo": reply_to,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [],
    }


def _remote_author(fake_remote: Any) -> Account:
    uri = f"{fake_remote.base_url}/users/dan"
    return RemoteAccountFactory(
        uri=uri,
        domain=fake_remote.base_url.split("//", 1)[1],
        username="dan",
        followers_url=f"{uri}/followers",
        fetched_at=timezone.now(),
    )


def test_missing_parents_are_fetched_up_to_a_bounded_depth(carol, client_for, fake_remote):
    author = _remote_author(fake_remote)
    follow(carol.account, author)
    base = fake_remote.base_url
    for n in range(1, 9):
        parent = f"{base}/notes/{n - 1}" if n > 1 else None
        fake_remote.documents[f"/notes/{n}"] = _note(base, n, reply_to=parent, author=author.uri)
    create = {
        "id": f"{base}/notes/9/activity",
        "type": "Create",
        "actor": author.uri,
        "object": _note(base, 9, reply_to=f"{base}/notes/8", author=author.uri),
    }
    handle(create, author)

    stored_numbers = sorted(
        int(s.uri.rsplit("/", 1)[1]) for s in Status.objects.filter(account=author)
    )
    assert stored_numbers == [4, 5, 6, 7, 8, 9]
    leaf = Status.objects.get(uri=f"{base}/notes/9")
    context = client_for(carol).get(f"/api/v1/statuses/{leaf.id}/context").json()
    assert len(context["ancestors"]) == 5


def test_create_referencing_its_object_fetches_it_from_the_origin(carol, fake_remote):
    author = _remote_author(fake_remote)
    follow(carol.account, author)
    base = fake_remote.base_url
    fake_remote.documents["/notes/1"] = _note(base, 1, reply_to=None, author=author.uri)
    handle(
        {
            "id": f"{base}/notes/1/activity",
            "type": "Create",
            "actor": author.uri,
            "object": f"{base}/notes/1",
        },
        author,
    )

    assert stored(f"{base}/notes/1") is not None


def test_unsupported_object_types_are_ignored(carol):
    author = bob()
    follow(carol.account, author)
    handle(
        {
            "id": f"{BOB}#chat/1",
            "type": "Create",
            "actor": BOB,
            "object": {"id": f"{BOB}/chat/1", "type": "ChatMessage", "attributedTo": BOB},
        },
        author,
    )

    assert not Status.objects.exists()


def test_local_account_mentions_via_profile_url_resolve(alice):
    author = bob()
    data = payload("mastodon/create_note_public_reply.json")
    data["object"]["inReplyTo"] = None
    handle(data, author)

    status = Status.objects.get(account=author)
    assert list(status.mentions.values_list("account_id", flat=True)) == [alice.account.id]
