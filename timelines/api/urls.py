"""Timelines, lists, notifications, conversations and markers, in the order of Mastodon's
documentation. Fixed paths come before ``<id>`` ones."""

from django.urls import URLPattern, path

from timelines.api import (
    conversations,
    lists,
    markers,
    notification_policy,
    notifications,
    trends,
    views,
)
from timelines.api import grouped_notifications as grouped
from timelines.api import notification_requests as requests

urlpatterns: list[URLPattern] = [
    path("api/v1/timelines/home", views.HomeTimelineView.as_view()),
    path("api/v1/timelines/public", views.PublicTimelineView.as_view()),
    path("api/v1/timelines/tag/<str:hashtag>", views.TagTimelineView.as_view()),
    path("api/v1/timelines/list/<int:list_id>", views.ListTimelineView.as_view()),
    path("api/v1/lists", lists.ListsView.as_view()),
    path("api/v1/lists/<int:list_id>", lists.ListView.as_view()),
    path("api/v1/lists/<int:list_id>/accounts", lists.ListAccountsView.as_view()),
    path("api/v1/notifications", notifications.NotificationsView.as_view()),
    path("api/v1/notifications/clear", notifications.NotificationsClearView.as_view()),
    path("api/v1/notifications/unread_count", notifications.UnreadCountView.as_view()),
    path("api/v1/notifications/policy", notification_policy.V1NotificationPolicyView.as_view()),
    path("api/v1/notifications/requests", requests.NotificationRequestsView.as_view()),
    path("api/v1/notifications/requests/accept", requests.NotificationRequestsAcceptView.as_view()),
    path(
        "api/v1/notifications/requests/dismiss", requests.NotificationRequestsDismissView.as_view()
    ),
    path("api/v1/notifications/requests/merged", requests.NotificationRequestsMergedView.as_view()),
    path(
        "api/v1/notifications/requests/<int:request_id>",
        requests.NotificationRequestView.as_view(),
    ),
    path(
        "api/v1/notifications/requests/<int:request_id>/accept",
        requests.NotificationRequestAcceptView.as_view(),
    ),
    path(
        "api/v1/notifications/requests/<int:request_id>/dismiss",
        requests.NotificationRequestDismissView.as_view(),
    ),
    path("api/v1/notifications/<int:notification_id>", notifications.NotificationView.as_view()),
    path(
        "api/v1/notifications/<int:notification_id>/dismiss",
        notifications.NotificationDismissView.as_view(),
    ),
    path("api/v2/notifications", grouped.GroupedNotificationsView.as_view()),
    path("api/v2/notifications/unread_count", grouped.GroupedUnreadCountView.as_view()),
    # Before ``<str:group_key>``, which "policy" would match.
    path("api/v2/notifications/policy", notification_policy.NotificationPolicyView.as_view()),
    path("api/v2/notifications/<str:group_key>", grouped.NotificationGroupView.as_view()),
    path(
        "api/v2/notifications/<str:group_key>/dismiss",
        grouped.NotificationGroupDismissView.as_view(),
    ),
    path(
        "api/v2/notifications/<str:group_key>/accounts",
        grouped.NotificationGroupAccountsView.as_view(),
    ),
    path("api/v1/conversations", conversations.ConversationsView.as_view()),
    path("api/v1/conversations/<int:conversation_id>", conversations.ConversationView.as_view()),
    path(
        "api/v1/conversations/<int:conversation_id>/read",
        conversations.ConversationReadView.as_view(),
    ),
    path("api/v1/markers", markers.MarkersView.as_view()),
    path("api/v1/trends", trends.TrendingTagsView.as_view()),  # deprecated alias (3.5)
    path("api/v1/trends/tags", trends.TrendingTagsView.as_view()),
    path("api/v1/trends/statuses", trends.TrendingStatusesView.as_view()),
    path("api/v1/trends/links", trends.TrendingLinksView.as_view()),
]
