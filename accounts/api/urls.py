"""The accounts part of the client API, in the order of Mastodon's documentation.

Fixed paths (verify_credentials, relationships, search...) come before ``accounts/<id>``."""

from django.urls import URLPattern, path

from accounts.api import discovery_views as discovery
from accounts.api import relationships as rel
from accounts.api import views

ACCOUNT = "api/v1/accounts/<int:account_id>"

urlpatterns: list[URLPattern] = [
    path("api/v1/accounts", views.AccountsView.as_view(), name="api_accounts"),
    path("api/v1/accounts/verify_credentials", views.VerifyCredentialsView.as_view()),
    path("api/v1/accounts/update_credentials", views.UpdateCredentialsView.as_view()),
    path("api/v1/accounts/relationships", rel.RelationshipsView.as_view()),
    path("api/v1/accounts/familiar_followers", rel.FamiliarFollowersView.as_view()),
    path("api/v1/accounts/search", views.SearchView.as_view()),
    path("api/v1/accounts/lookup", views.LookupView.as_view()),
    path(ACCOUNT, views.AccountView.as_view(), name="api_account"),
    path(f"{ACCOUNT}/statuses", views.AccountStatusesView.as_view()),
    path(f"{ACCOUNT}/followers", views.FollowersView.as_view()),
    path(f"{ACCOUNT}/following", views.FollowingView.as_view()),
    path(f"{ACCOUNT}/featured_tags", views.FeaturedTagsView.as_view()),
    path(f"{ACCOUNT}/lists", views.AccountListsView.as_view()),
    path(f"{ACCOUNT}/identity_proofs", views.IdentityProofsView.as_view()),
    path(f"{ACCOUNT}/endorsements", views.AccountEndorsementsView.as_view()),
    path(f"{ACCOUNT}/follow", rel.FollowView.as_view()),
    path(f"{ACCOUNT}/unfollow", rel.UnfollowView.as_view()),
    path(f"{ACCOUNT}/remove_from_followers", rel.RemoveFromFollowersView.as_view()),
    path(f"{ACCOUNT}/block", rel.BlockView.as_view()),
    path(f"{ACCOUNT}/unblock", rel.UnblockView.as_view()),
    path(f"{ACCOUNT}/mute", rel.MuteView.as_view()),
    path(f"{ACCOUNT}/unmute", rel.UnmuteView.as_view()),
    path(f"{ACCOUNT}/endorse", rel.EndorseView.as_view()),
    path(f"{ACCOUNT}/unendorse", rel.UnendorseView.as_view()),
    path(f"{ACCOUNT}/pin", rel.EndorseView.as_view()),  # deprecated in 4.4 for /endorse
    path(f"{ACCOUNT}/unpin", rel.UnendorseView.as_view()),  # deprecated in 4.4 for /unendorse
    path(f"{ACCOUNT}/note", rel.NoteView.as_view()),
    path("api/v1/blocks", rel.BlocksView.as_view()),
    path("api/v1/mutes", rel.MutesView.as_view()),
    path("api/v1/follow_requests", rel.FollowRequestsView.as_view()),
    path(
        "api/v1/follow_requests/<int:account_id>/authorize",
        rel.AuthorizeFollowRequestView.as_view(),
    ),
    path("api/v1/follow_requests/<int:account_id>/reject", rel.RejectFollowRequestView.as_view()),
    path("api/v1/domain_blocks", rel.DomainBlocksView.as_view()),
    path("api/v1/endorsements", rel.EndorsementsView.as_view()),
    path("api/v1/preferences", views.PreferencesView.as_view()),
    path("api/v1/directory", discovery.DirectoryView.as_view()),
    path("api/v2/suggestions", discovery.SuggestionsView.as_view()),
    path("api/v1/suggestions", discovery.SuggestionsV1View.as_view()),
    path("api/v1/suggestions/<str:account_id>", discovery.SuggestionView.as_view()),
    path("api/v1/featured_tags", discovery.FeaturedTagListView.as_view()),
    path("api/v1/featured_tags/suggestions", discovery.FeaturedTagSuggestionsView.as_view()),
    path("api/v1/featured_tags/<int:featured_tag_id>", discovery.FeaturedTagView.as_view()),
    # Beside /api/v1/tags/:name/follow (statuses.api.urls): featuring is the profile's business.
    path("api/v1/tags/<str:name>/feature", discovery.TagFeatureView.as_view()),
    path("api/v1/tags/<str:name>/unfeature", discovery.TagUnfeatureView.as_view()),
]
