"""Notifications: /api/v1/notifications and its single-notification and unread-count paths."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.pagination import page_from, paginated
from fedisocial.api.params import to_bool, to_int, to_str_list
from fedisocial.api.views import MastodonView
from timelines import notifications, selectors
from timelines.api.serializers import render_notifications, without_hidden_notifications


def _filters(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "types": to_str_list(params.get("types")),
        "exclude_types": to_str_list(params.get("exclude_types")),
        "from_account_id": to_int(params.get("account_id")),
    }


class NotificationsView(MastodonView):
    scopes = {"GET": "read:notifications"}

    def get(self, request: Request) -> Response:
        params = self.params
        items = selectors.notifications_page(
            self.me,
            page=page_from(params, default=40, maximum=80),
            include_filtered=bool(to_bool(params.get("include_filtered"))),
            **_filters(params),
        )
        data = without_hidden_notifications(render_notifications(items, self.me))
        return paginated(request, data, items, key=lambda item: item[0].id)


class NotificationView(MastodonView):
    scopes = {"GET": "read:notifications"}

    def get(self, request: Request, notification_id: int) -> Response:
        item = selectors.notification_for(self.me, notification_id)
        return Response(render_notifications([item], self.me)[0])


class NotificationDismissView(MastodonView):
    scopes = {"POST": "write:notifications"}

    def post(self, request: Request, notification_id: int) -> Response:
        notifications.dismiss_notification(selectors.own_notification(self.me, notification_id))
        return Response({})


class NotificationsClearView(MastodonView):
    scopes = {"POST": "write:notifications"}

    def post(self, request: Request) -> Response:
        notifications.clear_notifications(self.me)
        return Response({})


class UnreadCountView(MastodonView):
    scopes = {"GET": "read:notifications"}

    def get(self, request: Request) -> Response:
        params = self.params
        limit = max(1, min(to_int(params.get("limit"), 100) or 100, 1000))
        count = selectors.unread_notifications_count(self.me, limit=limit, **_filters(params))
        return Response({"count": count})
