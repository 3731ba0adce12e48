"""Relationships through the client API: follow, block, mute, notes, endorsements, follow
requests, domain blocks, and the viewer's lists of them. Every action answers with the
Relationship entity, built by ``accounts.selectors.relationships``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api.serializers import render_account, render_accounts
from accounts.models import Account, AccountDomainBlock, AccountPin, Block, FollowRequest, Mute
from fedisocial.api.dates import iso
from fedisocial.api.errors import Forbidden, UnprocessableEntity
from fedisocial.api.pagination import page_from, paginated
from fedisocial.api.params import to_bool, to_int, to_str_list
from fedisocial.api.views import MastodonView

ACCOUNTS_LIMIT = 40
ACCOUNTS_MAX = 80


def _domain_errors(call: Callable[[], Any]) -> Any:
    """Run a service, mapping its domain errors to Mastodon's status codes."""
    try:
        return call()
    except services.NotPermittedError as error:
        raise Forbidden(str(error)) from error
    except services.AccountError as error:
        raise UnprocessableEntity(str(error)) from error


class AccountActionView(MastodonView):
    """POST /api/v1/accounts/:id/<action>: act on the account, answer the Relationship."""

    scopes: dict[str, str | tuple[str, ...]] = {"POST": "write:accounts"}

    def act(self, me: Account, target: Account) -> None:
        raise NotImplementedError

    def post(self, request: Request, account_id: int) -> Response:
        target = selectors.get_account(account_id)
        me = self.me
        _domain_errors(lambda: self.act(me, target))
        return Response(selectors.relationship(me, target))


class FollowView(AccountActionView):
    scopes = {"POST": "write:follows"}

    def act(self, me: Account, target: Account) -> None:
        params = self.params
        services.follow_account(
            me,
            target,
            reblogs=to_bool(params["reblogs"], True) if "reblogs" in params else None,
            notify=to_bool(params["notify"], False) if "notify" in params else None,
            languages=to_str_list(params["languages"]) if "languages" in params else None,
        )


class UnfollowView(AccountActionView):
    scopes = {"POST": "write:follows"}

    def act(self, me: Account, target: Account) -> None:
        services.unfollow_account(me, target)


class RemoveFromFollowersView(AccountActionView):
    scopes = {"POST": "write:follows"}

    def act(self, me: Account, target: Account) -> None:
        services.remove_from_followers(me, target)


class BlockView(AccountActionView):
    scopes = {"POST": "write:blocks"}

    def act(self, me: Account, target: Account) -> None:
        services.block_account(me, target)


class UnblockView(AccountActionView):
    scopes = {"POST": "write:blocks"}

    def act(self, me: Account, target: Account) -> None:
        services.unblock_account(me, target)


class MuteView(AccountActionView):
    scopes = {"POST": "write:mutes"}

    def act(self, me: Account, target: Account) -> None:
        params = self.params
        services.mute_account(
            me,
            target,
            notifications=bool(to_bool(params.get("notifications"), True)),
            duration=to_int(params.get("duration"), 0) or 0,
        )


class UnmuteView(AccountActionView):
    scopes = {"POST": "write:mutes"}

    def act(self, me: Account, target: Account) -> None:
        services.unmute_account(me, target)


class NoteView(AccountActionView):
    scopes = {"POST": "write:accounts"}

    def act(self, me: Account, target: Account) -> None:
        comment = self.params.get("comment")
        services.set_account_note(me, target, comment="" if comment is None else str(comment))


class EndorseView(AccountActionView):
    """POST /api/v1/accounts/:id/endorse, and the older /pin."""

    scopes = {"POST": "write:accounts"}

    def act(self, me: Account, target: Account) -> None:
        services.endorse_account(me, target)


class UnendorseView(AccountActionView):
    """POST /api/v1/accounts/:id/unendorse, and the older /unpin."""

    scopes = {"POST": "write:accounts"}

    def act(self, me: Account, target: Account) -> None:
        services.unendorse_account(me, target)


