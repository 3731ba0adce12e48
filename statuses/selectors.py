"""Reads on statuses: the standard loading shape and the viewer's batched flags.

``load_statuses`` fetches a page of statuses with a fixed number of queries whatever its length,
and ``relationships_map`` answers favourited/reblogged/bookmarked/muted/pinned/voted for the whole
page in ONE query (as Mastodon's StatusRelationshipsPresenter, but as a single UNION ALL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Account, Block, Mute
from fedisocial.api.pagination import Page, paginate_queryset
from fedisocial.db import id_set, prepared_cursor
from statuses.models import (
    Bookmark,
    Favourite,
    Mention,
    Poll,
    ScheduledStatus,
    Status,
    StatusEdit,
    StatusTag,
    TagFollow,
    Visibility,
)
from statuses.policies import can_view, hidden_by_viewer_q, visible_to

if TYPE_CHECKING:
    from statuses.api.status_cache import StatusRef

STATUS_RELATED = (
    "account",
    "account__moved_to",
    "application",
    "poll",
    "reblog",
    "reblog__account",
    "reblog__account__moved_to",
    "reblog__application",
    "reblog__poll",
)


def _prefetches() -> list[Prefetch[Status]]:
    mentions = Mention.objects.select_related("account").order_by("id")
    tags = StatusTag.objects.select_related("tag").order_by("id")
    return [
        Prefetch("mentions", queryset=mentions),
        Prefetch("status_tags", queryset=tags),
        Prefetch("reblog__mentions", queryset=mentions),
        Prefetch("reblog__status_tags", queryset=tags),
    ]


def with_related(qs: QuerySet[Status]) -> QuerySet[Status]:
    """The shape every endpoint that renders statuses loads them in."""
    return qs.select_related(*STATUS_RELATED).prefetch_related(*_prefetches())


def load_statuses(ids: Iterable[int]) -> list[Status]:
    """Statuses by id, in the order given, skipping ones that are gone."""
    ids = list(ids)
    if not ids:
        return []
    found = {s.id: s for s in with_related(Status.objects.filter(id__in=ids, deleted_at=None))}
    return [found[i] for i in ids if i in found]


# --- Refs: which statuses of a page the viewer may see, with what changes without a save -------


def _ref_columns(stamp: Callable[[str], str], day: Callable[[str], str]) -> str:
    """What a page needs of each status, its boost's original and their authors: counters,
    conversation, and the versions of the rows its cached entities are keyed by."""
    return f"""
    s.id, {stamp("s.updated_at")}, s.replies_count, s.reblogs_count, s.favourites_count,
    s.conversation_id,
    a.id, {stamp("a.updated_at")}, a.statuses_count, a.followers_count, a.following_count,
    {day("a.last_status_at")},
    r.id, {stamp("r.updated_at")}, r.replies_count, r.reblogs_count, r.favourites_count,
    r.conversation_id,
    ra.id, {stamp("ra.updated_at")}, ra.statuses_count, ra.followers_count, ra.following_count,
    {day("ra.last_status_at")}
"""


# PostgreSQL hands the versions over as plain timestamps (UTC, the connection's zone) and the
# days as dates: its C loaders build those, where Django's loader for timestamptz spent more
# Python per page than the rest of the row. Elsewhere (SQLite) the raw values are converted.
_PG_REF_COLUMNS = _ref_columns(lambda c: f"{c}::timestamp", lambda c: f"{c}::date")
_RAW_REF_COLUMNS = _ref_columns(lambda c: c, lambda c: c)
_REF_JOINS = """
    FROM statuses_status s
    JOIN accounts_account a ON a.id = s.account_id
    LEFT JOIN statuses_status r ON r.id = s.reblog_id
    LEFT JOIN accounts_account ra ON ra.id = r.account_id
