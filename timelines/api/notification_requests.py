"""Notification requests: /api/v1/notifications/requests, one request, accepting and dismissing
one or several, and whether accepted ones are merged."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from fedisocial.api.pagination import page_from, paginated
from fedisocial.api.params import to_list
from fedisocial.api.views import MastodonView
from timelines import notifications, selectors
from timelines.api.serializers import render_notification_requests


class NotificationRequestsView(MastodonView):
    scopes = {"GET": "read:notifications"}

    def get(self, request: Request) -> Response:
        items = selectors.notification_requests_page(
            self.me, page=page_from(self.params, default=40, maximum=80)
        )
        return paginated(request, render_notification_requests(items, self.me), items)


class NotificationRequestView(MastodonView):
    scopes = {"GET": "read:notifications"}

    def get(self, request: Request, request_id: int) -> Response:
        item = selectors.notification_request_for(self.me, request_id)
        return Response(render_notification_requests([item], self.me)[0])


class NotificationRequestAcceptView(MastodonView):
    scopes = {"POST": "write:notifications"}

    def post(self, request: Request, request_id: int) -> Response:
        found = selectors.own_notification_request(self.me, request_id)
        notifications.accept_notification_requests(self.me, [found])
        return Response({})


class NotificationRequestDismissView(MastodonView):
    scopes = {"POST": "write:notifications"}

    def post(self, request: Request, request_id: int) -> Response:
        found = selectors.own_notification_request(self.me, request_id)
        notifications.dismiss_notification_requests(self.me, [found])
        return Response({})


class NotificationRequestsAcceptView(MastodonView):
    """``id[]``: the requests to accept; ids of others' requests are ignored, as in Mastodon."""

    scopes = {"POST": "write:notifications"}

    def post(self, request: Request) -> Response:
        found = selectors.own_notification_requests(self.me, to_list(self.params.get("id")))
        notifications.accept_notification_requests(self.me, found)
        return Response({})


class NotificationRequestsDismissView(MastodonView):
    scopes = {"POST": "write:notifications"}

    def post(self, request: Request) -> Response:
        found = selectors.own_notification_requests(self.me, to_list(self.params.get("id")))
        notifications.dismiss_notification_requests(self.me, found)
        return Response({})


class NotificationRequestsMergedView(MastodonView):
    """Accepting merges the notifications before it answers, so they are always merged."""

    scopes = {"GET": "read:notifications"}

    def get(self, request: Request) -> Response:
        return Response({"merged": True})
