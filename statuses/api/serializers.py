"""Mastodon's Status, Poll, Tag and Context entities, as plain dicts.

Viewer flags come from a ``RelationshipsMap`` computed once per page, so rendering 40 statuses
runs the same queries as rendering one.
"""

from __future__ import annotations

from typing import Any

from accounts.api.serializers import render_account
from accounts.models import Account
from federation.uris import account_url, status_uri, status_url
from fedisocial.api.dates import iso
from statuses.formatting import hashtag_url
from statuses.models import Poll, ScheduledStatus, Status, StatusEdit, Tag, Visibility
from statuses.selectors import RelationshipsMap, relationships_map


def render_poll(
    poll: Poll, flags: RelationshipsMap | None, viewer: Account | None
) -> dict[str, Any]:
    expired = poll.expired
    show_totals = not poll.hide_totals or expired
    tallies = list(poll.cached_tallies or [])
    tallies += [0] * (len(poll.options) - len(tallies))
    own = flags.own_votes.get(poll.id, []) if flags is not None else []
    data: dict[str, Any] = {
        "id": str(poll.id),
        "expires_at": iso(poll.expires_at),
        "expired": expired,
        "multiple": poll.multiple,
        "votes_count": poll.votes_count,
        "voters_count": (poll.voters_count or 0) if poll.multiple else None,
        "options": [
            {"title": title, "votes_count": tallies[i] if show_totals else None}
            for i, title in enumerate(poll.options)
        ],
        "emojis": [],
    }
    if viewer is not None:
        data["voted"] = bool(own) or poll.account_id == viewer.id
        data["own_votes"] = sorted(own)
    return data


def _poll_or_none(status: Status) -> Poll | None:
    try:
        return status.poll
    except Status.poll.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return None


def render_mentions(status: Status) -> list[dict[str, Any]]:
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


def render_tags(status: Status) -> list[dict[str, Any]]:
    return [
        {"name": st.tag.name, "url": hashtag_url(st.tag.name)} for st in status.status_tags.all()
    ]


def render_status(
    status: Status,
    *,
    viewer: Account | None = None,
    flags: RelationshipsMap | None = None,
    with_source: bool = False,
) -> dict[str, Any]:
    reblog = status.reblog if status.reblog_id else None
    poll = None if reblog is not None else _poll_or_none(status)
    application = status.application
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
        "replies_count": status.replies_count,
        "reblogs_count": status.reblogs_count,
        "favourites_count": status.favourites_count,
        "quotes_count": 0,
        "edited_at": iso(status.edited_at),
        "content": status.content,
        "reblog": (
            render_status(reblog, viewer=viewer, flags=flags) if reblog is not None else None
        ),
        "application": (
            {"name": application.name, "website": application.website or None}
            if application is not None and status.local
            else None
        ),
        "account": render_account(status.account),
        "media_attachments": [],
        "mentions": [] if reblog is not None else render_mentions(status),
        "tags": [] if reblog is not None else render_tags(status),
        "emojis": [],
        "card": None,
        "poll": render_poll(poll, flags, viewer) if poll is not None else None,
        "quote": None,
        "quote_approval": {"automatic": [], "manual": [], "current_user": "denied"},
    }
    if with_source:
        data["text"] = status.text
    if viewer is not None:
        flags = flags or RelationshipsMap()
        # A boost answers for what it shows (Mastodon's `status.proper`): the original.
        proper = reblog if reblog is not None else status
        data["favourited"] = proper.id in flags.favourited
        data["reblogged"] = proper.id in flags.reblogged
        data["muted"] = (proper.conversation_id or 0) in flags.muted_conversations
        data["bookmarked"] = proper.id in flags.bookmarked
        data["filtered"] = []
        if (
            status.account_id == viewer.id
            and status.reblog_id is None
            and (status.visibility in (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE))
        ):
            data["pinned"] = status.id in flags.pinned
    return data


def render_statuses(statuses: list[Status], viewer: Account | None) -> list[dict[str, Any]]:
    """A page of statuses with the viewer's flags batched: constant queries per page."""
    flags = relationships_map(statuses, viewer)
    return [render_status(s, viewer=viewer, flags=flags) for s in statuses]


def render_one(status: Status, viewer: Account | None, **kwargs: Any) -> dict[str, Any]:
    flags = relationships_map([status], viewer)
    return render_status(status, viewer=viewer, flags=flags, **kwargs)


def render_context(
    ancestors: list[Status], descendants: list[Status], *, status: Status, viewer: Account | None
) -> dict[str, Any]:
    """Mastodon's Context, the viewer's flags computed once for the whole thread."""
    flags = relationships_map([status, *ancestors, *descendants], viewer)
    return {
        "ancestors": [render_status(s, viewer=viewer, flags=flags) for s in ancestors],
        "descendants": [render_status(s, viewer=viewer, flags=flags) for s in descendants],
    }


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
