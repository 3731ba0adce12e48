"""GET /api/v1/accounts/:id/statuses: visibility, filters, paging and a constant query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Block, Follow, Mute
from statuses.models import Mention, Status, StatusPin, Visibility
from tests.accounts.api.conftest import link_targets


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [s["id"] for s in response.json()]


@pytest.fixture
def bobs_statuses(bob, alice, make_status):
    """One status of each visibility by bob, newest last; the direct one mentions alice."""
    made = {
        "public": make_status(bob.account, "public"),
        "unlisted": make_status(bob.account, "unlisted", visibility=Visibility.UNLISTED),
        "private": make_status(bob.account, "private", visibility=Visibility.PRIVATE),
        "direct": make_status(bob.account, "direct", visibility=Visibility.DIRECT),
    }
    Mention.objects.create(status=made["direct"], account=alice.account)
    return made


def url_of(user) -> str:
    return f"/api/v1/accounts/{user.account.id}/statuses"


def test_anonymous_sees_public_and_unlisted(bob, bobs_statuses, anon) -> None:
    response = anon.get(url_of(bob))

    assert ids(response) == [str(bobs_statuses[k].id) for k in ("unlisted", "public")]
    status = response.json()[0]
    assert status["account"]["id"] == str(bob.account.id)
    assert status["visibility"] == "unlisted"
    assert "favourited" not in status


def test_a_follower_sees_private_and_a_mentioned_viewer_the_direct(
    alice, bob, bobs_statuses, client_for
) -> None:
    client = client_for(alice, scopes="read:statuses")
    before = set(ids(client.get(url_of(bob))))
    Follow.objects.create(account=alice.account, target_account=bob.account)
    after = ids(client.get(url_of(bob)))

    assert before == {str(bobs_statuses[k].id) for k in ("public", "unlisted", "direct")}
    assert after == [str(bobs_statuses[k].id) for k in ("direct", "private", "unlisted", "public")]


def test_a_stranger_does_not_see_private_or_direct(bob, bobs_statuses, make_user, client_for):
    stranger = make_user("stranger")

    response = client_for(stranger).get(url_of(bob))

    assert set(ids(response)) == {str(bobs_statuses[k].id) for k in ("public", "unlisted")}
    assert response.json()[0]["favourited"] is False


def test_the_author_sees_everything(bob, bobs_statuses, client_for) -> None:
    assert len(ids(client_for(bob).get(url_of(bob)))) == 4


def test_a_blocked_viewer_gets_nothing(alice, bob, bobs_statuses, client_for) -> None:
    Block.objects.create(account=bob.account, target_account=alice.account)

    assert ids(client_for(alice).get(url_of(bob))) == []


def test_deleted_statuses_are_gone(bob, make_status, anon) -> None:
    make_status(bob.account, deleted_at=timezone.now())

    assert ids(anon.get(url_of(bob))) == []


def test_exclude_replies_keeps_self_replies(alice, bob, make_status, anon) -> None:
    root = make_status(bob.account, "root")
    thread = make_status(bob.account, "thread", in_reply_to=root, in_reply_to_account=bob.account)
    elsewhere = make_status(alice.account, "alice says")
    reply = make_status(
        bob.account, "reply", in_reply_to=elsewhere, in_reply_to_account=alice.account
    )

    everything = ids(anon.get(url_of(bob)))
    no_replies = ids(anon.get(url_of(bob), {"exclude_replies": "true"}))

    assert everything == [str(reply.id), str(thread.id), str(root.id)]
    assert no_replies == [str(thread.id), str(root.id)]


def test_exclude_reblogs(alice, bob, make_status, anon) -> None:
    original = make_status(alice.account, "original")
    boost = make_status(bob.account, "", reblog=original)
    own = make_status(bob.account, "own")

    assert ids(anon.get(url_of(bob))) == [str(own.id), str(boost.id)]
    assert ids(anon.get(url_of(bob), {"exclude_reblogs": "1"})) == [str(own.id)]
    boosted = anon.get(url_of(bob)).json()[1]
    assert boosted["reblog"]["id"] == str(original.id)


def test_boosts_of_muted_or_blocking_accounts_are_left_out(
    alice, bob, make_user, make_status, client_for
) -> None:
    muted = make_user("muted").account
    blocker = make_user("blocker").account
    boosted_muted = make_status(bob.account, "", reblog=make_status(muted, "m"))
    boosted_blocker = make_status(bob.account, "", reblog=make_status(blocker, "b"))
    own = make_status(bob.account, "own")
    Mute.objects.create(account=alice.account, target_account=muted)
    Block.objects.create(account=blocker, target_account=alice.account)
    client = client_for(alice)

    assert ids(client.get(url_of(bob))) == [str(own.id)]
    # An expired mute no longer hides the boost.
    Mute.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ids(client.get(url_of(bob))) == [str(own.id), str(boosted_muted.id)]
    assert str(boosted_blocker.id) not in ids(client.get(url_of(bob)))


def test_pinned_only(bob, make_status, anon) -> None:
    first = make_status(bob.account, "first")
    make_status(bob.account, "second")
    third = make_status(bob.account, "third")
    for status in (third, first):
        StatusPin.objects.create(account=bob.account, status=status)

    assert ids(anon.get(url_of(bob), {"pinned": "true"})) == [str(third.id), str(first.id)]


def test_tagged(bob, make_status, anon) -> None:
    tagged = make_status(bob.account, "#Cats", tags=("Cats",))
    make_status(bob.account, "#dogs", tags=("dogs",))
    make_status(bob.account, "plain")

    assert ids(anon.get(url_of(bob), {"tagged": "cats"})) == [str(tagged.id)]
    assert ids(anon.get(url_of(bob), {"tagged": "#CATS"})) == [str(tagged.id)]
    assert ids(anon.get(url_of(bob), {"tagged": "birds"})) == []


def test_only_media_is_empty_until_media_exists(bob, make_status, anon) -> None:
    make_status(bob.account)

    assert ids(anon.get(url_of(bob), {"only_media": "true"})) == []


def test_pages_with_link_header(bob, make_status, anon) -> None:
    made = [make_status(bob.account, f"n{i}") for i in range(5)]
    newest_first = [str(s.id) for s in reversed(made)]

    first = anon.get(url_of(bob), {"limit": 2})
    links = link_targets(first)
    second = anon.get(links["next"])
    newer = anon.get(url_of(bob), {"min_id": made[1].id, "limit": 2})
    since = anon.get(url_of(bob), {"since_id": made[1].id, "limit": 2})

    assert ids(first) == newest_first[:2]
    assert links["next"] == f"http://testserver{url_of(bob)}?limit=2&max_id={made[3].id}"
    assert links["prev"] == f"http://testserver{url_of(bob)}?limit=2&min_id={made[4].id}"
    assert ids(second) == newest_first[2:4]
    assert ids(newer) == [str(made[3].id), str(made[2].id)]
    assert ids(since) == newest_first[:2]


def test_limit_is_capped_at_40(bob, make_status, anon) -> None:
    Status.objects.bulk_create(
        [Status(account=bob.account, text=f"{i}", content=f"<p>{i}</p>") for i in range(45)]
    )

    assert len(ids(anon.get(url_of(bob), {"limit": 100}))) == 40
    assert len(ids(anon.get(url_of(bob)))) == 20


def test_query_count_is_the_same_for_one_status_as_for_twenty(
    alice, bob, make_status, client_for, anon, django_assert_num_queries
) -> None:
    Follow.objects.create(account=alice.account, target_account=bob.account)
    client = client_for(alice)
    make_status(bob.account, "one", tags=("t",))

    # token, account, statuses, mentions, tags, viewer's flags, viewer's filters
    with django_assert_num_queries(7):
        assert len(ids(client.get(url_of(bob)))) == 1
    with django_assert_num_queries(4):  # no token, no flags
        assert len(ids(anon.get(url_of(bob)))) == 1

    for i in range(19):
        status = make_status(bob.account, f"more {i}", tags=("t",))
        Mention.objects.create(status=status, account=alice.account)

    with django_assert_num_queries(7):
        assert len(ids(client.get(url_of(bob)))) == 20
    with django_assert_num_queries(4):
        assert len(ids(anon.get(url_of(bob)))) == 20


def test_unknown_account_is_404(anon, db) -> None:
    assert anon.get("/api/v1/accounts/77/statuses").status_code == 404


def test_a_token_without_read_statuses_is_refused(alice, bob, client_for) -> None:
    response = client_for(alice, scopes="read:accounts").get(url_of(bob))

    assert response.status_code == 403
