"""Mastodon's Status, Poll, Tag and Context entities, as plain dicts.

Viewer flags come from a ``RelationshipsMap`` computed once per page, so rendering 40 statuses
runs the same queries as rendering one. So do ``filtered`` results: given a filter context,
``render_statuses`` matches the viewer's filters once for the page (one query).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from django.utils import timezone

from accounts.api.serializers import render_account
from accounts.models import Account
from fedisocial.api.dates import iso
from fedisocial.api.renderers import Prerendered
from statuses.api import status_cache
from statuses.api.status_cache import StatusRef
from statuses.filters import (
    FilterResult,
    FilterSubject,
    filter_cache_keys,
    filter_results,
    filter_subjects,
)
from statuses.formatting import hashtag_url
from statuses.models import (
    Filter,
    FilterAction,
    FilterKeyword,
    FilterStatus,
    Poll,
    ScheduledStatus,
    Status,
    StatusEdit,
    Tag,
    Visibility,
)
from statuses.selectors import RelationshipsMap, relationships_map, viewer_flags


def render_poll(
    poll: Poll, flags: RelationshipsMap | None, viewer: Account | None
) -> dict[str, Any]:
    return render_poll_data(status_cache.poll_data(poll), flags, viewer)


def render_poll_data(
    poll: Mapping[str, Any], flags: RelationshipsMap | None, viewer: Account | None
) -> dict[str, Any]:
    """Mastodon's Poll from a poll's cached data: ``expired`` and the totals are decided now,
    the viewer's votes come from ``flags``."""
    expires_at = poll["expires_at"]
    if isinstance(expires_at, str):
        expires_at = datetime.fromisoformat(expires_at)
    expired = expires_at is not None and expires_at <= timezone.now()
    show_totals = not poll["hide_totals"] or expired
    options = poll["options"]
    tallies = list(poll["tallies"])
    tallies += [0] * (len(options) - len(tallies))
    own = flags.own_votes.get(poll["id"], []) if flags is not None else []
    data: dict[str, Any] = {
        "id": str(poll["id"]),
        "expires_at": iso(expires_at),
        "expired": expired,
        "multiple": poll["multiple"],
        "votes_count": poll["votes_count"],
        "voters_count": (poll["voters_count"] or 0) if poll["multiple"] else None,
        "options": [
            {"title": title, "votes_count": tallies[i] if show_totals else None}
            for i, title in enumerate(options)
        ],
        "emojis": [],
    }
    if viewer is not None:
        data["voted"] = bool(own) or poll["account_id"] == viewer.id
        data["own_votes"] = sorted(own)
    return data


class RenderedStatus(Prerendered):
    """A Status entity rendered for a viewer: its JSON, its id, and whether one of the viewer's
    ``hide`` filters matched it (pages leave those out)."""

    __slots__ = ("hidden", "id")

    def __init__(self, json: bytes, *, id: str, hidden: bool) -> None:
        super().__init__(json)
        self.id = id
        self.hidden = hidden


def render_status(
    status: Status,
    *,
    viewer: Account | None = None,
    flags: RelationshipsMap | None = None,
    with_source: bool = False,
    filtered: Mapping[int, list[dict[str, Any]]] | None = None,
) -> RenderedStatus:
    """One status rendered from its loaded row (``filtered``: rendered FilterResults by
    status id, see ``filtered_map``). Pages go through ``render_statuses`` instead."""
    ref = status_cache.ref_of(status)
    shown = [(status, ref)]
    if status.reblog_id is not None and status.reblog is not None and ref.reblog is not None:
        shown.append((status.reblog, ref.reblog))
    bases = {s.id: status_cache.cached_status(s) for s, _ in shown}
    accounts = {
        s.account_id: status_cache.account_json(status_cache.account_base(s.account), r.account)
        for s, r in shown
    }
    parts = status_cache.PageParts(statuses=bases, accounts=accounts, extra={})
    text = status.text if with_source else None
    return _rendered(ref, parts, viewer=viewer, flags=flags, filtered=filtered, text=text)


_TRUE_FALSE = (b"false", b"true")
_COUNTERS = b'{%b,"replies_count":%d,"reblogs_count":%d,"favourites_count":%d,"account":%b'
_FLAGS = b',"favourited":%b,"reblogged":%b,"muted":%b,"bookmarked":%b,"filtered":%b'


