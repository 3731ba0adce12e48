"""POST /api/v1/statuses: what a client sends, what it gets back, what else happens."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from accounts.models import Account
from statuses.models import Conversation, Mention, Status, StatusTag, Tag, Visibility
from timelines.models import Notification

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("visibility", ["public", "unlisted", "private", "direct"])
def test_posting_in_each_visibility_with_a_content_warning(alice, client_for, visibility):
    response = client_for(alice).post(
        "/api/v1/statuses",
        {"status": "Spoilers ahead", "spoiler_text": "Film", "visibility": visibility},
    )

    assert response.status_code == 200
    data = response.json()
    assert data["visibility"] == visibility
    assert data["spoiler_text"] == "Film"
    assert data["sensitive"] is True  # a content warning makes a status sensitive
    assert data["content"] == "<p>Spoilers ahead</p>"
    assert data["language"] == "en"
    assert data["account"]["id"] == str(alice.account.id)
    assert data["in_reply_to_id"] is None
    assert data["application"]["name"]
    assert isinstance(data["id"], str)
    for key in ("favourited", "reblogged", "muted", "bookmarked", "filtered"):
        assert key in data
    # Only what could be pinned says whether it is (Mastodon: not direct statuses).
    assert data.get("pinned") is (None if visibility == "direct" else False)
    assert Status.objects.get(id=data["id"]).visibility == Visibility.from_name(visibility)


def test_every_documented_status_key_is_present(alice, client_for):
    data = client_for(alice).post("/api/v1/statuses", {"status": "hi"}).json()
    documented = {
        "id", "uri", "created_at", "account", "content", "visibility", "sensitive",
        "spoiler_text", "media_attachments", "application", "mentions", "tags", "emojis",
        "reblogs_count", "favourites_count", "replies_count", "url", "in_reply_to_id",
        "in_reply_to_account_id", "reblog", "poll", "card", "language", "edited_at",
        "favourited", "reblogged", "muted", "bookmarked", "pinned", "filtered",
    }  # fmt: skip
    assert documented <= set(data)
    assert data["url"].endswith(f"/@alice/{data['id']}")
    assert data["uri"].endswith(f"/users/alice/statuses/{data['id']}")


def test_direct_statuses_do_not_count_on_the_profile(alice, client_for):
    client = client_for(alice)
    client.post("/api/v1/statuses", {"status": "one"})
    client.post("/api/v1/statuses", {"status": "psst @bob", "visibility": "direct"})
    alice.account.refresh_from_db()
    assert alice.account.statuses_count == 1
    assert alice.account.last_status_at is not None


def test_visibility_defaults_to_the_users_preference(make_user, client_for):
    carol = make_user("carol")
    carol.default_privacy = "private"
    carol.save()
    data = client_for(carol).post("/api/v1/statuses", {"status": "hi"}).json()
    assert data["visibility"] == "private"


def test_sensitive_defaults_to_the_users_preference(make_user, client_for):
    carol = make_user("carol")
    carol.default_sensitive = True
    carol.save()
    data = client_for(carol).post("/api/v1/statuses", {"status": "hi"}).json()
    assert data["sensitive"] is True


def test_a_content_warning_alone_becomes_the_text(alice, client_for):
    data = client_for(alice).post("/api/v1/statuses", {"spoiler_text": "only this"}).json()
    assert data["content"] == "<p>only this</p>"
    assert data["spoiler_text"] == ""


def test_json_bodies_work_as_forms_do(alice, client_for):
    response = client_for(alice).post(
        "/api/v1/statuses",
        {
            "status": "JSON",
            "visibility": "unlisted",
            "language": "de",
            "poll": {"options": ["a", "b"], "expires_in": 3600, "multiple": True},
        },
        format="json",
    )
    assert response.status_code == 200
    data = response.json()
    assert data["visibility"] == "unlisted"
    assert data["language"] == "de"
    assert data["poll"]["multiple"] is True
    assert [o["title"] for o in data["poll"]["options"]] == ["a", "b"]


def test_blank_text_is_refused(alice, client_for):
    response = client_for(alice).post("/api/v1/statuses", {"status": "   "})
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: Text can't be blank"}


def test_text_over_500_characters_is_refused(alice, client_for):
    response = client_for(alice).post("/api/v1/statuses", {"status": "a" * 501})
    assert response.status_code == 422
    assert response.json() == {"error": "Validation failed: Text character limit of 500 exceeded"}


def test_the_content_warning_counts_toward_the_limit(alice, client_for):
    response = client_for(alice).post(
        "/api/v1/statuses", {"status": "a" * 490, "spoiler_text": "b" * 11}
    )
    assert response.status_code == 422


def test_a_long_url_counts_as_23_characters(alice, client_for):
    text = "a" * 470 + " https://example.com/" + "x" * 300
    response = client_for(alice).post("/api/v1/statuses", {"status": text})
    assert response.status_code == 200


def test_media_is_refused_clearly_for_now(alice, client_for):
    response = client_for(alice).post("/api/v1/statuses", {"status": "pic", "media_ids[]": ["1"]})
    assert response.status_code == 422
    assert "Media attachments are not supported" in response.json()["error"]


def test_unknown_visibility_is_refused(alice, client_for):
    response = client_for(alice).post("/api/v1/statuses", {"status": "x", "visibility": "all"})
    assert response.status_code == 422


def test_posting_needs_a_token_with_write_statuses(alice, client_for, anon):
    assert anon.post("/api/v1/statuses", {"status": "x"}).status_code == 401
    read_only = client_for(alice, scopes="read")
    assert read_only.post("/api/v1/statuses", {"status": "x"}).status_code == 403
    granular = client_for(alice, scopes="write:statuses")
    assert granular.post("/api/v1/statuses", {"status": "x"}).status_code == 200


def test_a_reply_joins_the_thread_and_counts_on_its_parent(alice, bob, client_for, post):
    parent = post(alice, "Question?")
    response = client_for(bob).post(
        "/api/v1/statuses", {"status": "@alice answer", "in_reply_to_id": str(parent.id)}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["in_reply_to_id"] == str(parent.id)
    assert data["in_reply_to_account_id"] == str(alice.account.id)
    reply = Status.objects.get(id=data["id"])
    parent.refresh_from_db()
    assert reply.conversation_id == parent.conversation_id
    assert parent.replies_count == 1


def test_a_private_reply_does_not_count_on_its_parent(alice, bob, client_for, post):
    parent = post(alice, "Question?")
    client_for(bob).post(
        "/api/v1/statuses",
        {"status": "psst", "in_reply_to_id": str(parent.id), "visibility": "private"},
    )
    parent.refresh_from_db()
    assert parent.replies_count == 0


def test_a_new_thread_starts_a_new_conversation(alice, post):
    one, two = post(alice, "one"), post(alice, "two")
    assert one.conversation_id != two.conversation_id
    assert (
        Conversation.objects.filter(id__in=[one.conversation_id, two.conversation_id]).count() == 2
    )


def test_replying_to_a_status_one_cannot_see_is_not_found(alice, bob, client_for, post):
    secret = post(alice, "followers only", visibility="private")
    response = client_for(bob).post(
        "/api/v1/statuses", {"status": "hi", "in_reply_to_id": str(secret.id)}
    )
    assert response.status_code == 404
    assert response.json() == {
        "error": "The post you are trying to reply to does not appear to exist."
    }
    assert not Status.objects.filter(account=bob.account).exists()


def test_replying_to_a_missing_status_is_not_found(bob, client_for):
    response = client_for(bob).post("/api/v1/statuses", {"status": "hi", "in_reply_to_id": "12345"})
    assert response.status_code == 404


def test_replying_to_a_boost_replies_to_the_original(alice, bob, client_for, post):
    original = post(alice, "original")
    boost = client_for(bob).post(f"/api/v1/statuses/{original.id}/reblog").json()
    data = (
        client_for(bob)
        .post("/api/v1/statuses", {"status": "reply", "in_reply_to_id": boost["id"]})
        .json()
    )
    assert data["in_reply_to_id"] == str(original.id)


def test_the_same_idempotency_key_returns_the_same_status(alice, bob, client_for):
    key = str(uuid.uuid4())
    client = client_for(alice)
    first = client.post("/api/v1/statuses", {"status": "once"}, HTTP_IDEMPOTENCY_KEY=key)
    second = client.post("/api/v1/statuses", {"status": "once"}, HTTP_IDEMPOTENCY_KEY=key)
    assert first.json()["id"] == second.json()["id"]
    assert Status.objects.filter(account=alice.account).count() == 1
    # The key belongs to one account only.
    other = client_for(bob).post("/api/v1/statuses", {"status": "x"}, HTTP_IDEMPOTENCY_KEY=key)
    assert other.json()["id"] != first.json()["id"]
    # Another key posts again.
    third = client.post("/api/v1/statuses", {"status": "once"}, HTTP_IDEMPOTENCY_KEY="other")
    assert third.json()["id"] != first.json()["id"]


def test_mentions_link_known_accounts_and_notify_them(alice, bob, client_for):
    data = client_for(alice).post("/api/v1/statuses", {"status": "hi @bob and @nobody"}).json()
    assert data["mentions"] == [
        {
            "id": str(bob.account.id),
            "username": "bob",
            "url": "http://localhost:8000/@bob",
            "acct": "bob",
        }
    ]
    assert "@nobody" in data["content"]
    assert 'class="u-url mention">@<span>bob</span>' in data["content"]
    notification = Notification.objects.get(account=bob.account)
    assert notification.type == "mention"
    assert notification.status_id == int(data["id"])
    assert notification.from_account_id == alice.account.id


def test_remote_mentions_resolve_known_accounts_with_ports(alice, client_for):
    from tests.factories.accounts import RemoteAccountFactory

    eve = RemoteAccountFactory(username="eve", domain="localhost:8001")
    data = client_for(alice).post("/api/v1/statuses", {"status": "@eve@localhost:8001 hi"}).json()
    assert [m["acct"] for m in data["mentions"]] == ["eve@localhost:8001"]
    assert Mention.objects.filter(account=eve, status_id=data["id"]).exists()
    assert not Notification.objects.filter(account=eve).exists()  # remote: federation's job


def test_hashtags_are_recorded(alice, client_for):
    data = (
        client_for(alice).post("/api/v1/statuses", {"status": "#Cats and #cats and #Dogs"}).json()
    )
    assert data["tags"] == [
        {"name": "cats", "url": "http://localhost:8000/tags/cats"},
        {"name": "dogs", "url": "http://localhost:8000/tags/dogs"},
    ]
    assert set(Tag.objects.values_list("name", flat=True)) >= {"cats", "dogs"}
    assert StatusTag.objects.filter(status_id=data["id"]).count() == 2


def test_followers_who_rang_the_bell_get_a_status_notification(
    alice, bob, make_user, client_for, follow
):
    carol = make_user("carol")
    follow(bob, alice, notify=True)
    follow(carol, alice)  # no bell
    data = client_for(alice).post("/api/v1/statuses", {"status": "news"}).json()
    assert list(
        Notification.objects.filter(type="status").values_list("account_id", "status_id")
    ) == [(bob.account.id, int(data["id"]))]


def test_no_status_notification_for_direct_statuses(alice, bob, client_for, follow):
    follow(bob, alice, notify=True)
    client_for(alice).post("/api/v1/statuses", {"status": "secret", "visibility": "direct"})
    assert not Notification.objects.filter(type="status").exists()


def test_a_silenced_account_posts_public_as_unlisted(alice, client_for):
    from django.utils import timezone

    Account.objects.filter(id=alice.account.id).update(silenced_at=timezone.now())
    data = client_for(alice).post("/api/v1/statuses", {"status": "hi"}).json()
    assert data["visibility"] == "unlisted"


def test_a_mention_with_our_own_domain_is_a_local_mention(alice, bob, client_for, settings):
    data = (
        client_for(alice)
        .post("/api/v1/statuses", {"status": f"hi @bob@{settings.LOCAL_DOMAIN}"})
        .json()
    )
    assert [m["id"] for m in data["mentions"]] == [str(bob.account.id)]
    assert "@<span>bob</span>" in data["content"]


def test_continuing_ones_own_reply_keeps_its_reply_target(alice, bob, post):
    question = post(bob, "question")
    answer = post(alice, "@bob answer", in_reply_to=question)
    more = post(alice, "and more", in_reply_to=answer)
    assert more.in_reply_to_id == answer.id
    assert more.in_reply_to_account_id == bob.account.id  # Mastodon's carried-over target


def test_the_same_idempotency_key_returns_the_same_scheduled_status(alice, client_for):
    from datetime import timedelta

    from django.utils import timezone

    from fedisocial.api.dates import iso

    when = iso(timezone.now() + timedelta(hours=1))
    client = client_for(alice)
    first = client.post(
        "/api/v1/statuses", {"status": "later", "scheduled_at": when}, HTTP_IDEMPOTENCY_KEY="k1"
    ).json()
    second = client.post(
        "/api/v1/statuses", {"status": "later", "scheduled_at": when}, HTTP_IDEMPOTENCY_KEY="k1"
    ).json()
    assert first["id"] == second["id"]
    assert "scheduled_at" in second


# --- The answer is built from what was written, not read back ------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"status": "Plain words"},
        {
            "status": "hi @bob, #Cats and #dogs https://example.com/a/long/path",
            "spoiler_text": "cw",
        },
        {"status": "Which?", "poll[options][]": ["a", "b"], "poll[expires_in]": "3600"},
        {"status": "psst @bob", "visibility": "direct"},
    ],
)
def test_the_answer_is_the_status_as_it_reads_back(alice, bob, client_for, body):
    client = client_for(alice)
    posted = client.post("/api/v1/statuses", body)
    assert posted.status_code == 200
    data = posted.json()
    assert (data["poll"] is not None) == ("poll[expires_in]" in body)
    assert bool(data["mentions"]) == ("@bob" in body["status"])
    assert bool(data["tags"]) == ("#" in body["status"])
    assert data == client.get(f"/api/v1/statuses/{data['id']}").json()


def test_the_answer_counts_the_new_status_on_the_author(alice, client_for):
    client = client_for(alice)
    client.post("/api/v1/statuses", {"status": "one"})
    data = client.post("/api/v1/statuses", {"status": "two"}).json()
    assert data["account"]["statuses_count"] == 2
    assert data["account"]["last_status_at"] is not None


def test_a_reply_in_a_muted_conversation_answers_muted(alice, bob, client_for, post):
    parent = post(bob, "thread")
    client = client_for(alice)
    client.post(f"/api/v1/statuses/{parent.id}/mute")
    data = client.post(
        "/api/v1/statuses", {"status": "reply", "in_reply_to_id": str(parent.id)}
    ).json()
    assert data["muted"] is True
    assert data == client.get(f"/api/v1/statuses/{data['id']}").json()


def test_posting_runs_a_handful_of_queries(alice, client_for, count_queries, monkeypatch):
    """The token, then on PostgreSQL one statement for a plain post: the conversation, the
    status and the author's counters (the answer is rendered from what was written); the
    fan-out is queued once, for the worker."""
    from statuses import services

    queued: list[int] = []

    class _FanOutQueue:
        @staticmethod
        def enqueue_on_commit(status_id: int) -> None:
            queued.append(status_id)

    monkeypatch.setattr(services, "fanout_queue", _FanOutQueue)
    client = client_for(alice)
    client.post("/api/v1/statuses", {"status": "warm-up"})
    queued.clear()
    response = None

    def post() -> None:
        nonlocal response
        response = client.post("/api/v1/statuses", {"status": "hello"})

    assert count_queries(post) <= (2 if connection.vendor == "postgresql" else 6)
    assert response is not None
    assert queued == [int(response.json()["id"])]
    assert response.json()["account"]["statuses_count"] == 2
    me = client.get("/api/v1/accounts/verify_credentials").json()
    assert me["statuses_count"] == 2
    assert me["last_status_at"] is not None
