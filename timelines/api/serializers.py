"""Mastodon's List, Notification, Conversation and Marker entities, as plain dicts.

Statuses inside them are rendered a page at a time through ``render_statuses``, so the
viewer's flags cost one query per page, not one per item.
"""

from __future__ import annotations

from typing import Any

from accounts.api.serializers import render_account
from accounts.models import Account
from fedisocial.api.dates import iso
from statuses.api.serializers import RenderedStatus, render_statuses
from statuses.models import Status
from timelines.models import List, Marker, Notification, NotificationPolicy
from timelines.selectors import (
    ConversationItem,
    GroupedNotifications,
    NotificationGroup,
    NotificationItem,
    NotificationRequestItem,
)


def render_list(lst: List) -> dict[str, Any]:
    return {
        "id": str(lst.id),
        "title": lst.title,
        "replies_policy": lst.replies_policy,
        "exclusive": lst.exclusive,
    }


def render_marker(marker: Marker) -> dict[str, Any]:
    return {
        "last_read_id": str(marker.last_read_id),
        "version": marker.version,
        "updated_at": iso(marker.updated_at),
    }


def render_markers(markers: list[Marker]) -> dict[str, Any]:
    return {m.timeline: render_marker(m) for m in markers}


def _rendered_by_id(
    statuses: list[Status], viewer: Account, *, context: str | None = None
) -> dict[int, RenderedStatus]:
    unique = list({s.id: s for s in statuses}.values())
    rendered = render_statuses(unique, viewer, context=context)
    return {s.id: data for s, data in zip(unique, rendered, strict=True)}


def render_notification(
    notification: Notification, status: RenderedStatus | None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(notification.id),
        "type": notification.type,
        "created_at": iso(notification.created_at),
        "group_key": f"ungrouped-{notification.id}",
        "account": render_account(notification.from_account),
    }
    # `status` (and report, event, moderation_warning, which this server never produces yet)
    # are optional and not nullable: present only for the types that carry them.
    if status is not None:
        data["status"] = status
    return data


def render_notifications(items: list[NotificationItem], viewer: Account) -> list[dict[str, Any]]:
    """Statuses carry ``filtered`` for the ``notifications`` context."""
    statuses = [s for _, s in items if s is not None]
    rendered = _rendered_by_id(statuses, viewer, context="notifications")
    return [render_notification(n, rendered[s.id] if s is not None else None) for n, s in items]


def without_hidden_notifications(notifications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Notifications minus those whose status a ``hide`` filter matched."""
    return [n for n in notifications if "status" not in n or not n["status"].hidden]


def render_conversations(items: list[ConversationItem], viewer: Account) -> list[dict[str, Any]]:
    rendered = _rendered_by_id([i.last_status for i in items if i.last_status], viewer)
    return [
        {
            "id": str(item.conversation.id),
            "unread": item.conversation.unread,
            "accounts": [render_account(a) for a in item.accounts],
            "last_status": rendered[item.last_status.id] if item.last_status else None,
        }
        for item in items
    ]


def render_notification_group(group: NotificationGroup) -> dict[str, Any]:
    data: dict[str, Any] = {
        "group_key": str(group.key),
        "notifications_count": group.notifications_count,
        "type": group.type,
        "most_recent_notification_id": str(group.most_recent_notification_id),
        "sample_account_ids": [str(i) for i in group.sample_account_ids],
    }
    if group.status is not None:  # optional, not nullable (as `status` on a notification)
        data["status_id"] = str(group.status.id)
    if group.page_min_id is not None:  # only when paging through groups, as Mastodon
        data["page_min_id"] = str(group.page_min_id)
        data["page_max_id"] = str(group.page_max_id)
        data["latest_page_notification_at"] = iso(group.latest_page_notification_at)
    return data


def render_grouped_notifications(
    result: GroupedNotifications, viewer: Account, *, partial_accounts: bool = False
) -> dict[str, Any]:
    """GroupedNotificationsResults: accounts and statuses once each, at the root. Accounts are
    always rendered in full (``partial_accounts`` is then empty when asked for). Statuses carry
    ``filtered`` for the ``notifications`` context."""
    data: dict[str, Any] = {
        "accounts": [render_account(a) for a in result.accounts],
        "statuses": render_statuses(result.statuses, viewer, context="notifications"),
        "notification_groups": [render_notification_group(g) for g in result.groups],
    }
    if partial_accounts:
        data["partial_accounts"] = []
    return data


def without_hidden_groups(data: dict[str, Any]) -> dict[str, Any]:
    """Grouped results minus the groups whose status a ``hide`` filter matched, with that
    status and the accounts only those groups named."""
    hidden = {s.id for s in data["statuses"] if s.hidden}
    if not hidden:
        return data
    groups = [g for g in data["notification_groups"] if g.get("status_id") not in hidden]
    named = {i for g in groups for i in g["sample_account_ids"]}
    return {
        **data,
        "accounts": [a for a in data["accounts"] if a["id"] in named],
        "statuses": [s for s in data["statuses"] if s.id not in hidden],
        "notification_groups": groups,
    }


def render_notification_policy(
    policy: NotificationPolicy, summary: tuple[int, int]
) -> dict[str, Any]:
    """NotificationPolicy (/api/v2/notifications/policy)."""
    data: dict[str, Any] = {case: getattr(policy, case) for case in NotificationPolicy.FIELDS}
    data["summary"] = _policy_summary(summary)
    return data


def render_v1_notification_policy(
    policy: NotificationPolicy, summary: tuple[int, int]
) -> dict[str, Any]:
    """V1::NotificationPolicy: a case is "filtered" unless it is accepted."""
    accept = NotificationPolicy.Action.ACCEPT
    return {
        "filter_not_following": policy.for_not_following != accept,
        "filter_not_followers": policy.for_not_followers != accept,
        "filter_new_accounts": policy.for_new_accounts != accept,
        "filter_private_mentions": policy.for_private_mentions != accept,
        "summary": _policy_summary(summary),
    }


def _policy_summary(summary: tuple[int, int]) -> dict[str, int]:
    requests, notifications = summary
    return {"pending_requests_count": requests, "pending_notifications_count": notifications}


def render_notification_requests(
    items: list[NotificationRequestItem], viewer: Account
) -> list[dict[str, Any]]:
    """NotificationRequest entities; ``notifications_count`` is a string, as Mastodon sends it,
    and counts the filtered mentions still there. Last statuses carry ``filtered`` for the
    ``notifications`` context."""
    statuses = [i.last_status for i in items if i.last_status is not None]
    rendered = _rendered_by_id(statuses, viewer, context="notifications")
    return [
        {
            "id": str(item.request.id),
            "created_at": iso(item.request.created_at),
            "updated_at": iso(item.request.updated_at),
            "notifications_count": str(getattr(item.request, "pending", 0)),
            "account": render_account(item.request.from_account),
            "last_status": rendered[item.last_status.id] if item.last_status else None,
        }
        for item in items
    ]
