"""Lists: /api/v1/lists, /api/v1/lists/:id and /api/v1/lists/:id/accounts."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import render_account
from accounts.models import Account
from fedisocial.api.errors import UnprocessableEntity
from fedisocial.api.pagination import page_from, paginate_queryset, paginated
from fedisocial.api.params import to_bool, to_int, to_str_list
from fedisocial.api.views import MastodonView
from timelines import feeds, selectors
from timelines.api.serializers import render_list


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _account_ids(params: dict[str, Any]) -> list[int]:
    ids = [to_int(v) for v in to_str_list(params.get("account_ids"))]
    if any(i is None for i in ids):
        raise Account.DoesNotExist("Record not found")
    return [i for i in ids if i is not None]


class ListsView(MastodonView):
    scopes = {"GET": "read:lists", "POST": "write:lists"}

    def get(self, request: Request) -> Response:
        return Response([render_list(lst) for lst in selectors.lists_of(self.me)])

    def post(self, request: Request) -> Response:
        params = self.params
        try:
            lst = feeds.create_list(
                account=self.me,
                title=_text(params.get("title")),
                replies_policy=_text(params.get("replies_policy")),
                exclusive=bool(to_bool(params.get("exclusive"))),
            )
        except feeds.FeedError as exc:
            raise UnprocessableEntity(str(exc)) from exc
        return Response(render_list(lst))


class ListView(MastodonView):
    scopes = {"GET": "read:lists", "PUT": "write:lists", "DELETE": "write:lists"}

    def get(self, request: Request, list_id: int) -> Response:
        return Response(render_list(selectors.owned_list(self.me, list_id)))

    def put(self, request: Request, list_id: int) -> Response:
        lst = selectors.owned_list(self.me, list_id)
        params = self.params
        try:
            lst = feeds.update_list(
                lst=lst,
                title=_text(params.get("title")),
                replies_policy=_text(params.get("replies_policy")),
                exclusive=to_bool(params.get("exclusive"), default=None),
            )
        except feeds.FeedError as exc:
            raise UnprocessableEntity(str(exc)) from exc
        return Response(render_list(lst))

    def delete(self, request: Request, list_id: int) -> Response:
        feeds.delete_list(lst=selectors.owned_list(self.me, list_id))
        return Response({})


class ListAccountsView(MastodonView):
    scopes = {"GET": "read:lists", "POST": "write:lists", "DELETE": "write:lists"}

    def get(self, request: Request, list_id: int) -> Response:
        lst = selectors.owned_list(self.me, list_id)
        memberships = feeds.list_memberships(lst)
        if to_int(self.params.get("limit")) == 0:  # Mastodon: every member, no pages
            return Response([render_account(m.account) for m in memberships.order_by("id")])
        page = paginate_queryset(memberships, page_from(self.params, default=40, maximum=40))
        return paginated(request, [render_account(m.account) for m in page], page)

    def post(self, request: Request, list_id: int) -> Response:
        lst = selectors.owned_list(self.me, list_id)
        try:
            feeds.add_list_accounts(lst=lst, account_ids=_account_ids(self.params))
        except feeds.FeedError as exc:
            raise UnprocessableEntity(str(exc)) from exc
        return Response({})

    def delete(self, request: Request, list_id: int) -> Response:
        lst = selectors.owned_list(self.me, list_id)
        ids = [i for i in (to_int(v) for v in to_str_list(self.params.get("account_ids"))) if i]
        feeds.remove_list_accounts(lst=lst, account_ids=ids)
        return Response({})
