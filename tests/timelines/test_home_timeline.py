"""The home timeline: built on write by the fan-out, filtered again at read time."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import AccountDomainBlock, Block, Mute
from statuses.models import Status, Tag, TagFollow
from tests.factories.accounts import RemoteAccountFactory
from tests.timelines.helpers import boost, follow, ids, post
from timelines.models import FeedEntry
from timelines.tasks import merge_into_home_task, unfan_status_task, unmerge_from_home_task

HOME = "/api/v1/timelines/home"


def test_home_shows_own_and_followed_statuses_newest_first(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(alice, bob)
    mine = post(alice, "mine")
    theirs = post(bob, "theirs")
    post(carol, "a stranger's")

    response = client_for(alice).get(HOME)

    assert ids(response) == [str(theirs.id), str(mine.id)]
    first = response.json()[0]
    assert first["account"]["id"] == str(bob.account.id)
    assert first["content"] == "<p>theirs</p>"
    assert first["favourited"] is False


def test_private_status_reaches_followers_only(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(carol, alice)
    secret = post(alice, "followers only", visibility="private")

    assert ids(client_for(carol).get(HOME)) == [str(secret.id)]
    assert ids(client_for(bob).get(HOME)) == []


def test_direct_status_reaches_only_mentioned_accounts(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(carol, alice)
    follow(bob, alice)
    dm = post(alice, "psst", visibility="direct", mentions=[bob])

    assert ids(client_for(alice).get(HOME)) == [str(dm.id)]
    assert ids(client_for(bob).get(HOME)) == [str(dm.id)]
    assert ids(client_for(carol).get(HOME)) == []


def test_direct_status_from_a_stranger_stays_out_of_home_but_reaches_conversations(
    alice, bob, client_for
):
    """Mastodon delivers a direct status to the home feeds of mentioned followers only; a
    mentioned non-follower reads it in conversations and notifications."""
    dm = post(alice, "hi", visibility="direct", mentions=[bob])

    assert ids(client_for(bob).get(HOME)) == []
    conversations = client_for(bob).get("/api/v1/conversations").json()
    assert [c["last_status"]["id"] for c in conversations] == [str(dm.id)]


def test_remote_followers_get_no_feed_entries(alice):
    remote = RemoteAccountFactory()
    follow(remote, alice)
    status = post(alice)

    assert not FeedEntry.objects.filter(account_id=remote.id).exists()
    assert FeedEntry.objects.filter(account_id=alice.account.id, status_id=status.id).exists()


def test_reply_to_someone_not_followed_is_not_delivered(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(alice, bob)
    root = post(carol, "root")
    reply = post(bob, "reply to carol", in_reply_to=root)
    self_reply = post(bob, "thread", in_reply_to=post(bob, "start"))

    home = ids(client_for(alice).get(HOME))

    assert str(reply.id) not in home
    assert str(self_reply.id) in home


def test_reply_reaches_who_follows_both_or_is_replied_to(alice, bob, make_user, client_for):
    carol = make_user("carol")
    dave = make_user("dave")
    follow(alice, bob)
    follow(alice, carol)
    follow(carol, bob)
    follow(dave, bob)
    root = post(carol, "root")
    reply = post(bob, "reply", in_reply_to=root)

    assert str(reply.id) in ids(client_for(alice).get(HOME))
    assert str(reply.id) in ids(client_for(carol).get(HOME))  # a reply to me
    assert str(reply.id) not in ids(client_for(dave).get(HOME))


def test_boost_respects_show_reblogs(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(alice, bob, show_reblogs=False)
    follow(carol, bob)
    original = post(make_user("dave"), "original")
    reblog = boost(bob, original)

    assert ids(client_for(alice).get(HOME)) == []
    body = client_for(carol).get(HOME).json()
    assert [s["id"] for s in body] == [str(reblog.id)]
    assert body[0]["reblog"]["id"] == str(original.id)


def test_boost_of_a_status_already_in_the_feed_is_not_inserted(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(alice, bob)
    follow(alice, carol)
    original = post(bob, "original")
    boost(carol, original)
    dave = make_user("dave")
    other = post(dave, "someone else")
    first = boost(bob, other)
    second = boost(carol, other)

    home = ids(client_for(alice).get(HOME))

    assert home == [str(first.id), str(original.id)]
    assert str(second.id) not in home


def test_original_is_not_inserted_after_a_boost_of_it(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(alice, bob)
    follow(alice, carol)
    original = post(carol, "late delivery", fan_out=False)
    reblog = boost(bob, original)
    from timelines.tasks import fan_out_status_task

    fan_out_status_task(original.id)

    assert ids(client_for(alice).get(HOME)) == [str(reblog.id)]


def test_blocked_muted_and_domain_blocked_authors_are_skipped_on_write(alice, bob, make_user):
    carol = make_user("carol")
    remote = RemoteAccountFactory(domain="spam.example")
    for target in (bob.account, carol.account, remote):
        follow(alice, target)
    Block.objects.create(account=alice.account, target_account=bob.account)
    Mute.objects.create(account=alice.account, target_account=carol.account)
    AccountDomainBlock.objects.create(account=alice.account, domain="spam.example")

    for author in (bob.account, carol.account, remote):
        post(author)

    assert not FeedEntry.objects.filter(account_id=alice.account.id).exists()


def test_status_mentioning_a_blocked_account_is_skipped(alice, bob, make_user):
    carol = make_user("carol")
    follow(alice, bob)
    Block.objects.create(account=alice.account, target_account=carol.account)

    post(bob, "hey @carol", mentions=[carol])

    assert not FeedEntry.objects.filter(account_id=alice.account.id).exists()


def test_mutes_and_blocks_made_later_hide_entries_at_read_time(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(alice, bob)
    follow(alice, carol)
    post(bob, "muted later")
    boosted = post(make_user("dave"), "boosted by carol")
    boost(carol, boosted)
    kept = post(alice, "mine")
    Mute.objects.create(account=alice.account, target_account=bob.account)
    Block.objects.create(account=alice.account, target_account=carol.account)

    assert ids(client_for(alice).get(HOME)) == [str(kept.id)]


def test_expired_mute_does_not_hide(alice, bob, client_for):
    follow(alice, bob)
    status = post(bob)
    Mute.objects.create(
        account=alice.account,
        target_account=bob.account,
        expires_at=timezone.now() - timezone.timedelta(minutes=1),
    )

    assert ids(client_for(alice).get(HOME)) == [str(status.id)]


def test_boost_of_a_muted_account_is_hidden_at_read_time(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(alice, bob)
    boost(bob, post(carol, "by carol"))
    Mute.objects.create(account=alice.account, target_account=carol.account)

    assert ids(client_for(alice).get(HOME)) == []


def test_deleted_status_and_its_boosts_leave_every_feed(alice, bob, make_user, client_for):
    carol = make_user("carol")
    follow(alice, bob)
    follow(carol, alice)
    original = post(bob, "soon gone")
    reblog = boost(alice, original)
    assert str(reblog.id) in ids(client_for(carol).get(HOME))

    Status.objects.filter(id=original.id).update(deleted_at=timezone.now())
    # Even before the task runs, a deleted status is not shown.
    assert ids(client_for(alice).get(HOME)) == []
    assert ids(client_for(carol).get(HOME)) == []

    unfan_status_task(original.id)
    assert not FeedEntry.objects.filter(status_id__in=[original.id, reblog.id]).exists()


def test_unfollow_hides_private_statuses_even_before_the_unmerge(alice, bob, client_for):
    f = follow(alice, bob)
    post(bob, "followers only", visibility="private")
    f.delete()

    assert ids(client_for(alice).get(HOME)) == []


def test_merge_on_follow_and_unmerge_on_unfollow(alice, bob, client_for):
    older = [post(bob, f"before {i}") for i in range(3)]
    private = post(bob, "private", visibility="private")
    post(bob, "direct", visibility="direct")
    f = follow(alice, bob)

    merge_into_home_task(alice.account.id, bob.account.id)
    assert ids(client_for(alice).get(HOME)) == [str(s.id) for s in [private, *reversed(older)]]

    f.delete()
    unmerge_from_home_task(alice.account.id, bob.account.id)
    assert not FeedEntry.objects.filter(account_id=alice.account.id).exists()


def test_followed_hashtag_brings_public_statuses_only(alice, bob, client_for):
    tag = Tag.objects.create(name="cats")
    TagFollow.objects.create(account=alice.account, tag=tag)
    public = post(bob, "#cats", tags=["cats"])
    post(bob, "#cats unlisted", tags=["cats"], visibility="unlisted")
    post(bob, "#cats private", tags=["cats"], visibility="private")

    assert ids(client_for(alice).get(HOME)) == [str(public.id)]


def test_status_notification_for_subscribed_followers(alice, bob, make_user, client_for):
    follow(alice, bob, notify=True)
    status = post(bob, "news")
    boost(bob, post(make_user("carol"), "boosted"))
    post(bob, "a reply", in_reply_to=post(make_user("dave"), "root"))

    body = client_for(alice).get("/api/v1/notifications").json()

    assert [(n["type"], n["status"]["id"]) for n in body] == [("status", str(status.id))]
    assert body[0]["account"]["id"] == str(bob.account.id)


def test_home_needs_a_user_token_with_read_statuses(alice, client_for, anon):
    assert anon.get(HOME).status_code == 401
    assert client_for(alice, scopes="read:accounts").get(HOME).status_code == 403
    assert client_for(alice, scopes="read:statuses").get(HOME).status_code == 200
    assert client_for(None).get(HOME).status_code == 422


def test_a_window_of_entries_no_longer_visible_is_read_past(alice, bob, client_for):
    """Feed entries of statuses gone since (still in the feed until their removal runs) fill
    the first windows of the page: the page goes on to the older statuses still there."""
    follow(alice, bob)
    older = [post(bob, f"older {i}") for i in range(3)]
    gone = [post(bob, f"gone {i}") for i in range(20)]
    Status.objects.filter(id__in=[s.id for s in gone]).update(deleted_at=timezone.now())

    page = ids(client_for(alice).get(HOME, {"limit": 2}))

    assert page == [str(older[2].id), str(older[1].id)]
