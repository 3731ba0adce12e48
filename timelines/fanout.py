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
from dataclasses import dataclass

from django.db import connections, router

from accounts.models import Account, Follow
from fedisocial.db import JoinedLoader, id_set, prepared_cursor, set_prefetched
from statuses.models import Mention, Status, StatusTag, TagFollow, Visibility
from timelines import feeds, home_delivery, tasks
from timelines.conversations import update_conversations_for
from timelines.models import ListAccount, Notification
from timelines.notifications import notify

FOLLOWERS_PER_TASK = 1000
BATCH = 1000


def load_for_fan_out(status_id: int) -> Status | None:
    """The status with what the whole fan-out reads: ``load_for_batch`` and the tag ids."""
    return _load(status_id, with_tags=True)


def load_for_batch(status_id: int) -> Status | None:
    """The status with only what a batch of followers reads: its author and boosted original
    (with its author) in one prepared statement, then the account ids of the mentions."""
    return _load(status_id, with_tags=False)


def load_many_for_fan_out(status_ids: Collection[int]) -> dict[int, Status]:
    """``load_for_fan_out`` of several statuses in two statements in all (the fan-out queue
    takes posts a few at a time); deleted ones and unknown ids are left out."""
    loaded = [s for s in _status_loader().get_many(status_ids) if s.deleted_at is None]
    _load_mentions_and_tags(loaded, with_tags=True)
    return {s.id: s for s in loaded}


def _load(status_id: int, *, with_tags: bool) -> Status | None:
    status = _status_loader().get(status_id)
    if status is None or status.deleted_at is not None:
        return None
    _load_mentions_and_tags([status], with_tags=with_tags)
    return status


def _load_mentions_and_tags(loaded: list[Status], *, with_tags: bool) -> None:
    """What ``prefetch_related`` of the mentions (of the statuses and of their originals) and
    of the tags would leave, only their ids loaded, in one hand-written query (the two
    prefetches cost several times what the database did)."""
    if not loaded:
        return
    db = router.db_for_read(Mention)
    quote = connections[db].ops.quote_name
    statuses = {s.id: s for s in loaded}
    for status in loaded:
        if status.reblog is not None:
            statuses.setdefault(status.reblog.id, status.reblog)
    test, value = id_set("%s", statuses, using=db)
    sql = (
        f"SELECT 0, id, status_id, account_id FROM {quote(Mention._meta.db_table)}"  # noqa: S608
        f" WHERE status_id {test}"
    )
    params: list[object] = [value]
    if with_tags:
        tags_test, tags_value = id_set("%s", [s.id for s in loaded], using=db)
        sql += (
            f" UNION ALL SELECT 1, id, status_id, tag_id FROM {quote(StatusTag._meta.db_table)}"  # noqa: S608
            f" WHERE status_id {tags_test}"
        )
        params.append(tags_value)
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    mentions: dict[int, list[Mention]] = {status_id: [] for status_id in statuses}
    tags: dict[int, list[StatusTag]] = {s.id: [] for s in loaded}
    for kind, row_id, owner_id, other_id in rows:
        if kind == 0:
            names = ["id", "status_id", "account_id"]
            mentions[owner_id].append(Mention.from_db(db, names, [row_id, owner_id, other_id]))
        else:
            names = ["id", "status_id", "tag_id"]
            tags[owner_id].append(StatusTag.from_db(db, names, [row_id, owner_id, other_id]))
    for status_id, status in statuses.items():
        set_prefetched(status, "mentions", sorted(mentions[status_id], key=lambda m: m.id))
    if with_tags:
        for status in loaded:
            set_prefetched(status, "status_tags", sorted(tags[status.id], key=lambda t: t.id))


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


@dataclass(frozen=True)
class Followers:
    """What one query tells of the author's followers before the fan-out: the first id of
    each batch of local ones, whether any of those asked to be notified of new posts, whether
    any follower is on another server (the status then goes there too), and whether the
    author is on any list (else no list is asked about)."""

    batch_starts: list[int]
    subscribers: bool
    remote: bool
    listed: bool = True