def assemble(
    ref: StatusRef,
    parts: status_cache.PageParts,
    *,
    viewer: Account | None,
    flags: RelationshipsMap | None,
    filtered: Mapping[int, list[dict[str, Any]]] | None,
    text: str | None = None,
) -> bytes:
    """Mastodon's Status as JSON, from the cached members, the row's live counters, the
    account entity and the viewer's flags: written out as bytes, nothing decoded."""
    base = parts.statuses[ref.id]
    reblog = ref.reblog
    out = [
        _COUNTERS
        % (
            base.members,
            ref.replies_count,
            ref.reblogs_count,
            ref.favourites_count,
            parts.accounts[ref.account.id],
        ),
        b',"reblog":',
        assemble(reblog, parts, viewer=viewer, flags=flags, filtered=filtered)
        if reblog is not None
        else b"null",
        b',"poll":',
    ]
    poll = base.poll if reblog is None else None
    out.append(b"null" if poll is None else orjson.dumps(render_poll_data(poll, flags, viewer)))
    # `text` (the source) is nullable: Mastodon fills it only when a client asked for the
    # source (the DELETE answer, for redrafting).
    out.append(b',"text":')
    out.append(orjson.dumps(text))
    if viewer is not None:
        flags = flags or RelationshipsMap()
        # A boost answers for what it shows (Mastodon's `status.proper`): the original.
        proper = ref.proper
        matched = (filtered or {}).get(ref.id)
        out.append(
            _FLAGS
            % (
                _TRUE_FALSE[proper.id in flags.favourited],
                _TRUE_FALSE[proper.id in flags.reblogged],
                _TRUE_FALSE[(proper.conversation_id or 0) in flags.muted_conversations],
                _TRUE_FALSE[proper.id in flags.bookmarked],
                orjson.dumps(matched) if matched else b"[]",
            )
        )
        if (
            ref.account.id == viewer.id
            and reblog is None
            and base.visibility in (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE)
        ):
            out.append(b',"pinned":' + _TRUE_FALSE[ref.id in flags.pinned])
    out.append(b"}")
    return b"".join(out)


def _rendered(
    ref: StatusRef,
    parts: status_cache.PageParts,
    *,
    viewer: Account | None,
    flags: RelationshipsMap | None,
    filtered: Mapping[int, list[dict[str, Any]]] | None,
    text: str | None = None,
) -> RenderedStatus:
    matched = (filtered or {}).get(ref.id) or ()
    hide = FilterAction.HIDE.label
    return RenderedStatus(
        assemble(ref, parts, viewer=viewer, flags=flags, filtered=filtered, text=text),
        id=str(ref.id),
        hidden=any(r["filter"]["filter_action"] == hide for r in matched),
    )


def filtered_map(
    statuses: list[Status], viewer: Account | None, context: str | None
) -> dict[int, list[dict[str, Any]]]:
    """The page's FilterResults, rendered once per status; none without a context."""
    if context is None:
        return {}
    return _rendered_results(filter_results(statuses, viewer, context))


def _rendered_results(
    results: Mapping[int, list[FilterResult]],
) -> dict[int, list[dict[str, Any]]]:
    return {
        status_id: [render_filter_result(r) for r in matched]
        for status_id, matched in results.items()
    }


def render_statuses(
    statuses: list[Status], viewer: Account | None, *, context: str | None = None
) -> list[RenderedStatus]:
    """A page of loaded statuses (with_related shape); see ``render_refs``."""
    refs = [status_cache.ref_of(s) for s in statuses]
    return render_refs(refs, viewer, context=context, loaded={s.id: s for s in statuses})


def render_refs(
    refs: list[StatusRef],
    viewer: Account | None,
    *,
    context: str | None = None,
    loaded: Mapping[int, Status] | None = None,
) -> list[RenderedStatus]:
    """A page of statuses with the viewer's flags batched: constant queries per page (none
    beyond the flags and filters once the cache holds the page). ``context`` (a
    FilterContext) fills ``filtered`` with the viewer's filters for it; without one it stays
    empty."""
    if not refs:
        return []
    filtering = context is not None and viewer is not None
    filter_keys = filter_cache_keys(viewer.id) if filtering and viewer is not None else []
    parts = status_cache.load_parts(refs, loaded, extra_keys=filter_keys)
    refs = [r for r in refs if r.id in parts.statuses and r.proper.id in parts.statuses]
    flags = _flags(refs, parts, viewer)
    filtered: dict[int, list[dict[str, Any]]] = {}
    if context is not None and viewer is not None:
        subjects = [_subject(ref, parts) for ref in refs]
        results = filter_subjects(subjects, viewer, context, cached=parts.extra)
        filtered = _rendered_results(results)
    return [_rendered(ref, parts, viewer=viewer, flags=flags, filtered=filtered) for ref in refs]


def _flags(
    refs: list[StatusRef], parts: status_cache.PageParts, viewer: Account | None
) -> RelationshipsMap:
    if viewer is None:
        return RelationshipsMap()
    ids: set[int] = set()
    conversations: set[int] = set()
    polls: set[int] = set()
    for ref in refs:
        for one in (ref, ref.reblog) if ref.reblog is not None else (ref,):
            ids.add(one.id)
            if one.conversation_id:
                conversations.add(one.conversation_id)
            poll = parts.statuses[one.id].poll
            if poll is not None:
                polls.add(poll["id"])
    return viewer_flags(viewer, ids, conversations, polls)


def _subject(ref: StatusRef, parts: status_cache.PageParts) -> FilterSubject:
    proper = ref.proper
    base = parts.statuses[proper.id]
    return FilterSubject(
        id=ref.id,
        reblog_id=ref.reblog.id if ref.reblog is not None else None,
        author_id=proper.account.id,
        text=lambda: base.search or "",
    )


