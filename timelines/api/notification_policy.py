"""The notification policy: /api/v2/notifications/policy, and the v1 form Mastodon still serves
(/api/v1/notifications/policy, booleans instead of accept/filter/drop)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Account
from fedisocial.api.errors import UnprocessableEntity
from fedisocial.api.params import to_bool
from fedisocial.api.views import MastodonView
from timelines import notifications, selectors
from timelines.api.serializers import render_notification_policy, render_v1_notification_policy
from timelines.models import NotificationPolicy

SCOPES = {
    "GET": "read:notifications",
    "PATCH": "write:notifications",
    "PUT": "write:notifications",
}
V1_FIELDS = {
    "filter_not_following": "for_not_following",
    "filter_not_followers": "for_not_followers",
    "filter_new_accounts": "for_new_accounts",
    "filter_private_mentions": "for_private_mentions",
}


def _update(account: Account, changes: dict[str, str]) -> NotificationPolicy:
    try:
        return notifications.update_notification_policy(account, **changes)
    except notifications.PolicyError as error:
        raise UnprocessableEntity(f"Validation failed: {error}") from None


class NotificationPolicyView(MastodonView):
    scopes = SCOPES

    def get(self, request: Request) -> Response:
        policy = notifications.policy_for(self.me)
        return Response(
            render_notification_policy(policy, selectors.notification_policy_summary(self.me))
        )

    def patch(self, request: Request) -> Response:
        params = self.params
        changes = {case: str(params[case]) for case in NotificationPolicy.FIELDS if case in params}
        policy = _update(self.me, changes)
        return Response(
            render_notification_policy(policy, selectors.notification_policy_summary(self.me))
        )

    put = patch  # Mastodon routes both to ``update``


class V1NotificationPolicyView(MastodonView):
    """Deprecated in Mastodon's documentation; clients of the 4.3 betas still call it."""

    scopes = SCOPES

    def get(self, request: Request) -> Response:
        policy = notifications.policy_for(self.me)
        summary = selectors.notification_policy_summary(self.me)
        return Response(render_v1_notification_policy(policy, summary))

    def put(self, request: Request) -> Response:
        params = self.params
        accept, filter_ = NotificationPolicy.Action.ACCEPT, NotificationPolicy.Action.FILTER
        changes: dict[str, str] = {}
        for name, case in V1_FIELDS.items():
            value = to_bool(params.get(name), None)
            if value is not None:
                changes[case] = filter_ if value else accept
        policy = _update(self.me, changes)
        summary = selectors.notification_policy_summary(self.me)
        return Response(render_v1_notification_policy(policy, summary))

    patch = put
