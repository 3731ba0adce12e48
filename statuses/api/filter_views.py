"""/api/v2/filters (groups, keywords, statuses) and the deprecated /api/v1/filters.

Someone else's filter, keyword or status filter is "Record not found"; validation failures are
422 with Mastodon's messages.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.errors import UnprocessableEntity
from fedisocial.api.params import to_bool, to_int, to_list, to_str_list
from fedisocial.api.views import MastodonView
from statuses import filters
from statuses.api.base import to_text
from statuses.api.serializers import (
    render_filter,
    render_filter_keyword,
    render_filter_status,
    render_v1_filter,
)
from statuses.models import FilterKeyword

READ = "read:filters"
WRITE = "write:filters"


class FiltersBaseView(MastodonView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, filters.FilterValidationError):
            exc = UnprocessableEntity(str(exc))
        return super().handle_exception(exc)


def _expires_in(params: dict[str, Any]) -> int | filters.Unset | None:
    """Seconds from now; sent empty (or null) means never; not sent means unchanged."""
    if "expires_in" not in params:
        return filters.UNSET
    raw = to_text(params.get("expires_in"))
    if raw is None or raw.strip() == "":
        return None
    seconds = to_int(raw)
    if seconds is None:
        raise UnprocessableEntity("Validation failed: Expires in is not a number")
    return max(seconds, 0)


def _context(params: dict[str, Any]) -> list[str] | None:
    return to_str_list(params.get("context")) if "context" in params else None


def _flag(params: dict[str, Any], name: str) -> bool | None:
    return to_bool(params.get(name), None) if name in params else None


def _keywords_attributes(params: dict[str, Any]) -> list[filters.KeywordAttributes]:
    entries = []
    for raw in to_list(params.get("keywords_attributes")):
        if not isinstance(raw, dict):
            continue
        raw_id = to_text(raw.get("id"))
        keyword_id = None
        if raw_id is not None and raw_id.strip() != "":
            keyword_id = to_int(raw_id)
            if keyword_id is None:
                raise FilterKeyword.DoesNotExist("Record not found")
        entries.append(
            filters.KeywordAttributes(
                id=keyword_id,
                keyword=to_text(raw.get("keyword")),
                whole_word=_flag(raw, "whole_word"),
                destroy=bool(to_bool(raw.get("_destroy"), False)),
            )
        )
    return entries


# --- v2: filter groups -----------------------------------------------------------------------


class FiltersView(FiltersBaseView):
    scopes = {"GET": READ, "POST": WRITE}

    def get(self, request: Request) -> Response:
        return Response([render_filter(f) for f in filters.filters_of(self.me)])

    def post(self, request: Request) -> Response:
        params = self.params
        expires_in = _expires_in(params)
        created = filters.create_filter(
            self.me,
            title=to_text(params.get("title")),
            context=_context(params) or [],
            filter_action=to_text(params.get("filter_action")) or None,
            expires_in=None if isinstance(expires_in, filters.Unset) else expires_in,
            keywords=_keywords_attributes(params),
        )
        return Response(render_filter(filters.owned_filter(self.me, created.id)))


class FilterView(FiltersBaseView):
    scopes = {"GET": READ, "PUT": WRITE, "DELETE": WRITE}

    def get(self, request: Request, filter_id: int) -> Response:
        return Response(render_filter(filters.owned_filter(self.me, filter_id)))

    def put(self, request: Request, filter_id: int) -> Response:
        filter_ = filters.owned_filter(self.me, filter_id)
        params = self.params
        filters.update_filter(
            filter_,
            title=to_text(params.get("title")),
            context=_context(params),
            filter_action=to_text(params.get("filter_action")) or None,
            expires_in=_expires_in(params),
            keywords=_keywords_attributes(params),
        )
        return Response(render_filter(filters.owned_filter(self.me, filter_id)))

    def delete(self, request: Request, filter_id: int) -> Response:
        filters.delete_filter(filters.owned_filter(self.me, filter_id))
        return Response({})


# --- v2: keywords --------------------------------------------------------------------------------


class FilterKeywordsView(FiltersBaseView):
    scopes = {"GET": READ, "POST": WRITE}

    def get(self, request: Request, filter_id: int) -> Response:
        filter_ = filters.owned_filter(self.me, filter_id)
        return Response([render_filter_keyword(k) for k in filter_.keywords.all()])

    def post(self, request: Request, filter_id: int) -> Response:
        filter_ = filters.owned_filter(self.me, filter_id)
        params = self.params
        keyword = filters.add_keyword(
            filter_, keyword=to_text(params.get("keyword")), whole_word=_flag(params, "whole_word")
        )
        return Response(render_filter_keyword(keyword))


class FilterKeywordView(FiltersBaseView):
    scopes = {"GET": READ, "PUT": WRITE, "DELETE": WRITE}

    def get(self, request: Request, keyword_id: int) -> Response:
        return Response(render_filter_keyword(filters.owned_keyword(self.me, keyword_id)))

    def put(self, request: Request, keyword_id: int) -> Response:
        keyword = filters.owned_keyword(self.me, keyword_id)
        params = self.params
        filters.update_keyword(
            keyword, text=to_text(params.get("keyword")), whole_word=_flag(params, "whole_word")
        )
        return Response(render_filter_keyword(keyword))

    def delete(self, request: Request, keyword_id: int) -> Response:
        filters.remove_keyword(filters.owned_keyword(self.me, keyword_id))
        return Response({})


# --- v2: statuses --------------------------------------------------------------------------------


class FilterStatusesView(FiltersBaseView):
    scopes = {"GET": READ, "POST": WRITE}

    def get(self, request: Request, filter_id: int) -> Response:
        filter_ = filters.owned_filter(self.me, filter_id)
        return Response([render_filter_status(s) for s in filter_.statuses.all()])

    def post(self, request: Request, filter_id: int) -> Response:
        filter_ = filters.owned_filter(self.me, filter_id)
        status_id = to_int(to_text(self.params.get("status_id")))
        filter_status = filters.add_filter_status(filter_, status_id=status_id)
        return Response(render_filter_status(filter_status))


class FilterStatusView(FiltersBaseView):
    scopes = {"GET": READ, "DELETE": WRITE}

    def get(self, request: Request, filter_status_id: int) -> Response:
        filter_status = filters.owned_filter_status(self.me, filter_status_id)
        return Response(render_filter_status(filter_status))

    def delete(self, request: Request, filter_status_id: int) -> Response:
        filters.remove_filter_status(filters.owned_filter_status(self.me, filter_status_id))
        return Response({})


# --- v1 (deprecated): a filter is one keyword ----------------------------------------------------


class V1FiltersView(FiltersBaseView):
    scopes = {"GET": READ, "POST": WRITE}

    def get(self, request: Request) -> Response:
        return Response([render_v1_filter(k) for k in filters.v1_filters_of(self.me)])

    def post(self, request: Request) -> Response:
        params = self.params
        expires_in = _expires_in(params)
        keyword = filters.create_v1_filter(
            self.me,
            phrase=to_text(params.get("phrase")),
            context=_context(params) or [],
            irreversible=bool(to_bool(params.get("irreversible"), False)),
            whole_word=_flag(params, "whole_word"),
            expires_in=None if isinstance(expires_in, filters.Unset) else expires_in,
        )
        return Response(render_v1_filter(keyword))


class V1FilterView(FiltersBaseView):
    scopes = {"GET": READ, "PUT": WRITE, "DELETE": WRITE}

    def get(self, request: Request, keyword_id: int) -> Response:
        return Response(render_v1_filter(filters.owned_keyword(self.me, keyword_id)))

    def put(self, request: Request, keyword_id: int) -> Response:
        keyword = filters.owned_keyword(self.me, keyword_id)
        params = self.params
        filters.update_v1_filter(
            keyword,
            phrase=to_text(params.get("phrase")),
            context=_context(params),
            irreversible=_flag(params, "irreversible"),
            whole_word=_flag(params, "whole_word"),
            expires_in=_expires_in(params),
        )
        return Response(render_v1_filter(keyword))

    def delete(self, request: Request, keyword_id: int) -> Response:
        """Only the keyword goes; its filter stays (delete that through v2)."""
        filters.remove_keyword(filters.owned_keyword(self.me, keyword_id))
        return Response({})