def fan_out_on_write(status: Status) -> Followers | None:
    """Returns what was learnt of the followers (None when they were not looked at), for the
    federation step after it."""
    if status.deleted_at is not None or status.account.suspended_at is not None:
        return None
    followers = None
    author_served = False
    match status.visibility:
        case Visibility.PUBLIC | Visibility.UNLISTED | Visibility.PRIVATE:
            # First: its batch tasks start meanwhile.
            followers, author_served = deliver_to_followers(
                status, with_author=status.account.local
            )
            if followers.listed:
                deliver_to_lists(status)
        case Visibility.DIRECT:
            deliver_to_mentioned(status)
            update_conversations_for(status)
    if status.account.local and not author_served:
        deliver_to_self(status)
    if status.visibility == Visibility.PUBLIC and status.reblog_id is None:
        deliver_to_tag_followers(status)
    return followers


# --- Steps ---------------------------------------------------------------------------------------


def deliver_to_self(status: Status) -> None:
    """The author's own home, under the same single statement as followers' (which admits
    the author whatever the rules, and skips it when the original is there already)."""
    feeds.deliver_home(status, [status.account_id])


def deliver_to_followers(status: Status, *, with_author: bool = False) -> tuple[Followers, bool]:
    """Inline for up to FOLLOWERS_PER_TASK followers, and then the author's own home in the
    same statement when ``with_author``; otherwise one task per batch, each given a range of
    follower ids (the first and last ranges open-ended), all queued at once. Also returns
    whether the author's home was served."""
    followers = _followers(status.account_id)
    starts = followers.batch_starts
    if len(starts) == 1:
        deliver_to_followers_range(
            status, subscribers=followers.subscribers, with_author=with_author
        )
        return followers, with_author
    if starts:
        bounds: list[tuple[int | None, int | None]] = [
            (None if i == 0 else start, None if i == len(starts) - 1 else starts[i + 1] - 1)
            for i, start in enumerate(starts)
        ]
        for first_id, last_id in bounds:
            tasks.fan_out_followers_task.delay(status.id, first_id, last_id)
    return followers, False


def _tables() -> tuple[str, str]:
    quote = connections[router.db_for_read(Follow)].ops.quote_name
    return quote(Follow._meta.db_table), quote(Account._meta.db_table)


def _followers(author_id: int) -> Followers:
    """``Followers`` in one query: the first account id of every FOLLOWERS_PER_TASK local,
    unsuspended followers (the author excluded, as ``home_delivery.FollowerRange``), then
    whether one of those subscribed, whether one follower is remote and whether a list holds
    the author."""
    follow, account = _tables()
    member = connections[router.db_for_read(ListAccount)].ops.quote_name(ListAccount._meta.db_table)
    local = (
        f"FROM {follow} f JOIN {account} a ON a.id = f.account_id"
        " WHERE f.target_account_id = %s AND a.domain IS NULL AND a.suspended_at IS NULL"
        " AND f.account_id <> %s"
    )
    sql = (
        "SELECT 0, account_id FROM (SELECT f.account_id,"  # noqa: S608 - table names only
        f" ROW_NUMBER() OVER (ORDER BY f.account_id) AS position {local}) ranked"
        " WHERE (position - 1) %% %s = 0"
        f" UNION ALL SELECT 1, COUNT(*) FROM (SELECT 1 {local} AND f.notify LIMIT 1) s"
        f" UNION ALL SELECT 2, COUNT(*) FROM (SELECT 1 FROM {follow} f"
        f" JOIN {account} a ON a.id = f.account_id"
        " WHERE f.target_account_id = %s AND a.domain IS NOT NULL LIMIT 1) r"
        f" UNION ALL SELECT 3, COUNT(*) FROM (SELECT 1 FROM {member} la"
        " WHERE la.account_id = %s LIMIT 1) l"
        " ORDER BY 1, 2"
    )
    params = [author_id] * 2 + [FOLLOWERS_PER_TASK] + [author_id] * 4
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    flags = {kind: value for kind, value in rows if kind != 0}
    return Followers(
        batch_starts=[value for kind, value in rows if kind == 0],
        subscribers=bool(flags.get(1)),
        remote=bool(flags.get(2)),
        listed=bool(flags.get(3)),
    )


def deliver_to_followers_range(
    status: Status,
    first_id: int | None = None,
    last_id: int | None = None,
    *,
    subscribers: bool = True,
    with_author: bool = False,
) -> None:
    """The followers whose account ids lie in [first_id, last_id] (all when not given), and
    the author too when ``with_author``. ``subscribers`` False: none of them asked to be
    notified (nothing to look up)."""
    followers = home_delivery.FollowerRange(status.account_id, first_id, last_id, with_author)
    delivered = _deliver_home(status, followers, check_replies=True)
    if delivered and subscribers and _notifies_subscribers(status):
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
    with prepared_cursor() as cursor:
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
