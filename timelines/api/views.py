"""Timelines: /api/v1/timelines/home, public, tag/:hashtag and list/:list_id.

Each renders ``filtered`` for its filter context (lists count as ``home``, hashtags as
``public``) and leaves out what a ``hide`` filter matched; the Link header still pages by the
statuses read, so paging goes on past a page that filtering emptied.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.pagination import page_from, paginated
from fedisocial.api.params import to_bool, to_str_list
from fedisocial.api.views import MastodonView
from statuses.api.serializers import render_refs, render_statuses, without_hidden
from timelines import selectors


class HomeTimelineView(MastodonView):
    scopes = {"GET": "read:statuses"}

    def get(self, request: Request) -> Response:
        refs = selectors.home_timeline(self.me, page=page_from(self.params))
        data = without_hidden(render_refs(refs, self.me, context="home"))
        return paginated(request, data, refs)


class PublicTimelineView(MastodonView):
    scopes = {"GET": "read:statuses"}
    public_methods = ("GET",)

    def get(self, request: Request) -> Response:
        params = self.params
        statuses = selectors.public_timeline(
            self.viewer,
            page=page_from(params),
            local=bool(to_bool(params.get("local"))),
            remote=bool(to_bool(params.get("remote"))),
            only_media=bool(to_bool(params.get("only_media"))),
        )
        data = without_hidden(render_statuses(statuses, self.viewer, context="public"))
        return paginated(request, data, statuses)


class TagTimelineView(MastodonView):
    scopes = {"GET": "read:statuses"}
    public_methods = ("GET",)

    def get(self, request: Request, hashtag: str) -> Response:
        params = self.params
        statuses = selectors.tag_timeline(
            self.viewer,
            hashtag=hashtag,
            page=page_from(params),
            any_tags=to_str_list(params.get("any")),
            all_tags=to_str_list(params.get("all")),
            none_tags=to_str_list(params.get("none")),
            local=bool(to_bool(params.get("local"))),
            remote=bool(to_bool(params.get("remote"))),
            only_media=bool(to_bool(params.get("only_media"))),
        )
        data = without_hidden(render_statuses(statuses, self.viewer, context="public"))
        return paginated(request, data, statuses)


class ListTimelineView(MastodonView):
    scopes = {"GET": "read:lists"}

    def get(self, request: Request, list_id: int) -> Response:
        lst = selectors.owned_list(self.me, list_id)
        refs = selectors.list_timeline(lst, page=page_from(self.params))
        data = without_hidden(render_refs(refs, self.me, context="home"))
        return paginated(request, data, refs)