"""


# The relationship tests below are uncorrelated IN subqueries on the viewer's own rows: each is
# read once per statement into a hash (PostgreSQL's "hashed SubPlan"), and a page's rows are
# then checked against it, where a correlated EXISTS ran an index probe per row and tie the
# page's database cost to its length.


def _visible_sql(s: str, a: str) -> str:
    """``statuses.policies.visible_q`` for the status aliased ``s`` by the account ``a``, the
    viewer being the parameter %(me)s."""
    return f"""(
        {s}.account_id = %(me)s OR (
            ({s}.visibility IN (0, 1)
             OR ({s}.visibility = 2 AND {s}.account_id IN (SELECT f.target_account_id
                  FROM accounts_follow f WHERE f.account_id = %(me)s))
             OR EXISTS (SELECT 1 FROM statuses_mention m
                  WHERE m.status_id = {s}.id AND m.account_id = %(me)s))
            AND {s}.account_id NOT IN (SELECT b.account_id FROM accounts_block b
                  WHERE b.target_account_id = %(me)s)
        )
    )"""  # noqa: S608 - only table aliases are interpolated


def _hidden_sql(a: str) -> str:
    """``statuses.policies.hidden_by_viewer_q`` for the author ``a`` (its domain tested only
    when it has one: ``NULL IN (...)`` is no answer)."""
    return f"""(
        {a}.id <> %(me)s AND (
            {a}.id IN (SELECT hb.target_account_id FROM accounts_block hb
                WHERE hb.account_id = %(me)s)
            OR {a}.id IN (SELECT hm.target_account_id FROM accounts_mute hm
                WHERE hm.account_id = %(me)s
                AND (hm.expires_at IS NULL OR hm.expires_at > %(now)s))
            OR ({a}.domain IS NOT NULL AND {a}.domain IN (SELECT hd.domain
                FROM accounts_accountdomainblock hd WHERE hd.account_id = %(me)s))
        )
    )"""  # noqa: S608 - only table aliases are interpolated


# One statement, written out once: the ORM took longer to compile this query than
# PostgreSQL took to run it. tests/test_privacy.py checks it against the policy.
_VISIBLE_REFS_SQL = f"""
    SELECT {{columns}} {_REF_JOINS}
    WHERE s.id {{ids}}
      AND s.deleted_at IS NULL AND a.suspended_at IS NULL
      AND {_visible_sql("s", "a")}
      AND NOT {_hidden_sql("a")}
      AND (s.reblog_id IS NULL OR (
          r.deleted_at IS NULL AND ra.suspended_at IS NULL
          AND {_visible_sql("r", "ra")}
          AND NOT {_hidden_sql("ra")}
      ))
"""
_PUBLIC_REFS_SQL = f"""
    SELECT {{columns}} {_REF_JOINS}
    WHERE s.id {{ids}}
      AND s.deleted_at IS NULL AND a.suspended_at IS NULL AND s.visibility IN (0, 1)
      AND (s.reblog_id IS NULL OR (
          r.deleted_at IS NULL AND ra.suspended_at IS NULL AND r.visibility IN (0, 1)
      ))
"""


def _in_list(
    sql: str, name: str, values: list[int], params: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """Put ``{name}`` in ``sql`` as a membership test on ``values`` (``fedisocial.db.id_set``)."""
    test, value = id_set(f"%({name})s", values)
    return sql.replace("{" + name + "}", test), {**params, name: value}


_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - the page query's timestamps are naive UTC
_MICROSECOND = timedelta(microseconds=1)


def _version(value: Any) -> int:
    """A row version (``status_cache.stamp``) from the page query's timestamp."""
    if value is None:
        return 0
    if type(value) is datetime and value.tzinfo is None:  # PostgreSQL's, the common case
        return (value - _NAIVE_EPOCH) // _MICROSECOND
    from statuses.api.status_cache import stamp

    return stamp(datetime.fromisoformat(value) if isinstance(value, str) else value)


def _day(value: Any) -> str | None:
    """``last_status_at`` as Mastodon's YYYY-MM-DD, from the page query's date or timestamp."""
    if value is None:
        return None
    if isinstance(value, str):
        return value[:10]
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()  # YYYY-MM-DD, several times faster than strftime


