"""Grouped notifications: /api/v2/notifications, one group, its accounts, dismissing it."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.serializers import render_account
from fedisocial.api.pagination import link_header, page_from
from fedisocial.api.params import to_bool, to_int, to_str_list
from fedisocial.api.views import MastodonView
from timelines import selectors
from timelines.api.serializers import render_grouped_notifications, without_hidden_groups
from timelines.selectors import GROUPABLE_TYPES, NotificationGroup


def _filters(params: dict[str, Any]) -> dict[str, Any]:
    grouped = to_str_list(params.get("grouped_types"))
    return {
        "types": to_str_list(params.get("types")),
        "exclude_types": to_str_list(params.get("exclude_types")),
        "from_account_id": to_int(params.get("account_id")),
        "grouped_types": set(grouped) & GROUPABLE_TYPES
        if "grouped_types" in params
        else GROUPABLE_TYPES,
    }


def _link(request: Request, groups: list[NotificationGroup]) -> str | None:
    """Groups page by their notifications: next below the oldest one on the page, prev above
    the newest."""
    return link_header(
        request,
        groups,
        key=lambda g: g.page_min_id,
        prev_key=lambda g: g.page_max_id,
    )


class GroupedNotificationsView(MastodonView):
    scopes = {"GET": "read:notifications"}

    def get(self, request: Request) -> Response:
        params = self.params
        result = selectors.grouped_notifications_page(
            self.me,
            page=page_from(params, default=40, maximum=80),
            include_filtered=bool(to_bool(params.get("include_filtered"))),
            **_filters(params),
        )
        partial = params.get("expand_accounts") == "partial_avatars"
        data = render_grouped_notifications(result, self.me, partial_accounts=partial)
        response = Response(without_hidden_groups(data))
        link = _link(request, result.groups)
        if link:
            response["Link"] = link
        return response


class NotificationGroupView(MastodonView):
    scopes = {"GET": "read:notifications"}

    def get(self, request: Request, group_key: str) -> Response:
        result = selectors.notification_group(self.me, group_key)
        return Response(render_grouped_notifications(result, self.me))


class NotificationGroupDismissView(MastodonView):
    scopes = {"POST": "write:notifications"}

    def post(self, request: Request, group_key: str) -> Response:
        selectors.group_notifications(self.me, group_key).delete()
        return Response({})


class NotificationGroupAccountsView(MastodonView):
    # The documentation names write:notifications; Mastodon's controller asks for read.
    scopes = {"GET": ("read:notifications", "write:notifications")}

    def get(self, request: Request, group_key: str) -> Response:
        accounts = selectors.notification_group_accounts(self.me, group_key)
        return Response([render_account(a) for a in accounts])


class GroupedUnreadCountView(MastodonView):
    scopes = {"GET": "read:notifications"}

    def get(self, request: Request) -> Response:
        params = self.params
        limit = max(1, min(to_int(params.get("limit"), 100) or 100, 1000))
        count = selectors.unread_notification_groups_count(self.me, limit=limit, **_filters(params))
        return Response({"count": count})
