"""/api/v1/bookmarks and /api/v1/favourites: paged by the rows' own ids, in the Link header."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.pagination import page_from, paginated
from statuses.api.base import StatusesView
from statuses.api.serializers import render_statuses
from statuses.selectors import bookmarks_page, favourites_page


class BookmarksView(StatusesView):
    scopes = {"GET": "read:bookmarks"}

    def get(self, request: Request) -> Response:
        rows, statuses = bookmarks_page(self.me, page_from(self.params, default=20, maximum=40))
        return paginated(request, render_statuses(statuses, self.me), rows)


class FavouritesView(StatusesView):
    scopes = {"GET": "read:favourites"}

    def get(self, request: Request) -> Response:
        rows, statuses = favourites_page(self.me, page_from(self.params, default=20, maximum=40))
        return paginated(request, render_statuses(statuses, self.me), rows)
