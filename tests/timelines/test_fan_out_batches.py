"""The batched fan-out (timelines.fanout, feeds.deliver_home): one INSERT ... SELECT per batch of
followers must reach exactly the homes the per-receiver home rules admit, split the followers
into ranges that cover them all, trim in one statement and survive a concurrent insertion."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Account, AccountDomainBlock, Block, Follow, Mute
from statuses.models import Status
from tests.factories.accounts import RemoteAccountFactory
from tests.timelines.helpers import boost, follow, post
from timelines import fanout, feeds
from timelines.models import HOME_FEED, FeedEntry, List, ListAccount, Notification
from timelines.tasks import fan_out_status_task


def homes_with(status: Status) -> set[int]:
    return set(
        FeedEntry.objects.filter(status_id=status.id, list_id=HOME_FEED).values_list(
            "account_id", flat=True
        )
    )


def rules_admit(status: Status, receivers: list[int]) -> set[int]:
    """The homes the per-receiver rules (as merges apply them) admit among these receivers."""
    loaded = fanout.load_for_fan_out(status.id)
    assert loaded is not None
    rules = feeds.build_home_filter(receivers, [loaded])
    excluded = feeds.exclusive_owners(loaded, receivers)
    return {r for r in receivers if r not in excluded and not rules.rejects(loaded, r)}


@pytest.fixture
def world(make_user, monkeypatch):
    """An author followed by local accounts that each did one thing, batched by 4."""
    monkeypatch.setattr(fanout, "FOLLOWERS_PER_TASK", 4)
    author = make_user("author").account
    mentioned = make_user("mentioned").account
    target = make_user("target").account
    original = RemoteAccountFactory(domain="far.example", username="original")
    names = [
        "plain",
        "blocker",
        "muter",
        "expired",
        "blocks_mentioned",
        "mutes_original",
        "domain_blocker",
        "hides_boosts",
        "blocked_by_original",
        "follows_target",
        "exclusive",
        "exclusive_none",
        "exclusive_followed",
    ]
    who: dict[str, Account] = {name: make_user(name).account for name in names}
    who["target"] = target
    for name, account in who.items():
        follow(account, author, show_reblogs=name != "hides_boosts")
    follow(who["follows_target"], target)
    follow(RemoteAccountFactory(domain="else.example", username="remote"), author)
    follow(make_user("suspended", suspended_at=timezone.now()).account, author)
    Block.objects.create(account=who["blocker"], target_account=author)
    Mute.objects.create(account=who["muter"], target_account=author)
    Mute.objects.create(
        account=who["expired"],
        target_account=author,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    Block.objects.create(account=who["blocks_mentioned"], target_account=mentioned)
    Mute.objects.create(account=who["mutes_original"], target_account=original)
    AccountDomainBlock.objects.create(account=who["domain_blocker"], domain="far.example")
    Block.objects.create(account=original, target_account=who["blocked_by_original"])
    for name, policy in (
        ("exclusive", List.RepliesPolicy.LIST),
        ("exclusive_none", List.RepliesPolicy.NONE),
        ("exclusive_followed", List.RepliesPolicy.FOLLOWED),
    ):
        lst = List.objects.create(
            account=who[name], title=name, replies_policy=policy, exclusive=True
        )
        ListAccount.objects.create(list=lst, account=author)
    return author, mentioned, target, original, who


def test_batches_reach_exactly_the_homes_the_rules_admit(world):
    author, mentioned, target, original, who = world
    ids = {account.id: name for name, account in who.items()}
    receivers = sorted(ids)

    plain = post(author, "plain")
    mentioning = post(author, "hi @mentioned", mentions=[mentioned])
    reply = post(author, "to target", in_reply_to=post(target, "root", fan_out=False))
    self_reply = post(author, "more", in_reply_to=post(author, "mine", fan_out=False))
    remote_status = post(original, "far away", mentions=[mentioned], fan_out=False)
    boosted = boost(author, remote_status)
    private = post(author, "followers only", visibility="private")
    orphan = post(author, "parent gone", in_reply_to=plain, fan_out=False)
    Status.objects.filter(id=orphan.id).update(in_reply_to_account_id=None)
    fan_out_status_task(orphan.id)

    statuses = (plain, mentioning, reply, self_reply, boosted, private, orphan)
    for status in statuses:
        reached = homes_with(status)
        assert author.id in reached
        assert reached - {author.id} == rules_admit(status, receivers), status.text

    exclusive = {"exclusive", "exclusive_none", "exclusive_followed"}
    everyone = set(who) - {"blocker", "muter"} - exclusive
    assert {ids[i] for i in homes_with(plain) - {author.id}} == everyone
    assert {ids[i] for i in homes_with(mentioning) - {author.id}} == everyone - {"blocks_mentioned"}
    assert {ids[i] for i in homes_with(reply) - {author.id}} == {"target", "follows_target"}
    assert {ids[i] for i in homes_with(boosted) - {author.id}} == everyone - {
        "blocks_mentioned",
        "mutes_original",
        "domain_blocker",
        "hides_boosts",
        "blocked_by_original",
    }
    assert homes_with(orphan) == {author.id}


def test_remote_and_suspended_followers_get_nothing(world):
    author, *_ = world

    status = post(author, "hello")

    reached = Account.objects.filter(id__in=homes_with(status))
    assert not reached.filter(domain__isnull=False).exists()
    assert not reached.filter(suspended_at__isnull=False).exists()


def test_follower_ranges_cover_every_local_follower_in_one_task_per_batch(
    alice, make_user, monkeypatch
):
    monkeypatch.setattr(fanout, "FOLLOWERS_PER_TASK", 2)
    calls: list[tuple[int, int | None, int | None]] = []
    original = fanout.tasks.fan_out_followers_task.delay

    def spy(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(fanout.tasks.fan_out_followers_task, "delay", spy)
    local = [make_user(f"f{i}").account for i in range(5)]
    for i, account in enumerate(local):
        follow(account, alice)
        # Followers that get nothing, between the local ones in id order.
        follow(RemoteAccountFactory(username=f"r{i}"), alice)
        follow(make_user(f"s{i}", suspended_at=timezone.now()).account, alice)

    status = post(alice, "to many")

    assert len(calls) == 3  # ceil(5 local followers / 2)
    assert calls[0][1] is None
    assert calls[-1][2] is None
    assert homes_with(status) == {a.id for a in local} | {alice.account.id}


def test_a_retried_batch_inserts_and_notifies_once(alice, bob):
    follow(bob, alice, notify=True)
    status = post(alice, "news")
    loaded = fanout.load_for_batch(status.id)
    assert loaded is not None

    fanout.deliver_to_followers_range(loaded)

    assert FeedEntry.objects.filter(account_id=bob.account.id, status_id=status.id).count() == 1
    assert Notification.objects.filter(account=bob.account, type="status").count() == 1


def test_an_entry_inserted_meanwhile_is_skipped_not_an_error(alice, bob, make_user):
    carol = make_user("carol")
    follow(bob, alice)
    follow(carol, alice)
    original = post(make_user("dave"), "boost me", fan_out=False)
    reblog = boost(alice, original, fan_out=False)
    # What a concurrent insertion leaves and the NOT IN of the statement cannot see: the
    # same entry (here without its reblog_of_id, so that only the unique key catches it).
    FeedEntry.objects.create(
        account_id=bob.account.id,
        list_id=HOME_FEED,
        status_id=reblog.id,
        author_id=alice.account.id,
    )

    fan_out_status_task(reblog.id)

    assert homes_with(reblog) == {alice.account.id, bob.account.id, carol.account.id}
    assert FeedEntry.objects.filter(account_id=bob.account.id, status_id=reblog.id).count() == 1


def test_trim_feeds_keeps_the_newest_entries_of_every_feed_in_one_statement(
    db, settings, django_assert_num_queries
):
    settings.FEED_MAX_ITEMS = 3
    sizes = {1: 5, 2: 4, 3: 2}
    for account_id, size in sizes.items():
        FeedEntry.objects.bulk_create(
            FeedEntry(account_id=account_id, status_id=100 + i, author_id=9) for i in range(size)
        )

    with django_assert_num_queries(1):
        feeds.trim_feeds([(1, HOME_FEED), (2, HOME_FEED), (3, HOME_FEED)])

    for account_id, size in sizes.items():
        kept = FeedEntry.objects.filter(account_id=account_id).values_list("status_id", flat=True)
        assert sorted(kept) == [100 + i for i in range(size)][-3:]


def test_a_batch_runs_a_fixed_number_of_queries(alice, make_user, django_assert_max_num_queries):
    for i in range(30):
        follow(make_user(f"f{i}"), alice)
    status = post(alice, "counted", fan_out=False)
    loaded = fanout.load_for_batch(status.id)
    assert loaded is not None

    # the INSERT that judges the rules (in a savepoint here: 3), at times a trim, subscribers
    with django_assert_max_num_queries(5):
        fanout.deliver_to_followers_range(loaded)

    assert len(homes_with(status)) == 30
    assert Follow.objects.filter(target_account=alice.account).count() == 30
