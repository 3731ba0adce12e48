"""GET /api/v2/search: accounts, hashtags and statuses in one answer."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Q
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import render_accounts
from accounts.models import Account
from accounts.selectors import api_accounts, search_accounts
from federation.resolve import resolve_handle, resolve_url
from fedisocial.api.errors import UnprocessableEntity
from fedisocial.api.params import to_bool, to_int
from fedisocial.api.views import MastodonView
from statuses.api.serializers import render_statuses
from statuses.api.tag_entities import render_tag_entities
from statuses.formatting import normalize_hashtag
from statuses.models import Status, Tag
from statuses.search import search_statuses, status_by_url

TYPES = {"accounts", "hashtags", "statuses"}


_LOCAL_ACCOUNT_PATH = re.compile(r"^/(?:@|users/)([A-Za-z0-9_.-]+)$")


def _account_by_url(url: str) -> Account | None:
    """Ours by path (/@name, /users/name); a remote one by its stored uri or url."""
    parts = urlsplit(url)
    live = api_accounts().filter(suspended_at__isnull=True)
    if parts.netloc.lower() == settings.LOCAL_DOMAIN:
        match = _LOCAL_ACCOUNT_PATH.match(parts.path.rstrip("/"))
        if match is None:
            return None
        return live.filter(domain__isnull=True, username__iexact=match.group(1)).first()
    return live.filter(domain__isnull=False).filter(Q(uri=url) | Q(url=url)).first()


def _hashtags(query: str, limit: int, offset: int) -> list[Tag]:
    name = normalize_hashtag(query.strip().removeprefix("#"))
    if not name:
        return []
    exact = list(Tag.objects.filter(name=name))
    rest = Tag.objects.filter(name__startswith=name).exclude(name=name).order_by("name")
    return (exact + list(rest[: offset + limit]))[offset : offset + limit]


class SearchView(MastodonView):
    scopes = {"GET": "read:search"}
    public_methods = ("GET",)

    def get(self, request: Request) -> Response:
        params = self.params
        query = str(params.get("q") or "").strip()
        kind = params.get("type") or None
        if kind is not None and kind not in TYPES:
            raise UnprocessableEntity("type must be accounts, hashtags or statuses")
        limit = max(1, min(to_int(params.get("limit"), 20) or 20, 40))
        offset = max(0, to_int(params.get("offset"), 0) or 0)
        resolve = bool(to_bool(params.get("resolve"), False))
        viewer = self.viewer
        if viewer is None and (resolve or offset):
            raise exceptions.NotAuthenticated("The access token is invalid")
        result: dict[str, Any] = {"accounts": [], "statuses": [], "hashtags": []}
        if not query:
            return Response(result)

        if query.startswith(("https://", "http://")):
            account = _account_by_url(query)
            status = status_by_url(query, viewer)
            if resolve and account is None and status is None:
                found = resolve_url(query)
                if isinstance(found, Account) and found.suspended_at is None:
                    account = found
                elif isinstance(found, Status):
                    status = status_by_url(found.uri, viewer)
            if kind in (None, "accounts") and account is not None:
                result["accounts"] = render_accounts([account])
            if kind in (None, "statuses") and status is not None:
                result["statuses"] = render_statuses([status], viewer)
            return Response(result)

        if kind in (None, "accounts"):
            # A full handle of an account we do not know yet is looked up on its server.
            if resolve and offset == 0:
                resolve_handle(query)
            accounts = search_accounts(
                query,
                viewer=viewer,
                limit=limit,
                offset=offset,
                following=bool(to_bool(params.get("following"), False)),
            )
            result["accounts"] = render_accounts(accounts)
        if kind in (None, "hashtags") and "@" not in query.lstrip("@#"):
            tags = _hashtags(query, limit, offset)
            result["hashtags"] = render_tag_entities(tags, viewer)
        if kind in (None, "statuses") and viewer is not None:
            statuses = search_statuses(
                query,
                viewer=viewer,
                limit=limit,
                offset=offset,
                account_id=to_int(params.get("account_id")),
                max_id=to_int(params.get("max_id")),
                min_id=to_int(params.get("min_id")),
            )
            result["statuses"] = render_statuses(statuses, viewer)
        return Response(result)
