"""Reads: home, list, public and hashtag timelines, notifications, conversations, markers.

Feeds were filtered when written; what changed since (a block or mute made later, a status
deleted or no longer visible) is filtered here, at read time, with a fixed number of queries:
one for the accounts and domains the viewer hides, one for the page's ids, one (plus the
standard prefetches) to load the page through ``statuses.policies.visible_to``. A page thinned
by that filtering is topped up from the next window, up to MAX_ROUNDS windows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Account, AccountDomainBlock, Block, Follow, Mute
from fedisocial.api.pagination import Page, paginate_queryset
from fedisocial.db import prepared_cursor
from statuses.api.status_cache import StatusRef, ref_of
from statuses.models import Status, StatusTag, Tag, Visibility
from statuses.policies import visible_to
from statuses.selectors import visible_refs, with_related
from timelines.models import (
    HOME_FEED,
    AccountConversation,
    FeedEntry,
    List,
    ListAccount,
    Marker,
    Notification,
    NotificationRequest,
)

# Extra rows read per window, so that a few filtered entries do not shorten a page.
OVERFETCH = 10
MAX_ROUNDS = 3
# Mastodon applies at most this many tags from each of any[], all[] and none[].
TAGS_PER_MODE = 4


# --- What the viewer hides -----------------------------------------------------------------------


@dataclass(frozen=True)
class Hidden:
    account_ids: frozenset[int] = field(default_factory=frozenset)
    domains: frozenset[str] = field(default_factory=frozenset)

    def hides_account(self, account: Account) -> bool:
        return account.id in self.account_ids or (account.domain or "") in self.domains

    def hides(self, status: Status) -> bool:
        """The author, or for a boost the original's author, is blocked, muted or on a
        blocked domain."""
        if self.hides_account(status.account):
            return True
        return status.reblog is not None and self.hides_account(status.reblog.account)

    def exclude_from(self, qs: QuerySet[Status]) -> QuerySet[Status]:
        if self.account_ids:
            ids = list(self.account_ids)
            qs = qs.exclude(account_id__in=ids).exclude(reblog__account_id__in=ids)
        if self.domains:
            domains = list(self.domains)
            qs = qs.exclude(account__domain__in=domains).exclude(
                reblog__account__domain__in=domains
            )
        return qs


def hidden_for(viewer: Account | None, *, notifications: bool = False) -> Hidden:
    """Accounts the viewer blocks or mutes (for notifications: mutes that hide them) and the
    domains it blocks, in one query."""
    if viewer is None:
        return Hidden()
    text, number = CharField(), BigIntegerField()
    mutes = Mute.objects.filter(account_id=viewer.id).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )
    if notifications:
        mutes = mutes.filter(hide_notifications=True)
    rows = (
        Block.objects.filter(account_id=viewer.id)
        .values_list("target_account_id", Value("", output_field=text))
        .union(
            mutes.values_list("target_account_id", Value("", output_field=text)),
            AccountDomainBlock.objects.filter(account_id=viewer.id).values_list(
                Value(0, output_field=number), "domain"
            ),
            all=True,
        )
    )
    ids: set[int] = set()
    domains: set[str] = set()
    for account_id, domain in rows:
        if domain:
            domains.add(domain)
        else:
            ids.add(account_id)
    return Hidden(frozenset(ids), frozenset(domains))


# --- Paging through a filtered source ------------------------------------------------------------


@dataclass
class Scan[U]:
    items: list[U]
    exhausted: bool  # the source had nothing more in the page's direction
    oldest_key: int | None  # the oldest key read (descending pages)
    read: int = 0  # rows read from the source


def _scan[T, U](
    page: Page,
    fetch: Callable[[Page], list[T]],
    keep: Callable[[list[T]], list[U]],
    key: Callable[[T], int],
) -> Scan[U]:
    """Fill a page from windows of ``fetch`` (newest first, as paginate_queryset returns),
    keeping what ``keep`` lets through, and moving the window on while the page is short."""
    window = replace(page, limit=page.limit + OVERFETCH)
    collected: list[U] = []
    exhausted = False
    oldest: int | None = None
    read = 0
    for _ in range(MAX_ROUNDS):
        rows = fetch(window)
        read += len(rows)
        exhausted = len(rows) < window.limit
        kept = keep(rows)
        if page.ascending:
            collected = kept + collected
        else:
            collected += kept
            if rows:
                oldest = key(rows[-1])
        if len(collected) >= page.limit or exhausted:
            break
        if page.ascending:
            window = replace(window, min_id=key(rows[0]))
        else:
            window = replace(window, max_id=key(rows[-1]))
    items = collected[-page.limit :] if page.ascending else collected[: page.limit]
    return Scan(items, exhausted, oldest, read)


def load_visible(ids: Sequence[int], viewer: Account | None, hidden: Hidden) -> list[Status]:
    """Statuses by id in the order given, in the standard loading shape, keeping only those
    the viewer may see (one policy: ``visible_to``) and does not hide."""
    if not ids:
        return []
    qs = with_related(visible_to(Status.objects.filter(id__in=list(ids)), viewer))
    found = {s.id: s for s in qs}
    return [found[i] for i in ids if i in found and not hidden.hides(found[i])]


# --- Home and list feeds -------------------------------------------------------------------------


_FEED_SQL = (
    "SELECT status_id FROM timelines_feedentry "
    "WHERE account_id = %s AND list_id = %s{bounds} ORDER BY status_id {order} LIMIT %s"
)


def _feed_window(account_id: int, list_id: int) -> Callable[[Page], list[int]]:
    """A window of a feed's status ids, newest first, as ``paginate_queryset`` would page
    FeedEntry rows; written out because it runs on every home request."""

    def window(page: Page) -> list[int]:
        bounds, params = "", [account_id, list_id]
        for bound, op in ((page.max_id, "<"), (page.since_id, ">"), (page.min_id, ">")):
            if bound is not None:
                bounds += f" AND status_id {op} %s"
                params.append(bound)
        order = "ASC" if page.ascending else "DESC"
        sql = _FEED_SQL.format(bounds=bounds, order=order)
        with prepared_cursor() as cursor:
            cursor.execute(sql, [*params, page.limit])
            ids = [row[0] for row in cursor.fetchall()]
        return ids[::-1] if page.ascending else ids

    return window


def _visible_in_order(ids: Sequence[int], viewer: Account) -> list[StatusRef]:
    refs = visible_refs(ids, viewer)
    return [refs[i] for i in ids if i in refs]


def _read_feed(
    account: Account, list_id: int, page: Page, fallback: Callable[[], QuerySet[Status]]
) -> list[StatusRef]:
    """A page of a feed: entries newest first, kept when the viewer may still see them and does
    not hide them (one query per window, ``statuses.selectors.visible_refs``)."""
    scan = _scan(
        page,
        _feed_window(account.id, list_id),
        lambda ids: _visible_in_order(ids, account),
        key=lambda status_id: status_id,
    )
    if page.ascending or not scan.exhausted or len(scan.items) >= page.limit:
        return scan.items
    if page.max_id is None and scan.read < settings.FEED_MAX_ITEMS:
        return scan.items  # the whole feed was read: it was never trimmed
    upper = scan.oldest_key if scan.oldest_key is not None else page.max_id
    if upper is None or not _feed_is_full(account.id, list_id):
        return scan.items  # the feed holds everything there is
    # Past the oldest entry of a trimmed feed: the same statuses straight from the table.
    hidden = hidden_for(account)
    below = replace(page, max_id=upper, limit=page.limit - len(scan.items))
    qs = hidden.exclude_from(visible_to(fallback(), account))
    seen = {ref.proper.id for ref in scan.items}
    older = []
    for status in paginate_queryset(with_related(qs), below):
        if hidden.hides(status) or (status.reblog_id or status.id) in seen:
            continue
        seen.add(status.reblog_id or status.id)
        older.append(ref_of(status))
    return scan.items + older


def _feed_is_full(account_id: int, list_id: int) -> bool:
    """Whether the feed has reached FEED_MAX_ITEMS, and so may have lost older entries to
    trimming; asked only at the end of a feed."""
    entries = FeedEntry.objects.filter(account_id=account_id, list_id=list_id)
    edge = settings.FEED_MAX_ITEMS - 1
    return entries.order_by("-status_id")[edge : edge + 1].exists()


def _following(account: Account) -> QuerySet[Follow]:
    return Follow.objects.filter(account_id=account.id)


def _reply_rule(account: Account, allowed_targets: Q) -> Q:
    """Replies to others pass only when they are to the viewer or to accounts it follows
    (and, for lists, as the list's replies_policy allows)."""
    return (
        Q(in_reply_to_id__isnull=True)
        | Q(in_reply_to_account_id=F("account_id"))
        | Q(in_reply_to_account_id=account.id)
        | allowed_targets
    )


def _boost_rule(account: Account) -> Q:
    hiding = _following(account).filter(show_reblogs=False).values("target_account_id")
    return ~Q(reblog__isnull=False, account_id__in=hiding)


def _home_fallback(account: Account) -> QuerySet[Status]:
    following = _following(account).values("target_account_id")
    exclusive = ListAccount.objects.filter(
        list__account_id=account.id, list__exclusive=True
    ).values("account_id")
    authors = Q(account_id=account.id) | (
        Q(account_id__in=following) & ~Q(account_id__in=exclusive)
    )
    return Status.objects.filter(
        authors,
        _reply_rule(account, Q(in_reply_to_account_id__in=following)),
        _boost_rule(account),
    )


def home_timeline(account: Account, *, page: Page) -> list[StatusRef]:
    return _read_feed(account, HOME_FEED, page, lambda: _home_fallback(account))


def _list_fallback(lst: List) -> QuerySet[Status]:
    owner = lst.account
    following = _following(owner).values("target_account_id")
    members = ListAccount.objects.filter(list_id=lst.id).values("account_id")
    allowed = Q(pk__in=[])
    if lst.replies_policy == List.RepliesPolicy.FOLLOWED:
        allowed = Q(in_reply_to_account_id__in=following)
    elif lst.replies_policy == List.RepliesPolicy.LIST:
        allowed = Q(in_reply_to_account_id__in=members) & Q(in_reply_to_account_id__in=following)
    return Status.objects.filter(
        Q(account_id__in=members) & Q(account_id__in=following),
        _reply_rule(owner, allowed),
        _boost_rule(owner),
        visibility__in=[Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE],
    )


def list_timeline(lst: List, *, page: Page) -> list[StatusRef]:
    return _read_feed(lst.account, lst.id, page, lambda: _list_fallback(lst))


def owned_list(account: Account, list_id: object) -> List:
    """The account's list with this id; ``List.DoesNotExist`` (404) for anyone else's."""
    try:
        number = int(str(list_id))
    except ValueError:
        raise List.DoesNotExist("Record not found") from None
    return List.objects.select_related("account").get(id=number, account_id=account.id)


def lists_of(account: Account) -> QuerySet[List]:
    return List.objects.filter(account_id=account.id).order_by("id")


# --- Public and hashtag timelines ----------------------------------------------------------------


def _public_statuses(
    viewer: Account | None, *, local: bool, remote: bool, hidden: Hidden
) -> QuerySet[Status]:
    """Public originals by accounts neither suspended nor limited (Mastodon's PublicFeed),
    minus what the viewer blocks, mutes or is blocked by."""
    qs = Status.objects.filter(
        visibility=Visibility.PUBLIC,
        reblog__isnull=True,
        deleted_at__isnull=True,
        account__silenced_at__isnull=True,
    )
    if local:
        qs = qs.filter(local=True)
    if remote:
        qs = qs.filter(local=False)
    return hidden.exclude_from(visible_to(qs, viewer))


def public_timeline(
    viewer: Account | None, *, page: Page, local: bool, remote: bool, only_media: bool
) -> list[Status]:
    if only_media:
        return []  # no media attachments on this server yet
    qs = _public_statuses(viewer, local=local, remote=remote, hidden=hidden_for(viewer))
    # Replies to others stay out of the public timeline, as in Mastodon's default.
    qs = qs.filter(Q(in_reply_to_id__isnull=True) | Q(in_reply_to_account_id=F("account_id")))
    return paginate_queryset(with_related(qs), page)


def normalize_tag(name: str) -> str:
    return name.strip().lstrip("#").lower()


def tag_timeline(
    viewer: Account | None,
    *,
    hashtag: str,
    page: Page,
    any_tags: Iterable[str] = (),
    all_tags: Iterable[str] = (),
    none_tags: Iterable[str] = (),
    local: bool = False,
    remote: bool = False,
    only_media: bool = False,
) -> list[Status]:
    """Public statuses with the hashtag (or any of ``any_tags``), all of ``all_tags`` and
    none of ``none_tags``. ``Tag.DoesNotExist`` (404) for a hashtag never used here."""
    main = normalize_tag(hashtag)
    modes = {
        "any": [normalize_tag(n) for n in any_tags][:TAGS_PER_MODE],
        "all": [normalize_tag(n) for n in all_tags][:TAGS_PER_MODE],
        "none": [normalize_tag(n) for n in none_tags][:TAGS_PER_MODE],
    }
    names = {main}.union(*modes.values())
    tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
    if main not in tag_ids:
        raise Tag.DoesNotExist("Record not found")
    if only_media:
        return []

    def tagged(ids: list[int]) -> QuerySet[StatusTag]:
        return StatusTag.objects.filter(tag_id__in=ids).values("status_id")

    qs = _public_statuses(viewer, local=local, remote=remote, hidden=hidden_for(viewer))
    any_ids = [tag_ids[main]] + [tag_ids[n] for n in modes["any"] if n in tag_ids]
    qs = qs.filter(id__in=tagged(any_ids))
    for name in modes["all"]:
        if name not in tag_ids:
            return []
        qs = qs.filter(id__in=tagged([tag_ids[name]]))
    none_ids = [tag_ids[n] for n in modes["none"] if n in tag_ids]
    if none_ids:
        qs = qs.exclude(id__in=tagged(none_ids))
    return paginate_queryset(with_related(qs), page)


# --- Notifications -------------------------------------------------------------------------------


def _notifications(
    account: Account,
    *,
    types: Iterable[str] = (),
    exclude_types: Iterable[str] = (),
    from_account_id: int | None = None,
    include_filtered: bool = False,
    hidden: Hidden,
) -> QuerySet[Notification]:
    """The account's notifications it may see. Those its notification policy filtered stay out
    unless ``include_filtered``, or when asking for one sender's (Mastodon's ``browserable``:
    that is how a client reads a notification request)."""
    qs = Notification.objects.filter(account_id=account.id, from_account__suspended_at__isnull=True)
    if not include_filtered and from_account_id is None:
        qs = qs.filter(filtered=False)
    types, exclude_types = list(types), list(exclude_types)
    if types:
        qs = qs.filter(type__in=types)
    if exclude_types:
        qs = qs.exclude(type__in=exclude_types)
    if from_account_id is not None:
        qs = qs.filter(from_account_id=from_account_id)
    if hidden.account_ids:
        qs = qs.exclude(from_account_id__in=list(hidden.account_ids))
    if hidden.domains:
        qs = qs.exclude(from_account__domain__in=list(hidden.domains))
    # A notification about a status the account can no longer see (deleted, or no longer
    # permitted) is gone from every path: lists, single lookups, groups and unread counts.
    status_visible = Exists(visible_to(Status.objects.filter(pk=OuterRef("status_id")), account))
    return qs.filter(Q(status_id__isnull=True) | status_visible)


NotificationItem = tuple[Notification, Status | None]


def _with_statuses(rows: list[Notification], account: Account) -> list[NotificationItem]:
    """Attach each notification's status, dropping those whose status the viewer can no longer
    see (deleted, or its visibility now excludes them)."""
    ids = list(dict.fromkeys(n.status_id for n in rows if n.status_id is not None))
    statuses = {s.id: s for s in load_visible(ids, account, Hidden())}
    items: list[NotificationItem] = []
    for n in rows:
        if n.status_id is None:
            items.append((n, None))
        elif n.status_id in statuses:
            items.append((n, statuses[n.status_id]))
    return items


def notifications_page(
    account: Account,
    *,
    page: Page,
    types: Iterable[str] = (),
    exclude_types: Iterable[str] = (),
    from_account_id: int | None = None,
    include_filtered: bool = False,
) -> list[NotificationItem]:
    filters = {
        "types": types,
        "exclude_types": exclude_types,
        "from_account_id": from_account_id,
        "include_filtered": include_filtered,
    }
    return _notification_items(account, page, hidden_for(account, notifications=True), filters)


def _notification_items(
    account: Account, page: Page, hidden: Hidden, filters: dict[str, Any]
) -> list[NotificationItem]:
    qs = _notifications(account, hidden=hidden, **filters).select_related(
        "from_account", "from_account__moved_to"
    )
    scan = _scan(
        page,
        lambda window: paginate_queryset(qs, window),
        lambda rows: _with_statuses(rows, account),
        key=lambda n: n.id,
    )
    return scan.items


def notification_for(account: Account, notification_id: object) -> NotificationItem:
    """One of the account's notifications, filtered or not; ``Notification.DoesNotExist`` (404)
    otherwise, or when its sender is hidden or its status no longer visible."""
    try:
        number = int(str(notification_id))
    except ValueError:
        raise Notification.DoesNotExist("Record not found") from None
    qs = _notifications(
        account, include_filtered=True, hidden=hidden_for(account, notifications=True)
    )
    notification = qs.select_related("from_account", "from_account__moved_to").get(id=number)
    items = _with_statuses([notification], account)
    if not items:
        raise Notification.DoesNotExist("Record not found")
    return items[0]


def own_notification(account: Account, notification_id: object) -> Notification:
    try:
        number = int(str(notification_id))
    except ValueError:
        raise Notification.DoesNotExist("Record not found") from None
    return Notification.objects.get(id=number, account_id=account.id)


def unread_notifications_count(
    account: Account,
    *,
    limit: int,
    types: Iterable[str] = (),
    exclude_types: Iterable[str] = (),
    from_account_id: int | None = None,
) -> int:
    """Notifications newer than the ``notifications`` marker, counted up to ``limit``."""
    qs = _unread_notifications(
        account, types=types, exclude_types=exclude_types, from_account_id=from_account_id
    )
    return qs.order_by("-id")[:limit].count()


def _unread_notifications(
    account: Account,
    *,
    types: Iterable[str],
    exclude_types: Iterable[str],
    from_account_id: int | None,
) -> QuerySet[Notification]:
    """The visible notifications newer than the account's ``notifications`` marker."""
    marker = Marker.objects.filter(account_id=account.id, timeline="notifications").first()
    qs = _notifications(
        account,
        types=types,
        exclude_types=exclude_types,
        from_account_id=from_account_id,
        hidden=hidden_for(account, notifications=True),
    )
    if marker is not None:
        qs = qs.filter(id__gt=marker.last_read_id)
    return qs


# --- Conversations and markers -------------------------------------------------------------------


@dataclass
class ConversationItem:
    conversation: AccountConversation
    accounts: list[Account]
    last_status: Status | None


def _conversation_items(
    rows: list[AccountConversation], account: Account
) -> list[ConversationItem]:
    """Participants (one query) and last statuses (loaded through visible_to) for a page."""
    ids = {i for ac in rows for i in ac.participant_account_ids} | {account.id}
    accounts = {a.id: a for a in Account.objects.filter(id__in=ids).select_related("moved_to")}
    last_ids = [ac.last_status_id for ac in rows if ac.last_status_id is not None]
    statuses = {s.id: s for s in load_visible(last_ids, account, Hidden())}
    items = []
    for ac in rows:
        participants = [accounts[i] for i in ac.participant_account_ids if i in accounts]
        # A note to oneself has no one else in it: Mastodon shows the account itself.
        items.append(
            ConversationItem(
                ac,
                participants or [accounts[account.id]],
                statuses.get(ac.last_status_id) if ac.last_status_id else None,
            )
        )
    return items


def conversations_page(account: Account, *, page: Page) -> list[ConversationItem]:
    """Paged by the id of each conversation's last status, newest first, as Mastodon."""
    qs = AccountConversation.objects.filter(account_id=account.id, last_status__isnull=False)
    return _conversation_items(paginate_queryset(qs, page, field="last_status_id"), account)


def own_conversation(account: Account, conversation_id: object) -> AccountConversation:
    try:
        number = int(str(conversation_id))
    except ValueError:
        raise AccountConversation.DoesNotExist("Record not found") from None
    return AccountConversation.objects.get(id=number, account_id=account.id)


def conversation_item(account: Account, conversation: AccountConversation) -> ConversationItem:
    return _conversation_items([conversation], account)[0]


def markers_for(account: Account, timelines: Iterable[str]) -> list[Marker]:
    return list(Marker.objects.filter(account_id=account.id, timeline__in=list(timelines)))


# --- Grouped notifications (/api/v2/notifications) -----------------------------------------------

GROUPABLE_TYPES = frozenset({"favourite", "reblog", "follow"})
# Notification ids are snowflakes (milliseconds << 16): an hour of ids, for grouping by hour.
HOUR_OF_IDS = 3_600_000 << 16
SAMPLE_ACCOUNTS = 8


@dataclass(frozen=True)
class GroupKey:
    """A parsed group key: ``ungrouped-<id>``, ``follow-<hour>`` or ``<type>-<status>-<hour>``
    (Mastodon's shapes; the hour is the notification's id-time in hours)."""

    type: str | None
    status_id: int | None = None
    hour: int | None = None
    notification_id: int | None = None

    def __str__(self) -> str:
        if self.notification_id is not None:
            return f"ungrouped-{self.notification_id}"
        if self.status_id is None:
            return f"{self.type}-{self.hour}"
        return f"{self.type}-{self.status_id}-{self.hour}"

    def q(self) -> Q:
        if self.notification_id is not None:
            return Q(id=self.notification_id)
        assert self.hour is not None
        start = self.hour * HOUR_OF_IDS
        return Q(
            type=self.type, status_id=self.status_id, id__gte=start, id__lt=start + HOUR_OF_IDS
        )


def group_key_of(notification: Notification, grouped_types: Collection[str]) -> GroupKey:
    kind = notification.type
    if kind not in grouped_types or kind not in GROUPABLE_TYPES:
        return GroupKey(None, notification_id=notification.id)
    hour = notification.id // HOUR_OF_IDS
    status_id = None if kind == "follow" else notification.status_id
    return GroupKey(kind, status_id, hour)


def parse_group_key(raw: str) -> GroupKey | None:
    parts = raw.split("-")
    try:
        if len(parts) == 2 and parts[0] == "ungrouped":
            return GroupKey(None, notification_id=int(parts[1]))
        if len(parts) == 2 and parts[0] == "follow":
            return GroupKey("follow", None, int(parts[1]))
        if len(parts) == 3 and parts[0] in GROUPABLE_TYPES - {"follow"}:
            return GroupKey(parts[0], int(parts[1]), int(parts[2]))
    except ValueError:
        return None
    return None


@dataclass
class NotificationGroup:
    key: GroupKey
    type: str
    status: Status | None
    notifications_count: int
    most_recent_notification_id: int
    sample_account_ids: list[int]
    page_min_id: int | None = None
    page_max_id: int | None = None
    latest_page_notification_at: datetime | None = None


@dataclass
class GroupedNotifications:
    groups: list[NotificationGroup]
    accounts: list[Account]
    statuses: list[Status]


def _group_members(
    account: Account, keys: Collection[GroupKey], filters: dict[str, Any], hidden: Hidden
) -> dict[str, list[tuple[int, int]]]:
    """``str(key)`` → ``[(notification_id, from_account_id), ...]`` newest first, for every
    notification of these groups (not only those on the page), in one query."""
    grouped = [k for k in keys if k.notification_id is None]
    if not grouped:
        return {}
    condition = Q(pk__in=[])
    for key in grouped:
        condition |= key.q()
    rows = (
        _notifications(account, hidden=hidden, **filters)
        .filter(condition)
        .order_by("-id")
        .values_list("id", "type", "status_id", "from_account_id")
    )
    members: dict[str, list[tuple[int, int]]] = {}
    for notification_id, kind, status_id, from_account_id in rows:
        key = GroupKey(
            kind, None if kind == "follow" else status_id, notification_id // HOUR_OF_IDS
        )
        members.setdefault(str(key), []).append((notification_id, from_account_id))
    return members


def _samples(members: list[tuple[int, int]]) -> list[int]:
    return list(dict.fromkeys(account_id for _, account_id in members))[:SAMPLE_ACCOUNTS]


def _grouped(
    account: Account,
    items: list[NotificationItem],
    grouped_types: Collection[str],
    filters: dict[str, Any],
    hidden: Hidden,
    *,
    paged: bool,
) -> GroupedNotifications:
    ordered: dict[str, NotificationGroup] = {}
    keys: dict[str, GroupKey] = {}
    for notification, status in items:
        key = group_key_of(notification, grouped_types)
        name = str(key)
        group = ordered.get(name)
        if group is None:
            keys[name] = key
            group = ordered[name] = NotificationGroup(
                key=key,
                type=notification.type,
                status=status,
                notifications_count=1,
                most_recent_notification_id=notification.id,
                sample_account_ids=[notification.from_account_id],
            )
            if paged:
                group.page_max_id = notification.id
                group.latest_page_notification_at = notification.created_at
        if paged:
            group.page_min_id = notification.id
    members = _group_members(account, keys.values(), filters, hidden)
    for name, group in ordered.items():
        if name in members:
            group.notifications_count = len(members[name])
            group.most_recent_notification_id = members[name][0][0]
            group.sample_account_ids = _samples(members[name])
    wanted = {i for g in ordered.values() for i in g.sample_account_ids}
    loaded = {n.from_account_id: n.from_account for n, _ in items}
    if members:
        # Sample accounts of real groups may lie beyond the page: load them all, in one query
        # whatever the page holds, so the query count does not depend on the page's content.
        sampled = Account.objects.filter(id__in=wanted).select_related("moved_to")
        loaded |= {a.id: a for a in sampled}
    groups = list(ordered.values())
    statuses = list({g.status.id: g.status for g in groups if g.status is not None}.values())
    return GroupedNotifications(
        groups, [loaded[i] for i in sorted(wanted) if i in loaded], statuses
    )


def grouped_notifications_page(
    account: Account,
    *,
    page: Page,
    grouped_types: Collection[str] = GROUPABLE_TYPES,
    types: Iterable[str] = (),
    exclude_types: Iterable[str] = (),
    from_account_id: int | None = None,
    include_filtered: bool = False,
) -> GroupedNotifications:
    """One page of notifications (``page.limit`` of them, filtered as in v1), grouped:
    favourites and boosts of one status, and follows, within the same hour form one group,
    whose count and sample accounts cover the whole group, beyond the page."""
    filters = {
        "types": list(types),
        "exclude_types": list(exclude_types),
        "from_account_id": from_account_id,
        "include_filtered": include_filtered,
    }
    hidden = hidden_for(account, notifications=True)
    items = _notification_items(account, page, hidden, filters)
    return _grouped(account, items, grouped_types, filters, hidden, paged=True)


def notification_group(account: Account, raw_key: str) -> GroupedNotifications:
    """One group by key; ``Notification.DoesNotExist`` (404) when it has no notifications the
    account may see. A group of one is found even when filtered, as its notification is."""
    key = parse_group_key(raw_key)
    if key is None:
        raise Notification.DoesNotExist("Record not found")
    hidden = hidden_for(account, notifications=True)
    single = key.notification_id is not None
    newest = (
        _notifications(account, include_filtered=single, hidden=hidden)
        .filter(key.q())
        .select_related("from_account", "from_account__moved_to")
        .order_by("-id")
    )
    items = _with_statuses(list(newest[:1]), account)
    if not items:
        raise Notification.DoesNotExist("Record not found")
    return _grouped(account, items, GROUPABLE_TYPES, {}, hidden, paged=False)


def notification_group_accounts(account: Account, raw_key: str) -> list[Account]:
    key = parse_group_key(raw_key)
    if key is None:
        raise Notification.DoesNotExist("Record not found")
    single = key.notification_id is not None
    hidden = hidden_for(account, notifications=True)
    qs = _notifications(account, include_filtered=single, hidden=hidden).filter(key.q())
    rows = list(qs.select_related("from_account", "from_account__moved_to").order_by("-id"))
    if not rows:
        raise Notification.DoesNotExist("Record not found")
    return list({n.from_account_id: n.from_account for n in rows}.values())


def group_notifications(account: Account, raw_key: str) -> QuerySet[Notification]:
    """The account's notifications in a group (for dismissing it); none for a bad key."""
    key = parse_group_key(raw_key)
    qs = Notification.objects.filter(account_id=account.id)
    return qs.filter(key.q()) if key is not None else qs.none()


def unread_notification_groups_count(
    account: Account,
    *,
    limit: int,
    grouped_types: Collection[str] = GROUPABLE_TYPES,
    types: Iterable[str] = (),
    exclude_types: Iterable[str] = (),
    from_account_id: int | None = None,
) -> int:
    """Groups among the notifications newer than the ``notifications`` marker, up to ``limit``."""
    qs = _unread_notifications(
        account, types=types, exclude_types=exclude_types, from_account_id=from_account_id
    )
    keys = {
        str(group_key_of(n, grouped_types))
        for n in qs.order_by("-id").only("id", "type", "status_id")[:limit]
    }
    return min(len(keys), limit)


# --- Notification requests (filtered notifications, per sender) ----------------------------------

# Mastodon's NotificationPolicy summary counts at most this many requests.
MAX_PENDING_REQUESTS = 100


def _pending_requests(account: Account) -> QuerySet[NotificationRequest]:
    """The account's requests that still hold filtered mentions it may see, each annotated
    with ``pending`` (how many), minus senders suspended or hidden by its blocks, mutes and
    domain blocks. Counting at read time keeps the figures right whatever removed a
    notification since (a deleted status, a block, dismissing it, clearing all)."""
    mentions = _notifications(
        account, types=[Notification.Type.MENTION], include_filtered=True, hidden=Hidden()
    ).filter(filtered=True, from_account_id=OuterRef("from_account_id"))
    count = mentions.order_by().values("from_account_id").annotate(n=Count("id")).values("n")
    qs = (
        NotificationRequest.objects.filter(
            account_id=account.id, from_account__suspended_at__isnull=True
        )
        .annotate(pending=Coalesce(Subquery(count[:1]), 0))
        .filter(pending__gt=0)
    )
    hidden = hidden_for(account, notifications=True)
    if hidden.account_ids:
        qs = qs.exclude(from_account_id__in=list(hidden.account_ids))
    if hidden.domains:
        qs = qs.exclude(from_account__domain__in=list(hidden.domains))
    return qs


@dataclass
class NotificationRequestItem:
    request: NotificationRequest
    last_status: Status | None  # None when gone or no longer visible to the account

    @property
    def id(self) -> int:
        return self.request.id


def _request_items(
    rows: list[NotificationRequest], account: Account
) -> list[NotificationRequestItem]:
    ids = list(dict.fromkeys(r.last_status_id for r in rows if r.last_status_id is not None))
    statuses = {s.id: s for s in load_visible(ids, account, Hidden())}
    return [
        NotificationRequestItem(r, statuses.get(r.last_status_id) if r.last_status_id else None)
        for r in rows
    ]


def notification_requests_page(account: Account, *, page: Page) -> list[NotificationRequestItem]:
    """A page of requests, newest first by id, with a fixed number of queries."""
    qs = _pending_requests(account).select_related("from_account", "from_account__moved_to")
    return _request_items(paginate_queryset(qs, page), account)


def notification_request_for(account: Account, request_id: object) -> NotificationRequestItem:
    """One of the account's pending requests; ``NotificationRequest.DoesNotExist`` (404) for
    anyone else's, or one with nothing left in it."""
    qs = _pending_requests(account).select_related("from_account", "from_account__moved_to")
    return _request_items([qs.get(id=_request_number(request_id))], account)[0]


def own_notification_request(account: Account, request_id: object) -> NotificationRequest:
    """The account's request with this id, pending or not (to accept or dismiss it)."""
    return NotificationRequest.objects.get(id=_request_number(request_id), account_id=account.id)


def own_notification_requests(account: Account, ids: Iterable[object]) -> list[NotificationRequest]:
    """The account's requests among these ids; others' and malformed ids are ignored."""
    numbers = {int(str(i)) for i in ids if str(i).strip().isdigit()}
    if not numbers:
        return []
    return list(NotificationRequest.objects.filter(account_id=account.id, id__in=numbers))


def _request_number(request_id: object) -> int:
    try:
        return int(str(request_id))
    except ValueError:
        raise NotificationRequest.DoesNotExist("Record not found") from None


def notification_policy_summary(account: Account) -> tuple[int, int]:
    """(pending requests, filtered mentions in them), over at most MAX_PENDING_REQUESTS
    requests, in one query."""
    counts = list(
        _pending_requests(account).values_list("pending", flat=True)[:MAX_PENDING_REQUESTS]
    )
    return len(counts), sum(counts)