def _refs_from_rows(rows: Iterable[Sequence[Any]]) -> dict[int, StatusRef]:
    """The refs of the page query's rows, by status id: a row is the status and its author,
    then its boost's original and the original's author (NULLs for a status that is none)."""
    from statuses.api.status_cache import AccountRef, StatusRef

    def one(values: Sequence[Any], reblog: StatusRef | None) -> StatusRef:
        (sid, version, replies, reblogs, favourites, conversation,
         aid, a_version, a_statuses, a_followers, a_following, a_last) = values  # fmt: skip
        account = AccountRef(
            aid, _version(a_version), a_statuses, a_followers, a_following, _day(a_last)
        )
        return StatusRef(
            sid, _version(version), replies, reblogs, favourites, conversation, account, reblog
        )

    refs: dict[int, StatusRef] = {}
    for row in rows:
        width = len(row) // 2
        original = one(row[width:], None) if row[width] is not None else None
        refs[row[0]] = one(row[:width], original)
    return refs


def visible_refs(ids: Iterable[int], viewer: Account | None) -> dict[int, StatusRef]:
    """The refs of those of ``ids`` the viewer may see (``statuses.policies.visible_to``) and
    does not hide (blocks, mutes and domain blocks, of the author and of a boost's original
    author): ONE query; the statuses' entities then come from ``statuses.api.status_cache``."""
    ids = [int(i) for i in ids]
    if not ids:
        return {}
    params: dict[str, Any] = {}
    sql = _PUBLIC_REFS_SQL if viewer is None else _VISIBLE_REFS_SQL
    if viewer is not None:
        params = {"me": int(viewer.id), "now": timezone.now()}
    pg = connection.vendor == "postgresql"
    sql = sql.replace("{columns}", _PG_REF_COLUMNS if pg else _RAW_REF_COLUMNS)
    sql, params = _in_list(sql, "ids", ids, params)
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return _refs_from_rows(rows)


@dataclass
class RelationshipsMap:
    """What the viewer did to each status of a page, keyed by status id."""

    favourited: set[int] = field(default_factory=set)
    reblogged: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)
    pinned: set[int] = field(default_factory=set)
    muted_conversations: set[int] = field(default_factory=set)
    own_votes: dict[int, list[int]] = field(default_factory=dict)


def relationships_map(statuses: Iterable[Status], viewer: Account | None) -> RelationshipsMap:
    if viewer is None:
        return RelationshipsMap()
    ids: set[int] = set()
    conversation_ids: set[int] = set()
    poll_ids: set[int] = set()
    for status in statuses:
        for s in (status, status.reblog) if status.reblog_id else (status,):
            if s is None:
                continue
            ids.add(s.id)
            if s.conversation_id:
                conversation_ids.add(s.conversation_id)
            poll = poll_of(s)
            if poll is not None:
                poll_ids.add(poll.id)
    return viewer_flags(viewer, ids, conversation_ids, poll_ids)


_FLAGS_SQL = """
    SELECT 'f', status_id, 0 FROM statuses_favourite
        WHERE account_id = %(me)s AND status_id {ids}
    UNION ALL SELECT 'r', reblog_id, 0 FROM statuses_status
        WHERE account_id = %(me)s AND reblog_id {ids} AND deleted_at IS NULL
    UNION ALL SELECT 'b', status_id, 0 FROM statuses_bookmark
        WHERE account_id = %(me)s AND status_id {ids}
    UNION ALL SELECT 'p', status_id, 0 FROM statuses_statuspin
        WHERE account_id = %(me)s AND status_id {ids}
    UNION ALL SELECT 'm', conversation_id, 0 FROM statuses_conversationmute
        WHERE account_id = %(me)s AND conversation_id {conversations}
    UNION ALL SELECT 'v', poll_id, choice FROM statuses_pollvote
        WHERE account_id = %(me)s AND poll_id {polls}
"""


