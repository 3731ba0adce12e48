"""Who receives a new status: Mastodon's FanOutOnWriteService, with one visibility switch.

public, unlisted, private: the author's own home, their local followers' homes and the lists
that contain the author. direct: the author and the local accounts it mentions (and their
conversations). public, not a boost: also the homes of local accounts following one of its
hashtags. Every insertion goes through the home rules of ``timelines.feeds``.

Followers are handled in batches of FOLLOWERS_PER_TASK; past one batch, each batch is its own
Celery task (a range of follower ids), so a popular account's post spreads over the workers.
"""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import QuerySet

from accounts.models import Account, Follow
from statuses.models import Mention, Status, TagFollow, Visibility
from statuses.selectors import with_related
from timelines import feeds, tasks
from timelines.conversations import update_conversations_for
from timelines.models import HOME_FEED, Notification
from timelines.notifications import notify

FOLLOWERS_PER_TASK = 1000
BATCH = 1000


def load_for_fan_out(status_id: int) -> Status | None:
    """The status in the shape the feed rules read (mentions, tags, boosted original)."""
    return with_related(Status.objects.filter(id=status_id, deleted_at__isnull=True)).first()


def fan_out_on_write(status: Status) -> None:
    if status.deleted_at is not None or status.account.suspended_at is not None:
        return
    if status.account.local:
        deliver_to_self(status)
    match status.visibility:
        case Visibility.PUBLIC | Visibility.UNLISTED | Visibility.PRIVATE:
            deliver_to_followers(status)
            deliver_to_lists(status)
        case Visibility.DIRECT:
            deliver_to_mentioned(status)
            update_conversations_for(status)
    if status.visibility == Visibility.PUBLIC and status.reblog_id is None:
        deliver_to_tag_followers(status)


# --- Steps ---------------------------------------------------------------------------------------


def deliver_to_self(status: Status) -> None:
    feeds.push([(status, (status.account_id, HOME_FEED))])


def _local_followers(author_id: int) -> QuerySet[Follow]:
    return Follow.objects.filter(
        target_account_id=author_id,
        account__domain__isnull=True,
        account__suspended_at__isnull=True,
    ).order_by("account_id")


def deliver_to_followers(status: Status) -> None:
    """Inline for up to FOLLOWERS_PER_TASK followers; otherwise one task per batch, each
    given the first and last follower id of its batch."""
    followers = _local_followers(status.account_id).values_list("account_id", flat=True)
    first = list(followers[: FOLLOWERS_PER_TASK + 1])
    if len(first) <= FOLLOWERS_PER_TASK:
        deliver_to_followers_range(status)
        return
    after: int | None = None
    while True:
        batch = followers if after is None else followers.filter(account_id__gt=after)
        ids = list(batch[:FOLLOWERS_PER_TASK])
        if not ids:
            return
        tasks.fan_out_followers_task.delay(status.id, ids[0], ids[-1])
        if len(ids) < FOLLOWERS_PER_TASK:
            return
        after = ids[-1]


def deliver_to_followers_range(
    status: Status, first_id: int | None = None, last_id: int | None = None
) -> None:
    """The followers whose account ids lie in [first_id, last_id] (all when not given)."""
    followers = _local_followers(status.account_id)
    if first_id is not None:
        followers = followers.filter(account_id__gte=first_id)
    if last_id is not None:
        followers = followers.filter(account_id__lte=last_id)
    rows = list(followers.values_list("account_id", "notify"))
    receivers = [account_id for account_id, _ in rows if account_id != status.account_id]
    delivered = _deliver_home(status, receivers, check_replies=True)
    subscribed = {account_id for account_id, wants in rows if wants}
    _notify_subscribers(status, subscribed & delivered)


def deliver_to_lists(status: Status) -> None:
    lists = feeds.lists_receiving(status.account_id)
    for start in range(0, len(lists), BATCH):
        batch = lists[start : start + BATCH]
        rules = feeds.build_home_filter({lst.account_id for lst in batch}, [status])
        members = feeds.reply_memberships(batch, [status])
        feeds.push(
            [
                (status, lst.key)
                for lst in batch
                if not rules.rejects(status, lst.account_id)
                and feeds.list_accepts(status, lst, members)
            ]
        )


def deliver_to_mentioned(status: Status) -> None:
    """A direct status reaches the home feeds of the local accounts it mentions that follow
    its author (Mastodon's deliver_to_mentioned_followers); the others find it in their
    notifications and conversations."""
    mentioned = Mention.objects.filter(
        status_id=status.id,
        account__domain__isnull=True,
        account__suspended_at__isnull=True,
        account_id__in=Follow.objects.filter(target_account_id=status.account_id).values(
            "account_id"
        ),
    ).exclude(account_id=status.account_id)
    _deliver_home(status, list(mentioned.values_list("account_id", flat=True)), check_replies=False)


def deliver_to_tag_followers(status: Status) -> None:
    tag_ids = [st.tag_id for st in status.status_tags.all()]
    if not tag_ids:
        return
    followers = (
        TagFollow.objects.filter(
            tag_id__in=tag_ids, account__domain__isnull=True, account__suspended_at__isnull=True
        )
        .exclude(account_id=status.account_id)
        .values_list("account_id", flat=True)
        .order_by("account_id")
        .distinct()
    )
    after: int | None = None
    while True:
        batch = followers if after is None else followers.filter(account_id__gt=after)
        ids = list(batch[:BATCH])
        if not ids:
            return
        # As Mastodon's tag delivery: no reply rule, the account chose the hashtag.
        _deliver_home(status, ids, check_replies=False)
        if len(ids) < BATCH:
            return
        after = ids[-1]


# --- Helpers -------------------------------------------------------------------------------------


def _deliver_home(status: Status, receivers: Collection[int], *, check_replies: bool) -> set[int]:
    """Push into these home feeds, minus those the home rules reject and those whose owner
    has an exclusive list that takes the status. Returns the receivers it was pushed to."""
    if not receivers:
        return set()
    rules = feeds.build_home_filter(receivers, [status])
    excluded = feeds.exclusive_owners(status, receivers)
    inserted = feeds.push(
        [
            (status, (receiver, HOME_FEED))
            for receiver in receivers
            if receiver not in excluded
            and not rules.rejects(status, receiver, check_replies=check_replies)
        ]
    )
    return {key[0] for _, key in inserted}


def _notify_subscribers(status: Status, recipient_ids: Collection[int]) -> None:
    """Followers who asked to be notified of the author's posts (Follow.notify) get a
    ``status`` notification for a new original or self-reply that reached their home, as in
    Mastodon's FeedInsertWorker."""
    if not recipient_ids or status.reblog_id is not None:
        return
    if status.in_reply_to_id is not None and status.in_reply_to_account_id != status.account_id:
        return
    for recipient in Account.objects.filter(id__in=recipient_ids):
        notify(recipient, Notification.Type.STATUS, from_account=status.account, status=status)
