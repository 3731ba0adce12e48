"""The statuses API's URL table, in the order of Mastodon's documentation."""

from django.urls import URLPattern, path

from statuses.api import (
    collection_views,
    filter_views,
    poll_views,
    scheduled_views,
    tag_views,
    views,
)

S = "api/v1/statuses/<int:status_id>"

urlpatterns: list[URLPattern] = [
    path("api/v1/statuses", views.StatusListView.as_view()),
    path(S, views.StatusView.as_view()),
    path(f"{S}/context", views.StatusContextView.as_view()),
    path(f"{S}/translate", views.StatusTranslateView.as_view()),
    path(f"{S}/reblogged_by", views.StatusRebloggedByView.as_view()),
    path(f"{S}/favourited_by", views.StatusFavouritedByView.as_view()),
    path(f"{S}/favourite", views.FavouriteView.as_view()),
    path(f"{S}/unfavourite", views.UnfavouriteView.as_view()),
    path(f"{S}/reblog", views.ReblogView.as_view()),
    path(f"{S}/unreblog", views.UnreblogView.as_view()),
    path(f"{S}/bookmark", views.BookmarkView.as_view()),
    path(f"{S}/unbookmark", views.UnbookmarkView.as_view()),
    path(f"{S}/mute", views.MuteView.as_view()),
    path(f"{S}/unmute", views.UnmuteView.as_view()),
    path(f"{S}/pin", views.PinView.as_view()),
    path(f"{S}/unpin", views.UnpinView.as_view()),
    path(f"{S}/history", views.StatusHistoryView.as_view()),
    path(f"{S}/source", views.StatusSourceView.as_view()),
    path("api/v1/polls/<int:poll_id>", poll_views.PollView.as_view()),
    path("api/v1/polls/<int:poll_id>/votes", poll_views.PollVotesView.as_view()),
    path("api/v1/scheduled_statuses", scheduled_views.ScheduledStatusListView.as_view()),
    path(
        "api/v1/scheduled_statuses/<int:scheduled_id>",
        scheduled_views.ScheduledStatusView.as_view(),
    ),
    path("api/v1/bookmarks", collection_views.BookmarksView.as_view()),
    path("api/v1/favourites", collection_views.FavouritesView.as_view()),
    path("api/v1/tags/<str:name>", tag_views.TagView.as_view()),
    path("api/v1/tags/<str:name>/follow", tag_views.TagFollowView.as_view()),
    path("api/v1/tags/<str:name>/unfollow", tag_views.TagUnfollowView.as_view()),
    path("api/v1/followed_tags", tag_views.FollowedTagsView.as_view()),
    path("api/v2/filters", filter_views.FiltersView.as_view()),
    path("api/v2/filters/keywords/<int:keyword_id>", filter_views.FilterKeywordView.as_view()),
    path(
        "api/v2/filters/statuses/<int:filter_status_id>",
        filter_views.FilterStatusView.as_view(),
    ),
    path("api/v2/filters/<int:filter_id>", filter_views.FilterView.as_view()),
    path("api/v2/filters/<int:filter_id>/keywords", filter_views.FilterKeywordsView.as_view()),
    path("api/v2/filters/<int:filter_id>/statuses", filter_views.FilterStatusesView.as_view()),
    path("api/v1/filters", filter_views.V1FiltersView.as_view()),
    path("api/v1/filters/<int:keyword_id>", filter_views.V1FilterView.as_view()),
]
