"""Rendering pages of statuses from cached entities: the CPU of a timeline page is mostly
building Status and Account dicts, and most of a page was rendered for someone before.

What is cached is only what every viewer sees and what changes only when the row is saved: a
status's entity without its counters, account, boost and viewer flags (keyed by the status's
``updated_at``, which a poll's votes touch too), and an account's entity without its counters
(keyed by the account's ``updated_at``). Keys carry those versions, so an edit or a profile
change is a new key and nothing needs invalidating; a stale entry can only be an unused one, and
expires. Counters, conversation and author come with the row that names the status (a
``StatusRef``), read fresh from the database on every request, so they are never stale either.

Privacy does not depend on the cache: a page's statuses are chosen by the visibility policy before
rendering, and the cache holds nothing a viewer-specific check would hide (flags, filters and poll
votes are computed per request).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import caches

from accounts.api.serializers import render_account
from accounts.models import Account
from federation.uris import account_url, status_uri, status_url
from fedisocial.api.dates import iso, iso_date
from fedisocial.local_cache import LocalCache
from statuses.filters import searchable_text
from statuses.formatting import hashtag_url
from statuses.models import Poll, Status, Visibility
from statuses.selectors import load_statuses, poll_of

# A day: entries of statuses nobody reads any more leave on their own.
TTL = 24 * 3600
# In every key: a server running a new version never reads entries an older one wrote in
# another shape (they expire unread). Bump it whenever what is cached changes shape.
FORMAT = 2
QUOTE_APPROVAL_DENIED = {"automatic": [], "manual": [], "current_user": "denied"}


def _cache() -> Any:
    return caches["render"]


# Status and account entries, which never change under their key, also kept in this process
# (decoded): a page's entities are mostly the same recent ones on every request.
_local = LocalCache()


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - the page query's UTC timestamps are naive
_MICROSECOND = timedelta(microseconds=1)


def stamp(value: datetime | None) -> int:
    """A row version as exact microseconds since the epoch (0 for none; a naive value is UTC,
    as the page query reads it), so every path names the same cache entry."""
    if value is None:
        return 0
    return (value - (_NAIVE_EPOCH if value.tzinfo is None else _EPOCH)) // _MICROSECOND


# Plain (not frozen) slotted classes: a page builds ~80 of these, and a frozen dataclass's
# __init__ goes through object.__setattr__ for every field.
@dataclass(slots=True)
class AccountRef:
    """An account as a page row names it: the version of its profile and its live counters."""

    id: int
    version: int  # stamp(updated_at)
    statuses_count: int
    followers_count: int
    following_count: int
    last_status_day: str | None  # last_status_at as Mastodon's YYYY-MM-DD

    @property
    def key(self) -> str:
        return f"ac{FORMAT}:{self.id}:{self.version}"


@dataclass(slots=True)
class StatusRef:
    """A status as a page row names it: enough to find its cached entity and to render what
    changes without a save (counters, conversation), fresh from the database."""

    id: int
    version: int  # stamp(updated_at); a poll's votes touch its status's updated_at too
    replies_count: int
    reblogs_count: int
    favourites_count: int
    conversation_id: int | None
    account: AccountRef
    reblog: StatusRef | None = None

    @property
    def key(self) -> str:
        return f"st{FORMAT}:{self.id}:{self.version}"

    @property
    def proper(self) -> StatusRef:
        """What the status shows: the boosted original for a boost."""
        return self.reblog if self.reblog is not None else self


def account_ref_of(account: Account) -> AccountRef:
    return AccountRef(
        id=account.id,
        version=stamp(account.updated_at),
        statuses_count=account.statuses_count,
        followers_count=account.followers_count,
        following_count=account.following_count,
        last_status_day=iso_date(account.last_status_at),
    )


def ref_of(status: Status) -> StatusRef:
    """The ref of a status loaded with ``statuses.selectors.with_related``."""
    reblog = status.reblog if status.reblog_id is not None else None
    return StatusRef(
        id=status.id,
        version=stamp(status.updated_at),
        replies_count=status.replies_count,
        reblogs_count=status.reblogs_count,
        favourites_count=status.favourites_count,
        conversation_id=status.conversation_id,
        account=account_ref_of(status.account),
        reblog=ref_of(reblog) if reblog is not None else None,
    )


# --- The cached parts ----------------------------------------------------------------------------


def poll_data(poll: Poll) -> dict[str, Any]:
    return {
        "id": poll.id,
        "account_id": poll.account_id,
        # as text: cached entities are stored as JSON
        "expires_at": poll.expires_at.isoformat() if poll.expires_at else None,
        "multiple": poll.multiple,
        "hide_totals": poll.hide_totals,
        "votes_count": poll.votes_count,
        "voters_count": poll.voters_count,
        "options": list(poll.options or []),
        "tallies": list(poll.cached_tallies or []),
    }


def status_base(status: Status) -> dict[str, Any]:
    """A status's entity as every viewer sees it, minus counters, account, boost, poll and
    flags; keys starting with ``_`` are for assembling and never sent (``cached_status``
    encodes it)."""
    boost = status.reblog_id is not None
    poll = None if boost else poll_of(status)
    data: dict[str, Any] = {
        "id": str(status.id),
        "created_at": iso(status.created_at),
        "in_reply_to_id": str(status.in_reply_to_id) if status.in_reply_to_id else None,
        "in_reply_to_account_id": (
            str(status.in_reply_to_account_id) if status.in_reply_to_account_id else None
        ),
        "sensitive": status.sensitive,
        "spoiler_text": status.spoiler_text,
        "visibility": Visibility(status.visibility).label,
        "language": status.language,
        "uri": status_uri(status),
        "url": status_url(status),
        "quotes_count": 0,
        "edited_at": iso(status.edited_at),
        "content": status.content,
        "media_attachments": [],
        "mentions": [] if boost else _mentions(status),
        "tags": [] if boost else _tags(status),
        "emojis": [],
        "card": None,
        "quote": None,
        "quote_approval": QUOTE_APPROVAL_DENIED,
        "_account_id": status.account_id,
        "_visibility": status.visibility,
        "_poll": poll_data(poll) if poll is not None else None,
        # Only an original is matched against keyword filters (a boost through its original).
        "_search": None if boost else searchable_text(status),
    }
    # `application` is optional and not nullable: sent only when known (local statuses).
    if status.application is not None and status.local:
        data["application"] = {
            "name": status.application.name,
            "website": status.application.website or None,
        }
    return data


def _mentions(status: Status) -> list[dict[str, Any]]:
    return [
        {
            "id": str(m.account.id),
            "username": m.account.username,
            "url": account_url(m.account),
            "acct": m.account.acct,
        }
        for m in status.mentions.all()
        if not m.silent
    ]


def _tags(status: Status) -> list[dict[str, Any]]:
    return [
        {"name": st.tag.name, "url": hashtag_url(st.tag.name)} for st in status.status_tags.all()
    ]


@dataclass(slots=True)
class CachedStatus:
    """A status's viewer-independent entity as it is cached: its members already encoded as
    JSON (``"id":"1",...``, without braces), and what assembling and filtering need."""

    members: bytes
    account_id: int
    visibility: int
    poll: dict[str, Any] | None
    search: str | None

    def encode(self) -> bytes:
        """One cache value: a JSON header line, then the members (orjson never writes a raw
        newline, so the first one ends the header)."""
        header = orjson.dumps([self.account_id, self.visibility, self.poll, self.search])
        return header + b"\n" + self.members

    @classmethod
    def decode(cls, value: bytes) -> CachedStatus:
        header, _, members = value.partition(b"\n")
        account_id, visibility, poll, search = orjson.loads(header)
        return cls(members, account_id, visibility, poll, search)


def _members(entity: dict[str, Any]) -> bytes:
    """An object's members as JSON, without its braces."""
    return orjson.dumps(entity)[1:-1]


