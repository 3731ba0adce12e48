"""Who receives a new status: Mastodon's FanOutOnWriteService, with one visibility switch.

public, unlisted, private: the author's own home, their local followers' homes and the lists
that contain the author. direct: the author and the local accounts it mentions (and their
conversations). public, not a boost: also the homes of local accounts following one of its
hashtags. Every insertion goes through the home rules of ``timelines.feeds``.

Followers are handled in batches of FOLLOWERS_PER_TASK; past one batch, each batch is its own
Celery task (a range of follower ids), so a popular account's post spreads over the workers. The
ranges come from one query and are all queued before the rest of the fan-out runs. A batch never
brings its followers' ids to Python: they are a subquery of the one INSERT ... SELECT that also
judges the home rules (``timelines.home_delivery``).
"""

from __future__ import annotations

import functools
from collections.abc import Collection

from django.db import connections, router
from django.db.models import Prefetch, prefetch_related_objects

from accounts.models import Account, Follow
from fedisocial.db import JoinedLoader, id_set
from statuses.models import Mention, Status, StatusTag, TagFollow, Visibility
from timelines import feeds, home_delivery, tasks
from timelines.conversations import update_conversations_for
from timelines.models import HOME_FEED, Notification
from timelines.notifications import notify

FOLLOWERS_PER_TASK = 1000
BATCH = 1000


def load_for_fan_out(status_id: int) -> Status | None:
    """The status with what the whole fan-out reads: ``load_for_batch`` and the tag ids."""
    status = load_for_batch(status_id)
    if status is not None:
        tags = StatusTag.objects.only("status_id", "tag_id")
        prefetch_related_objects([status], Prefetch("status_tags", tags))
    return status


def load_for_batch(status_id: int) -> Status | None:
    """The status with only what a batch of followers reads: its author and boosted original
    (with its author) in one prepared statement, then the account ids of the mentions."""
    status = _status_loader().get(status_id)
    if status is None or status.deleted_at is not None:
        return None
    mentions = Mention.objects.only("status_id", "account_id")
    prefetch_related_objects(
        [status], Prefetch("mentions", mentions), Prefetch("reblog__mentions", mentions)
    )
    return status


@functools.cache
def _status_loader() -> JoinedLoader:
    return JoinedLoader(
        Status,
        where="id",
        joins=[
            ("account", Account, "account_id", "id"),
            ("reblog", Status, "reblog_id", "id"),
            ("account", Account, "reblog.account_id", "id"),
        ],
    )


def fan_out_on_write(status: Status) -> None:
    if status.deleted_at is not None or status.account.suspended_at is not None:
        return
    match status.visibility:
        case Visibility.PUBLIC | Visibility.UNLISTED | Visibility.PRIVATE:
            deliver_to_followers(status)  # first: its batch tasks start while the rest runs
            deliver_to_lists(status)
        case Visibility.DIRECT:
            deliver_to_mentioned(status)
            update_conversations_for(status)
    if status.account.local:
        deliver_to_self(status)
    if status.visibility == Visibility.PUBLIC and status.reblog_id is None:
        deliver_to_tag_followers(status)


# --- Steps ---------------------------------------------------------------------------------------


def deliver_to_self(status: Status) -> None:
    feeds.push([(status, (status.account_id, HOME_FEED))])


def deliver_to_followers(status: Status) -> None:
    """Inline for up to FOLLOWERS_PER_TASK followers; otherwise one task per batch, each given
    a range of follower ids (the first and last ranges open-ended), all queued at once."""
    starts = _batch_starts(status.account_id)
    if not starts:
        return
    if len(starts) == 1:
        deliver_to_followers_range(status)
        return
    bounds: list[tuple[int | None, int | None]] = [
        (None if i == 0 else start, None if i == len(starts) - 1 else starts[i + 1] - 1)
        for i, start in enumerate(starts)
    ]
    for first_id, last_id in bounds:
        tasks.fan_out_followers_task.delay(status.id, first_id, last_id)


def _tables() -> tuple[str, str]:
    quote = connections[router.db_for_read(Follow)].ops.quote_name
    return quote(Follow._meta.db_table), quote(Account._meta.db_table)


def _batch_starts(author_id: int) -> list[int]:
    """The first account id of every FOLLOWERS_PER_TASK local, unsuspended followers (the
    author excluded, as ``home_delivery.FollowerRange``), in one query that returns only
    those."""
    follow, account = _tables()
    sql = (
        "SELECT account_id FROM (SELECT f.account_id,"  # noqa: S608 - table names only
        " ROW_NUMBER() OVER (ORDER BY f.account_id) AS position"
        f" FROM {follow} f JOIN {account} a ON a.id = f.account_id"
        " WHERE f.target_account_id = %s AND a.domain IS NULL AND a.suspended_at IS NULL"
        " AND f.account_id <> %s) ranked"
        " WHERE (position - 1) %% %s = 0 ORDER BY account_id"
    )
    with connections[router.db_for_read(Follow)].cursor() as cursor:
        cursor.execute(sql, [author_id, author_id, FOLLOWERS_PER_TASK])
        return [row[0] for row in cursor.fetchall()]


def deliver_to_followers_range(
    status: Status, first_id: int | None = None, last_id: int | None = None
) -> None:
    """The followers whose account ids lie in [first_id, last_id] (all when not given)."""
    followers = home_delivery.FollowerRange(status.account_id, first_id, last_id)
    delivered = _deliver_home(status, followers, check_replies=True)
    if delivered and _notifies_subscribers(status):
        _notify_subscribers(status, _subscribers(status.account_id, delivered))


def _subscribers(author_id: int, among: Collection[int]) -> set[int]:
    """Those of these accounts who follow the author asking to be notified of its posts."""
    follow, _ = _tables()
    db = router.db_for_read(Follow)
    test, value = id_set("%s", among, using=db)
    sql = (
        f"SELECT account_id FROM {follow} WHERE target_account_id = %s"  # noqa: S608
        f" AND notify AND account_id {test}"
    )
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [author_id, value])
        return {row[0] for row in cursor.fetchall()}


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


def _deliver_home(
    status: Status, receivers: home_delivery.Receivers, *, check_replies: bool
) -> list[int]:
    """Push into these home feeds, minus those the home rules reject and those whose owner
    has an exclusive list that takes the status. Returns the receivers it was pushed to."""
    if not isinstance(receivers, home_delivery.FollowerRange) and not receivers:
        return []
    return feeds.deliver_home(status, receivers, check_replies=check_replies)


def _notifies_subscribers(status: Status) -> bool:
    """A new original or self-reply notifies the followers who asked for it."""
    if status.reblog_id is not None:
        return False
    return status.in_reply_to_id is None or status.in_reply_to_account_id == status.account_id


def _notify_subscribers(status: Status, recipient_ids: Collection[int]) -> None:
    """Followers who asked to be notified of the author's posts (Follow.notify) get a
    ``status`` notification for a new original or self-reply that reached their home, as in
    Mastodon's FeedInsertWorker."""
    if not recipient_ids or not _notifies_subscribers(status):
        return
    for recipient in Account.objects.filter(id__in=recipient_ids):
        notify(recipient, Notification.Type.STATUS, from_account=status.account, status=status)
