"""URL table. Client-API paths mirror Mastodon's; each app owns its own url modules."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from fedisocial.api.search import SearchView
from fedisocial.source import source_archive

handler404 = "fedisocial.api.errors.handler404"
handler500 = "fedisocial.api.errors.handler500"

# Django tries these in order and, for each include that does not match, lists everything it
# tried: a path near the end cost 220 us to resolve. The busiest paths come first (timelines,
# statuses, the inboxes); no path matches patterns of two modules, so the order changes nothing
# else (tests/test_urls.py checks that).
urlpatterns = [
    path("", include("timelines.api.urls")),
    path("", include("statuses.api.urls")),
    path("", include("federation.urls")),  # inboxes, actors, NodeInfo, WebFinger
    path("", include("accounts.api.urls")),
    path("", include("fedisocial.api.urls")),  # instance, health, custom emojis, announcements
    path("", include("accounts.urls")),  # OAuth 2 and sign-in pages
    path("api/v2/search", SearchView.as_view()),
    path("source.tar.gz", source_archive),
    path("admin/", admin.site.urls),
]

if settings.BENCH_ANCHORS:
    urlpatterns.insert(0, path("", include("fedisocial.bench.anchors")))
