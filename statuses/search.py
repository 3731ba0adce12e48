"""Status search for /api/v2/search, as Mastodon scopes it.

A signed-in viewer finds the statuses they wrote, favourited, bookmarked or were mentioned in,
plus public statuses of accounts that opted in to search (``indexable``); everything still goes
through the visibility policy. PostgreSQL matches with full-text search; SQLite with a simpler
case-insensitive substring match.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Q, QuerySet

from accounts.models import Account
from statuses.models import Bookmark, Favourite, Mention, Status, Visibility
from statuses.policies import can_view, visible_to
from statuses.selectors import with_related

_LOCAL_STATUS_PATH = re.compile(r"^/(?:@[^/]+|users/[^/]+/statuses)/(\d+)$")


def status_by_url(url: str, viewer: Account | None) -> Status | None:
    """A status named by its URL or URI: ours by path, a remote one by its stored uri/url."""
    parts = urlsplit(url)
    status: Status | None = None
    if parts.netloc.lower() == settings.LOCAL_DOMAIN:
        match = _LOCAL_STATUS_PATH.match(parts.path.rstrip("/"))
        if match:
            status = with_related(Status.objects.filter(id=int(match.group(1)), local=True)).first()
    else:
        status = with_related(Status.objects.filter(Q(uri=url) | Q(url=url), local=False)).first()
    if status is None or status.reblog_id is not None or not can_view(status, viewer):
        return None
    return status


def _candidates(viewer: Account) -> QuerySet[Status]:
    mine = Q(account_id=viewer.id)
    interacted = (
        Q(id__in=Favourite.objects.filter(account_id=viewer.id).values("status_id"))
        | Q(id__in=Bookmark.objects.filter(account_id=viewer.id).values("status_id"))
        | Q(id__in=Mention.objects.filter(account_id=viewer.id).values("status_id"))
    )
    opted_in = Q(visibility=Visibility.PUBLIC, account__indexable=True)
    return Status.objects.filter(reblog__isnull=True).filter(mine | interacted | opted_in)


def search_statuses(
    query: str,
    *,
    viewer: Account,
    limit: int,
    offset: int = 0,
    account_id: int | None = None,
    max_id: int | None = None,
    min_id: int | None = None,
) -> list[Status]:
    text = query.strip()
    if not text:
        return []
    qs = visible_to(_candidates(viewer), viewer)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if max_id is not None:
        qs = qs.filter(id__lt=max_id)
    if min_id is not None:
        qs = qs.filter(id__gt=min_id)
    if settings.IS_POSTGRES:
        vector = SearchVector("text", "spoiler_text", "content", config="simple")
        qs = qs.annotate(search=vector).filter(
            search=SearchQuery(text, search_type="websearch", config="simple")
        )
    else:
        for word in text.split()[:8]:
            qs = qs.filter(
                Q(text__icontains=word)
                | Q(spoiler_text__icontains=word)
                | Q(content__icontains=word)
            )
    ids = list(qs.order_by("-id").values_list("id", flat=True)[offset : offset + limit])
    found = {s.id: s for s in with_related(Status.objects.filter(id__in=ids))}
    return [found[i] for i in ids if i in found]