class RelationshipsView(MastodonView):
    scopes = {"GET": "read:follows"}

    def get(self, request: Request) -> Response:
        params = self.params
        ids = selectors.ids_from(to_str_list(params.get("id")))
        with_suspended = bool(to_bool(params.get("with_suspended")))
        accounts = selectors.accounts_by_ids(ids, with_suspended=with_suspended)
        found = selectors.relationships(self.me, [a.id for a in accounts])
        return Response([found[a.id] for a in accounts])


class FamiliarFollowersView(MastodonView):
    scopes = {"GET": "read:follows"}

    def get(self, request: Request) -> Response:
        ids = selectors.ids_from(to_str_list(self.params.get("id")))
        result = selectors.familiar_followers(self.me, ids)
        return Response(
            [{"id": item["id"], "accounts": render_accounts(item["accounts"])} for item in result]
        )


# --- The viewer's own collections, paged by row id in the Link header -----------------------------


class BlocksView(MastodonView):
    scopes = {"GET": "read:blocks"}

    def get(self, request: Request) -> Response:
        page = page_from(self.params, default=ACCOUNTS_LIMIT, maximum=ACCOUNTS_MAX)
        blocks: list[Block] = selectors.blocks_page(self.me, page)
        data = render_accounts([b.target_account for b in blocks])
        return paginated(request, data, blocks, key=lambda b: b.id)


def render_muted_account(mute: Mute) -> dict[str, Any]:
    """Mastodon's MutedAccount: an Account with ``mute_expires_at``."""
    data = render_account(mute.target_account)
    data["mute_expires_at"] = iso(mute.expires_at)
    return data


class MutesView(MastodonView):
    scopes = {"GET": "read:mutes"}

    def get(self, request: Request) -> Response:
        page = page_from(self.params, default=ACCOUNTS_LIMIT, maximum=ACCOUNTS_MAX)
        mutes: list[Mute] = selectors.mutes_page(self.me, page)
        data = [render_muted_account(m) for m in mutes]
        return paginated(request, data, mutes, key=lambda m: m.id)


class FollowRequestsView(MastodonView):
    scopes = {"GET": "read:follows"}

    def get(self, request: Request) -> Response:
        page = page_from(self.params, default=ACCOUNTS_LIMIT, maximum=ACCOUNTS_MAX)
        requests: list[FollowRequest] = selectors.follow_requests_page(self.me, page)
        data = render_accounts([r.account for r in requests])
        return paginated(request, data, requests, key=lambda r: r.id)


class AuthorizeFollowRequestView(AccountActionView):
    """POST /api/v1/follow_requests/:account_id/authorize; 404 without a pending request."""

    scopes = {"POST": "write:follows"}

    def act(self, me: Account, target: Account) -> None:
        services.authorize_follow_request(me, target)


class RejectFollowRequestView(AccountActionView):
    scopes = {"POST": "write:follows"}

    def act(self, me: Account, target: Account) -> None:
        services.reject_follow_request(me, target)


class DomainBlocksView(MastodonView):
    """GET/POST/DELETE /api/v1/domain_blocks: domains as plain strings; writes answer {}."""

    scopes = {"GET": "read:blocks", "POST": "write:blocks", "DELETE": "write:blocks"}

    def get(self, request: Request) -> Response:
        page = page_from(self.params, default=100, maximum=200)
        blocks: list[AccountDomainBlock] = selectors.domain_blocks_page(self.me, page)
        return paginated(request, [b.domain for b in blocks], blocks, key=lambda b: b.id)

    def post(self, request: Request) -> Response:
        domain = str(self.params.get("domain") or "")
        _domain_errors(lambda: services.block_domain(self.me, domain=domain))
        return Response({})

    def delete(self, request: Request) -> Response:
        domain = str(self.params.get("domain") or "")
        _domain_errors(lambda: services.unblock_domain(self.me, domain=domain))
        return Response({})


class EndorsementsView(MastodonView):
    """GET /api/v1/endorsements: the accounts the viewer features."""

    scopes = {"GET": "read:accounts"}

    def get(self, request: Request) -> Response:
        page = page_from(self.params, default=ACCOUNTS_LIMIT, maximum=ACCOUNTS_MAX)
        pins: list[AccountPin] = selectors.endorsements_page(self.me, self.me, page)
        data = render_accounts([p.target_account for p in pins])
        return paginated(request, data, pins, key=lambda p: p.id)
