"""Discovery: the profile directory (/api/v1/directory), follow suggestions (/api/v1 and v2
/suggestions) and featured tags (/api/v1/featured_tags, /api/v1/tags/:name/feature).

Views read params, call one selector or service, render."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api.serializers import render_accounts, render_featured_tag, render_suggestion
from accounts.models import Account
from fedisocial.api.errors import UnprocessableEntity
from fedisocial.api.params import to_bool, to_int
from fedisocial.api.views import MastodonView
from statuses.api.tag_entities import render_tag_entities, render_tag_entity
from statuses.services import find_or_build_tag

ACCOUNTS_LIMIT = 40
ACCOUNTS_MAX = 80


def _limit(params: dict[str, Any], default: int, maximum: int) -> int:
    return max(1, min(to_int(params.get("limit"), default) or default, maximum))


def _offset(params: dict[str, Any]) -> int:
    return max(0, to_int(params.get("offset"), 0) or 0)


def _name(value: Any) -> str:
    return value if isinstance(value, str) else ""


class ServicesView(MastodonView):
    """Maps the accounts services' AccountError to Mastodon's 422."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.AccountError):
            exc = UnprocessableEntity(str(exc))
        return super().handle_exception(exc)


# --- The profile directory -----------------------------------------------------------------------


class DirectoryView(MastodonView):
    """GET /api/v1/directory: public, as in Mastodon (any token will do). As the documentation
    says, ``local=true`` keeps this server's accounts only; without it remote discoverable
    accounts are listed too."""

    scopes = {}
    public_methods = ("GET",)
    app_methods = ("GET",)

    def get(self, request: Request) -> Response:
        params = self.params
        order = params.get("order")
        accounts = selectors.directory(
            self.viewer,
            offset=_offset(params),
            limit=_limit(params, ACCOUNTS_LIMIT, ACCOUNTS_MAX),
            order=order if order in selectors.DIRECTORY_ORDERS else "active",
            local=bool(to_bool(params.get("local"))),
        )
        return Response(render_accounts(accounts))


# --- Follow suggestions --------------------------------------------------------------------------


class SuggestionsView(MastodonView):
    """GET /api/v2/suggestions: Suggestion entities, each saying where it comes from."""

    scopes = {"GET": "read"}

    def get(self, request: Request) -> Response:
        limit = _limit(self.params, ACCOUNTS_LIMIT, ACCOUNTS_MAX)
        suggestions = selectors.follow_suggestions(self.me, limit=limit)
        return Response([render_suggestion(s) for s in suggestions])


class SuggestionsV1View(MastodonView):
    """GET /api/v1/suggestions (deprecated since 3.4): the same accounts, as bare Accounts."""

    scopes = {"GET": "read"}

    def get(self, request: Request) -> Response:
        limit = _limit(self.params, ACCOUNTS_LIMIT, ACCOUNTS_MAX)
        suggestions = selectors.follow_suggestions(self.me, limit=limit)
        return Response(render_accounts([s.account for s in suggestions]))


class SuggestionView(MastodonView):
    """DELETE /api/v1/suggestions/:account_id: ``{}`` even for an id that names no account, as
    the documentation says; a real account is never suggested to this user again."""

    scopes = {"DELETE": "read"}

    def delete(self, request: Request, account_id: str) -> Response:
        try:
            target = selectors.get_account(account_id)
        except Account.DoesNotExist:
            return Response({})
        services.dismiss_suggestion(self.me, target)
        return Response({})


# --- Featured tags -------------------------------------------------------------------------------


class FeaturedTagListView(ServicesView):
    """GET /api/v1/featured_tags (the user's own) and POST to feature one by ``name``."""

    scopes = {"GET": "read:accounts", "POST": "write:accounts"}

    def get(self, request: Request) -> Response:
        return Response([render_featured_tag(f) for f in selectors.featured_tags(self.me)])

    def post(self, request: Request) -> Response:
        featured = services.feature_tag(self.me, name=_name(self.params.get("name")))
        return Response(render_featured_tag(featured))


class FeaturedTagView(ServicesView):
    scopes = {"DELETE": "write:accounts"}

    def delete(self, request: Request, featured_tag_id: int) -> Response:
        services.remove_featured_tag(self.me, featured_tag_id=featured_tag_id)
        return Response({})


class FeaturedTagSuggestionsView(MastodonView):
    """GET /api/v1/featured_tags/suggestions: Tag entities, up to ten."""

    scopes = {"GET": "read:accounts"}

    def get(self, request: Request) -> Response:
        tags = selectors.featured_tag_suggestions(self.me)
        return Response(render_tag_entities(tags, self.me))


class TagFeatureView(ServicesView):
    """POST /api/v1/tags/:name/feature (4.4): the Tag, ``featuring`` true; 404 for what is no
    hashtag, as the other /tags/:name methods answer."""

    scopes = {"POST": "write:accounts"}

    def post(self, request: Request, name: str) -> Response:
        find_or_build_tag(name)
        featured = services.feature_tag(self.me, name=name)
        return Response(render_tag_entity(featured.tag, self.me))


class TagUnfeatureView(ServicesView):
    """POST /api/v1/tags/:name/unfeature (4.4): the Tag, ``featuring`` false; idempotent."""

    scopes = {"POST": "write:accounts"}

    def post(self, request: Request, name: str) -> Response:
        tag = find_or_build_tag(name)
        services.unfeature_tag(self.me, tag=tag)
        return Response(render_tag_entity(tag, self.me))
