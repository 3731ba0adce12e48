"""/api/v1/accounts...: profiles, credentials, an account's statuses and collections, lookup,
search and preferences. Views read params, call one selector or service, render."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api.serializers import (
    render_account,
    render_accounts,
    render_credential_account,
    render_featured_tag,
)
from accounts.models import Account, AccountPin, Follow
from fedisocial.api.errors import UnprocessableEntity
from fedisocial.api.pagination import page_from, paginated
from fedisocial.api.params import to_bool, to_int, to_list, to_str_list
from fedisocial.api.views import MastodonView
from statuses.api.serializers import render_statuses, without_hidden
from timelines.api.serializers import render_list

ACCOUNTS_LIMIT = 40
ACCOUNTS_MAX = 80


class AccountsView(MastodonView):
    """GET /api/v1/accounts?id[]= (public) and POST /api/v1/accounts (registration)."""

    scopes = {"GET": "read:accounts", "POST": "write:accounts"}
    public_methods = ("GET",)
    app_methods = ("POST",)

    def get(self, request: Request) -> Response:
        ids = selectors.ids_from(to_str_list(self.params.get("id")))
        if len(ids) > ACCOUNTS_LIMIT:
            raise UnprocessableEntity(f"Validation failed: at most {ACCOUNTS_LIMIT} ids")
        return Response(render_accounts(selectors.accounts_by_ids(ids)))

    def post(self, request: Request) -> Response:
        # Imported here: registration is its own module, written beside this one.
        from accounts.api.registration import register_view

        return register_view(request)


class AccountView(MastodonView):
    scopes = {"GET": "read:accounts"}
    public_methods = ("GET",)

    def get(self, request: Request, account_id: int) -> Response:
        return Response(render_account(selectors.get_account(account_id)))


class VerifyCredentialsView(MastodonView):
    scopes = {"GET": ("profile", "read:accounts")}

    def get(self, request: Request) -> Response:
        me = self.me
        count = selectors.follow_requests_count(me)
        return Response(render_credential_account(me, follow_requests_count=count))


def _profile_fields(value: Any) -> list[services.ProfileField] | None:
    """``fields_attributes`` as a Rails indexed hash or an array of {name, value}."""
    if value is None:
        return None
    fields: list[services.ProfileField] = []
    for item in to_list(value):
        if not isinstance(item, dict):
            raise UnprocessableEntity("Validation failed: Fields must be name and value pairs")
        fields.append(
            services.ProfileField(
                name=str(item.get("name") or ""), value=str(item.get("value") or "")
            )
        )
    return fields


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)) or hasattr(value, "read"):
        return None
    return str(value)


class UpdateCredentialsView(MastodonView):
    """PATCH /api/v1/accounts/update_credentials. Avatar and header uploads come with the media
    work: until then they are accepted and ignored."""

    scopes = {"PATCH": "write:accounts"}

    def patch(self, request: Request) -> Response:
        params = self.params
        source = params.get("source") if isinstance(params.get("source"), dict) else {}

        def flag(key: str, data: dict[str, Any] = params) -> bool | None:
            return to_bool(data.get(key), None) if key in data else None

        try:
            account = services.update_profile(
                self.me,
                display_name=_text(params.get("display_name")),
                note=_text(params.get("note")),
                locked=flag("locked"),
                bot=flag("bot"),
                discoverable=flag("discoverable"),
                indexable=flag("indexable"),
                hide_collections=flag("hide_collections"),
                fields=_profile_fields(params.get("fields_attributes")),
                default_privacy=_text(source.get("privacy")),
                default_sensitive=flag("sensitive", source),
                default_language=_text(source.get("language")),
            )
        except services.AccountError as error:
            raise UnprocessableEntity(str(error)) from error
        count = selectors.follow_requests_count(account)
        return Response(render_credential_account(account, follow_requests_count=count))


class AccountStatusesView(MastodonView):
    scopes = {"GET": "read:statuses"}
    public_methods = ("GET",)

    def get(self, request: Request, account_id: int) -> Response:
        account = selectors.get_account(account_id)
        params = self.params
        statuses = selectors.account_statuses(
            account,
            self.viewer,
            page=page_from(params, default=20, maximum=40),
            pinned=bool(to_bool(params.get("pinned"))),
            tagged=_text(params.get("tagged")) or None,
            only_media=bool(to_bool(params.get("only_media"))),
            exclude_replies=bool(to_bool(params.get("exclude_replies"))),
            exclude_reblogs=bool(to_bool(params.get("exclude_reblogs"))),
        )
        data = without_hidden(render_statuses(statuses, self.viewer, context="account"))
        return paginated(request, data, statuses)


class FollowersView(MastodonView):
    scopes = {"GET": "read:accounts"}
    public_methods = ("GET",)

    def get(self, request: Request, account_id: int) -> Response:
        account = selectors.get_account(account_id)
        page = page_from(self.params, default=ACCOUNTS_LIMIT, maximum=ACCOUNTS_MAX)
        follows = selectors.followers_page(account, self.viewer, page)
        data = render_accounts([f.account for f in follows])
        return paginated(request, data, follows, key=lambda f: f.id)


class FollowingView(MastodonView):
    scopes = {"GET": "read:accounts"}
    public_methods = ("GET",)

    def get(self, request: Request, account_id: int) -> Response:
        account = selectors.get_account(account_id)
        page = page_from(self.params, default=ACCOUNTS_LIMIT, maximum=ACCOUNTS_MAX)
        follows: list[Follow] = selectors.following_page(account, self.viewer, page)
        data = render_accounts([f.target_account for f in follows])
        return paginated(request, data, follows, key=lambda f: f.id)


class AccountEndorsementsView(MastodonView):
    """GET /api/v1/accounts/:id/endorsements (4.4): the accounts it features, public."""

    scopes = {"GET": "read:accounts"}
    public_methods = ("GET",)

    def get(self, request: Request, account_id: int) -> Response:
        account = selectors.get_account(account_id)
        page = page_from(self.params, default=ACCOUNTS_LIMIT, maximum=ACCOUNTS_MAX)
        pins: list[AccountPin] = selectors.endorsements_page(account, self.viewer, page)
        data = render_accounts([p.target_account for p in pins])
        return paginated(request, data, pins, key=lambda p: p.id)


class FeaturedTagsView(MastodonView):
    """GET /api/v1/accounts/:id/featured_tags: the hashtags it shows on its profile, public."""

    scopes = {"GET": "read:accounts"}
    public_methods = ("GET",)

    def get(self, request: Request, account_id: int) -> Response:
        account = selectors.get_account(account_id)
        return Response([render_featured_tag(f) for f in selectors.featured_tags(account)])


class IdentityProofsView(MastodonView):
    """Deprecated since Mastodon 3.5, which answers an empty array."""

    scopes = {"GET": "read:accounts"}

    def get(self, request: Request, account_id: int) -> Response:
        selectors.get_account(account_id)
        return Response([])


class AccountListsView(MastodonView):
    scopes = {"GET": "read:lists"}

    def get(self, request: Request, account_id: int) -> Response:
        account = selectors.get_account(account_id)
        return Response([render_list(x) for x in selectors.lists_containing(self.me, account)])


class LookupView(MastodonView):
    """GET /api/v1/accounts/lookup?acct=: from the table only, no WebFinger. Public, as in
    Mastodon (a token, when sent, needs read:accounts)."""

    scopes = {"GET": "read:accounts"}
    public_methods = ("GET",)

    def get(self, request: Request) -> Response:
        account = selectors.lookup_account(_text(self.params.get("acct")) or "")
        if account is None:
            raise Account.DoesNotExist("Record not found")
        return Response(render_account(account))


class SearchView(MastodonView):
    """GET /api/v1/accounts/search. ``resolve`` would fetch remote accounts: not done here."""

    scopes = {"GET": "read:accounts"}

    def get(self, request: Request) -> Response:
        params = self.params
        limit = max(1, min(to_int(params.get("limit"), ACCOUNTS_LIMIT) or 1, ACCOUNTS_MAX))
        accounts = selectors.search_accounts(
            _text(params.get("q")) or "",
            viewer=self.viewer,
            limit=limit,
            offset=max(0, to_int(params.get("offset"), 0) or 0),
            following=bool(to_bool(params.get("following"))),
        )
        return Response(render_accounts(accounts))


class PreferencesView(MastodonView):
    scopes = {"GET": "read:accounts"}

    def get(self, request: Request) -> Response:
        user = self.me.user
        return Response(
            {
                "posting:default:visibility": user.default_privacy,
                "posting:default:sensitive": user.default_sensitive,
                "posting:default:language": user.default_language or None,
                "posting:default:quote_policy": "public",
                "reading:expand:media": user.expand_media,
                "reading:expand:spoilers": user.expand_spoilers,
            }
        )
