"""Home and list feeds stored as FeedEntry rows, built on write (Mastodon's FeedManager).

A feed is identified by ``(account_id, list_id)``; list_id 0 is the home feed. This module knows
the *rules* for what may enter a feed (who is filtered, replies, boosts, exclusive lists), and how
entries are stored, deduplicated and trimmed; ``timelines.fanout`` decides *who* receives a new
status, and ``timelines.selectors`` reads feeds back.

The rules follow Mastodon's ``FeedManager#filter_from_home?`` and ``#filter_from_list?``, checked
for many receivers (fan-out) or many statuses (merge) with a fixed number of queries: the
relationships they need are loaded up front into a ``HomeFilter`` (Mastodon's "crutches").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import CharField, Q, QuerySet, Value
from django.utils import timezone

from accounts.models import Account, AccountDomainBlock, Block, Follow, FollowRequest, Mute
from fedisocial.db import id_set, prepared_cursor
from statuses.models import Status, Visibility
from statuses.policies import visible_to
from statuses.selectors import with_related
from timelines import home_delivery, tasks
from timelines.models import HOME_FEED, FeedEntry, List, ListAccount, Marker

FeedKey = tuple[int, int]  # (account_id, list_id); list_id HOME_FEED is the home feed
# Receivers of a status: account ids, or a query of rows whose ``account_id`` is one (Follow,
# Mention, ...): a fan-out batch passes its range of followers as a query, which runs as a
# subquery, so its thousand ids never come to Python.
Receivers = Collection[int] | QuerySet[Any]

INSERT_BATCH = 1000
# How many of a followee's newest statuses a follow (or unmute) merges into the feed.
MERGE_LIMIT = 40
# A feed is trimmed back to FEED_MAX_ITEMS about once per (FEED_MAX_ITEMS / TRIM_SLACK_RATIO)
# insertions, so it holds at most about 5% more than that between trims.
TRIM_SLACK_RATIO = 20


class FeedError(ValueError):
    """A request on a list that cannot be honoured; the message is for the user (422)."""


# --- Storage: insert, trim, remove ---------------------------------------------------------------


def entry_for(status: Status, key: FeedKey) -> FeedEntry:
    return FeedEntry(
        account_id=key[0],
        list_id=key[1],
        status_id=status.id,
        author_id=status.account_id,
        reblog_of_id=status.reblog_id,
    )


def insert_entries(entries: Sequence[FeedEntry]) -> None:
    """Bulk insert, ignoring rows already there (a feed holds a status once)."""
    for start in range(0, len(entries), INSERT_BATCH):
        FeedEntry.objects.bulk_create(entries[start : start + INSERT_BATCH], ignore_conflicts=True)


def trim_feeds(keys: Collection[FeedKey]) -> None:
    """Keep the newest FEED_MAX_ITEMS entries of these feeds, in one DELETE for all of them;
    it removes nothing from a feed not over the limit (its cut-off is then empty). A cut-off
    reads at most FEED_MAX_ITEMS + 1 entries of the read index."""
    feeds = sorted(set(keys))
    if not feeds:
        return
    db = router.db_for_write(FeedEntry)
    table = connections[db].ops.quote_name(FeedEntry._meta.db_table)
    over = (
        "(account_id = %s AND list_id = %s AND status_id <= (SELECT x.status_id"  # noqa: S608
        f" FROM {table} x WHERE x.account_id = %s AND x.list_id = %s"
        " ORDER BY x.status_id DESC LIMIT 1 OFFSET %s))"
    )
    params: list[int] = []
    for account_id, list_id in feeds:
        params += [account_id, list_id, account_id, list_id, settings.FEED_MAX_ITEMS]
    # Only the table name is interpolated.
    sql = f"DELETE FROM {table} WHERE {' OR '.join([over] * len(feeds))}"  # noqa: S608
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)


def trim_feed(key: FeedKey) -> None:
    trim_feeds([key])


def _trim_due(key: FeedKey, status_id: int) -> bool:
    """Whether this insertion should trim the feed. Counting a feed's rows on every insertion
    into thousands of feeds would cost a query each; instead each insertion trims with a
    probability of 1/slack (decided by a hash, so it is deterministic for a given entry), which
    keeps a feed within about ``slack`` entries of the limit with no counting at all."""
    every = max(1, settings.FEED_MAX_ITEMS // TRIM_SLACK_RATIO)
    return hash((key[0], key[1], status_id)) % every == 0


def trim_touched(inserted: Iterable[tuple[Status, FeedKey]]) -> None:
    trim_feeds({key for status, key in inserted if _trim_due(key, status.id)})


def remove_status_from_feeds(status_id: int) -> None:
    """A deleted status leaves every feed, and so do boosts of it."""
    FeedEntry.objects.filter(Q(status_id=status_id) | Q(reblog_of_id=status_id)).delete()


def remove_author_from_feeds(
    account_id: int, author_id: int, *, list_id: int | None = None
) -> None:
    """Take an author's statuses and boosts out of an account's feeds (home and lists, or one
    list): after an unfollow, block or mute, or removal from a list. Boosts *of* the author's
    statuses by others are hidden at read time (see timelines.selectors)."""
    entries = FeedEntry.objects.filter(account_id=account_id, author_id=author_id)
    if list_id is not None:
        entries = entries.filter(list_id=list_id)
    entries.delete()


# --- Rules: what may enter a home feed -----------------------------------------------------------


def _unexpired_mutes() -> Q:
    return Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())


def _mentioned_ids(status: Status) -> list[int]:
    return [m.account_id for m in status.mentions.all()]


def _involved_ids(status: Status) -> set[int]:
    """Accounts whose block or mute by the receiver keeps a status out of a feed: the author,
    the accounts it mentions, and for a boost the original's author and mentions."""
    ids = {status.account_id, *_mentioned_ids(status)}
    if status.reblog_id is not None and status.reblog is not None:
        ids |= {status.reblog.account_id, *_mentioned_ids(status.reblog)}
    return ids