def render_one(
    status: Status, viewer: Account | None, *, context: str | None = None, **kwargs: Any
) -> RenderedStatus:
    flags = relationships_map([status], viewer)
    filtered = filtered_map([status], viewer, context)
    return render_status(status, viewer=viewer, flags=flags, filtered=filtered, **kwargs)


def without_hidden(entities: list[RenderedStatus]) -> list[RenderedStatus]:
    """Rendered statuses minus those a ``hide`` filter matched. Mastodon leaves hiding to
    clients (they read ``filtered``); we also drop them here, which is what v1 clients asked
    for with ``irreversible`` and what v2 clients would do themselves."""
    return [e for e in entities if not e.hidden]


def render_context(
    ancestors: list[Status], descendants: list[Status], *, status: Status, viewer: Account | None
) -> dict[str, Any]:
    """Mastodon's Context, the viewer's flags and ``thread`` filters computed once for the
    whole thread; statuses a ``hide`` filter matched are left out."""
    page = [status, *ancestors, *descendants]
    flags = relationships_map(page, viewer)
    filtered = filtered_map(page, viewer, "thread")

    def render(items: list[Status]) -> list[dict[str, Any]]:
        rendered = [render_status(s, viewer=viewer, flags=flags, filtered=filtered) for s in items]
        return without_hidden(rendered)

    return {"ancestors": render(ancestors), "descendants": render(descendants)}


def render_status_edit(edit: StatusEdit) -> dict[str, Any]:
    data: dict[str, Any] = {
        "content": edit.content,
        "spoiler_text": edit.spoiler_text,
        "sensitive": edit.sensitive,
        "created_at": iso(edit.created_at),
        "account": render_account(edit.account),
        "media_attachments": [],
        "emojis": [],
    }
    if edit.poll_options:
        data["poll"] = {"options": [{"title": title} for title in edit.poll_options]}
    return data


def render_status_source(status: Status) -> dict[str, Any]:
    return {"id": str(status.id), "text": status.text, "spoiler_text": status.spoiler_text}


SCHEDULED_PARAM_KEYS = (
    "text", "poll", "media_ids", "sensitive", "spoiler_text", "visibility", "language",
    "scheduled_at", "idempotency", "with_rate_limit", "in_reply_to_id", "application_id",
    "quoted_status_id", "quote_approval_policy",
)  # fmt: skip


def render_scheduled_status(scheduled: ScheduledStatus) -> dict[str, Any]:
    stored = scheduled.params or {}
    params = {key: stored.get(key) for key in SCHEDULED_PARAM_KEYS}
    params["with_rate_limit"] = bool(params["with_rate_limit"])
    return {
        "id": str(scheduled.id),
        "scheduled_at": iso(scheduled.scheduled_at),
        "params": params,
        "media_attachments": [],
    }


def render_tag(
    tag: Tag, *, history: list[dict[str, str]], following: bool | None = None
) -> dict[str, Any]:
    """Mastodon's Tag; ``following`` only for a signed-in viewer."""
    data: dict[str, Any] = {
        "name": tag.display_name or tag.name,
        "url": hashtag_url(tag.name),
        "history": history,
    }
    if following is not None:
        data["following"] = following
    return data


# --- Filters -------------------------------------------------------------------------------------


def _filter_summary(filter_: Filter) -> dict[str, Any]:
    return {
        "id": str(filter_.id),
        "title": filter_.title,
        "context": list(filter_.context or []),
        "expires_at": iso(filter_.expires_at),
        "filter_action": filter_.action_name,
    }


def render_filter_keyword(keyword: FilterKeyword) -> dict[str, Any]:
    return {"id": str(keyword.id), "keyword": keyword.keyword, "whole_word": keyword.whole_word}


def render_filter_status(filter_status: FilterStatus) -> dict[str, Any]:
    return {"id": str(filter_status.id), "status_id": str(filter_status.status_id)}


def render_filter(filter_: Filter) -> dict[str, Any]:
    """Mastodon's Filter with its keywords and statuses (prefetch them)."""
    return {
        **_filter_summary(filter_),
        "keywords": [render_filter_keyword(k) for k in filter_.keywords.all()],
        "statuses": [render_filter_status(s) for s in filter_.statuses.all()],
    }


def render_filter_result(result: FilterResult) -> dict[str, Any]:
    """FilterResult: the filter without its keywords and statuses, and what matched."""
    statuses = result.status_matches
    return {
        "filter": _filter_summary(result.filter),
        "keyword_matches": result.keyword_matches,
        "status_matches": [str(i) for i in statuses] if statuses is not None else None,
    }


def render_v1_filter(keyword: FilterKeyword) -> dict[str, Any]:
    """V1::Filter: one keyword, with its filter's context, expiry and action."""
    filter_ = keyword.filter
    return {
        "id": str(keyword.id),
        "phrase": keyword.keyword,
        "context": list(filter_.context or []),
        "whole_word": keyword.whole_word,
        "expires_at": iso(filter_.expires_at),
        "irreversible": filter_.filter_action == FilterAction.HIDE,
    }