def cached_status(status: Status) -> CachedStatus:
    base = status_base(status)
    return CachedStatus(
        members=_members({k: v for k, v in base.items() if k[0] != "_"}),
        account_id=base["_account_id"],
        visibility=base["_visibility"],
        poll=base["_poll"],
        search=base["_search"],
    )


ACCOUNT_COUNTERS = ("statuses_count", "followers_count", "following_count", "last_status_at")


def account_base(account: Account) -> bytes:
    """An account's entity without its counters, as cached: its members encoded as JSON."""
    entity = render_account(account)
    for key in ACCOUNT_COUNTERS:
        del entity[key]
    return _members(entity)


_ACCOUNT_JSON = (
    b'{%b,"statuses_count":%d,"followers_count":%d,"following_count":%d,"last_status_at":%b}'
)


def account_json(members: bytes, ref: AccountRef) -> bytes:
    """The Account entity as JSON: cached members and the row's live counters."""
    day = b"null" if ref.last_status_day is None else b'"%b"' % ref.last_status_day.encode()
    counters = (ref.statuses_count, ref.followers_count, ref.following_count, day)
    return _ACCOUNT_JSON % (members, *counters)


# --- Loading a page's parts: the cache first, the database for what it lacks ------------------


@dataclass
class PageParts:
    """The cached parts of a page: statuses by status id, Account entities (JSON, counters
    applied) by account id."""

    statuses: dict[int, CachedStatus]
    accounts: dict[int, bytes]
    extra: dict[str, Any]  # the values of ``extra_keys`` found in the cache