def _domains(status: Status) -> set[str]:
    domains = {status.account.domain}
    if status.reblog_id is not None and status.reblog is not None:
        domains.add(status.reblog.account.domain)
    return {d for d in domains if d}


def _is_reply_to_other(status: Status) -> bool:
    return status.in_reply_to_id is not None and status.in_reply_to_account_id != status.account_id


@dataclass(frozen=True)
class Audience:
    """What the loaded relationships decide about one status for all its receivers at once:
    the author always takes it; then nobody in ``rejected`` does, and when ``only`` is set,
    nobody outside it does."""

    author_id: int
    rejected: frozenset[int]
    only: frozenset[int] | None

    def admits(self, receiver_id: int) -> bool:
        if receiver_id == self.author_id:
            return True
        if receiver_id in self.rejected:
            return False
        return self.only is None or receiver_id in self.only


@dataclass
class HomeFilter:
    """What a set of receivers did to the accounts a set of statuses involves.

    Pairs are ``(receiver_id, account_id)`` except ``blocked_by``: ``(author_id, receiver_id)``.
    Only relationships that exist are loaded, so a status's verdict (``audience``) is worked
    out from a few pairs, whatever the number of receivers.
    """

    following: set[tuple[int, int]] = field(default_factory=set)
    hiding_reblogs: set[tuple[int, int]] = field(default_factory=set)
    blocking_or_muting: set[tuple[int, int]] = field(default_factory=set)
    blocked_by: set[tuple[int, int]] = field(default_factory=set)
    domain_blocking: set[tuple[int, str]] = field(default_factory=set)
    _audiences: dict[tuple[int, bool], Audience] = field(default_factory=dict, repr=False)

    def rejects(self, status: Status, receiver_id: int, *, check_replies: bool = True) -> bool:
        return not self.audience(status, check_replies=check_replies).admits(receiver_id)

    def audience(self, status: Status, *, check_replies: bool = True) -> Audience:
        """Mastodon's ``filter_from_home?``, for every receiver at once. ``check_replies`` is
        off where the receiver is addressed or subscribed rather than following (direct
        mentions, followed hashtags)."""
        key = (status.id, check_replies)
        if key not in self._audiences:
            self._audiences[key] = self._decide(status, check_replies=check_replies)
        return self._audiences[key]

    def _decide(self, status: Status, *, check_replies: bool) -> Audience:
        author = status.account_id
        if status.in_reply_to_id is not None and status.in_reply_to_account_id is None:
            # A reply whose parent is gone: nothing to judge it by.
            return Audience(author, frozenset(), frozenset())
        involved = _involved_ids(status)
        domains = _domains(status)
        rejected = {r for r, a in self.blocking_or_muting if a in involved}
        rejected |= {r for r, d in self.domain_blocking if d in domains}
        if check_replies and _is_reply_to_other(status):
            # Only the account replied to and those who follow it.
            target = status.in_reply_to_account_id
            assert target is not None
            only = {target} | {r for r, t in self.following if t == target}
            return Audience(author, frozenset(rejected), frozenset(only))
        if status.reblog_id is not None and status.reblog is not None:
            original_author = status.reblog.account_id
            rejected |= {r for r, b in self.hiding_reblogs if b == author}
            rejected |= {r for a, r in self.blocked_by if a == original_author}
        return Audience(author, frozenset(rejected), None)