def viewer_flags(
    viewer: Account | None,
    ids: Iterable[int],
    conversation_ids: Iterable[int],
    poll_ids: Iterable[int],
) -> RelationshipsMap:
    """What the viewer did to these statuses, conversations and polls: ONE query."""
    result = RelationshipsMap()
    ids = set(ids)
    if viewer is None or not ids:
        return result
    sql, params = _in_list(_FLAGS_SQL, "ids", sorted(ids), {"me": int(viewer.id)})
    sql, params = _in_list(sql, "conversations", sorted(set(conversation_ids)), params)
    sql, params = _in_list(sql, "polls", sorted(set(poll_ids)), params)
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    targets = {
        "f": result.favourited,
        "r": result.reblogged,
        "b": result.bookmarked,
        "p": result.pinned,
        "m": result.muted_conversations,
    }
    for kind, key, choice in rows:
        if kind == "v":
            result.own_votes.setdefault(int(key), []).append(int(choice))
        else:
            targets[kind].add(int(key))
    return result


def poll_of(status: Status) -> Poll | None:
    """The status's poll when it has one (no query once loaded with ``with_related``)."""
    try:
        return status.poll
    except Status.poll.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return None


# --- Single statuses and pages of them, through the visibility policy --------------------------


def visible_status(status_id: int, viewer: Account | None) -> Status:
    """The status, loaded for rendering, if the viewer may see it; else Status.DoesNotExist."""
    status = with_related(Status.objects.filter(id=status_id, deleted_at__isnull=True)).first()
    if status is None or not can_view(status, viewer):
        raise Status.DoesNotExist
    return status


def visible_statuses(
    ids: Iterable[int], viewer: Account | None, *, hide_filtered: bool = False
) -> list[Status]:
    """The statuses among ``ids`` the viewer may see, in the order given, in one query plus
    the prefetches. ``hide_filtered`` also drops what Mastodon's StatusFilter hides (authors
    the viewer blocks or mutes, domains it blocks)."""
    ids = list(ids)
    if not ids:
        return []
    qs = visible_to(Status.objects.filter(id__in=ids), viewer)
    if hide_filtered and viewer is not None:
        qs = qs.exclude(hidden_by_viewer_q(viewer))
    found = {s.id: s for s in with_related(qs)}
    return [found[i] for i in ids if i in found]


# --- Threads -----------------------------------------------------------------------------------

# Mastodon's limits for anonymous viewers; signed-in ones get up to 4,096 each way.
ANONYMOUS_ANCESTORS = 40
ANONYMOUS_DESCENDANTS = 60
ANONYMOUS_DEPTH = 20
CONTEXT_LIMIT = 4096


def _padded_id(column: str) -> str:
    """A fixed-width text form of an id column, so that paths of ids sort as a depth-first walk."""
    if connection.vendor == "postgresql":
        return f"LPAD(CAST({column} AS TEXT), 20, '0')"
    return f"printf('%%020d', {column})"


def _contains(haystack: str, needle: str) -> str:
    if connection.vendor == "postgresql":
        return f"STRPOS({haystack}, {needle}) > 0"
    return f"INSTR({haystack}, {needle}) > 0"


# `chain` holds a status (first parameter: its id) and the statuses above it, up to a depth
# (second parameter); shared by thread contexts and the notification policy's thread check.
_STATUS_TABLE = Status._meta.db_table
ANCESTOR_CHAIN = f"""
    WITH RECURSIVE chain(id, in_reply_to_id, depth) AS (
        SELECT id, in_reply_to_id, 1 FROM {_STATUS_TABLE} WHERE id = %s
        UNION ALL
        SELECT s.id, s.in_reply_to_id, chain.depth + 1
        FROM chain JOIN {_STATUS_TABLE} s ON s.id = chain.in_reply_to_id
        WHERE chain.depth < %s
    )
"""  # noqa: S608 - only the table name is interpolated


