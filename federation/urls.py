"""Discovery and ActivityPub: NodeInfo, WebFinger, host-meta, actors, statuses, collections and
inboxes, at Mastodon's paths (other servers build some of them from a handle)."""

from django.urls import URLPattern, path

from federation import nodeinfo, views
from federation.inbox import views as inbox_views

urlpatterns: list[URLPattern] = [
    path(".well-known/nodeinfo", nodeinfo.well_known, name="nodeinfo_well_known"),
    path("nodeinfo/2.0", nodeinfo.document, {"version": "2.0"}, name="nodeinfo_2_0"),
    path("nodeinfo/2.1", nodeinfo.document, {"version": "2.1"}, name="nodeinfo_2_1"),
    path(".well-known/webfinger", views.webfinger, name="webfinger"),
    path(".well-known/host-meta", views.host_meta, name="host_meta"),
    # The instance actor; its inbox is the shared inbox, as Mastodon routes it.
    path("actor", views.instance_actor_view, name="instance_actor"),
    path("actor/outbox", views.instance_actor_outbox, name="instance_actor_outbox"),
    path("actor/inbox", inbox_views.inbox, name="instance_actor_inbox"),
    path("inbox", inbox_views.inbox, name="shared_inbox"),
    # Accounts
    path("users/<str:username>", views.actor, name="actor"),
    path("users/<str:username>/inbox", inbox_views.inbox, name="inbox"),
    path("users/<str:username>/outbox", views.outbox, name="outbox"),
    path("users/<str:username>/followers", views.followers, name="followers"),
    path("users/<str:username>/following", views.following, name="following"),
    path("users/<str:username>/collections/<str:name>", views.collection, name="collection"),
    path("users/<str:username>/statuses/<str:status_id>", views.status, name="status"),
    path(
        "users/<str:username>/statuses/<str:status_id>/activity",
        views.status_activity,
        name="status_activity",
    ),
    # Web pages (and the same objects for an ActivityPub Accept)
    path("@<str:username>", views.profile, name="profile"),
    path("@<str:username>/<str:status_id>", views.short_status, name="short_status"),
]