def build_home_filter(receiver_ids: Receivers, statuses: Sequence[Status]) -> HomeFilter:
    """Load, in at most three queries, every relationship ``HomeFilter.rejects`` looks at.

    ``statuses`` must be loaded with their mentions and boosted original (and its author and
    mentions), as ``statuses.selectors.with_related`` does."""
    result = HomeFilter()
    receivers = receiver_ids if isinstance(receiver_ids, QuerySet) else list(set(receiver_ids))
    if not statuses or (isinstance(receivers, list) and not receivers):
        return result
    reply_targets = {s.in_reply_to_account_id for s in statuses if s.in_reply_to_account_id}
    boosters = {s.account_id for s in statuses if s.reblog_id is not None}
    involved: set[int] = set().union(*(_involved_ids(s) for s in statuses))
    original_authors = {s.reblog.account_id for s in statuses if s.reblog is not None}
    domains: set[str] = set().union(*(_domains(s) for s in statuses))

    if reply_targets or boosters:
        # Every follow of an account replied to; of a booster, only those hiding its boosts.
        rows = Follow.objects.filter(
            Q(target_account_id__in=reply_targets)
            | Q(target_account_id__in=boosters, show_reblogs=False),
            account_id__in=receivers,
        ).values_list("account_id", "target_account_id", "show_reblogs")
        for account_id, target_id, show_reblogs in rows:
            result.following.add((account_id, target_id))
            if not show_reblogs:
                result.hiding_reblogs.add((account_id, target_id))

    text = CharField()
    relations = Block.objects.filter(
        account_id__in=receivers, target_account_id__in=involved
    ).values_list("account_id", "target_account_id", Value("x", output_field=text))
    relations = relations.union(
        Mute.objects.filter(account_id__in=receivers, target_account_id__in=involved)
        .filter(_unexpired_mutes())
        .values_list("account_id", "target_account_id", Value("x", output_field=text)),
        all=True,
    )
    if original_authors:
        relations = relations.union(
            Block.objects.filter(
                account_id__in=original_authors, target_account_id__in=receivers
            ).values_list("account_id", "target_account_id", Value("b", output_field=text)),
            all=True,
        )
    for left, right, kind in relations:
        (result.blocked_by if kind == "b" else result.blocking_or_muting).add((left, right))

    if domains:
        result.domain_blocking = set(
            AccountDomainBlock.objects.filter(
                account_id__in=receivers, domain__in=domains
            ).values_list("account_id", "domain")
        )
    return result


# --- Rules: lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListTarget:
    id: int
    account_id: int
    replies_policy: str
    exclusive: bool

    @property
    def key(self) -> FeedKey:
        return (self.account_id, self.id)