def _all_refs(refs: Iterable[StatusRef]) -> list[StatusRef]:
    found: dict[int, StatusRef] = {}
    for ref in refs:
        found.setdefault(ref.id, ref)
        if ref.reblog is not None:
            found.setdefault(ref.reblog.id, ref.reblog)
    return list(found.values())


def load_parts(
    refs: Sequence[StatusRef],
    loaded: Mapping[int, Status] | None = None,
    *,
    extra_keys: Sequence[str] = (),
) -> PageParts:
    """ONE cache read for every status and account of the page (and ``extra_keys``, which other
    readers of the page need: the viewer's filters); what is missing is built from ``loaded``
    (statuses already in memory, with_related shape) or from the database (one load of the
    missing statuses, one of the missing accounts), then cached."""
    cache = _cache()
    every = _all_refs(refs)
    status_keys = {ref.key: ref for ref in every}
    account_keys: dict[str, AccountRef] = {}
    for ref in every:
        account_keys.setdefault(ref.account.key, ref.account)
    local = _local.get_many([*status_keys, *account_keys])
    wanted = [key for key in (*status_keys, *account_keys) if key not in local]
    hits: dict[str, Any] = cache.get_many([*wanted, *extra_keys]) if wanted or extra_keys else {}
    remembered: dict[str, Any] = {}
    statuses: dict[int, CachedStatus] = {}
    for key, ref in status_keys.items():
        if key in local:
            statuses[ref.id] = local[key]
        elif key in hits:
            statuses[ref.id] = remembered[key] = CachedStatus.decode(hits[key])
    entities: dict[int, bytes] = {}
    for key, account_ref in account_keys.items():
        if key in local:
            entities[account_ref.id] = local[key]
        elif key in hits:
            entities[account_ref.id] = remembered[key] = hits[key]

    in_memory = dict(loaded or {})
    for status in list(in_memory.values()):
        if status.reblog_id is not None and status.reblog is not None:
            in_memory.setdefault(status.reblog.id, status.reblog)
    fresh: dict[str, Any] = {}
    missing = [ref for ref in every if ref.id not in statuses]
    if missing:
        # A boost loads with its original (with_related), so an original is loaded on its own
        # only when its boost is not being loaded.
        unknown = {ref.id for ref in refs if ref.id not in statuses and ref.id not in in_memory}
        for ref in refs:
            original = ref.reblog
            if original is None or original.id in statuses or original.id in in_memory:
                continue
            if ref.id not in unknown:
                unknown.add(original.id)
        for status in load_statuses(sorted(unknown)):
            in_memory[status.id] = status
            if status.reblog_id is not None and status.reblog is not None:
                in_memory.setdefault(status.reblog.id, status.reblog)
        for ref in missing:
            status = in_memory.get(ref.id)
            if status is not None:  # else deleted since the page was read: left out
                statuses[ref.id] = remembered[ref.key] = cached = cached_status(status)
                fresh[ref.key] = cached.encode()

    lacking = [ref for ref in account_keys.values() if ref.id not in entities]
    if lacking:
        accounts_in_memory = {s.account_id: s.account for s in in_memory.values()}
        unknown_ids = [ref.id for ref in lacking if ref.id not in accounts_in_memory]
        if unknown_ids:
            for account in Account.objects.filter(id__in=unknown_ids).select_related("moved_to"):
                accounts_in_memory[account.id] = account
        for ref in lacking:
            account = accounts_in_memory.get(ref.id)
            if account is not None:
                entities[ref.id] = fresh[ref.key] = remembered[ref.key] = account_base(account)
    if fresh:
        cache.set_many(fresh, timeout=TTL)
    if remembered:
        _local.set_many(remembered, settings.RENDER_LOCAL_ENTRIES)
    by_account = {ref.account.id: ref.account for ref in every}
    accounts = {
        account_id: account_json(members, by_account[account_id])
        for account_id, members in entities.items()
    }
    extra = {key: hits[key] for key in extra_keys if key in hits}
    return PageParts(statuses=statuses, accounts=accounts, extra=extra)
