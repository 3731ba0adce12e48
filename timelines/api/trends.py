"""/api/v1/trends/tags, /statuses and /links: public, as in Mastodon (any token will do).

Mastodon's trends are reviewed by moderators before they show; ours are computed from public
activity at request time (see ``timelines.trends`` for what each one counts). Pages go by
``offset``, with a Link header to the next and previous page as Mastodon sends.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.params import to_int
from fedisocial.api.views import MastodonView
from statuses.api.serializers import render_statuses
from statuses.api.tag_entities import render_tag_entities
from timelines import trends

TAGS_LIMIT, TAGS_MAX = 10, 20
STATUSES_LIMIT, STATUSES_MAX = 20, 40


def _window(params: dict[str, Any], default: int, maximum: int) -> tuple[int, int]:
    """(offset, limit) from the query, the limit clamped to 1..maximum."""
    limit = max(1, min(to_int(params.get("limit"), default) or default, maximum))
    return max(0, to_int(params.get("offset"), 0) or 0), limit


def _offset_page(request: Request, data: list[Any], *, offset: int, limit: int) -> Response:
    """``rel="next"`` while a page comes back full, ``rel="prev"`` after the first page."""
    response = Response(data)
    base = request.build_absolute_uri(request.path)
    kept = [(k, v) for k, values in request.query_params.lists() for v in values if k != "offset"]
    links = []
    if len(data) == limit:
        links.append(f'<{base}?{urlencode([*kept, ("offset", offset + limit)])}>; rel="next"')
    if offset > 0:
        previous = max(0, offset - limit)
        links.append(f'<{base}?{urlencode([*kept, ("offset", previous)])}>; rel="prev"')
    if links:
        response["Link"] = ", ".join(links)
    return response


class TrendsView(MastodonView):
    scopes = {}
    public_methods = ("GET",)
    app_methods = ("GET",)


class TrendingTagsView(TrendsView):
    """GET /api/v1/trends/tags (and its deprecated alias /api/v1/trends): Tag entities, the
    hashtags the most accounts used in public statuses this week first."""

    def get(self, request: Request) -> Response:
        offset, limit = _window(self.params, TAGS_LIMIT, TAGS_MAX)
        tags = trends.trending_tags(offset=offset, limit=limit)
        data = render_tag_entities(tags, self.viewer)
        return _offset_page(request, data, offset=offset, limit=limit)


class TrendingStatusesView(TrendsView):
    """GET /api/v1/trends/statuses: the most boosted and favourited recent public statuses."""

    def get(self, request: Request) -> Response:
        offset, limit = _window(self.params, STATUSES_LIMIT, STATUSES_MAX)
        statuses = trends.trending_statuses(self.viewer, offset=offset, limit=limit)
        data = render_statuses(statuses, self.viewer)
        return _offset_page(request, data, offset=offset, limit=limit)


class TrendingLinksView(TrendsView):
    """GET /api/v1/trends/links: always ``[]`` for now, and truthfully so.

    Trending links are preview cards (Trends::Link) ranked by how often statuses share them.
    This server does not fetch preview cards yet, so it knows of no link to rank: an empty list
    is the true answer, not a placeholder. Once cards exist, rank them here as the tags are."""

    def get(self, request: Request) -> Response:
        return Response([])