def lists_receiving(
    author_id: int, *, owner_ids: Collection[int] | None = None, exclusive_only: bool = False
) -> list[ListTarget]:
    """Lists that get the author's statuses: those that contain the author, owned by accounts
    that follow the author (a member whose follow ended, or is still only requested, gets
    nothing delivered, as in Mastodon). Hand-written: every new status asks, and compiling the
    queryset cost more than running it."""
    db = router.db_for_read(ListAccount)
    quote = connections[db].ops.quote_name
    member, lst, follow = (quote(m._meta.db_table) for m in (ListAccount, List, Follow))
    sql = (
        f"SELECT l.id, l.account_id, l.replies_policy, l.exclusive FROM {member} la"  # noqa: S608
        f" JOIN {lst} l ON l.id = la.list_id WHERE la.account_id = %s AND EXISTS"
        f" (SELECT 1 FROM {follow} f WHERE f.account_id = l.account_id"
        " AND f.target_account_id = %s)"
    )
    params: list[Any] = [author_id, author_id]
    if owner_ids is not None:
        test, value = id_set("%s", owner_ids, using=db)
        sql += f" AND l.account_id {test}"
        params.append(value)
    if exclusive_only:
        sql += " AND l.exclusive"
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [ListTarget(i, owner, policy, bool(exclusive)) for i, owner, policy, exclusive in rows]


def reply_memberships(
    lists: Collection[ListTarget], statuses: Sequence[Status]
) -> set[tuple[int, int]]:
    """``(list_id, account_id)`` for accounts replied to that are members of these lists."""
    targets = {s.in_reply_to_account_id for s in statuses if _is_reply_to_other(s)}
    wanting = [lst.id for lst in lists if lst.replies_policy == List.RepliesPolicy.LIST]
    if not targets or not wanting:
        return set()
    return set(
        ListAccount.objects.filter(list_id__in=wanting, account_id__in=targets).values_list(
            "list_id", "account_id"
        )
    )


def list_accepts(status: Status, lst: ListTarget, members: set[tuple[int, int]]) -> bool:
    """Mastodon's ``filter_from_list?`` (replies_policy), negated. The owner's home rules
    (``HomeFilter.rejects``) apply on top."""
    if not _is_reply_to_other(status):
        return True
    target = status.in_reply_to_account_id
    if target is None or target == lst.account_id:
        return True
    if lst.replies_policy == List.RepliesPolicy.FOLLOWED:
        return True
    if lst.replies_policy == List.RepliesPolicy.LIST:
        return (lst.id, target) in members
    return False


def exclusive_owners(status: Status, receiver_ids: Collection[int]) -> set[int]:
    """Receivers with an exclusive list that takes this status: it goes there, not home.

    Direct statuses never go to lists, so they always reach the home feed."""
    if status.visibility == Visibility.DIRECT:
        return set()
    if not receiver_ids:
        return set()
    lists = lists_receiving(status.account_id, owner_ids=receiver_ids, exclusive_only=True)
    if not lists:
        return set()
    members = reply_memberships(lists, [status])
    return {lst.account_id for lst in lists if list_accepts(status, lst, members)}


# --- Pushing -------------------------------------------------------------------------------------


def _original_id(status: Status) -> int:
    return status.reblog_id or status.id


def _present_originals(
    keys: Collection[FeedKey], original_ids: Collection[int]
) -> set[tuple[int, int, int]]:
    """``(account_id, list_id, original_id)`` for originals already in these feeds, as
    themselves or as a boost."""
    if not keys or not original_ids:
        return set()
    originals = list(set(original_ids))
    rows = FeedEntry.objects.filter(
        Q(status_id__in=originals) | Q(reblog_of_id__in=originals),
        account_id__in={k[0] for k in keys},
        list_id__in={k[1] for k in keys},
    ).values_list("account_id", "list_id", "status_id", "reblog_of_id")
    wanted = set(keys)
    return {
        (account_id, list_id, reblog_of_id or status_id)
        for account_id, list_id, status_id, reblog_of_id in rows
        if (account_id, list_id) in wanted
    }


