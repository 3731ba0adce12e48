"""Collections as Mastodon serves them (ActivityPub::CollectionSerializer and its presenters).

A collection's root document carries ``totalItems`` and a link to its ``first`` page; a page
(``OrderedCollectionPage``) carries ``partOf``, ``next``/``prev`` and the items. Small
collections (featured statuses, featured hashtags) hold their items in the root. Every function
here takes rows already loaded and returns a complete document (``@context`` included): the
views load pages with a fixed number of queries, these only shape them.

Page URLs are written as Rails writes them (query keys sorted: ``?max_id=1&page=true``), so a
peer that compares ids with what Mastodon would send finds the same strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from accounts.models import Account, FeaturedTag
from federation.renderers.activities import render_announce, render_create
from federation.renderers.context import with_context
from federation.renderers.note import render_note
from federation.uris import (
    absolute,
    featured_tags_uri,
    featured_uri,
    followers_uri,
    following_uri,
    outbox_uri,
    status_uri,
)
from statuses.models import Status, Visibility

OUTBOX_PAGE_SIZE = 20  # Mastodon's ActivityPub::OutboxesController::LIMIT
FOLLOWS_PAGE_SIZE = 12  # Mastodon's AccountControllerConcern::FOLLOW_PER_PAGE


def page_url(base: str, **params: Any) -> str:
    """``base`` with ``params`` (None left out) in a query string, keys sorted as Rails does."""
    pairs = sorted((k, v) for k, v in params.items() if v is not None)
    if not pairs:
        return base
    query = urlencode([(k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in pairs])
    return f"{base}?{query}"


def _body(document: dict[str, Any]) -> dict[str, Any]:
    """An embedded document: the ``@context`` belongs to the top level only."""
    return {k: v for k, v in document.items() if k != "@context"}


def render_activity(status: Status) -> dict[str, Any]:
    """What published a status: its Create, or the Announce for a boost (with ``@context``)."""
    return render_announce(status) if status.reblog_id is not None else render_create(status)


# --- Outbox -----------------------------------------------------------------------------------


def render_outbox(account: Account) -> dict[str, Any]:
    """The outbox's root: its size (the account's status count, as Mastodon counts it) and
    its first and last pages."""
    base = outbox_uri(account)
    return with_context(
        {
            "id": base,
            "type": "OrderedCollection",
            "totalItems": account.statuses_count,
            "first": page_url(base, page=True),
            "last": page_url(base, page=True, min_id=0),
        }
    )


def render_outbox_page(
    account: Account,
    statuses: Sequence[Status],
    *,
    max_id: int | None = None,
    min_id: int | None = None,
) -> dict[str, Any]:
    """One page of the outbox, newest first: the Create (or Announce) of each status. ``next``
    goes on from the oldest item when the page is full, ``prev`` back from the newest."""
    base = outbox_uri(account)
    data: dict[str, Any] = {
        "id": page_url(base, page=True, max_id=max_id, min_id=min_id),
        "type": "OrderedCollectionPage",
    }
    if len(statuses) >= OUTBOX_PAGE_SIZE:
        data["next"] = page_url(base, page=True, max_id=statuses[-1].id)
    if statuses:
        data["prev"] = page_url(base, page=True, min_id=statuses[0].id)
    data["partOf"] = base
    data["orderedItems"] = [_body(render_activity(status)) for status in statuses]
    return with_context(data)


# --- Followers and following ------------------------------------------------------------------


def _follows_base(account: Account, kind: str) -> str:
    return followers_uri(account) if kind == "followers" else following_uri(account)


def _follows_total(account: Account, kind: str) -> int:
    return account.followers_count if kind == "followers" else account.following_count


def render_follows(account: Account, kind: str, *, hidden: bool) -> dict[str, Any]:
    """The root of ``followers`` or ``following``. Its size is always public (it is on the
    profile); an account that hides its network shows nothing more, not even ``first``."""
    base = _follows_base(account, kind)
    data: dict[str, Any] = {
        "id": base,
        "type": "OrderedCollection",
        "totalItems": _follows_total(account, kind),
    }
    if not hidden:
        data["first"] = page_url(base, page=1)
    return with_context(data)


def render_follows_page(
    account: Account, kind: str, actor_uris: Sequence[str], *, page: int, has_next: bool
) -> dict[str, Any]:
    """Page ``page`` (from 1) of ``followers`` or ``following``: actor ids, newest follow
    first, ``FOLLOWS_PAGE_SIZE`` a page, as Mastodon pages them."""
    base = _follows_base(account, kind)
    data: dict[str, Any] = {
        "id": page_url(base, page=page),
        "type": "OrderedCollectionPage",
        "totalItems": _follows_total(account, kind),
    }
    if has_next:
        data["next"] = page_url(base, page=page + 1)
    if page > 1:
        data["prev"] = page_url(base, page=page - 1)
    data["partOf"] = base
    data["orderedItems"] = list(actor_uris)
    return with_context(data)


# --- Featured statuses and hashtags -------------------------------------------------------------


def render_featured(account: Account, statuses: Sequence[Status]) -> dict[str, Any]:
    """Pinned statuses, most recently pinned first: embedded Notes for public and unlisted
    ones, bare ids for the others (whoever may see them fetches them, signed)."""
    items: list[Any] = [
        render_note(status)
        if status.visibility in (Visibility.PUBLIC, Visibility.UNLISTED)
        else status_uri(status)
        for status in statuses
    ]
    return with_context(
        {
            "id": featured_uri(account),
            "type": "OrderedCollection",
            "totalItems": len(items),
            "orderedItems": items,
        }
    )


def render_hashtag(featured: FeaturedTag, *, account: Account) -> dict[str, Any]:
    """A featured hashtag links to the account's statuses with that tag (Mastodon's
    ActivityPub::HashtagSerializer for a FeaturedTag)."""
    tag = featured.tag
    return {
        "type": "Hashtag",
        "href": absolute(f"/@{account.username}/tagged/{tag.name}"),
        "name": f"#{tag.display_name or tag.name}",
    }


def render_featured_tags(account: Account, featured: Sequence[FeaturedTag]) -> dict[str, Any]:
    """Featured hashtags: an unordered Collection, as Mastodon sends it."""
    items = [render_hashtag(f, account=account) for f in featured]
    return with_context(
        {
            "id": featured_tags_uri(account),
            "type": "Collection",
            "totalItems": len(items),
            "items": items,
        }
    )
