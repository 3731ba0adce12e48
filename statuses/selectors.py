"""Reads on statuses: the standard loading shape and the viewer's batched flags.

``load_statuses`` fetches a page of statuses with a fixed number of queries whatever its length,
and ``relationships_map`` answers favourited/reblogged/bookmarked/muted/pinned/voted for the whole
page in ONE query (as Mastodon's StatusRelationshipsPresenter, but as a single UNION ALL).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch, QuerySet

from accounts.models import Account
from statuses.models import Mention, Status, StatusTag

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
    result = RelationshipsMap()
    if viewer is None:
        return result
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
            poll = _poll_of(s)
            if poll is not None:
                poll_ids.add(poll.id)
    if not ids:
        return result
    id_list = ",".join(str(int(i)) for i in ids)
    conv_list = ",".join(str(int(i)) for i in conversation_ids) or "NULL"
    poll_list = ",".join(str(int(i)) for i in poll_ids) or "NULL"
    me = int(viewer.id)
    # Every value interpolated is an int produced above, so this raw SQL is injection-free.
    sql = f"""
        SELECT 'f', status_id, 0 FROM statuses_favourite
            WHERE account_id = {me} AND status_id IN ({id_list})
        UNION ALL SELECT 'r', reblog_id, 0 FROM statuses_status
            WHERE account_id = {me} AND reblog_id IN ({id_list}) AND deleted_at IS NULL
        UNION ALL SELECT 'b', status_id, 0 FROM statuses_bookmark
            WHERE account_id = {me} AND status_id IN ({id_list})
        UNION ALL SELECT 'p', status_id, 0 FROM statuses_statuspin
            WHERE account_id = {me} AND status_id IN ({id_list})
        UNION ALL SELECT 'm', conversation_id, 0 FROM statuses_conversationmute
            WHERE account_id = {me} AND conversation_id IN ({conv_list})
        UNION ALL SELECT 'v', poll_id, choice FROM statuses_pollvote
            WHERE account_id = {me} AND poll_id IN ({poll_list})
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
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


def _poll_of(status: Status) -> object | None:
    try:
        return status.poll
    except Status.poll.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return None