def push(
    candidates: Sequence[tuple[Status, FeedKey]], *, trim: bool = True
) -> list[tuple[Status, FeedKey]]:
    """Insert statuses into feeds, one entry per original: a boost is skipped when its
    original or another boost of it is already in the feed, and an original when a boost of it
    is (Mastodon's reblog aggregation). Returns what was inserted (or already there)."""
    if not candidates:
        return []
    keys = {key for _, key in candidates}
    present = _present_originals(keys, {_original_id(s) for s, _ in candidates})
    inserted: list[tuple[Status, FeedKey]] = []
    for status, key in sorted(candidates, key=lambda c: c[0].id):
        marker = (key[0], key[1], _original_id(status))
        if marker in present:
            continue
        present.add(marker)
        inserted.append((status, key))
    insert_entries([entry_for(status, key) for status, key in inserted])
    if trim:
        trim_touched(inserted)
    return inserted


def deliver_home(
    status: Status, receivers: home_delivery.Receivers, *, check_replies: bool = True
) -> list[int]:
    """Push one status into the home feeds of these receivers that the home rules and their
    exclusive lists let it into, in one INSERT ... SELECT that judges the rules itself
    (``timelines.home_delivery``) and at times one DELETE that trims. Returns the accounts
    whose home it entered."""
    inserted = home_delivery.deliver_home(status, receivers, check_replies=check_replies)
    trim_feeds([(r, HOME_FEED) for r in inserted if _trim_due((r, HOME_FEED), status.id)])
    return inserted


# --- Merging a followee into a feed --------------------------------------------------------------


def _recent_statuses(author_id: int, receiver: Account) -> list[Status]:
    """The author's newest statuses the receiver may see, oldest first (so that when a boost
    and its original are both there, the older one wins, as it would have on write)."""
    qs = Status.objects.filter(
        account_id=author_id,
        visibility__in=[Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE],
    )
    statuses = list(with_related(visible_to(qs, receiver)).order_by("-id")[:MERGE_LIMIT])
    statuses.reverse()
    return statuses


def merge_into_home(account: Account, target_id: int) -> None:
    """After a follow (or unmute): the followee's recent statuses enter the home feed under
    the same rules as on write, and the lists of the account that contain the followee."""
    statuses = _recent_statuses(target_id, account)
    if not statuses:
        return
    rules = build_home_filter([account.id], statuses)
    lists = lists_receiving(target_id, owner_ids=[account.id])
    members = reply_memberships(lists, statuses)
    home: list[tuple[Status, FeedKey]] = []
    listed: list[tuple[Status, FeedKey]] = []
    for status in statuses:
        if rules.rejects(status, account.id):
            continue
        taken = [lst for lst in lists if list_accepts(status, lst, members)]
        listed += [(status, lst.key) for lst in taken]
        if not any(lst.exclusive for lst in taken):
            home.append((status, (account.id, HOME_FEED)))
    push(home + listed, trim=False)
    trim_feeds({key for _, key in home + listed})


def merge_into_list(lst: List, target_id: int) -> None:
    """A member added to a list: its recent statuses enter the list feed."""
    owner = lst.account
    statuses = _recent_statuses(target_id, owner)
    if not statuses:
        return
    target = ListTarget(lst.id, lst.account_id, lst.replies_policy, lst.exclusive)
    rules = build_home_filter([owner.id], statuses)
    members = reply_memberships([target], statuses)
    push(
        [
            (status, target.key)
            for status in statuses
            if not rules.rejects(status, owner.id) and list_accepts(status, target, members)
        ],
        trim=False,
    )
    trim_feed(target.key)


# --- Lists ---------------------------------------------------------------------------------------


def _policy(value: str | None, default: str) -> str:
    policy = default if value is None or value == "" else value
    if policy not in List.RepliesPolicy.values:
        raise FeedError("Validation failed: Replies policy is not included in the list")
    return policy


def _title(value: str | None) -> str:
    title = (value or "").strip()
    if not title:
        raise FeedError("Validation failed: Title can't be blank")
    if len(title) > 255:
        raise FeedError("Validation failed: Title is too long (maximum is 255 characters)")
    return title