def ancestor_ids(status: Status, limit: int) -> list[int]:
    """Up to ``limit`` statuses above this one, the root first (the nearest ones are kept)."""
    if status.in_reply_to_id is None or limit <= 0:
        return []
    sql = f"{ANCESTOR_CHAIN} SELECT id FROM chain ORDER BY depth LIMIT %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [status.in_reply_to_id, limit, limit])
        ids = [int(row[0]) for row in cursor.fetchall()]
    ids.reverse()
    return ids


def descendant_ids(status: Status, limit: int, depth: int) -> list[int]:
    """Up to ``limit`` replies below this one, depth first, siblings oldest first (Mastodon's
    ORDER BY path)."""
    table = Status._meta.db_table
    pad = _padded_id("s.id")
    sql = f"""
        WITH RECURSIVE tree(id, path, depth) AS (
            SELECT id, CAST({_padded_id("id")} AS TEXT), 0 FROM {table} WHERE id = %s
            UNION ALL
            SELECT s.id, tree.path || '/' || {pad}, tree.depth + 1
            FROM tree JOIN {table} s ON s.in_reply_to_id = tree.id
            WHERE tree.depth < %s AND NOT {_contains("tree.path", pad)}
        )
        SELECT id FROM tree WHERE id <> %s ORDER BY path LIMIT %s
    """  # noqa: S608 - only ints and table names are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [status.id, depth, status.id, limit])
        return [int(row[0]) for row in cursor.fetchall()]


def _promote_self_replies(statuses: list[Status]) -> list[Status]:
    """Mastodon's promote_by!: the author's replies to themself move up to the first place
    held by anything else, keeping their order."""
    items = list(statuses)

    def is_self_reply(s: Status) -> bool:
        return s.in_reply_to_account_id == s.account_id

    insert_at = next((i for i, s in enumerate(items) if not is_self_reply(s)), None)
    if insert_at is None:
        return items
    index = insert_at + 1
    while index < len(items):
        if is_self_reply(items[index]):
            items.insert(insert_at, items.pop(index))
            insert_at += 1
        index += 1
    return items


def status_context(status: Status, viewer: Account | None) -> tuple[list[Status], list[Status]]:
    """Ancestors and descendants the viewer may see, with Mastodon's limits."""
    if viewer is None:
        up, down, depth = ANONYMOUS_ANCESTORS, ANONYMOUS_DESCENDANTS, ANONYMOUS_DEPTH
    else:
        up, down, depth = CONTEXT_LIMIT, CONTEXT_LIMIT, CONTEXT_LIMIT
    ancestors = visible_statuses(ancestor_ids(status, up), viewer, hide_filtered=True)
    descendants = visible_statuses(descendant_ids(status, down, depth), viewer, hide_filtered=True)
    return ancestors, _promote_self_replies(descendants)


def status_edits(status: Status) -> list[StatusEdit]:
    """Every revision, oldest first; a status never edited has one: itself."""
    edits = list(
        StatusEdit.objects.filter(status=status)
        .select_related("account", "account__moved_to")
        .order_by("created_at", "id")
    )
    if edits:
        return edits
    poll = poll_of(status)
    return [
        StatusEdit(
            status=status,
            account=status.account,
            text=status.text,
            content=status.content,
            spoiler_text=status.spoiler_text,
            sensitive=status.sensitive,
            poll_options=list(poll.options) if poll is not None else None,  # type: ignore[attr-defined]
            created_at=status.edited_at or status.created_at,
        )
    ]


# --- Who interacted ----------------------------------------------------------------------------


def _without_hidden_accounts(qs: QuerySet[Any], viewer: Account | None) -> QuerySet[Any]:
    """Mastodon's not_excluded_by_account: accounts the viewer blocks, mutes or is blocked by."""
    qs = qs.filter(account__suspended_at__isnull=True)
    if viewer is None:
        return qs
    blocking = Block.objects.filter(account_id=viewer.id).values("target_account_id")
    blocked_by = Block.objects.filter(target_account_id=viewer.id).values("account_id")
    muting = Mute.objects.filter(account_id=viewer.id).values("target_account_id")
    return (
        qs.exclude(account_id__in=blocking)
        .exclude(account_id__in=blocked_by)
        .exclude(account_id__in=muting)
    )


