"""Pagination as Mastodon pages: ``max_id``/``since_id``/``min_id`` and a Link header.

``min_id`` returns the page just above it (oldest first, then reversed to newest first), and
``since_id`` the newest items above it. Endpoints that page by internal row ids (favourites,
follows, blocks...) pass ``key`` so the ids appear only in the Link header.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.params import to_int


@dataclass(frozen=True)
class Page:
    max_id: int | None
    since_id: int | None
    min_id: int | None
    limit: int

    @property
    def ascending(self) -> bool:
        return self.min_id is not None


def page_from(params: dict[str, Any], *, default: int = 20, maximum: int = 40) -> Page:
    limit = to_int(params.get("limit"), default) or default
    limit = max(1, min(limit, maximum))
    return Page(
        max_id=to_int(params.get("max_id")),
        since_id=to_int(params.get("since_id")),
        min_id=to_int(params.get("min_id")),
        limit=limit,
    )


def paginate_queryset(qs: QuerySet[Any], page: Page, *, field: str = "id") -> list[Any]:
    """Apply a page to a queryset ordered by ``field``; returns newest first."""
    if page.max_id is not None:
        qs = qs.filter(**{f"{field}__lt": page.max_id})
    if page.since_id is not None:
        qs = qs.filter(**{f"{field}__gt": page.since_id})
    if page.min_id is not None:
        qs = qs.filter(**{f"{field}__gt": page.min_id})
        return list(reversed(list(qs.order_by(field)[: page.limit])))
    return list(qs.order_by(f"-{field}")[: page.limit])


def link_header[T](
    request: Request,
    items: Sequence[T],
    *,
    key: Callable[[T], int] = lambda item: item.id,  # type: ignore[attr-defined]
    prev_key: Callable[[T], int] | None = None,
    with_prev: bool = True,
) -> str | None:
    """``rel="next"`` by max_id (the oldest item) and ``rel="prev"`` by min_id (the newest).
    ``prev_key`` names the newest item's id when it differs from ``key`` (a notification
    group pages by its oldest and newest notification)."""
    if not items:
        return None
    base = request.build_absolute_uri(request.path)
    kept = [
        (k, v)
        for k, values in request.query_params.lists()
        for v in values
        if k not in {"max_id", "since_id", "min_id"}
    ]
    links = [f'<{base}?{urlencode([*kept, ("max_id", key(items[-1]))])}>; rel="next"']
    if with_prev:
        newest = (prev_key or key)(items[0])
        links.append(f'<{base}?{urlencode([*kept, ("min_id", newest)])}>; rel="prev"')
    return ", ".join(links)


def paginated[T](
    request: Request,
    data: Any,
    items: Sequence[T],
    *,
    key: Callable[[T], int] = lambda item: item.id,  # type: ignore[attr-defined]
) -> Response:
    response = Response(data)
    link = link_header(request, items, key=key)
    if link:
        response["Link"] = link
    return response