def create_list(
    *, account: Account, title: str | None, replies_policy: str | None, exclusive: bool
) -> List:
    return List.objects.create(
        account=account,
        title=_title(title),
        replies_policy=_policy(replies_policy, List.RepliesPolicy.LIST),
        exclusive=exclusive,
    )


def update_list(
    *,
    lst: List,
    title: str | None = None,
    replies_policy: str | None = None,
    exclusive: bool | None = None,
) -> List:
    """Change what is given; ``None`` leaves a field as it is."""
    if title is not None:
        lst.title = _title(title)
    if replies_policy is not None:
        lst.replies_policy = _policy(replies_policy, lst.replies_policy)
    if exclusive is not None:
        lst.exclusive = exclusive
    lst.save(update_fields=["title", "replies_policy", "exclusive"])
    return lst


@transaction.atomic
def delete_list(*, lst: List) -> None:
    FeedEntry.objects.filter(account_id=lst.account_id, list_id=lst.id).delete()
    lst.delete()


@transaction.atomic
def add_list_accounts(*, lst: List, account_ids: Collection[int]) -> None:
    """Add accounts the owner follows (or has asked to follow), all or none, as Mastodon:
    an unknown or unfollowed account is ``Account.DoesNotExist`` (404), one already in the
    list a FeedError (422). Their recent statuses are merged into the list after commit."""
    ids = set(account_ids)
    if not ids:
        return
    found = set(Account.objects.filter(id__in=ids).values_list("id", flat=True))
    followed = set(
        Follow.objects.filter(account_id=lst.account_id, target_account_id__in=ids).values_list(
            "target_account_id", flat=True
        )
    ) | set(
        FollowRequest.objects.filter(
            account_id=lst.account_id, target_account_id__in=ids
        ).values_list("target_account_id", flat=True)
    )
    if found != ids or not ids <= followed:
        raise Account.DoesNotExist("Record not found")
    if ListAccount.objects.filter(list=lst, account_id__in=ids).exists():
        raise FeedError("Validation failed: Account has already been taken")
    try:
        with transaction.atomic():
            ListAccount.objects.bulk_create([ListAccount(list=lst, account_id=i) for i in ids])
    except IntegrityError as exc:  # a concurrent add of the same account
        raise FeedError("Validation failed: Account has already been taken") from exc
    for account_id in sorted(ids):
        tasks.merge_into_list_task.delay_on_commit(lst.id, account_id)


@transaction.atomic
def remove_list_accounts(*, lst: List, account_ids: Collection[int]) -> None:
    """Remove members (absent ones are ignored) and their entries from the list feed."""
    ids = list(set(account_ids))
    ListAccount.objects.filter(list=lst, account_id__in=ids).delete()
    FeedEntry.objects.filter(account_id=lst.account_id, list_id=lst.id, author_id__in=ids).delete()


def list_memberships(lst: List) -> QuerySet[ListAccount]:
    return ListAccount.objects.filter(list=lst).select_related("account", "account__moved_to")


# --- Markers: read positions in the home and notifications feeds ---------------------------------

MARKER_TIMELINES = ("home", "notifications")


class MarkerConflictError(Exception):
    """Two clients saved a marker at once (Mastodon answers 409)."""


@transaction.atomic
def save_markers(*, account: Account, positions: dict[str, int]) -> list[Marker]:
    """Set ``last_read_id`` per timeline; each save bumps ``version`` (Mastodon's lock_version,
    0 on creation)."""
    saved: list[Marker] = []
    now = timezone.now()
    for timeline, last_read_id in positions.items():
        try:
            with transaction.atomic():
                marker = (
                    Marker.objects.select_for_update()
                    .filter(account=account, timeline=timeline)
                    .first()
                )
                if marker is None:
                    marker = Marker.objects.create(
                        account=account,
                        timeline=timeline,
                        last_read_id=last_read_id,
                        version=0,
                        updated_at=now,
                    )
                else:
                    marker.last_read_id = last_read_id
                    marker.version += 1
                    marker.updated_at = now
                    marker.save(update_fields=["last_read_id", "version", "updated_at"])
        except IntegrityError as exc:
            raise MarkerConflictError from exc
        saved.append(marker)
    return saved