def favourites_of(status: Status, viewer: Account | None, page: Page) -> list[Favourite]:
    """Favourites of a status, newest first, paged by Favourite row id."""
    qs = Favourite.objects.filter(status_id=status.id).select_related(
        "account", "account__moved_to"
    )
    return paginate_queryset(_without_hidden_accounts(qs, viewer), page)


def reblogs_of(status: Status, viewer: Account | None, page: Page) -> list[Status]:
    """Live boosts of a status, newest first, paged by the boosts' ids."""
    qs = Status.objects.filter(reblog_id=status.id, deleted_at__isnull=True).select_related(
        "account", "account__moved_to"
    )
    return paginate_queryset(_without_hidden_accounts(qs, viewer), page)


# --- The viewer's collections ------------------------------------------------------------------


def bookmarks_page(account: Account, page: Page) -> tuple[list[Bookmark], list[Status]]:
    """A page of bookmarks (row ids for the Link header) and the statuses still visible."""
    rows = paginate_queryset(Bookmark.objects.filter(account_id=account.id), page)
    return rows, visible_statuses([r.status_id for r in rows], account)


def favourites_page(account: Account, page: Page) -> tuple[list[Favourite], list[Status]]:
    rows = paginate_queryset(Favourite.objects.filter(account_id=account.id), page)
    return rows, visible_statuses([r.status_id for r in rows], account)


def followed_tags_page(account: Account, page: Page) -> list[TagFollow]:
    qs = TagFollow.objects.filter(account_id=account.id).select_related("tag")
    return paginate_queryset(qs, page)


def followed_tag_ids(account: Account | None, tag_ids: Iterable[int]) -> set[int]:
    ids = [i for i in tag_ids if i is not None]
    if account is None or not ids:
        return set()
    return set(
        TagFollow.objects.filter(account_id=account.id, tag_id__in=ids).values_list(
            "tag_id", flat=True
        )
    )


def scheduled_statuses_page(account: Account, page: Page) -> list[ScheduledStatus]:
    return paginate_queryset(ScheduledStatus.objects.filter(account_id=account.id), page)


# --- Hashtag usage -----------------------------------------------------------------------------

HISTORY_DAYS = 7


def tag_histories(tag_ids: Iterable[int | None]) -> dict[int | None, list[dict[str, str]]]:
    """Seven daily buckets per tag, today first: midnight UTC as a unix timestamp, the public
    statuses using the tag that day and the accounts that posted them (as strings, as
    Mastodon sends them). One query for any number of tags."""
    ids = [i for i in tag_ids if i is not None]
    today = timezone.now().astimezone(UTC).date()
    days = [today - timedelta(days=n) for n in range(HISTORY_DAYS)]
    start = datetime.combine(days[-1], time.min, tzinfo=UTC)
    counts: dict[tuple[int, date], tuple[int, int]] = {}
    if ids:
        rows = (
            StatusTag.objects.filter(
                tag_id__in=ids,
                status__created_at__gte=start,
                status__deleted_at__isnull=True,
                status__visibility=Visibility.PUBLIC,
            )
            .annotate(day=TruncDate("status__created_at", tzinfo=UTC))
            .values("tag_id", "day")
            .annotate(
                uses=Count("status_id", distinct=True),
                accounts=Count("status__account_id", distinct=True),
            )
        )
        for row in rows:
            counts[(row["tag_id"], row["day"])] = (row["uses"], row["accounts"])
    result: dict[int | None, list[dict[str, str]]] = {}
    for tag_id in [*ids, None]:
        history = []
        for day in days:
            uses, accounts = counts.get((tag_id, day), (0, 0)) if tag_id is not None else (0, 0)
            midnight = datetime.combine(day, time.min, tzinfo=UTC)
            day_ts = str(int(midnight.timestamp()))
            history.append({"day": day_ts, "uses": str(uses), "accounts": str(accounts)})
        result[tag_id] = history
    return result
